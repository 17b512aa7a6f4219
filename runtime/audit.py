"""The auditor's reports, the client's log report and the FHIR export, as use cases.

The HTTP routes and the ``polku audit`` / ``polku export fhir`` commands both call these, so a
report is worked out one way only, and every one of them reads the journey through
:class:`runtime.reads.Reads` (authorised and written to the access log).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from domain.errors import InvalidQueryError
from domain.events import TeamMemberAdded
from domain.personal import ERASED
from domain.vocabulary import check_term
from projections.audit import JourneyAudit, RecordDiff, audit_journey, record_diff, who_knew
from projections.fhir import Window
from readmodels.ledger import JourneyHit
from reports.audit import ClientLogReport, LedgerReport, WhoKnewReport, client_log_report
from reports.log_words import DEFAULT_ZONE, Language, language_of, zone
from runtime.paging import JourneyCursors, moment_of
from runtime.reads import Reader, ReadJourney, Reads
from runtime.wiring import Components

__all__ = [
    "DEFAULT_PAGE",
    "LOG_PAGE",
    "MAX_PAGE",
    "AuditReports",
    "JourneySearch",
    "LogPlace",
    "LogReports",
    "check_period",
]

DEFAULT_PAGE = 100
"""Ledger entries (and the entries of each list of a journey's audit) per page
unless the caller asks for another size (at most :data:`MAX_PAGE`)."""

MAX_PAGE = 1000
"""The most entries of one list a page holds."""

LOG_PAGE = MAX_PAGE
"""Reads and disclosures per page of the log report unless the caller asks for fewer (as for
the access log)."""


FHIR_PAGE = 1000
"""Entries per page of the FHIR export, at most (and by default)."""


@dataclass(frozen=True)
class FhirPage:
    """One page of the FHIR export and the token of the next (none: this is the last)."""

    bundle: dict[str, Any]
    next_page: str | None


def _fhir_page_token(at: datetime, known_at: datetime, offset: int) -> str:
    data = {"at": at.isoformat(), "known_at": known_at.isoformat(), "offset": offset}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _fhir_token(token: str) -> tuple[datetime, datetime, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        at = datetime.fromisoformat(data["at"])
        known_at = datetime.fromisoformat(data["known_at"])
        offset = int(data["offset"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidQueryError("not a page token this export gave") from None
    if offset < 0 or at.tzinfo is None or known_at.tzinfo is None:
        raise InvalidQueryError("not a page token this export gave")
    return at, known_at, offset


@dataclass(frozen=True)
class JourneySearch:
    """Journeys an auditor's search found; ``next_after`` continues it (none: no more)."""

    journeys: tuple[JourneyHit, ...]
    next_after: str | None


def check_period(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end < start:
        raise InvalidQueryError("'to' is before 'from'")


@dataclass(frozen=True)
class LogPlace:
    """Where a page of the log report starts, and what every page of its walk is of."""

    start: datetime | None
    end: datetime | None
    as_of: datetime | None = None
    """The first page's moment: reads up to it, disclosures judged at it (None: a first page)."""
    reads: str | None = None
    """The access log's own cursor of the next reads (None: from the first)."""
    reads_done: bool = False
    """Every read was on the pages before."""
    offset: int = 0
    """How many disclosures the pages before held."""


class LogReports:
    """The client's log report, a page at a time: the professionals' route and the client's own
    share it. The reads come from the access log a page at a time (never the whole log); the
    disclosures are judged by folding the journey, which is in memory whole anyway, and only a
    page of them is answered."""

    def __init__(self, components: Components) -> None:
        self._cursors = JourneyCursors(components, "log report")

    def place(
        self, client_ref: str, start: datetime | None, end: datetime | None, cursor: str | None
    ) -> LogPlace:
        """Where the page asked for starts: from the beginning of the period ``start``-``end``,
        or where ``cursor`` says (its period, not the one asked now). A cursor not given for
        this client's log report: :class:`InvalidQueryError`, before anything is read."""
        check_period(start, end)
        if cursor is None:
            return LogPlace(start, end)
        state = self._cursors.open(client_ref, cursor)
        try:
            return LogPlace(
                moment_of(state, "from"),
                moment_of(state, "to"),
                moment_of(state, "as_of"),
                None if state["reads"] is None else str(state["reads"]),
                bool(state["done"]),
                int(state["offset"]),
            )
        except (KeyError, TypeError, ValueError):
            raise InvalidQueryError("not a cursor this log report gave") from None

    def page(
        self,
        journey: ReadJourney,
        client_ref: str,
        place: LogPlace,
        language: Language | None = None,
        time_zone: str | None = None,
        limit: int | None = LOG_PAGE,
    ) -> ClientLogReport:
        """A page of the log report of a journey already read (and logged) for its reader, in
        ``language`` (default: the client's registered language if it is Finnish or Swedish,
        else English), its times in ``time_zone`` (default Europe/Helsinki; an unknown one:
        InvalidQueryError): at most ``limit`` reads and ``limit`` disclosures (None: all)."""
        if limit is not None and not 1 <= limit <= MAX_PAGE:
            raise InvalidQueryError(f"limit must be 1 to {MAX_PAGE}")
        where = time_zone or DEFAULT_ZONE
        zone(where)
        now = place.as_of or journey.components.clock()
        seen = journey.view(at=now, known_at=now)  # one fold: the language and the disclosures
        if language is None:
            language = language_of(seen.preferred_language)
        names = {
            e.party_id: str(e.personal["display_name"])
            for e in journey.full_record().events
            if isinstance(e, TeamMemberAdded)
            and e.personal.get("display_name") not in (None, ERASED)
        }
        until = now if place.end is None else min(place.end, now)
        following: str | None = None
        if limit is None:
            reads = journey.reads(place.start, until)
        elif place.reads_done:
            reads = ()
        else:
            reads, following = journey.reads_page(
                place.start, until, cursor=place.reads, limit=limit
            )
        disclosures = tuple(
            d
            for d in seen.disclosures  # as judged at the moment, that the reader may see
            if (place.start is None or d.occurred_at >= place.start)
            and (place.end is None or d.occurred_at <= place.end)
        )
        next_cursor = None
        if limit is not None:
            shown = disclosures[place.offset : place.offset + limit]
            if following is not None or len(disclosures) > place.offset + limit:
                state = {
                    "from": place.start and place.start.isoformat(),
                    "to": place.end and place.end.isoformat(),
                    "as_of": now.isoformat(),
                    "reads": following,
                    "done": following is None,
                    "offset": place.offset + limit,
                }
                next_cursor = self._cursors.seal(client_ref, state)
            disclosures = shown
        return client_log_report(
            client_ref,
            place.start,
            place.end,
            reads,
            disclosures,
            now,
            names,
            language,
            where,
            next_cursor,
        )


class AuditReports:
    def __init__(self, components: Components) -> None:
        self._components = components
        self._reads = Reads(components)
        self._audits = JourneyCursors(components, "journey audit")
        self._logs = LogReports(components)

    def journey(
        self,
        reader: Reader,
        client_ref: str,
        at: datetime | None,
        known_at: datetime | None,
        *,
        cursor: str | None = None,
        limit: int | None = DEFAULT_PAGE,
    ) -> JourneyAudit:
        """The journey replayed at (at, known_at), with its findings (auditors only), a page at
        a time: the findings, the history and each list of the view (team, consents,
        disclosures, knowledge…) hold at most ``limit`` entries each (None: all), from where
        ``cursor`` says. The first page pins (at, known_at) to now
        where they are not given, and the cursor carries them, so every page is of the same
        audit however the record grows meanwhile. The findings need the whole timeline: the
        journey is folded whole for every page, and only the page is answered."""
        Reads.authorise(reader.actor, auditors_only=True)
        if limit is not None and not 1 <= limit <= MAX_PAGE:
            raise InvalidQueryError(f"limit must be 1 to {MAX_PAGE}")
        offset = 0
        if cursor is not None:  # opened before anything is read (and logged)
            state = self._audits.open(client_ref, cursor)
            try:
                at, known_at = moment_of(state, "at"), moment_of(state, "known_at")
                offset = int(state["offset"])
                if at is None or known_at is None or offset < 0:
                    raise ValueError
            except (KeyError, TypeError, ValueError):
                raise InvalidQueryError("not a cursor this journey audit gave") from None
        else:
            now = self._components.clock()
            known_at = known_at or now
            at = at or now
        journey = self._reads.journey(reader, client_ref, auditors_only=True)
        whole = audit_journey(journey.full_record(), at=at, known_at=known_at)
        if limit is None:
            return whole
        end = offset + limit
        # Every list of the view grows with the journey (consents granted, recipients known,
        # members who came and went), not only its disclosures: each is paged alike.
        lists = {
            f.name: items
            for f in fields(whole.view)
            if isinstance(items := getattr(whole.view, f.name), tuple)
        }
        following = None
        if any(len(items) > end for items in (whole.findings, whole.history, *lists.values())):
            state = {"at": at.isoformat(), "known_at": known_at.isoformat(), "offset": end}
            following = self._audits.seal(client_ref, state)
        sliced: dict[str, Any] = {name: items[offset:end] for name, items in lists.items()}
        return JourneyAudit(
            replace(whole.view, **sliced),
            whole.history[offset:end],
            whole.findings[offset:end],
            following,
        )

    def diff(self, reader: Reader, client_ref: str, t1: datetime, t2: datetime) -> RecordDiff:
        """What the record showed differently at record time ``t2`` than at ``t1``."""
        if t2 <= t1:
            raise InvalidQueryError("t2 must be after t1")
        journey = self._reads.journey(reader, client_ref, auditors_only=True)
        return record_diff(journey.full_record(), t1, t2)

    def who_knew(
        self,
        reader: Reader,
        client_ref: str,
        category: str,
        at: datetime | None,
        known_at: datetime | None,
    ) -> WhoKnewReport:
        """Who had received ``category`` by ``at``, as recorded at ``known_at``, and how."""
        try:
            check_term("information_categories", category)
        except ValueError as error:
            raise InvalidQueryError(str(error)) from None
        journey = self._reads.journey(reader, client_ref, auditors_only=True)
        now = self._components.clock()
        at, known_at = at or now, known_at or now
        knowers = who_knew(journey.full_record(), category, at=at, known_at=known_at)
        return WhoKnewReport(client_ref, category, at, known_at, tuple(knowers))

    def ledger(
        self,
        reader: Reader,
        start: datetime | None,
        end: datetime | None,
        *,
        verdict: str | None = None,
        client_ref: str | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE,
    ) -> LedgerReport:
        """One page of the disclosure ledger across journeys (filtered on the server); a read
        of each client on the page is logged, and of no other."""
        check_period(start, end)
        Reads.authorise(reader.actor, auditors_only=True)
        page = self._components.ledger.page(
            start, end, verdict=verdict, client_ref=client_ref, cursor=cursor, limit=limit
        )
        self._reads.many(
            reader,
            [self._components.service.journey_id(e.client_ref) for e in page.entries],
            auditors_only=True,
        )
        return LedgerReport(
            start,
            end,
            verdict,
            client_ref,
            limit,
            page.entries,
            page.next_cursor,
            page.freshness,
        )

    def search(
        self,
        reader: Reader,
        *,
        client_ref: str | None = None,
        organisation: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        findings_only: bool = False,
        after: str | None = None,
        limit: int = DEFAULT_PAGE,
    ) -> JourneySearch:
        """Journeys by client ref, an organisation that sent or received their data, the
        period of their disclosures and whether any has a finding (auditors only); a read of
        each client listed is logged, and of no other."""
        check_period(start, end)
        Reads.authorise(reader.actor, auditors_only=True)
        hits, after_last = self._components.ledger.search(
            client_ref=client_ref,
            organisation=organisation,
            start=start,
            end=end,
            findings_only=findings_only,
            after=after,
            limit=limit,
        )
        journey_id = self._components.service.journey_id
        self._reads.many(reader, [journey_id(h.client_ref) for h in hits], auditors_only=True)
        return JourneySearch(tuple(hits), after_last)

    def log_report(
        self,
        reader: Reader,
        client_ref: str,
        start: datetime | None,
        end: datetime | None,
        language: Language | None = None,
        time_zone: str | None = None,
        *,
        cursor: str | None = None,
        limit: int | None = LOG_PAGE,
    ) -> ClientLogReport:
        """The client's log report: who read their data and who received it, and why — as the
        reader may see it (a team member is not shown the auditors' reads, nor disclosures of
        categories denied to them) — in ``language`` with times in ``time_zone``; a page of at
        most ``limit`` reads and ``limit`` disclosures (None: all) from where ``cursor`` says
        (:class:`LogReports`)."""
        if time_zone is not None:
            zone(time_zone)  # refused before anything is read (and logged)
        if limit is not None and not 1 <= limit <= MAX_PAGE:
            raise InvalidQueryError(f"limit must be 1 to {MAX_PAGE}")
        Reads.authorise(reader.actor)
        place = self._logs.place(client_ref, start, end, cursor)
        journey = self._reads.journey(reader, client_ref, professionals_only=True)
        return self._logs.page(journey, client_ref, place, language, time_zone, limit)

    def fhir(
        self,
        reader: Reader,
        client_ref: str,
        at: datetime | None,
        known_at: datetime | None,
        *,
        count: int | None = FHIR_PAGE,
        page: str | None = None,
    ) -> FhirPage:
        """A page of the journey at (at, known_at) as a FHIR R5 Bundle, its access log
        included: ``count`` entries, from the start or from where ``page`` (the ``next_page``
        of the page before) says. The first page pins (at, known_at) to now where they are not
        given, and the token carries them, so every page is of the same Bundle. ``count`` None:
        the whole Bundle at once (the local operator's file export)."""
        if count is not None and not 1 <= count <= FHIR_PAGE:
            raise InvalidQueryError(f"_count must be 1 to {FHIR_PAGE}")
        offset = 0
        if page is not None:
            at, known_at, offset = _fhir_token(page)
        else:
            now = self._components.clock()
            known_at = known_at or now
            at = at or min(now, known_at)
        journey = self._reads.journey(reader, client_ref)
        try:
            window = None if count is None else Window(offset, count)
            bundle, more = journey.fhir(at, known_at, window)
        except ValueError as error:
            raise InvalidQueryError(str(error)) from None
        following = _fhir_page_token(at, known_at, offset + (count or 0)) if more else None
        return FhirPage(bundle, following)
