"""The auditor's reports and the client's log report, as data (JSON) and as printable pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import TypeAdapter

from domain.vocabulary import label, vocabulary
from projections.audit import JourneyAudit, Knower, Link, RecordDiff
from projections.fhir import AccessRead
from projections.journey_view import DisclosureView
from readmodels.ledger import LedgerEntry
from readmodels.tracking import Freshness
from reports.html import Cell, Section, render_page
from reports.log_words import (
    DEFAULT_ZONE,
    Language,
    format_day,
    format_moment,
    known_role,
    known_what,
    language_of,
    words,
    zone,
)

__all__ = [
    "AuditReport",
    "ClientLogReport",
    "LedgerReport",
    "WhoKnewReport",
    "as_html",
    "as_json",
    "client_log_html",
    "client_log_report",
    "diff_html",
    "journey_audit_html",
    "language_of",
    "ledger_html",
    "role_in_words",
    "what_was_done",
    "who_knew_html",
    "why_in_words",
]

ZONE_NOTE = "All times are ISO 8601 with their UTC offset."


def _period(start: datetime | None, end: datetime | None) -> str:
    since = start.isoformat(timespec="minutes") if start else "the beginning"
    until = end.isoformat(timespec="minutes") if end else "now"
    return f"{since} to {until}"


def _verdict(word: str, reasons: Sequence[object], explanations: Sequence[str] = ()) -> str:
    """A verdict as the reports print it: the word (lawful, unsupported or unlawful), then the
    reason codes and the explanations with their times."""
    if word == "lawful" or not reasons:
        return word
    codes = ", ".join(getattr(r, "code", str(r)) for r in reasons)
    return f"{word}: {codes}" + ("".join(f"\n{e}" for e in explanations))


def _basis(d: DisclosureView | LedgerEntry) -> str:
    return (
        d.basis
        + (f": {d.consent_id}" if d.consent_id else "")
        + (f": {d.statute}" if d.statute else "")
    )


def _disclosure_rows(disclosures: Sequence[DisclosureView]) -> list[list[object]]:
    return [
        [
            d.occurred_at,
            d.recorded_at,
            d.from_org or d.from_party or "(meeting)",
            d.to_party or d.to_org,
            v.category,
            d.purpose,
            _basis(d),
            _verdict(v.then.verdict, v.then.reasons, v.then.explanations),
            _verdict(v.now.verdict, v.now.reasons, v.now.explanations),
            d.event_id,
        ]
        for d in disclosures
        for v in d.verdicts
    ]


_DISCLOSURE_HEADERS = [
    "occurred",
    "recorded",
    "from",
    "to",
    "category",
    "purpose",
    "basis",
    "then",
    "now",
    "event",
]
VERDICT_NOTE = (
    "One row per recipient and category. Lawful: a basis on record covered it. Unsupported: no"
    " basis on record at the time, but nothing forbade it. Unlawful: a denial, a withdrawn,"
    " expired or non-covering consent, or a missing statute forbade it. Then: with the facts"
    " recorded by the moment the disclosure occurred; now: with the record at the report's"
    " record time."
)


def journey_audit_html(audit: JourneyAudit, next_href: str | None = None) -> str:
    """The audit as a printable page; a page of it (``audit.next_cursor`` set) says so and
    links to the next at ``next_href``."""
    v = audit.view
    sections = [
        Section(
            "Findings",
            ["finding", "event", "kind", "occurred", "recorded", "detail"],
            [
                [f.kind, f.event_id, f.event_kind, f.occurred_at, f.recorded_at, f.detail]
                for f in audit.findings
            ],
        ),
        Section(
            "Team",
            ["party", "type", "role", "organisation", "sector", "since", "coordinator"],
            [
                [
                    m.party_id,
                    m.member_type,
                    m.role,
                    m.organisation,
                    m.sector,
                    m.since,
                    m.is_coordinator,
                ]
                for m in v.team
            ],
        ),
        Section(
            "Consents in force",
            [
                "consent",
                "recipients",
                "categories",
                "purposes",
                "valid from",
                "valid until",
                "form",
            ],
            [
                [
                    c.consent_id,
                    (*c.recipient_orgs, *c.recipient_parties),
                    c.categories,
                    c.purposes,
                    c.valid_from,
                    c.valid_until,
                    c.form,
                ]
                for c in v.consents
            ],
        ),
        Section(
            "Disclosures, judged with the record then and now",
            _DISCLOSURE_HEADERS,
            _disclosure_rows(v.disclosures),
            VERDICT_NOTE,
        ),
        Section(
            "History as recorded",
            ["version", "event", "kind", "occurred", "recorded", "by", "late", "retracted by"],
            [
                [
                    h.version,
                    h.event_id,
                    h.kind,
                    h.occurred_at,
                    h.recorded_at,
                    f"{h.recorded_by.party_id} ({h.recorded_by.organisation})",
                    h.late,
                    h.retracted_by,
                ]
                for h in audit.history
            ],
        ),
    ]
    meta = [
        f"Client {v.client_ref} — journey {v.journey_id}",
        f"As things were on {v.at.isoformat(timespec='minutes')}, as recorded on "
        f"{v.known_at.isoformat(timespec='minutes')} ({v.known_version} events on record then).",
        ZONE_NOTE,
    ]
    if audit.next_cursor:
        meta.append("One page of each list: more of one or another follow on the next page.")
    link = ("Next page", next_href) if audit.next_cursor and next_href else None
    return render_page(f"Audit of journey {v.client_ref}", meta, sections, next_link=link)


@dataclass(frozen=True)
class LedgerReport:
    """One page of the ledger: the filters it was asked with, its entries, and the cursor of
    the next page (none when this is the last)."""

    start: datetime | None
    end: datetime | None
    verdict: str | None
    client_ref: str | None
    limit: int
    entries: tuple[LedgerEntry, ...]
    next_cursor: str | None
    as_of: Freshness
    """How fresh the ledger was: it reflected the record up to notification ``position`` of
    ``head`` (the rest is caught up in the background)."""


@dataclass(frozen=True)
class WhoKnewReport:
    client_ref: str
    category: str
    at: datetime
    known_at: datetime
    knowers: tuple[Knower, ...]


def ledger_html(report: LedgerReport) -> str:
    entries, start, end = report.entries, report.start, report.end
    rows = [
        [
            e.client_ref,
            e.occurred_at,
            e.recorded_at,
            e.from_org or e.from_party or "(meeting)",
            e.to_party or e.to_org,
            e.category,
            e.purpose,
            _basis(e),
            _verdict(e.verdict_then, e.reasons_then, e.explanations_then),
            _verdict(e.verdict_now, e.reasons_now, e.explanations_now),
            e.event_id,
        ]
        for e in entries
    ]
    period = _period(start, end)
    which = {None: "", "findings": " not lawful then or now"}.get(
        report.verdict, f" judged {report.verdict} now"
    )
    client = f" of client {report.client_ref}" if report.client_ref else ""
    more = (
        f"More follow: ask again with cursor={report.next_cursor}."
        if report.next_cursor
        else "This is the last page."
    )
    fresh = (
        f"The ledger reflected the record up to entry {report.as_of.position} of"
        f" {report.as_of.head}; the rest is being caught up."
        if report.as_of.behind
        else f"The ledger reflected the whole record ({report.as_of.head} entries)."
    )
    return render_page(
        "Disclosure ledger",
        [
            f"Disclosures{client}{which} that occurred from {period}.",
            more,
            fresh,
            VERDICT_NOTE,
            ZONE_NOTE,
        ],
        [
            Section(
                "Disclosures",
                [
                    "client",
                    "occurred",
                    "recorded",
                    "from",
                    "to",
                    "category",
                    "purpose",
                    "basis",
                    "then",
                    "now",
                    "event",
                ],
                rows,
            )
        ],
    )


def diff_html(diff: RecordDiff) -> str:
    return render_page(
        f"Record of {diff.client_ref}: what changed",
        [
            f"Between record times {diff.t1.isoformat(timespec='minutes')} and "
            f"{diff.t2.isoformat(timespec='minutes')}.",
            ZONE_NOTE,
        ],
        [
            Section(
                "Entries",
                ["change", "event", "kind", "occurred", "recorded", "takes out"],
                [
                    [e.change, e.event_id, e.kind, e.occurred_at, e.recorded_at, e.target_event_id]
                    for e in diff.entries
                ],
            ),
            Section(
                "Changed verdicts (lawful as recorded)",
                [
                    "disclosure",
                    "recipient",
                    "category",
                    "occurred",
                    "recorded",
                    "at t1",
                    "at t2",
                    "event",
                ],
                [
                    [
                        c.disclosure_id,
                        c.recipient,
                        c.category,
                        c.occurred_at,
                        c.recorded_at,
                        _verdict(c.verdict_at_t1, c.reasons_at_t1),
                        _verdict(c.verdict_at_t2, c.reasons_at_t2),
                        c.event_id,
                    ]
                    for c in diff.verdict_changes
                ],
            ),
        ],
    )


def what_was_done(endpoint: str, language: Language = "en") -> str:
    """What a way of reading the client's data did, in the words a client would use."""
    if known_what(endpoint):
        return words(f"what:{endpoint}", language)
    if endpoint.startswith("cli "):
        return words("cli", language, tool=endpoint.removeprefix("cli "))
    return words("read_data", language)


