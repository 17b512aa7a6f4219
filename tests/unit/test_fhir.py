"""The FHIR R5 export: valid resources, known codes, no personal data, both time axes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, get_args

import pytest
from fhir.resources import get_fhir_model_class
from fhir.resources.bundle import Bundle

from domain import commands as cmd
from domain.application import JourneyService
from domain.events import EVENT_TYPES
from domain.journey import JourneyRecord
from domain.roles import Role
from domain.vocabulary import vocabulary
from projections.fhir import AccessRead, fhir_bundle
from projections.lawfulness import WORDS, Reason
from tests.support import CTX, StepClock, day, member, register

Json = dict[str, Any]

CLIENT = "Aino Esimerkki"
CLIENT_CONTACT = "aino.esimerkki@example.org"
REGISTRATION_NOTE = "Mother called about the move"
SOCIAL_WORKER = "Sari Sosiaali"
TEACHER = "Tuula Opettaja"
DAUGHTER = "Dora Tytär"
DAUGHTER_CONTACT = "+358 40 123 4567"
CONSENT_NOTE = "Signed at the kitchen table"
GOAL = "Learns to read Finnish by spring"
READ_PURPOSE = "Checking on Aino after the phone call"
PERSONAL = (
    CLIENT,
    CLIENT_CONTACT,
    REGISTRATION_NOTE,
    SOCIAL_WORKER,
    TEACHER,
    DAUGHTER,
    DAUGHTER_CONTACT,
    CONSENT_NOTE,
    GOAL,
    READ_PURPOSE,
)

AT = day(40)
READS = (
    AccessRead(
        read_at=day(10),
        party_id="p-school",
        organisation="school",
        role="caseworker",
        endpoint="GET /v1/journeys/{client_ref}",
        purpose="transition_planning",
    ),
    AccessRead(
        read_at=day(12),
        party_id="p-auditor",
        organisation="audit-office",
        role="auditor",
        endpoint="GET /v1/journeys/{client_ref}/history",
        purpose=READ_PURPOSE,
    ),
)

# -- the allowed codes, from the FHIR R5 specification ----------------------------------------

DCM = "http://dicom.nema.org/resources/ontology/DCM"
FHIR_CODES: dict[str, frozenset[str]] = {
    # http://hl7.org/fhir/ValueSet/audit-event-type (AuditEvent.category): DICOM CID 400, and
    # http://hl7.org/fhir/ValueSet/participation-role-type (AuditEvent.agent.type,
    # Consent.provision.actor.role): DICOM CID 402 AuditActiveParticipantRoleIDCode
    DCM: frozenset(str(n) for n in range(110100, 110115))
    | frozenset(str(n) for n in range(110150, 110156)),
    # http://hl7.org/fhir/ValueSet/audit-event-sub-type (AuditEvent.code): RESTful interactions
    "http://hl7.org/fhir/restful-interaction": frozenset(
        {
            "read",
            "vread",
            "update",
            "patch",
            "delete",
            "history",
            "history-instance",
            "history-type",
            "history-system",
            "create",
            "search",
            "search-type",
            "search-system",
            "capabilities",
            "transaction",
            "batch",
            "operation",
        }
    ),
    # http://hl7.org/fhir/ValueSet/audit-event-outcome (AuditEvent.outcome.code)
    "http://terminology.hl7.org/CodeSystem/audit-event-outcome": frozenset({"0", "4", "8", "12"}),
    # http://hl7.org/fhir/ValueSet/object-role (AuditEvent.entity.role): "1" is Patient
    "http://terminology.hl7.org/CodeSystem/object-role": frozenset(str(n) for n in range(1, 25)),
    # http://hl7.org/fhir/ValueSet/consent-action (Consent.provision.action)
    "http://terminology.hl7.org/CodeSystem/consentaction": frozenset(
        {"collect", "access", "use", "disclose", "correct"}
    ),
    # http://hl7.org/fhir/ValueSet/consent-category (Consent.category) includes consentscope
    "http://terminology.hl7.org/CodeSystem/consentscope": frozenset(
        {"adr", "research", "patient-privacy", "treatment"}
    ),
    # http://hl7.org/fhir/ValueSet/provenance-agent-type (Provenance.agent.type)
    "http://terminology.hl7.org/CodeSystem/provenance-participant-type": frozenset(
        {
            "enterer",
            "performer",
            "author",
            "verifier",
            "legal",
            "attester",
            "informant",
            "custodian",
            "assembler",
            "composer",
        }
    ),
}
"""The codings we emit, by system. Coded primitives (``code`` elements) are below."""
CODED_ELEMENTS: dict[str, frozenset[str]] = {
    # http://hl7.org/fhir/ValueSet/bundle-type
    "Bundle.type": frozenset(
        {
            "document",
            "message",
            "transaction",
            "transaction-response",
            "batch",
            "batch-response",
            "history",
            "searchset",
            "collection",
            "subscription-notification",
        }
    ),
    # http://hl7.org/fhir/ValueSet/care-team-status
    "CareTeam.status": frozenset(
        {"proposed", "active", "suspended", "inactive", "entered-in-error"}
    ),
    # http://hl7.org/fhir/ValueSet/episode-of-care-status
    "EpisodeOfCare.status": frozenset(
        {"planned", "waitlist", "active", "onhold", "finished", "cancelled", "entered-in-error"}
    ),
    "EpisodeOfCare.statusHistory.status": frozenset(
        {"planned", "waitlist", "active", "onhold", "finished", "cancelled", "entered-in-error"}
    ),
    # http://hl7.org/fhir/ValueSet/consent-state-codes
    "Consent.status": frozenset(
        {"draft", "active", "inactive", "not-done", "entered-in-error", "unknown"}
    ),
    # http://hl7.org/fhir/ValueSet/consent-provision-type
    "Consent.decision": frozenset({"deny", "permit"}),
    # http://hl7.org/fhir/ValueSet/audit-event-action
    "AuditEvent.action": frozenset({"C", "R", "U", "D", "E"}),
}


def polku_codes() -> dict[str, frozenset[str]]:
    """Our own code systems: the vocabulary's lists, the event catalogue, reasons, API roles."""
    terms = vocabulary().terms
    return {
        "urn:polku:role": terms["roles"],
        "urn:polku:purpose": terms["purposes"],
        "urn:polku:information-category": terms["information_categories"],
        "urn:polku:basis": terms["basis_kinds"],
        "urn:polku:event-kind": frozenset(EVENT_TYPES),
        "urn:polku:lawfulness-reason": frozenset(r.code for r in Reason),
        "urn:polku:lawfulness-verdict": frozenset(WORDS),
        "urn:polku:api-role": frozenset(get_args(Role)),
    }


