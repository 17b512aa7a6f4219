"""``fhir_bundle(record, at, known_at, reads)``: a journey as a FHIR R5 Bundle (type collection).

The export is meant to be shared with other systems, so it carries no personal free text: no
display names, notes, contact details, plan goals or free-text read purposes. People,
organisations and the client appear only as identifiers (``urn:polku:party``,
``urn:polku:organisation``, ``urn:polku:client-ref``). The client is never a Patient resource:
every resource points at the patient with a logical reference, ``{"type": "Patient",
"identifier": {"system": "urn:polku:client-ref", "value": client_ref}}``, which the receiver
resolves in its own registry.

What the bundle holds, all folded by :func:`projections.journey_view.view` at (``at``,
``known_at``):

- one EpisodeOfCare: active, or finished when the journey is closed; ``statusHistory`` from the
  registration, closures and reopenings effective then; the coordinator as ``careManager``;
- one CareTeam: each member with their role (``urn:polku:role``), as a Practitioner
  (``onBehalfOf`` their organisation) or, for informal members, a RelatedPerson (FHIR allows
  ``onBehalfOf`` only for practitioners);
- one Consent per consent in force (decision ``permit``) and per denial in force (``deny``),
  each with one provision: recipients as actors, action ``disclose``, purposes, and the
  information categories as ``provision.code``; the decision applies to that provision;
- one AuditEvent per disclosure and recipient, and one per read in ``reads``. Both use action
  ``R``: a disclosure is an export of the record (DICOM PS3.15 "Data Export", category DCM
  110106, prescribes ``R``), a read is a read (category DCM 110110 "Patient Record"). The
  lawfulness verdicts then and now ride in the extensions ``urn:polku:extension:lawfulness-then``
  and ``-now`` for the disclosure as a whole (``verdict`` — lawful, unsupported or unlawful,
  code system ``urn:polku:lawfulness-verdict`` — ``lawful``, each ``reason``, each
  ``explanation``, ``reliedOn``), and per information category in one
  ``urn:polku:extension:category-lawfulness`` each (``category``, ``then``, ``now``, each with
  the same parts); ``outcome`` stays "0" (success), as the disclosure itself took place;
- one Provenance per event the view folded: ``occurredDateTime`` (valid time), ``recorded``
  (record time), the recorder as ``enterer``, a ``urn:polku:extension:late-entry`` flag from
  :func:`projections.history.history`, and as targets the EpisodeOfCare plus whatever else the
  event built (the CareTeam, a Consent, the disclosure's AuditEvents).

Reads count when they happened by ``at`` and by ``known_at``. A read's purpose is kept only
when it is a purpose of the vocabulary (the header is free text). Every ``fullUrl`` is a
``urn:uuid`` derived with uuid5 from the journey id and a key, so the same export comes out the
same each time; ``Bundle.timestamp`` is ``known_at`` for the same reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from domain.events import (
    ClientRegistered,
    InformationShared,
    JourneyClosed,
    JourneyEvent,
    JourneyReopened,
    MeetingHeld,
    TeamMemberAdded,
    TeamMemberRemoved,
    TeamMemberRoleChanged,
)
from domain.journey import JourneyRecord
from domain.policy import EVERYTHING, Sight
from domain.timeline import timeline_at
from domain.vocabulary import vocabulary
from projections.history import history
from projections.journey_view import DisclosureView, JourneyView, view_and_timeline
from projections.lawfulness import Verdict
from projections.visibility import visible_reads, visible_record, visible_view

__all__ = ["AccessRead", "Window", "fhir_bundle", "fhir_page"]

Json = dict[str, Any]

# Our identifier and code systems.
_CLIENT_REF = "urn:polku:client-ref"
_PARTY = "urn:polku:party"
_ORGANISATION = "urn:polku:organisation"
_CONSENT = "urn:polku:consent"
_DENIAL = "urn:polku:denial"
_DEVICE = "urn:polku:device"
_ROLE = "urn:polku:role"
_PURPOSE = "urn:polku:purpose"
_CATEGORY = "urn:polku:information-category"
_BASIS = "urn:polku:basis"
_EVENT_KIND = "urn:polku:event-kind"
_REASON = "urn:polku:lawfulness-reason"
_VERDICT = "urn:polku:lawfulness-verdict"
_API_ROLE = "urn:polku:api-role"
_EXT = "urn:polku:extension:"

# FHIR and HL7 code systems.
_DCM = "http://dicom.nema.org/resources/ontology/DCM"
_OUTCOME = "http://terminology.hl7.org/CodeSystem/audit-event-outcome"
_OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
_INTERACTION = "http://hl7.org/fhir/restful-interaction"
_CONSENT_ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"
_CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
_PROVENANCE_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"

_EXPORT, _PATIENT_RECORD, _DESTINATION, _SOURCE = "110106", "110110", "110152", "110153"
_TEAM_EVENTS = (TeamMemberAdded, TeamMemberRoleChanged, TeamMemberRemoved)
_DISCLOSURE_KIND = {"information_shared": InformationShared.KIND, "meeting": MeetingHeld.KIND}
"""The event kind behind each kind of disclosure view."""


@dataclass(frozen=True)
class AccessRead:
    """One read of the client's data, from the API's access log (the caller converts)."""

    read_at: datetime
    party_id: str
    organisation: str
    role: str
    endpoint: str
    purpose: str | None


def fhir_bundle(
    record: JourneyRecord,
    at: datetime | None = None,
    known_at: datetime | None = None,
    reads: Sequence[AccessRead] = (),
    sight: Sight = EVERYTHING,
) -> dict[str, Any]:
    """The journey at (at, known_at) as a FHIR R5 Bundle (type "collection"), as JSON-ready dict,
    holding only what ``sight`` shows (projections/visibility.py).

    Raises ``ValueError`` if the journey was not registered by ``at``.
    """
    bundle, _ = fhir_page(record, at, known_at, reads, sight)
    return bundle


@dataclass(frozen=True)
class Window:
    """Which entries of the whole Bundle a page holds: ``count`` of them from ``offset``."""

    offset: int
    count: int


def fhir_page(
    record: JourneyRecord,
    at: datetime | None = None,
    known_at: datetime | None = None,
    reads: Sequence[AccessRead] = (),
    sight: Sight = EVERYTHING,
    window: Window | None = None,
) -> tuple[dict[str, Any], bool]:
    """One page of :func:`fhir_bundle` (all of it without a ``window``), and whether entries
    follow it. Entries are built in the Bundle's order and only the page's are kept, so a page
    holds at most ``count`` entries in memory, and the first page stops building as soon as it
    is full; a later page builds (and drops) the entries before it."""
    # One look at the kept fold gives both the view and its timeline (two looks would count
    # as two sightings of the record and fold a long journey twice for one export).
    v, timeline = view_and_timeline(record, at=at, known_at=known_at)
    if not v.registered:
        raise ValueError("the journey was not registered at the time asked for")
    shown = visible_record(record, sight)
    if shown is not record:  # some events hidden from this reader: their own timeline
        timeline = timeline_at(shown.events, v.at, v.known_at)
    export = _Export(shown, visible_view(v, sight), window, timeline)
    return export.bundle(visible_reads(reads, sight)), export.more


class _PageFullError(Exception):
    """Raised by :meth:`_Export.add` once the page has its entries and one more was built."""


class _Export:
    """One export: the view, the events it folded, and the entries built so far."""

    def __init__(
        self,
        record: JourneyRecord,
        v: JourneyView,
        window: Window | None,
        timeline: Sequence[JourneyEvent],
    ) -> None:
        self.record = record
        self.v = v
        self.window = window
        self.built = 0
        self.more = False
        self.timeline = timeline
        """The events of ``record`` folded for ``v``, in timeline order."""
        self.patient = _ref("Patient", _CLIENT_REF, v.client_ref)
        self.kinds = {
            m.party_id: "RelatedPerson" if m.member_type == "informal" else "Practitioner"
            for m in v.team
        }
        self.entries: list[Json] = []
        self.built_by: dict[UUID, list[str]] = {}
        """fullUrls of the resources each event built, beyond the EpisodeOfCare."""

    def url(self, key: str) -> str:
        return f"urn:uuid:{uuid5(self.v.journey_id, key)}"

    def add(self, key: str, resource: Json, *source_events: UUID) -> str:
        url = self.url(key)
        for event_id in source_events:
            self.built_by.setdefault(event_id, []).append(url)
        n, window = self.built, self.window
        self.built += 1
        if window is None or window.offset <= n < window.offset + window.count:
            self.entries.append({"fullUrl": url, "resource": resource})
        elif n >= window.offset + window.count:
            raise _PageFullError
        return url

    def party(self, party_id: str) -> Json:
        return _ref(self.kinds.get(party_id, "Practitioner"), _PARTY, party_id)

    def bundle(self, reads: Sequence[AccessRead]) -> Json:
        try:
            self.episode_of_care()
            self.care_team()
            self.consents()
            for n, d in enumerate(self.v.disclosures):
                self.disclosure(n, d)
            for n, r in enumerate(reads):
                if r.read_at <= self.v.at and r.read_at <= self.v.known_at:
                    self.read(n, r)
            self.provenance()
        except _PageFullError:
            self.more = True
        return {
            "resourceType": "Bundle",
            "identifier": {
                "system": "urn:ietf:rfc:3986",
                "value": self.url(f"bundle|{_when(self.v.at)}|{_when(self.v.known_at)}"),
            },
            "type": "collection",
            "timestamp": _when(self.v.known_at),
            "entry": self.entries,
        }

    # -- resources -----------------------------------------------------------------------------

    def episode_of_care(self) -> None:
        changes = _status_changes(self.timeline)
        ends: list[datetime | None] = [t for _, t in changes[1:]]
        ends.append(None)
        status_history = [
            {"status": status, "period": _period(start, end)}
            for (status, start), end in zip(changes, ends, strict=True)
        ]
        registered, last_change = changes[0][1], changes[-1][1]
        episode: Json = {
            "resourceType": "EpisodeOfCare",
            "status": "finished" if self.v.closed else "active",
            "statusHistory": status_history,
            "patient": self.patient,
            "period": _period(registered, last_change if self.v.closed else None),
            "careTeam": [{"reference": self.url("care-team")}],
        }
        coordinator = self.v.coordinator.party_id
        if coordinator is not None and self.kinds.get(coordinator) != "RelatedPerson":
            episode["careManager"] = _ref("Practitioner", _PARTY, coordinator)
        self.add("episode-of-care", episode)

    def care_team(self) -> None:
        participants = []
        for m in self.v.team:
            participant: Json = {
                "role": {"coding": [_coding(_ROLE, m.role)], "text": m.role},
                "member": self.party(m.party_id),
                "coveragePeriod": _period(m.since),
            }
            if self.kinds[m.party_id] == "Practitioner":
                participant["onBehalfOf"] = _ref("Organization", _ORGANISATION, m.organisation)
            participants.append(participant)
        team_events = [e.event_id for e in self.timeline if isinstance(e, _TEAM_EVENTS)]
        care_team: Json = {
            "resourceType": "CareTeam",
            "status": "inactive" if self.v.closed else "active",
            "subject": self.patient,
            "participant": participants,
        }
        self.add("care-team", care_team, *team_events)

    def consents(self) -> None:
        for c in self.v.consents:
            grantor = self.patient if c.grantor == "client" else self.party(c.grantor)
            provision: Json = {
                "actor": self.recipients(c.recipient_orgs, c.recipient_parties),
                "action": [_concept(_CONSENT_ACTION, "disclose")],
                "purpose": [_coding(_PURPOSE, p) for p in c.purposes],
                "code": [_concept(_CATEGORY, k) for k in c.categories],
            }
            consent = self.consent("permit", _CONSENT, c.consent_id, c.granted_at, grantor)
            consent["period"] = _period(c.valid_from, c.valid_until)
            consent["provision"] = [provision]
            self.add(f"consent|{c.consent_id}", consent, c.event_id)
        for d in self.v.denials:
            provision = {
                "action": [_concept(_CONSENT_ACTION, "disclose")],
                "code": [_concept(_CATEGORY, k) for k in d.categories],
            }
            actors = self.recipients(d.recipient_orgs, d.recipient_parties)
            if actors:  # none named: the denial holds against everyone
                provision = {"actor": actors, **provision}
            denial = self.consent("deny", _DENIAL, d.denial_id, d.since, self.patient)
            denial["period"] = _period(d.since)
            denial["provision"] = [provision]
            self.add(f"denial|{d.denial_id}", denial, d.event_id)

    def consent(
        self, decision: str, system: str, ident: str, when: datetime, grantor: Json
    ) -> Json:
        return {
            "resourceType": "Consent",
            "identifier": [{"system": system, "value": ident}],
            "status": "active",
            "category": [_concept(_CONSENT_SCOPE, "patient-privacy")],
            "subject": self.patient,
            "date": when.date().isoformat(),
            "grantor": [grantor],
            "decision": decision,
        }

    def recipients(self, orgs: Sequence[str], parties: Sequence[str]) -> list[Json]:
        role = _concept(_DCM, _DESTINATION)
        return [
            {"role": role, "reference": _ref("Organization", _ORGANISATION, o)} for o in orgs
        ] + [{"role": role, "reference": self.party(p)} for p in parties]

    def disclosure(self, n: int, d: DisclosureView) -> None:
        agents = self.agents(d.from_party, d.from_org, _SOURCE, requestor=True)
        agents += self.agents(d.to_party, d.to_org, _DESTINATION, requestor=False)
        entities = [_patient_entity(self.patient)]
        if d.consent_id is not None:
            in_bundle = any(c.consent_id == d.consent_id for c in self.v.consents)
            what = (
                {"reference": self.url(f"consent|{d.consent_id}")}
                if in_bundle
                else _ref("Consent", _CONSENT, d.consent_id)
            )
            entities.append({"what": what})
        event: Json = {
            "resourceType": "AuditEvent",
            "extension": [
                _verdict(f"{_EXT}lawfulness-then", d.then),
                _verdict(f"{_EXT}lawfulness-now", d.now),
                {"url": f"{_EXT}disclosure-basis", "valueCoding": _coding(_BASIS, d.basis)},
                *(
                    {"url": f"{_EXT}information-category", "valueCoding": _coding(_CATEGORY, k)}
                    for k in d.categories
                ),
                *(
                    {
                        "url": f"{_EXT}category-lawfulness",
                        "extension": [
                            {"url": "category", "valueCoding": _coding(_CATEGORY, v.category)},
                            _verdict("then", v.then),
                            _verdict("now", v.now),
                        ],
                    }
                    for v in d.verdicts
                ),
            ],
            "category": [_concept(_DCM, _EXPORT)],
            "code": _concept(_EVENT_KIND, _DISCLOSURE_KIND[d.kind]),
            "action": "R",
            "occurredDateTime": _when(d.occurred_at),
            "recorded": _when(d.recorded_at),
            "outcome": {"code": _coding(_OUTCOME, "0")},
            "authorization": [_concept(_PURPOSE, d.purpose)],
            "patient": self.patient,
            "agent": agents,
            "source": _source(),
            "entity": entities,
        }
        self.add(f"disclosure|{n}|{d.event_id}|{d.to_party}|{d.to_org}", event, d.event_id)

    def read(self, n: int, r: AccessRead) -> None:
        agents = self.agents(r.party_id, r.organisation, _DESTINATION, requestor=True)
        agents[0]["role"] = [_concept(_API_ROLE, r.role)]
        event: Json = {
            "resourceType": "AuditEvent",
            "extension": [{"url": f"{_EXT}endpoint", "valueString": r.endpoint}],
            "category": [_concept(_DCM, _PATIENT_RECORD)],
            "code": _concept(_INTERACTION, "read"),
            "action": "R",
            "occurredDateTime": _when(r.read_at),
            "recorded": _when(r.read_at),
            "outcome": {"code": _coding(_OUTCOME, "0")},
            "patient": self.patient,
            "agent": agents,
            "source": _source(),
            "entity": [_patient_entity(self.patient)],
        }
        if r.purpose is not None and vocabulary().allows("purposes", r.purpose):
            event["authorization"] = [_concept(_PURPOSE, r.purpose)]
        self.add(f"read|{n}|{_when(r.read_at)}|{r.party_id}", event)

    def agents(
        self, party: str | None, org: str | None, role_id: str, *, requestor: bool
    ) -> list[Json]:
        """One agent for the party, one for the organisation (AuditEvent has no onBehalfOf)."""
        who = ([self.party(party)] if party else []) + (
            [_ref("Organization", _ORGANISATION, org)] if org else []
        )
        return [
            {"type": _concept(_DCM, role_id), "who": w, "requestor": requestor and i == 0}
            for i, w in enumerate(who)
        ]

    def provenance(self) -> None:
        entries = {h.event_id: h for h in history(self.record, self.v.known_at)}
        episode = self.url("episode-of-care")
        for event in self.timeline:
            h = entries[event.event_id]
            targets = [episode, *self.built_by.get(event.event_id, [])]
            recorder = h.recorded_by
            provenance: Json = {
                "resourceType": "Provenance",
                "extension": [{"url": f"{_EXT}late-entry", "valueBoolean": h.late}],
                "target": [{"reference": t} for t in targets],
                "occurredDateTime": _when(h.occurred_at),
                "recorded": _when(h.recorded_at),
                "patient": self.patient,
                "activity": _concept(_EVENT_KIND, h.kind),
                "agent": [
                    {
                        "type": _concept(_PROVENANCE_TYPE, "enterer"),
                        "role": [_concept(_API_ROLE, recorder.role)],
                        "who": _ref("Practitioner", _PARTY, recorder.party_id),
                        "onBehalfOf": _ref("Organization", _ORGANISATION, recorder.organisation),
                    }
                ],
            }
            self.add(f"provenance|{event.event_id}", provenance)


# -- small builders -----------------------------------------------------------------------------


def _status_changes(timeline: Sequence[JourneyEvent]) -> list[tuple[str, datetime]]:
    """EpisodeOfCare statuses and when each began: registration, closures, reopenings."""
    changes: list[tuple[str, datetime]] = []
    for event in timeline:
        status = changes[-1][0] if changes else None
        if isinstance(event, ClientRegistered) and status is None:
            changes.append(("active", event.occurred_at))
        elif isinstance(event, JourneyClosed) and status == "active":
            changes.append(("finished", event.occurred_at))
        elif isinstance(event, JourneyReopened) and status == "finished":
            changes.append(("active", event.occurred_at))
    return changes


def _when(t: datetime) -> str:
    return t.isoformat()


def _period(start: datetime, end: datetime | None = None) -> Json:
    return {"start": _when(start)} | ({"end": _when(end)} if end is not None else {})


def _coding(system: str, code: str) -> Json:
    return {"system": system, "code": code}


def _concept(system: str, code: str) -> Json:
    return {"coding": [_coding(system, code)]}


def _ref(kind: str, system: str, value: str) -> Json:
    """A logical reference: by identifier, to a resource the bundle does not hold."""
    return {"type": kind, "identifier": {"system": system, "value": value}}


def _verdict(url: str, verdict: Verdict) -> Json:
    parts: list[Json] = [
        {"url": "verdict", "valueCoding": _coding(_VERDICT, verdict.verdict)},
        {"url": "lawful", "valueBoolean": verdict.lawful},
    ]
    parts += [{"url": "reason", "valueCoding": _coding(_REASON, r.code)} for r in verdict.reasons]
    parts += [{"url": "explanation", "valueString": e} for e in verdict.explanations]
    if verdict.relied_on is not None:
        parts.append({"url": "reliedOn", "valueString": verdict.relied_on})
    return {"url": url, "extension": parts}


def _patient_entity(patient: Json) -> Json:
    return {"what": patient, "role": _concept(_OBJECT_ROLE, "1")}


def _source() -> Json:
    return {"observer": _ref("Device", _DEVICE, "polku")}
