"""Auditor replay on both backends: the ledger, who knew what, the record diff, the reports."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli.main import main
from domain import commands as cmd
from domain.application import CommandContext, Recorded
from domain.events import Actor
from projections.audit import record_diff, who_knew
from runtime.settings import Settings
from runtime.wiring import build_components, build_service
from tests.api.conftest import Api
from tests.support import StepClock

ACTOR = Actor("p-worker", "city-social", "caseworker")
CTX = CommandContext(actor=ACTOR)
BASE = datetime(2025, 3, 1, 10, tzinfo=UTC)


def d(days: float) -> datetime:
    return BASE + timedelta(days=days)


def share(at: float, ident: str, **fields: object) -> cmd.RecordInformationShared:
    base: dict[str, object] = {
        "occurred_at": d(at),
        "disclosure_id": ident,
        "from_org": "daycare",
        "to_party": "p-school",
        "to_org": "school",
        "categories": ["education"],
        "purpose": "transition_planning",
        "basis": "consent",
        "consent_id": "k1",
    }
    return cmd.RecordInformationShared.model_validate(base | fields)


def grant(
    at: float, consent_id: str = "k1", orgs: tuple[str, ...] = ("school",)
) -> cmd.GrantConsent:
    return cmd.GrantConsent(
        occurred_at=d(at),
        consent_id=consent_id,
        recipient_orgs=list(orgs),
        categories=["education", "health"],
        purposes=["transition_planning"],
        form="written",
    )


def member(party: str, org: str, at: float) -> cmd.AddTeamMember:
    return cmd.AddTeamMember(
        occurred_at=d(at),
        party_id=party,
        member_type="professional",
        role="teacher",
        organisation=org,
        sector="education",
    )


class Recorder:
    """Records through its own service on the test's store, entering each command an hour after
    it occurred unless told otherwise (as a case worker would)."""

    def __init__(self, settings: Settings) -> None:
        self.clock = StepClock()
        self.service = build_service(settings, clock=self.clock)

    def __call__(self, method: str, *args: object, late_until: datetime | None = None) -> Recorded:
        command = args[-1]
        assert isinstance(command, cmd.Command)
        self.clock.set(late_until or max(self.clock.now, command.occurred_at + timedelta(hours=1)))
        del method  # names the command for the reader; execute dispatches on its type
        ref = command.client_ref if isinstance(command, cmd.RegisterClient) else str(args[0])
        result: Recorded = self.service.execute(ref, command, CTX)
        return result


@pytest.fixture
def scenario(api: Api, settings: Settings) -> str:
    """A backdated consent, a withdrawal then a disclosure, a denial beating a consent, an
    onward chain daycare -> p-school -> p-nurse, and a correction."""
    rec = Recorder(settings)
    rec.clock.set(d(0))
    ref = "client-a"
    rec(
        "register_client",
        cmd.RegisterClient(occurred_at=d(0), client_ref=ref, preferred_language="fi"),
    )
    rec("add_team_member", ref, member("p-worker", "city-social", 0))
    rec("add_team_member", ref, member("p-school", "school", 1))
    rec("add_team_member", ref, member("p-nurse", "clinic", 1))
    rec("record_information_shared", ref, share(5, "d-before-consent"))
    rec("grant_consent", ref, grant(2), late_until=d(5) + timedelta(hours=3))  # backdated
    rec("grant_consent", ref, grant(6, "k2", ("clinic",)))
    rec(
        "record_information_shared",
        ref,
        share(
            7,
            "d-onward",
            from_org=None,
            from_party="p-school",
            to_party="p-nurse",
            to_org="clinic",
            consent_id="k2",
        ),
    )
    withdrawal = rec(
        "withdraw_consent", ref, cmd.WithdrawConsent(occurred_at=d(8), consent_id="k1")
    )
    rec("record_information_shared", ref, share(9, "d-after-withdrawal"))
    rec(
        "register_denial",
        ref,
        cmd.RegisterDenial(
            occurred_at=d(10), denial_id="n1", categories=["health"], recipient_orgs=["clinic"]
        ),
    )
    rec(
        "record_information_shared",
        ref,
        share(
            11,
            "d-denied",
            to_party="p-nurse",
            to_org="clinic",
            categories=["health"],
            consent_id="k2",
        ),
    )
    rec(
        "record_information_shared",
        ref,
        share(12, "d-statute", basis="statutory", consent_id=None, to_party=None, to_org="koto"),
    )
    rec(
        "record_information_shared",
        ref,
        share(
            12,
            "d-statute-ok",
            basis="statutory",
            consent_id=None,
            statute="FI:integration-act:information-right",
            to_party=None,
            to_org="koto",
            categories=["integration"],
            purpose="integration_measures",
        ),
    )
    wrong = rec("add_team_member", ref, member("p-typo", "school", 12))
    rec(
        "retract_event",
        ref,
        cmd.RetractEvent(
            occurred_at=d(13),
            target_event_id=wrong.event_ids[0],
            reason="entered_in_error",
            replacement=member("p-right", "school", 12),
        ),
    )
    # The withdrawal turns out to have been entered in error: retracted on day 14.
    rec(
        "retract_event",
        ref,
        cmd.RetractEvent(
            occurred_at=d(14), target_event_id=withdrawal.event_ids[0], reason="entered_in_error"
        ),
    )
    rec.service.close()
    return ref


def test_the_ledger_judges_every_disclosure_then_and_now(api: Api, scenario: str) -> None:
    entries = {
        (e.disclosure_id, e.to_party or e.to_org): e for e in api.components.ledger.entries()
    }
    backdated = entries[("d-before-consent", "p-school")]
    assert (backdated.verdict_then, backdated.reasons_then) == (
        "unsupported",
        ("consent-backdated",),
    )
    assert backdated.verdict_now == "lawful"
    after_withdrawal = entries[("d-after-withdrawal", "p-school")]
    assert (after_withdrawal.verdict_then, after_withdrawal.reasons_then) == (
        "unlawful",
        ("consent-withdrawn",),
    )
    assert after_withdrawal.verdict_now == "lawful"  # the withdrawal was retracted as an error
    denied = entries[("d-denied", "p-nurse")]
    assert (denied.verdict_now, denied.reasons_now) == ("unlawful", ("denial-in-force",))
    assert entries[("d-statute", "koto")].reasons_now == ("statute-missing",)
    assert entries[("d-statute", "koto")].verdict_now == "unlawful"
    assert entries[("d-statute-ok", "koto")].verdict_then == "lawful"
    assert entries[("d-statute-ok", "koto")].verdict_now == "lawful"
    assert entries[("d-onward", "p-nurse")].verdict_now == "lawful"
    unlawful = api.components.ledger.entries(verdict="findings")
    assert {e.disclosure_id for e in unlawful} == {
        "d-before-consent",
        "d-after-withdrawal",
        "d-denied",
        "d-statute",
    }
    window = api.components.ledger.entries(d(6), d(10))
    assert {e.disclosure_id for e in window} == {"d-onward", "d-after-withdrawal"}


def test_the_ledger_survives_a_restart_and_equals_a_rebuild(
    api: Api, scenario: str, settings: Settings
) -> None:
    before = api.components.ledger.entries()
    restarted = build_components(settings)
    try:
        assert restarted.ledger.entries() == before  # resumed from its position, nothing doubled
        assert restarted.ledger.catch_up() == 0
        assert restarted.ledger.rebuild() > 0
        assert restarted.ledger.entries() == before
    finally:
        restarted.close()


def test_who_knew_follows_onward_sharing(api: Api, scenario: str) -> None:
    record = api.components.service.get_record(scenario)
    knowers = {(k.recipient_kind, k.recipient_id): k for k in who_knew(record, "education")}
    nurse = knowers[("party", "p-nurse")]
    assert nurse.first_at == d(7)
    chain = nurse.chains[0]
    assert [link.disclosure_id for link in chain] == ["d-before-consent", "d-onward"]
    assert chain[0].to_party == "p-school" == chain[1].from_party
    early = {(k.recipient_kind, k.recipient_id) for k in who_knew(record, "education", at=d(6))}
    assert ("party", "p-nurse") not in early
    assert ("party", "p-school") in early


def test_the_diff_shows_late_entries_retractions_corrections_and_changed_verdicts(
    api: Api, scenario: str
) -> None:
    record = api.components.service.get_record(scenario)
    share_event = next(
        e for e in record.events if getattr(e, "disclosure_id", None) == "d-before-consent"
    )
    consent = next(e for e in record.events if e.KIND == "consent_granted")
    t1 = share_event.timestamp
    diff = record_diff(record, t1, record.events[-1].timestamp)
    kinds = {(e.change, e.kind) for e in diff.entries}
    assert ("added-late", "consent_granted") in kinds
    assert ("correction", "event_retracted") in kinds
    changed = [v for v in diff.verdict_changes if v.disclosure_id == "d-before-consent"]
    assert (changed[0].verdict_at_t1, changed[0].verdict_at_t2) == ("unsupported", "lawful")
    assert changed[0].category == "education"
    assert consent.event_id in {e.event_id for e in diff.entries}
    with pytest.raises(ValueError, match="after"):
        record_diff(record, t1, t1)
    # The retraction of the withdrawal changes the verdict on the disclosure that followed it.
    retraction = record.events[-1]
    before_it = record.events[-2].timestamp
    flipped = record_diff(record, before_it, retraction.timestamp)
    assert [(e.change, e.target_event_id) for e in flipped.entries] == [
        ("retraction", retraction.target_event_id)  # type: ignore[attr-defined]
    ]
    assert [
        (v.disclosure_id, v.verdict_at_t1, v.verdict_at_t2) for v in flipped.verdict_changes
    ] == [("d-after-withdrawal", "unlawful", "lawful")]


def test_auditor_endpoints_answer_json_and_printable_html(api: Api, scenario: str) -> None:
    h = api.headers("auditor")
    audit = api.client.get(f"/v1/audit/journeys/{scenario}", headers=h).json()
    assert {"unlawful-now", "unsupported-then", "retracted"} <= {
        f["kind"] for f in audit["findings"]
    }
    page = api.client.get(f"/v1/audit/journeys/{scenario}", params={"format": "html"}, headers=h)
    assert page.headers["content-type"].startswith("text/html")
    assert "consent-backdated" in page.text
    assert "<script" not in page.text
    ledger = api.client.get("/v1/audit/disclosures", params={"unlawful": "true"}, headers=h).json()
    assert len(ledger["entries"]) == 4
    diff = api.client.get(
        f"/v1/audit/journeys/{scenario}/diff",
        params={"t1": "2025-01-01T00:00:00Z", "t2": datetime.now(UTC).isoformat()},
        headers=h,
    )
    assert diff.status_code == 200
    who = api.client.get(
        f"/v1/audit/journeys/{scenario}/who-knew", params={"category": "education"}, headers=h
    )
    assert any(k["recipient_id"] == "p-nurse" for k in who.json()["knowers"])
    who_page = api.client.get(
        f"/v1/audit/journeys/{scenario}/who-knew",
        params={"category": "education", "format": "html"},
        headers=h,
    )
    assert "d-before-consent" in who_page.text
    for path in ("/v1/audit/disclosures", f"/v1/audit/journeys/{scenario}"):
        assert api.client.get(path, headers=api.headers("worker")).status_code == 403
    reads = api.client.get(f"/v1/journeys/{scenario}/access-log", headers=h).json()["reads"]
    assert {"GET /v1/audit/journeys/{client_ref}", "GET /v1/audit/disclosures"} <= {
        r["endpoint"] for r in reads
    }


def test_the_client_log_report_lists_readers_and_recipients(api: Api, scenario: str) -> None:
    api.client.get(
        f"/v1/journeys/{scenario}", headers=api.headers("worker", **{"X-Purpose": "planning"})
    )
    report = api.client.get(
        f"/v1/journeys/{scenario}/log-report", headers=api.headers("worker")
    ).json()
    assert ("p-worker", "planning") in {(r["party_id"], r["purpose"]) for r in report["reads"]}
    assert "d-denied" in {x["disclosure_id"] for x in report["disclosures"]}
    page = api.client.get(
        f"/v1/journeys/{scenario}/log-report",
        params={"format": "html"},
        headers=api.headers("worker"),
    )
    # The client registered Finnish: the page is in Finnish unless another language is asked.
    assert '<html lang="fi">' in page.text
    assert "Kuka on saanut tietojasi" in page.text
    assert (
        api.client.get(
            f"/v1/journeys/{scenario}/log-report", headers=api.headers("outsider")
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("lang", "heading", "what", "why", "moment"),
    [
        (
            "fi",
            "Kuka on saanut tietojasi",
            "katsoi asiakkuuttasi",
            "palvelujen yhteensovittaminen",
            r"\d{1,2}\.\d{1,2}\.\d{4} klo \d{1,2}\.\d{2}",
        ),
        (
            "sv",
            "Vem har fått dina uppgifter",
            "tittade på ditt klientskap",
            "samordning av tjänster",
            r"\d{1,2}\.\d{1,2}\.\d{4} kl\. \d{1,2}\.\d{2}",
        ),
        (
            "en",
            "Who received your data",
            "looked at your journey",
            "care coordination",
            r"\d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2}",
        ),
    ],
)
def test_the_client_log_report_speaks_the_language_asked(
    api: Api, scenario: str, lang: str, heading: str, what: str, why: str, moment: str
) -> None:
    reason = {"X-Purpose": "care_coordination"}
    api.client.get(f"/v1/journeys/{scenario}", headers=api.headers("worker", **reason))
    url = f"/v1/journeys/{scenario}/log-report"
    page = api.client.get(
        url, params={"format": "html", "lang": lang}, headers=api.headers("worker")
    )
    assert page.status_code == 200, page.text
    assert f'<html lang="{lang}">' in page.text
    assert heading in page.text
    assert what in page.text
    assert why in page.text.lower()
    assert re.search(moment, page.text), page.text
    assert "care_coordination" not in page.text
    assert "health_care" not in page.text
    report = api.client.get(url, params={"lang": lang}, headers=api.headers("worker")).json()
    assert report["language"] == lang
    assert (what, why) in {(v["what"], v["why"]) for v in report["visits"]}


def test_the_client_log_report_takes_a_time_zone_and_refuses_an_unknown_one(
    api: Api, scenario: str
) -> None:
    url = f"/v1/journeys/{scenario}/log-report"
    h = api.headers("worker")
    tokyo = api.client.get(url, params={"format": "html", "tz": "Asia/Tokyo"}, headers=h)
    assert tokyo.status_code == 200
    assert "Asia/Tokyo" in tokyo.text
    for bad in ("Mars/Olympus", "../etc/passwd", "x" * 65):
        answer = api.client.get(url, params={"format": "html", "tz": bad}, headers=h)
        assert answer.status_code == 422, bad
        assert answer.headers["content-type"].startswith("application/problem+json")
    wrong = api.client.get(url, params={"lang": "de"}, headers=h)
    assert wrong.status_code == 422


def test_the_audit_commands(
    api: Api,
    scenario: str,
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLKU_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("POLKU_KEYRING", str(settings.keyring_path().resolve()))
    url = ["--database-url", settings.database_url]
    assert main([*url, "audit", "disclosures", "--unlawful"]) == 0
    found = json.loads(capsys.readouterr().out)["entries"]
    assert {e["disclosure_id"] for e in found} == {
        "d-before-consent",
        "d-after-withdrawal",
        "d-denied",
        "d-statute",
    }
    assert main([*url, "audit", "disclosures", "--verdict", "unlawful", "--limit", "1"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert [e["verdict_now"] for e in first["entries"]] == ["unlawful"]
    assert first["next_cursor"] is not None
    out = tmp_path / "journey.html"
    assert main([*url, "audit", "journey", scenario, "--format", "html", "--output", str(out)]) == 0
    assert "Findings" in out.read_text()
    assert (
        main(
            [
                *url,
                "audit",
                "diff",
                scenario,
                "--t1",
                "2025-01-01T00:00:00+00:00",
                "--t2",
                datetime.now(UTC).isoformat(),
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["entries"]
    assert (
        main([*url, "audit", "who-knew", scenario, "--category", "education", "--format", "html"])
        == 0
    )
    assert "d-onward" in capsys.readouterr().out
    assert main([*url, "audit", "log-report", scenario]) == 0
    assert json.loads(capsys.readouterr().out)["disclosures"]
    assert main([*url, "audit", "journey", "nobody"]) == 1
    assert main([*url, "projections", "rebuild", "ledger"]) == 0


def test_the_fhir_export_through_the_api_and_the_command_line(
    api: Api, scenario: str, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fhir.resources.bundle import Bundle

    response = api.client.get(f"/v1/journeys/{scenario}/fhir", headers=api.headers("worker"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/fhir+json"
    bundle = Bundle.model_validate(response.json())
    kinds = {e.resource.get_resource_type() for e in bundle.entry or [] if e.resource is not None}
    assert {"CareTeam", "EpisodeOfCare", "Consent", "AuditEvent", "Provenance"} <= kinds
    assert (
        api.client.get(f"/v1/journeys/{scenario}/fhir", headers=api.headers("outsider")).status_code
        == 404
    )

    monkeypatch.setenv("POLKU_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("POLKU_KEYRING", str(settings.keyring_path().resolve()))
    out = tmp_path / "bundle.json"
    assert (
        main(
            [
                "--database-url",
                settings.database_url,
                "export",
                "fhir",
                scenario,
                "--output",
                str(out),
            ]
        )
        == 0
    )
    assert json.loads(out.read_text())["resourceType"] == "Bundle"


def test_auditors_find_journeys_by_ref_organisation_and_finding(api: Api) -> None:
    """Two clients, one with a finding: the search narrows by each filter, pages with `after`,
    and writes one access-log row per client it lists (and none for the others)."""
    from tests.api.conftest import T, team_member

    h = api.headers("worker")
    for ref in ("search-a", "search-b"):
        body = {"occurred_at": T.format(1), "client_ref": ref, "preferred_language": "fi"}
        assert api.client.post("/v1/journeys", json=body, headers=h).status_code in (201, 202)
        member = team_member("p-worker", 1)
        assert (
            api.client.post(f"/v1/journeys/{ref}/team-members", json=member, headers=h).status_code
            == 201
        )
    for ref, basis in (("search-a", "client_self"), ("search-b", "none")):
        share = {
            "occurred_at": T.format(2),
            "disclosure_id": f"d-{ref}",
            "from_org": "city-social",
            "to_org": "clinic" if ref == "search-a" else "school",
            "categories": ["health"],
            "purpose": "care_coordination",
            "basis": basis,
        }
        assert (
            api.client.post(f"/v1/journeys/{ref}/disclosures", json=share, headers=h).status_code
            == 201
        )

    def search(**params: object) -> list[str]:
        response = api.client.get(
            "/v1/audit/journeys", params=params, headers=api.headers("auditor")
        )
        assert response.status_code == 200, response.text
        return [j["client_ref"] for j in response.json()["journeys"]]

    assert sorted(search()) == ["search-a", "search-b"]
    assert search(client_ref="search-a") == ["search-a"]
    assert search(client_ref="search-") == []  # a part of a ref finds nothing
    assert search(organisation="clinic") == ["search-a"]
    assert search(findings=True) == ["search-b"]
    first = api.client.get(
        "/v1/audit/journeys", params={"limit": 1}, headers=api.headers("auditor")
    ).json()
    (one,) = [j["client_ref"] for j in first["journeys"]]
    (other,) = {"search-a", "search-b"} - {one}
    assert first["next_after"] == first["journeys"][0]["journey_id"]
    assert search(after=first["next_after"]) == [other]
    assert api.client.get("/v1/audit/journeys", headers=api.headers("worker")).status_code == 403
    a = api.components.service.journey_id("search-a")
    b = api.components.service.journey_id("search-b")
    before_b = len(api.components.access_log.entries(b))
    search(organisation="clinic")
    assert len(api.components.access_log.entries(b)) == before_b  # not listed: not logged
    assert any(r.endpoint == "GET /v1/audit/journeys" for r in api.components.access_log.entries(a))


def test_the_log_report_reads_as_a_client_would_read_it(api: Api, scenario: str) -> None:
    """Names instead of party ids, what was done in words instead of routes, purposes in words,
    and ten loads of the same page by the same person on the same day as one line."""
    for _ in range(10):
        api.client.get(
            f"/v1/journeys/{scenario}",
            headers=api.headers("worker", **{"X-Purpose": "care_coordination"}),
        )
    api.client.get(f"/v1/journeys/{scenario}/history", headers=api.headers("worker"))
    report = api.client.get(
        f"/v1/journeys/{scenario}/log-report", params={"lang": "en"}, headers=api.headers("worker")
    ).json()
    visits = {(v["what"], v["why"]): v for v in report["visits"]}
    looked = visits[("looked at your journey", "care coordination")]
    assert looked["times"] == 10
    assert looked["role"] == "case worker"
    assert ("looked at the history of your journey", "no reason given") in visits
    # Without a language asked, the client's registered one (Finnish here).
    finnish = api.client.get(
        f"/v1/journeys/{scenario}/log-report", headers=api.headers("worker")
    ).json()
    assert finnish["language"] == "fi"
    assert ("katsoi asiakkuuttasi", "palvelujen yhteensovittaminen") in {
        (v["what"], v["why"]) for v in finnish["visits"]
    }
    assert "sosiaalityöntekijä" in {v["role"] for v in finnish["visits"]}
    page = api.client.get(
        f"/v1/journeys/{scenario}/log-report",
        params={"format": "html", "lang": "en"},
        headers=api.headers("worker"),
    ).text
    assert "looked at your journey" in page
    assert "{client_ref}" not in page  # no route templates for the client to decode
