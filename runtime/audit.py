"""The auditor's reports, the client's log report and the FHIR export, as use cases.

The HTTP routes and the ``polku audit`` / ``polku export fhir`` commands both call these, so a
report is worked out one way only, and every one of them reads the journey through
:class:`runtime.reads.Reads` (authorised and written to the access log).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
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
from runtime.reads import Reader, ReadJourney, Reads
from runtime.wiring import Components

__all__ = ["DEFAULT_PAGE", "AuditReports", "JourneySearch", "check_period", "log_report_of"]

DEFAULT_PAGE = 100
"""Ledger entries per page unless the caller asks for another size (at most 1000)."""


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


def log_report_of(
    journey: ReadJourney,
    client_ref: str,
    start: datetime | None,
    end: datetime | None,
    language: Language | None = None,
    time_zone: str | None = None,
) -> ClientLogReport:
    """The log report of a journey already read (and logged) for its reader, in ``language``
    (default: the client's registered language if it is Finnish or Swedish, else English), its
    times in ``time_zone`` (default Europe/Helsinki; an unknown one: InvalidQueryError)."""
    where = time_zone or DEFAULT_ZONE
    zone(where)
    if language is None:
        now = journey.components.clock()
        language = language_of(journey.view(at=now, known_at=now).preferred_language)
    names = {
        e.party_id: str(e.personal["display_name"])
        for e in journey.full_record().events
        if isinstance(e, TeamMemberAdded) and e.personal.get("display_name") not in (None, ERASED)
    }
    return client_log_report(
        client_ref,
        start,
        end,
        journey.reads(start, end),
        journey.disclosures(),
        journey.components.clock(),
        names,
        language,
        where,
    )


class AuditReports:
    def __init__(self, components: Components) -> None:
        self._components = components
        self._reads = Reads(components)

    def journey(
        self, reader: Reader, client_ref: str, at: datetime | None, known_at: datetime | None
    ) -> JourneyAudit:
        """The journey replayed at (at, known_at), with its findings (auditors only)."""
        journey = self._reads.journey(reader, client_ref, auditors_only=True)
        return audit_journey(journey.full_record(), at=at, known_at=known_at)

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
    ) -> ClientLogReport:
        """The client's log report: who read their data and who received it, and why — as the
        reader may see it (a team member is not shown the auditors' reads, nor disclosures of
        categories denied to them) — in ``language`` with times in ``time_zone``."""
        check_period(start, end)
        if time_zone is not None:
            zone(time_zone)  # refused before anything is read (and logged)
        journey = self._reads.journey(reader, client_ref, professionals_only=True)
        return log_report_of(journey, client_ref, start, end, language, time_zone)

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