def why_in_words(purpose: str | None, language: Language = "en") -> str:
    """A purpose from the vocabulary in words (``care_coordination`` → "care coordination",
    "asiakkuuden koordinointi"), a purpose written by the reader as it is, or that none was
    given."""
    if not purpose:
        return words("no_reason", language)
    if purpose in vocabulary().terms["purposes"]:
        return label("purposes", purpose, language).lower()
    return purpose


def role_in_words(role: str, language: Language = "en") -> str:
    """A reader's role (``caseworker``) as a client reads it ("case worker", "huoltaja")."""
    if known_role(role):
        return words(f"role:{role}", language)
    return role.replace("_", " ")


@dataclass(frozen=True)
class Visit:
    """Reads of the client's data by one reader on one day, for one thing and one reason,
    grouped: a page loaded ten times is one line with ``times`` 10."""

    day: date
    who: str
    organisation: str
    role: str
    what: str
    why: str
    times: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class ClientLogReport:
    """The client's right of access to log data: who read their data, and who received it."""

    client_ref: str
    start: datetime | None
    end: datetime | None
    produced_at: datetime
    reads: tuple[AccessRead, ...]
    disclosures: tuple[DisclosureView, ...]
    visits: tuple[Visit, ...] = ()
    """The reads as a client reads them: grouped per reader, day, thing done and reason, with
    names for the people on the team and words for routes, roles and purposes."""
    language: Language = "en"
    """The language of the visits' words and of the printable page: fi, sv or en."""
    time_zone: str = DEFAULT_ZONE
    """The time zone the visits' days and the printable page's times are in."""
    next_cursor: str | None = None
    """A page of the report: more reads or disclosures follow; ask again with ``cursor`` set to
    this (None: the last page, or the whole). Every page is of the report as it stood at the
    first page's ``produced_at``; its visits group the reads of that page."""