# -- the journey ------------------------------------------------------------------------------


@pytest.fixture
def record(memory_service: JourneyService, clock: StepClock) -> JourneyRecord:
    """Team with an informal member, coordinator, consent, denial, disclosure, meeting, plan,
    a backdated consent, and a closure (closed, reopened, closed again)."""
    s = memory_service

    def recorded_on(n: float) -> None:
        clock.set(day(n) + timedelta(hours=1))

    recorded_on(0)
    s.register_client(register(name=CLIENT, contact=CLIENT_CONTACT, note=REGISTRATION_NOTE), CTX)
    recorded_on(1)
    s.execute("client-1", member("p-sw", day(1), org="city-social", name=SOCIAL_WORKER), CTX)
    s.execute(
        "client-1",
        member("p-school", day(1), org="school", sector="education", role="teacher", name=TEACHER),
        CTX,
    )
    s.execute(
        "client-1",
        cmd.AddTeamMember(
            occurred_at=day(1),
            party_id="p-daughter",
            member_type="informal",
            role="family_member",
            organisation="family",
            sector="family",
            display_name=DAUGHTER,
            contact=DAUGHTER_CONTACT,
        ),
        CTX,
    )
    s.execute("client-1", cmd.AssignCoordinator(occurred_at=day(1), party_id="p-sw"), CTX)
    recorded_on(2)
    s.execute(
        "client-1",
        cmd.GrantConsent(
            occurred_at=day(2),
            consent_id="k1",
            recipient_orgs=["school"],
            categories=["education"],
            purposes=["transition_planning"],
            valid_until=day(365),
            form="written",
            evidence_ref="scan-0001",
            note=CONSENT_NOTE,
        ),
        CTX,
    )
    s.execute(
        "client-1",
        cmd.RegisterDenial(
            occurred_at=day(2), denial_id="n1", categories=["health"], recipient_orgs=["school"]
        ),
        CTX,
    )
    recorded_on(5)
    s.execute(
        "client-1",
        cmd.RecordInformationShared(
            occurred_at=day(5),
            disclosure_id="d1",
            from_party="p-sw",
            from_org="city-social",
            to_party="p-school",
            to_org="school",
            categories=["education"],
            purpose="transition_planning",
            basis="consent",
            consent_id="k1",
        ),
        CTX,
    )
    recorded_on(6)
    s.execute(
        "client-1",
        cmd.RecordMeeting(
            occurred_at=day(6),
            meeting_id="m1",
            participants=["p-sw", "p-school", "p-daughter"],
            client_present=True,
            categories=["education"],
            purpose="transition_planning",
            basis="consent",
            consent_id="k1",
        ),
        CTX,
    )
    recorded_on(7)
    s.execute("client-1", cmd.AgreePlan(occurred_at=day(7), goals=[GOAL]), CTX)
    recorded_on(20)  # signed on day 3, entered on day 20
    s.execute(
        "client-1",
        cmd.GrantConsent(
            occurred_at=day(3),
            consent_id="k2",
            recipient_parties=["p-daughter"],
            categories=["family"],
            purposes=["care_coordination"],
            form="oral",
        ),
        CTX,
    )
    for n, command in (
        (28, cmd.CloseJourney(occurred_at=day(28))),
        (29, cmd.ReopenJourney(occurred_at=day(29))),
        (30, cmd.CloseJourney(occurred_at=day(30))),
    ):
        recorded_on(n)
        s.execute("client-1", command, CTX)
    return s.get_record("client-1")


