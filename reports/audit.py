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
from reports.html import Section, render_page

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
    "ledger_html",
    "who_knew_html",
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


def journey_audit_html(audit: JourneyAudit) -> str:
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
    return render_page(f"Audit of journey {v.client_ref}", meta, sections)


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


_WHAT = {
    "GET /v1/journeys/{client_ref}": "looked at your journey",
    "GET /v1/journeys/{client_ref}/history": "looked at the history of your journey",
    "GET /v1/journeys/{client_ref}/may-share": "checked whether your data may be shared",
    "GET /v1/journeys/{client_ref}/access-log": "looked at who has read and received your data",
    "GET /v1/journeys/{client_ref}/log-report": "looked at this report",
    "GET /v1/journeys/{client_ref}/fhir": "exported your record",
    "GET /v1/journeys/{client_ref}/conformance": "checked your care pathway",
    "GET /v1/audit/journeys/{client_ref}": "audited your journey",
    "GET /v1/audit/journeys/{client_ref}/diff": "audited the changes to your record",
    "GET /v1/audit/journeys/{client_ref}/who-knew": "audited who had received your data",
    "GET /v1/audit/disclosures": "audited disclosures, yours among them",
    "GET /v1/audit/journeys": "searched the journeys, yours among them",
}
"""What each way of reading someone's data did, in the words a client would use."""


def what_was_done(endpoint: str) -> str:
    if endpoint in _WHAT:
        return _WHAT[endpoint]
    if endpoint.startswith("cli "):
        return "read your data with the operators' tools (" + endpoint.removeprefix("cli ") + ")"
    return "read your data"


def why_in_words(purpose: str | None) -> str:
    """A purpose from the vocabulary in words (``care_coordination`` → "care coordination"),
    a purpose written by the reader as it is, or that none was given."""
    if not purpose:
        return "no reason given"
    if purpose in vocabulary().terms["purposes"]:
        return label("purposes", purpose).lower()
    return purpose


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


def visits_of(reads: Sequence[AccessRead], names: dict[str, str]) -> tuple[Visit, ...]:
    """The reads grouped as :class:`Visit`, oldest first; ``names`` gives the team's display
    names by party id (a reader not on it is named by their party id)."""
    groups: dict[tuple[date, str, str, str, str, str], list[AccessRead]] = {}
    for read in sorted(reads, key=lambda r: r.read_at):
        key = (
            read.read_at.date(),
            names.get(read.party_id, read.party_id),
            read.organisation,
            read.role.replace("_", " "),
            what_was_done(read.endpoint),
            why_in_words(read.purpose),
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
        visits_of(reads, names or {}),
    )


def client_log_html(report: ClientLogReport) -> str:
    period = _period(report.start, report.end)
    return render_page(
        "Who has processed and received your data",
        [
            f"Client {report.client_ref}. Period: {period}.",
            f"Produced {report.produced_at.isoformat(timespec='minutes')}. {ZONE_NOTE}",
        ],
        [
            Section(
                "Who read your data",
                ["day", "who", "organisation", "role", "what they did", "why", "times"],
                [
                    [v.day, v.who, v.organisation, v.role, v.what, v.why, v.times]
                    for v in report.visits
                ],
                "Reads by the same person on the same day, for the same thing and reason, are"
                " one line.",
            ),
            Section(
                "Who received your data",
                _DISCLOSURE_HEADERS,
                _disclosure_rows(report.disclosures),
                "Each disclosure with its purpose and legal basis, and whether it was lawful.",
            ),
        ],
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
    RecordDiff: (TypeAdapter(RecordDiff), diff_html),
    WhoKnewReport: (TypeAdapter(WhoKnewReport), who_knew_html),
    LedgerReport: (TypeAdapter(LedgerReport), ledger_html),
    ClientLogReport: (TypeAdapter(ClientLogReport), client_log_html),
}


def as_json(report: AuditReport, *, indent: int | None = None) -> bytes:
    adapter: TypeAdapter[Any] = _RENDERERS[type(report)][0]
    return adapter.dump_json(report, indent=indent)


def as_html(report: AuditReport) -> str:
    html: str = _RENDERERS[type(report)][1](report)
    return html