def visits_of(
    reads: Sequence[AccessRead],
    names: dict[str, str],
    language: Language = "en",
    time_zone: str | None = None,
) -> tuple[Visit, ...]:
    """The reads grouped as :class:`Visit`, oldest first; ``names`` gives the team's display
    names by party id (a reader not on it is named by their party id). The words are in
    ``language``; the days are those of ``time_zone`` (default: each read's own offset)."""
    where = zone(time_zone) if time_zone else None
    groups: dict[tuple[date, str, str, str, str, str], list[AccessRead]] = {}
    for read in sorted(reads, key=lambda r: r.read_at):
        key = (
            (read.read_at.astimezone(where) if where else read.read_at).date(),
            names.get(read.party_id, read.party_id),
            read.organisation,
            role_in_words(read.role, language),
            what_was_done(read.endpoint, language),
            why_in_words(read.purpose, language),
        )
        groups.setdefault(key, []).append(read)
    return tuple(
        Visit(*key, times=len(group), first_at=group[0].read_at, last_at=group[-1].read_at)
        for key, group in groups.items()
    )


def client_log_report(
    client_ref: str,
    start: datetime | None,
    end: datetime | None,
    reads: Sequence[AccessRead],
    disclosures: Sequence[DisclosureView],
    produced_at: datetime,
    names: dict[str, str] | None = None,
    language: Language = "en",
    time_zone: str = DEFAULT_ZONE,
    next_cursor: str | None = None,
) -> ClientLogReport:
    return ClientLogReport(
        client_ref,
        start,
        end,
        produced_at,
        tuple(reads),
        tuple(
            d
            for d in disclosures
            if (start is None or d.occurred_at >= start) and (end is None or d.occurred_at <= end)
        ),
        visits_of(reads, names or {}, language, time_zone),
        language,
        time_zone,
        next_cursor,
    )


_VERDICT_CSS = {"lawful": "ok", "unsupported": "warn", "unlawful": "bad"}


def _client_verdict(word: str, reasons: Sequence[object], language: Language) -> Cell:
    """A verdict as the client's report prints it: the word in the client's language, coloured,
    with the reason codes (the auditor's and the client's common reference)."""
    text = words(word, language)
    if word != "lawful" and reasons:
        text += ": " + ", ".join(getattr(r, "code", str(r)) for r in reasons)
    return Cell(text, _VERDICT_CSS.get(word, ""))


def _client_basis(d: DisclosureView, language: Language) -> str:
    if d.basis == "consent" and d.consent_id:
        return words("consent", language, id=d.consent_id)
    if d.basis == "statutory" and d.statute:
        return words("statute", language, ref=d.statute)
    return label("basis_kinds", d.basis, language)