@pytest.fixture
def bundle(record: JourneyRecord) -> Json:
    return fhir_bundle(record, at=AT, known_at=AT, reads=READS)


def resources(bundle: Json, kind: str) -> list[Json]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def by_url(bundle: Json) -> dict[str, Json]:
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def codings(node: object) -> Iterator[tuple[str, str]]:
    """Every (system, code) pair in a JSON tree."""
    if isinstance(node, dict):
        if "system" in node and "code" in node:
            yield node["system"], node["code"]
        for value in node.values():
            yield from codings(value)
    elif isinstance(node, list):
        for item in node:
            yield from codings(item)


def values_at(node: object, steps: list[str]) -> Iterator[object]:
    if isinstance(node, list):
        for item in node:
            yield from values_at(item, steps)
    elif not steps:
        yield node
    elif isinstance(node, dict) and steps[0] in node:
        yield from values_at(node[steps[0]], steps[1:])


def coded_elements(bundle: Json) -> Iterator[tuple[str, object]]:
    """Every coded primitive we set, as (element path, value)."""
    yield "Bundle.type", bundle["type"]
    for entry in bundle["entry"]:
        resource = entry["resource"]
        for path in CODED_ELEMENTS:
            kind, *steps = path.split(".")
            if kind == resource["resourceType"]:
                for value in values_at(resource, steps):
                    yield path, value


def extension(node: Json, url: str) -> Json:
    found: list[Json] = [e for e in node.get("extension", []) if e["url"] == url]
    assert len(found) == 1, url
    return found[0]


def recipient(audit_event: Json) -> str:
    """The party a disclosure went to: the agent in the destination role that is a person."""
    (party,) = (
        a["who"]["identifier"]["value"]
        for a in audit_event["agent"]
        if a["type"]["coding"][0]["code"] == "110152" and a["who"]["type"] != "Organization"
    )
    return str(party)


def verdict(audit_event: Json, when: str) -> tuple[bool, list[str]]:
    parts = extension(audit_event, f"urn:polku:extension:lawfulness-{when}")["extension"]
    lawful = next(p["valueBoolean"] for p in parts if p["url"] == "lawful")
    return lawful, [p["valueCoding"]["code"] for p in parts if p["url"] == "reason"]


# -- the tests --------------------------------------------------------------------------------


def test_the_bundle_and_every_resource_in_it_validate_as_fhir_r5(bundle: Json) -> None:
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("EpisodeOfCare") == 1
    assert kinds.count("CareTeam") == 1
    assert kinds.count("Consent") == 3  # k1, k2, and the denial
    assert kinds.count("AuditEvent") == 1 + 3 + len(READS)  # d1, m1 to three people, reads
    assert kinds.count("Provenance") > 0
    assert json.loads(json.dumps(bundle)) == bundle


def test_every_time_carries_its_time_zone(bundle: Json) -> None:
    times = [
        value
        for d in _dicts(bundle)
        for key, value in d.items()
        if key in {"start", "end", "recorded", "occurredDateTime", "timestamp"}
    ]
    assert len(times) > 20
    for value in times:
        assert datetime.fromisoformat(value).utcoffset() is not None, value


