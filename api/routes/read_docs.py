"""What each read route says about itself in the OpenAPI document, in plain words (the command
routes' own are in api/routes/command_docs.py). ``describe(router)`` sets them; a test checks every
operation has a summary and a description."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute

__all__ = ["READ_DOCS", "describe"]

_TEAM = (
    " Team members see the parts their type and the client's consents and denials allow"
    " (docs/rules.md); auditors see everything; a case worker not on the team gets 404 whether"
    " or not the client exists. The read is written to the client's access log."
)
_PROFESSIONALS = (
    " For the professionals on the client's team and for auditors (other team members get 403;"
    " anyone else 404 whether or not the client exists). The read is written to the client's"
    " access log."
)
_AUDITORS = " For auditors only (403 otherwise). The read is written to the client's access log."
_PLANNERS = (
    " For planners and auditors (403 otherwise), pseudonymous, over every journey. A planner's"
    " `from`/`to` is widened to the release window that holds it (a quarter, a year or the whole"
    " record, ended periods only) and the figures are perturbed by the cell-key method, the"
    " same contributors always getting the same noise; auditors get exact figures for the"
    " period asked. Any cell of fewer than 5 clients is suppressed (docs/analytics-privacy.md)."
)
_EXPORTS = (
    " Person-level pseudonymous data: for auditors only (planners get 403); every party not a"
    " professional on the team is named only by type, and clients are numbered afresh in"
    " every export."
)
_STAFF = (
    " For case workers, coordinators, auditors and admins (planners, clients and guardians get"
    " 403). It holds no client data: every caller allowed gets the same answer, and nothing is"
    " written to an access log. Loaded with `polku directory load` (docs/directory.md)."
)

READ_DOCS: dict[str, str] = {
    "/v1/journeys/{client_ref}": "The client's journey as it was at valid time `at`, as the"
    " record stood at record time `known_at` (both default to now): the team, coordinator,"
    " consents, denials, referrals, services, transitions, plan, and each disclosure judged"
    " lawful or not then and now." + _TEAM,
    "/v1/journeys/{client_ref}/history": "Every event as recorded at `known_at`, in record"
    " order, with when it happened and when it was recorded; late entries and retractions are"
    " marked." + _TEAM,
    "/v1/journeys/{client_ref}/may-share": "Whether the recipient may receive this category of"
    " information for this purpose at `at`, and the consent or statute that allows it (a denial"
    " by the client beats a consent, not a statute)." + _PROFESSIONALS,
    "/v1/journeys/{client_ref}/access-log": "The client's log: who read their data (when,"
    " through which route, for what stated purpose) and who received it. Team members are not"
    " shown the auditors' reads." + _PROFESSIONALS,
    "/v1/journeys/{client_ref}/log-report": "The client's log report, as JSON or a printable"
    " page: who read and who received their data, and why. Team members are not shown the"
    " auditors' reads. A page at a time: at most `limit` reads and `limit` disclosures;"
    " continue with `cursor` set to `next_cursor` (the printable page links to the next). The"
    " first page pins the period and the moment: the pages add up to the report as of the"
    " first. A cursor not given by this report for this journey: 422, nothing logged."
    + _PROFESSIONALS,
    "/v1/journeys/{client_ref}/fhir": "The journey at (`at`, `known_at`) as a FHIR R5 Bundle"
    " without personal free text: EpisodeOfCare, CareTeam, Consents, AuditEvents for"
    " disclosures and reads, and a Provenance per event." + _TEAM,
    "/v1/journeys/{client_ref}/conformance": "Which steps of the named pathway the journey"
    " has done, done out of order, missed or let go overdue, at (`at`, `known_at`), with the"
    " events as evidence (only events the reader may see count)." + _TEAM,
    "/v1/audit/journeys/{client_ref}": "A journey replayed at (`at`, `known_at`) with its"
    " findings (late entries, backdated consents, disclosures without a basis), as JSON or a"
    " printable page. A page at a time: at most `limit` entries of each list (findings,"
    " history, and each list of the view); continue with `cursor` set to `next_cursor`"
    " (the printable page links to the next). The first page pins (`at`, `known_at`): the"
    " pages add up to one audit. A cursor not given by this report for this journey: 422,"
    " nothing logged." + _AUDITORS,
    "/v1/audit/journeys/{client_ref}/diff": "What the record showed differently at record time"
    " `t2` than at `t1`: entries added and retracted, and disclosures whose verdict changed."
    + _AUDITORS,
    "/v1/audit/journeys/{client_ref}/who-knew": "Who had received the category by `at`, as"
    " recorded at `known_at`, with the chains of onward sharing behind each." + _AUDITORS,
    "/v1/audit/journeys": "Find journeys by their disclosures: a client-ref prefix, an"
    " organisation that sent or received the client's data, a period, or only those with a"
    " finding (a verdict other than lawful, then or now); a page at a time (continue with"
    " `after`). Clients whose data was erased are not found by ref. A read of each client"
    " listed is written to their access log." + _AUDITORS,
    "/v1/audit/disclosures": "The disclosure ledger across every journey, each disclosure"
    " judged then and now; filter by period and by verdict. A read of each client listed is"
    " written to their access log." + _AUDITORS,
    "/v1/me/caseload": "The journeys you are on now (any role; planners' lists are always"
    " empty). No client data beyond the refs.",
    "/v1/me": "Who the token belongs to: party, organisation and role (any role; the sign-in"
    " page uses it to check a pasted token).",
    "/v1/vocabulary": "The controlled vocabularies commands are checked against (sectors,"
    " roles, categories, purposes, …) and the statutory rights, sorted (any role).",
    "/v1/directory/organisations": "The organisations case workers pick from, by name (then"
    " id), a page at a time (continue with `cursor` set to `next_cursor`); `sector` keeps one"
    " sector's, `q` those whose name or id holds it (in any case, with or without accents)."
    + _STAFF,
    "/v1/directory/professionals": "The professionals case workers pick from, by name (then"
    " id), each with their organisation, sector, usual role and title, a page at a time"
    " (continue with `cursor` set to `next_cursor`); `organisation` keeps one organisation's,"
    " `sector` one sector's, `q` those whose name or id holds it (in any case, with or without"
    " accents)." + _STAFF,
    "/v1/pathways": "The catalogue of intended pathways with their steps and time windows (any"
    " role: it holds no client data).",
    "/v1/analytics/transitions": "Sector-to-sector transitions: the input of the Sankey"
    " diagram." + _PLANNERS,
    "/v1/analytics/variants": "The most common route variants (sequences of sectors)." + _PLANNERS,
    "/v1/analytics/dfg": "The directly-follows graph of event kinds: count, clients, mean and"
    " median seconds per edge." + _PLANNERS,
    "/v1/analytics/waiting-times": "Waiting times from referral to the first service." + _PLANNERS,
    "/v1/analytics/ping-pong": "Clients sent from sector A to B and back to A." + _PLANNERS,
    "/v1/analytics/coordinator-gaps": "Days journeys spent without a coordinator." + _PLANNERS,
    "/v1/analytics/silent-transitions": "Transitions with nothing shared around them." + _PLANNERS,
    "/v1/analytics/conformance": "Per pathway: journeys it applies to, those conforming, and"
    " the rate." + _PLANNERS,
    "/v1/analytics/export/ocel": "The pseudonymous event log as OCEL 2.0 (JSON or SQLite), for"
    " process-mining tools." + _EXPORTS,
    "/v1/analytics/export/xes": "The pseudonymous event log as XES (with lifecycle and"
    " pseudonymous organisational attributes), for process-mining tools." + _EXPORTS,
    "/v1/analytics/release": "The release window a period is answered in, and the disclosure"
    " control applied to your figures (for planners: windows and perturbation; for auditors:"
    " exact)." + _PLANNERS,
}


def describe(router: APIRouter) -> None:
    """Give each read route of ``router`` its description (command routes carry their own)."""
    for route in router.routes:
        if (
            isinstance(route, APIRoute)
            and "GET" in (route.methods or ())
            and route.path in READ_DOCS
        ):
            route.description = READ_DOCS[route.path]