def client_log_html(report: ClientLogReport, next_href: str | None = None) -> str:
    """The client's log report as a printable page in the report's language, its times in the
    report's time zone; a page of it (``report.next_cursor`` set) says so and links to the next
    at ``next_href``."""
    lang = report.language
    where = zone(report.time_zone)

    def moment(value: datetime) -> str:
        return format_moment(value, lang, where)

    since = moment(report.start) if report.start else words("beginning", lang)
    until = moment(report.end) if report.end else words("now", lang)
    period = words("to", lang, since=since, until=until)
    disclosure_rows: list[list[object]] = [
        [
            moment(d.occurred_at),
            moment(d.recorded_at),
            d.from_org or d.from_party or words("meeting", lang),
            d.to_party or d.to_org,
            label("information_categories", v.category, lang),
            label("purposes", d.purpose, lang),
            _client_basis(d, lang),
            _client_verdict(v.then.verdict, v.then.reasons, lang),
            _client_verdict(v.now.verdict, v.now.reasons, lang),
            d.event_id,
        ]
        for d in report.disclosures
        for v in d.verdicts
    ]
    return render_page(
        words("title", lang),
        [
            words("client", lang, ref=report.client_ref, period=period),
            words("produced", lang, at=moment(report.produced_at))
            + " "
            + words("zone", lang, zone=report.time_zone),
            *([words("more_follow", lang)] if report.next_cursor else []),
        ],
        [
            Section(
                words("reads", lang),
                [
                    words(f"h.{h}", lang)
                    for h in ("day", "who", "organisation", "role", "what", "why", "times")
                ],
                [
                    [
                        format_day(v.day, lang),
                        v.who,
                        v.organisation,
                        v.role,
                        v.what,
                        v.why,
                        str(v.times),
                    ]
                    for v in report.visits
                ],
                words("reads_note", lang),
            ),
            Section(
                words("received", lang),
                [
                    words(f"h.{h}", lang)
                    for h in (
                        "occurred",
                        "recorded",
                        "from",
                        "to",
                        "category",
                        "purpose",
                        "basis",
                        "then",
                        "now",
                        "event",
                    )
                ],
                disclosure_rows,
                words("received_note", lang),
            ),
        ],
        lang=lang,
        none=words("none", lang),
        next_link=(words("next_page", lang), next_href)
        if report.next_cursor and next_href
        else None,
    )


def _verdicts(link: Link) -> str:
    return f"then {link.verdict_then} / now {link.verdict_now}"


def _step(link: Link) -> str:
    sender = link.from_party or link.from_org or "(meeting)"
    when = link.occurred_at.isoformat(timespec="minutes")
    receiver = link.to_party or link.to_org
    return f"{sender} → {receiver} [{link.disclosure_id}, {when}, {_verdicts(link)}]"


def who_knew_html(report: WhoKnewReport) -> str:
    client_ref, category, at, known_at = (
        report.client_ref,
        report.category,
        report.at,
        report.known_at,
    )
    rows = [
        [
            k.recipient_kind,
            k.recipient_id,
            k.first_at,
            len(chain),
            "; ".join(map(_step, chain)),
            tuple(link.event_id for link in chain),
        ]
        for k in report.knowers
        for chain in k.chains
    ]
    moment = f"By {at.isoformat(timespec='minutes')},"
    recorded = f"as recorded on {known_at.isoformat(timespec='minutes')}."
    return render_page(
        f"Who knew {category} about {client_ref}",
        [f"{moment} {recorded}", ZONE_NOTE],
        [
            Section(
                "Recipients and the chains behind them",
                ["kind", "recipient", "first received", "links", "chain", "events"],
                rows,
                "A chain runs from the original disclosure to the one that reached the recipient.",
            )
        ],
    )


AuditReport = JourneyAudit | RecordDiff | WhoKnewReport | LedgerReport | ClientLogReport
"""Every report an auditor (or the client's log) can be given, as JSON or as a printable page."""

_RENDERERS: dict[type[Any], tuple[TypeAdapter[Any], Any]] = {
    JourneyAudit: (TypeAdapter(JourneyAudit), journey_audit_html),
    RecordDiff: (TypeAdapter(RecordDiff), lambda report, _: diff_html(report)),
    WhoKnewReport: (TypeAdapter(WhoKnewReport), lambda report, _: who_knew_html(report)),
    LedgerReport: (TypeAdapter(LedgerReport), lambda report, _: ledger_html(report)),
    ClientLogReport: (TypeAdapter(ClientLogReport), client_log_html),
}


def as_json(report: AuditReport, *, indent: int | None = None) -> bytes:
    adapter: TypeAdapter[Any] = _RENDERERS[type(report)][0]
    return adapter.dump_json(report, indent=indent)


def as_html(report: AuditReport, next_href: str | None = None) -> str:
    """The report as a printable page; ``next_href``: where the next page of a report given a
    page at a time is (the page links to it)."""
    html: str = _RENDERERS[type(report)][1](report, next_href)
    return html