def test_every_reference_points_into_the_bundle_and_the_export_is_reproducible(
    record: JourneyRecord, bundle: Json
) -> None:
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(urls)) == len(urls)
    assert all(u.startswith("urn:uuid:") for u in urls)
    internal = {
        d["reference"] for d in _dicts(bundle["entry"]) if isinstance(d.get("reference"), str)
    }
    assert internal
    assert internal <= set(urls)
    assert fhir_bundle(record, at=AT, known_at=AT, reads=READS) == bundle


def _dicts(node: object) -> Iterator[Json]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _dicts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _dicts(item)


def test_every_code_is_in_the_code_system_or_value_set_it_claims(bundle: Json) -> None:
    allowed = FHIR_CODES | polku_codes()
    seen = set()
    for system, code in codings(bundle):
        assert system in allowed, f"unexpected code system {system}"
        assert code in allowed[system], f"{code} is not in {system}"
        seen.add(system)
    assert seen == set(allowed)  # and every system listed is actually used
    elements = list(coded_elements(bundle))
    assert {path for path, _ in elements} == set(CODED_ELEMENTS)
    for path, value in elements:
        assert value in CODED_ELEMENTS[path], f"{path} = {value}"


def test_the_export_holds_no_personal_strings(record: JourneyRecord, bundle: Json) -> None:
    text = json.dumps(bundle, ensure_ascii=False)
    stored: set[str] = set()
    for event in record.events:
        for value in event.personal.values():
            stored.update(value if isinstance(value, list) else [value])
    assert stored >= set(PERSONAL) - {READ_PURPOSE}  # the journey did hold them
    for value in PERSONAL:
        assert value not in text
    assert "scan-0001" not in text  # the consent's evidence reference stays home


def test_the_coordinator_is_the_care_manager(bundle: Json) -> None:
    (episode,) = resources(bundle, "EpisodeOfCare")
    assert episode["careManager"] == {
        "type": "Practitioner",
        "identifier": {"system": "urn:polku:party", "value": "p-sw"},
    }
    assert episode["patient"] == {
        "type": "Patient",
        "identifier": {"system": "urn:polku:client-ref", "value": "client-1"},
    }
    (care_team,) = resources(bundle, "CareTeam")
    assert episode["careTeam"] == [
        {"reference": next(e["fullUrl"] for e in bundle["entry"] if e["resource"] is care_team)}
    ]


def test_an_informal_member_is_a_related_person_and_professionals_act_for_their_organisation(
    bundle: Json,
) -> None:
    (care_team,) = resources(bundle, "CareTeam")
    members = {p["member"]["identifier"]["value"]: p for p in care_team["participant"]}
    assert set(members) == {"p-sw", "p-school", "p-daughter"}
    daughter = members["p-daughter"]
    assert daughter["member"]["type"] == "RelatedPerson"
    assert "onBehalfOf" not in daughter
    assert daughter["role"]["coding"] == [{"system": "urn:polku:role", "code": "family_member"}]
    teacher = members["p-school"]
    assert teacher["member"]["type"] == "Practitioner"
    assert teacher["onBehalfOf"]["identifier"]["value"] == "school"
    assert teacher["role"]["text"] == "teacher"
    assert teacher["coveragePeriod"] == {"start": day(1).isoformat()}


def test_a_denial_becomes_a_deny_consent(bundle: Json) -> None:
    consents = {c["identifier"][0]["value"]: c for c in resources(bundle, "Consent")}
    denial = consents["n1"]
    assert denial["decision"] == "deny"
    assert denial["identifier"][0]["system"] == "urn:polku:denial"
    (provision,) = denial["provision"]
    assert [a["reference"]["identifier"]["value"] for a in provision["actor"]] == ["school"]
    assert provision["code"] == [
        {"coding": [{"system": "urn:polku:information-category", "code": "health"}]}
    ]
    permit = consents["k1"]
    assert permit["decision"] == "permit"
    assert permit["date"] == day(2).date().isoformat()
    assert permit["period"] == {"start": day(2).isoformat(), "end": day(365).isoformat()}
    assert permit["provision"][0]["purpose"] == [
        {"system": "urn:polku:purpose", "code": "transition_planning"}
    ]


