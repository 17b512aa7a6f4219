"""What each command route says about itself in the OpenAPI document: a summary, a description in
plain words, and an example body (valid against the route's schema)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["COMMAND_DOCS", "WHO_MAY_WRITE", "CommandDoc"]

WHEN = "2026-03-02T09:00:00+02:00"

WHO_MAY_WRITE = (
    "\n\nCase workers and coordinators on the client's team may do this (the registrar may add"
    " the first members of a journey whose team is still empty). Anyone else gets 404 whether"
    " or not the client exists. Send `expected_version` to be refused with 409 if the journey"
    " has moved on, and an `Idempotency-Key` header to make a retry store nothing new (keys are"
    " your own: another caller's key is an independent request)."
)


@dataclass(frozen=True)
class CommandDoc:
    summary: str
    description: str
    example: dict[str, Any]


COMMAND_DOCS: dict[str, CommandDoc] = {
    "client_registered": CommandDoc(
        "Register a client (opens their journey)",
        "Opens a journey for a pseudonymous client ref, with the client's language and, if"
        " given, their name, contact details and guardians (personal data, sealed with the"
        " client's own key). A caller who may not read an existing journey for the ref gets the"
        " same answer as for a new one — 202 with the client ref — and nothing is stored for an"
        " existing ref; a team member of the existing journey gets 409. Such registrations count"
        " against the per-caller limit for writes outside one's teams (429 beyond it).",
        {
            "occurred_at": WHEN,
            "client_ref": "client-42",
            "preferred_language": "fi",
            "interpreter_needed": False,
            "name": "Client Forty-Two",
        },
    ),
    "referral_made": CommandDoc(
        "Refer the client to a service",
        "Records that an organisation referred the client to another organisation's service."
        " Anyone with a case role may refer any client. From the client's team the answer is"
        " 201 with the version. From anyone else the answer is always 202 with the referral's"
        " own id, whether or not the client exists, was recorded or broke a rule: it is recorded"
        " if the journey exists and it breaks no rule, and for an unknown client nothing is"
        " stored. Such a referral must be dated within the last 7 days, its `expected_version`"
        " is ignored, and it counts against the per-caller limit (429 beyond it).",
        {
            "occurred_at": WHEN,
            "referral_id": "ref-rehab-1",
            "from_org": "employment-pilot",
            "to_org": "rehab-centre-north",
            "to_sector": "rehabilitation",
            "service": "vocational_rehabilitation",
            "reason": "Reduced working ability",
        },
    ),
    "referral_accepted": CommandDoc(
        "Accept a referral",
        "Records that the receiving organisation accepted the referral named in the path.",
        {"occurred_at": WHEN},
    ),
    "referral_declined": CommandDoc(
        "Decline a referral",
        "Records that the receiving organisation declined the referral named in the path, and"
        " why (a reason from the vocabulary).",
        {"occurred_at": WHEN, "decline_reason": "no_capacity"},
    ),
    "consent_granted": CommandDoc(
        "Record a consent",
        "Records the client's (or a guardian's) consent to share the named information"
        " categories with the named organisations or parties, for the named purposes, from"
        " `valid_from` (default: when it was given) until `valid_until` (exclusive).",
        {
            "occurred_at": WHEN,
            "consent_id": "cons-1",
            "recipient_orgs": ["school-harbour"],
            "categories": ["education"],
            "purposes": ["education_support"],
            "form": "written",
            "evidence_ref": "scan-2026-03-02-001",
        },
    ),
    "consent_withdrawn": CommandDoc(
        "Withdraw a consent",
        "Records that the consent named in the path was withdrawn: disclosures after this"
        " cannot rely on it.",
        {"occurred_at": WHEN},
    ),
    "denial_registered": CommandDoc(
        "Record a denial",
        "Records that the client forbids disclosing the named categories to the named"
        " organisations or parties (to everyone if none is named). A denial beats a consent,"
        " and team members it names no longer see facts of those categories.",
        {
            "occurred_at": WHEN,
            "denial_id": "deny-1",
            "categories": ["health"],
            "recipient_orgs": ["seniors-association"],
        },
    ),
    "denial_lifted": CommandDoc(
        "Lift a denial",
        "Records that the client lifted the denial named in the path.",
        {"occurred_at": WHEN},
    ),
    "team_member_added": CommandDoc(
        "Add a member to the client's team",
        "Adds a party to the team: a professional, someone from the informal network, the"
        " third sector or an employer, with their role, organisation and sector. What a member"
        " may read follows from their type and the client's consents and denials.",
        {
            "occurred_at": WHEN,
            "party_id": "p-nurse-07",
            "member_type": "professional",
            "role": "nurse",
            "organisation": "school-harbour",
            "sector": "education",
            "display_name": "School nurse Aho",
        },
    ),
    "team_member_role_changed": CommandDoc(
        "Change a team member's role",
        "Records that the member named in the path now has another role on the team.",
        {"occurred_at": WHEN, "role": "case_manager"},
    ),
    "team_member_removed": CommandDoc(
        "Remove a member from the team",
        "Records that the member named in the path left the team (a coordinator must be"
        " released first). From then on they can no longer read the journey.",
        {"occurred_at": WHEN},
    ),
    "coordinator_assigned": CommandDoc(
        "Assign the coordinator",
        "Makes a team member the client's coordinator; assigning while another coordinates is"
        " a hand-over.",
        {"occurred_at": WHEN, "party_id": "p-nurse-07"},
    ),
    "coordinator_released": CommandDoc(
        "Release the coordinator",
        "Records that the current coordinator stopped coordinating (the client then has none).",
        {"occurred_at": WHEN, "party_id": "p-nurse-07"},
    ),
    "service_started": CommandDoc(
        "Start a service episode",
        "Records that a provider started a service for the client.",
        {
            "occurred_at": WHEN,
            "episode_id": "ep-1",
            "service": "basic_education",
            "sector": "education",
            "provider_org": "school-harbour",
            "responsible_party": "p-nurse-07",
        },
    ),
    "service_ended": CommandDoc(
        "End a service episode",
        "Records that the service episode named in the path ended.",
        {"occurred_at": WHEN},
    ),
    "transition_recorded": CommandDoc(
        "Record a transition",
        "Records a hand-over between services or organisations, such as from day care to"
        " school; its date is `occurred_at`.",
        {
            "occurred_at": WHEN,
            "transition_id": "tr-1",
            "kind": "daycare_to_school",
            "from_org": "daycare-sunflower",
            "to_org": "school-harbour",
        },
    ),
    "information_shared": CommandDoc(
        "Record that information was shared",
        "Records a disclosure: what categories went from whom to whom, why, and on which basis"
        " (a consent, a statute, the client themselves, or none). It is recorded even without"
        " a lawful basis; the views judge it then and now.",
        {
            "occurred_at": WHEN,
            "disclosure_id": "disc-1",
            "from_org": "daycare-sunflower",
            "to_org": "school-harbour",
            "categories": ["education"],
            "purpose": "transition_planning",
            "basis": "consent",
            "consent_id": "cons-1",
            "channel": "secure_mail",
        },
    ),
    "meeting_held": CommandDoc(
        "Record a meeting",
        "Records a meeting: a disclosure of the named categories among its participants.",
        {
            "occurred_at": WHEN,
            "meeting_id": "meet-1",
            "participants": ["p-nurse-07"],
            "client_present": True,
            "categories": ["service_plan"],
            "purpose": "care_coordination",
            "basis": "client_self",
        },
    ),
    "plan_agreed": CommandDoc(
        "Agree the plan",
        "Records the client's plan: its goals (personal free text), who is responsible, and"
        " when it is reviewed. A later plan replaces it.",
        {
            "occurred_at": WHEN,
            "goals": ["Starts school in August"],
            "responsible_parties": ["p-nurse-07"],
            "review_on": "2026-09-01T09:00:00+03:00",
        },
    ),
    "journey_closed": CommandDoc(
        "Close the journey",
        "Records that the journey ended. A closed journey takes nothing but late entries dated"
        " before the closure, a reopening or a retraction.",
        {"occurred_at": WHEN},
    ),
    "journey_reopened": CommandDoc(
        "Reopen the journey",
        "Records that a closed journey was opened again.",
        {"occurred_at": WHEN},
    ),
    "event_retracted": CommandDoc(
        "Retract an event entered in error (optionally with a replacement)",
        "Takes the event named in the path out of the record from now on (it stays in the"
        " history, marked). With a `replacement` the corrected fact is stored in the same"
        " atomic save: a correction.",
        {"occurred_at": WHEN, "reason": "entered_in_error"},
    ),
    "personal_data_erased": CommandDoc(
        "Erase the client's personal data (admin)",
        "Deletes the client's key: their names, contact details, notes and plan goals read"
        " `erased` from then on, while the rest of the journey stays. Admins only; the reason"
        " is kept and must not itself hold personal data.",
        {"reason": "the client asked for erasure"},
    ),
}