def test_a_closed_journey_is_a_finished_episode_with_its_status_history(bundle: Json) -> None:
    (episode,) = resources(bundle, "EpisodeOfCare")
    assert episode["status"] == "finished"
    assert episode["period"] == {"start": day(0).isoformat(), "end": day(30).isoformat()}
    assert episode["statusHistory"] == [
        {"status": "active", "period": {"start": day(0).isoformat(), "end": day(28).isoformat()}},
        {
            "status": "finished",
            "period": {"start": day(28).isoformat(), "end": day(29).isoformat()},
        },
        {"status": "active", "period": {"start": day(29).isoformat(), "end": day(30).isoformat()}},
        {"status": "finished", "period": {"start": day(30).isoformat()}},
    ]


def test_before_the_closure_the_episode_is_active(record: JourneyRecord) -> None:
    (episode,) = resources(fhir_bundle(record, at=day(10), known_at=AT), "EpisodeOfCare")
    assert episode["status"] == "active"
    assert episode["statusHistory"] == [
        {"status": "active", "period": {"start": day(0).isoformat()}}
    ]


def test_each_disclosure_carries_its_verdicts_then_and_now(bundle: Json) -> None:
    disclosures = [
        a
        for a in resources(bundle, "AuditEvent")
        if a["category"][0]["coding"][0]["code"] == "110106"
    ]
    by_recipient = {(a["code"]["coding"][0]["code"], recipient(a)): a for a in disclosures}
    shared = by_recipient[("information_shared", "p-school")]
    assert shared["action"] == "R"
    assert verdict(shared, "then") == (True, [])
    assert verdict(shared, "now") == (True, [])
    assert shared["occurredDateTime"] == day(5).isoformat()
    met_daughter = by_recipient[("meeting_held", "p-daughter")]
    assert verdict(met_daughter, "now") == (False, ["recipient-not-named"])


def test_reads_are_audit_events_and_free_text_purposes_stay_out(bundle: Json) -> None:
    reads = [
        a
        for a in resources(bundle, "AuditEvent")
        if a["category"][0]["coding"][0]["code"] == "110110"
    ]
    assert [r["recorded"] for r in reads] == [day(10).isoformat(), day(12).isoformat()]
    assert all(r["action"] == "R" for r in reads)
    assert reads[0]["authorization"] == [
        {"coding": [{"system": "urn:polku:purpose", "code": "transition_planning"}]}
    ]
    assert "authorization" not in reads[1]
    assert reads[1]["agent"][0]["role"] == [
        {"coding": [{"system": "urn:polku:api-role", "code": "auditor"}]}
    ]


def test_provenance_carries_both_times_for_a_late_entry(bundle: Json) -> None:
    urls = by_url(bundle)
    (k2_url,) = (
        url
        for url, r in urls.items()
        if r["resourceType"] == "Consent" and r["identifier"][0]["value"] == "k2"
    )
    (provenance,) = (
        r for r in resources(bundle, "Provenance") if {"reference": k2_url} in r["target"]
    )
    occurred = datetime.fromisoformat(provenance["occurredDateTime"])
    recorded = datetime.fromisoformat(provenance["recorded"])
    assert occurred == day(3)
    assert recorded == day(20) + timedelta(hours=1)
    assert occurred < recorded
    assert extension(provenance, "urn:polku:extension:late-entry")["valueBoolean"] is True
    assert provenance["agent"][0]["who"]["identifier"] == {
        "system": "urn:polku:party",
        "value": "p-tester",
    }
    on_time = [
        p
        for p in resources(bundle, "Provenance")
        if extension(p, "urn:polku:extension:late-entry")["valueBoolean"] is False
    ]
    assert on_time


def test_as_known_before_it_was_entered_the_backdated_consent_is_missing(
    record: JourneyRecord,
) -> None:
    earlier = fhir_bundle(record, at=day(10), known_at=day(10) + timedelta(hours=2), reads=READS)
    consents = {c["identifier"][0]["value"] for c in resources(earlier, "Consent")}
    assert consents == {"k1", "n1"}
    reads = [
        a for a in resources(earlier, "AuditEvent") if a["code"]["coding"][0]["code"] == "read"
    ]
    assert [r["recorded"] for r in reads] == [day(10).isoformat()]  # the day-12 read came later


def test_a_journey_not_yet_registered_cannot_be_exported(record: JourneyRecord) -> None:
    with pytest.raises(ValueError, match="not registered"):
        fhir_bundle(record, at=day(0) - timedelta(hours=1), known_at=AT)
