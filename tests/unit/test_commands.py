"""Commands refuse bad input before anything reaches the journey."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from pydantic import ValidationError

from domain import commands as cmd
from domain.vocabulary import vocabulary
from tests.support import day


def test_occurred_at_must_carry_a_time_zone() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        cmd.CloseJourney(occurred_at=datetime(2025, 1, 1))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sector", "astrology"),
        ("role", "wizard"),
        ("member_type", "robot"),
        ("party_id", ""),
        ("party_id", "x" * 129),
        ("party_id", "line\nbreak"),
    ],
)
def test_team_member_fields_are_checked(field: str, value: str) -> None:
    fields: dict[str, Any] = {
        "occurred_at": day(1),
        "party_id": "p1",
        "member_type": "professional",
        "role": "nurse",
        "organisation": "o",
        "sector": "health_care",
        field: value,
    }
    with pytest.raises(ValidationError) as caught:
        cmd.AddTeamMember.model_validate(fields)
    assert caught.value.errors()[0]["loc"] == (field,)


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        cmd.CloseJourney.model_validate({"occurred_at": day(1), "surprise": 1})


def test_a_consent_names_a_recipient_and_a_sound_period() -> None:
    base: dict[str, Any] = {
        "occurred_at": day(1),
        "consent_id": "k",
        "categories": ["health"],
        "purposes": ["care_coordination"],
        "form": "written",
    }
    with pytest.raises(ValidationError, match="at least one recipient"):
        cmd.GrantConsent.model_validate(base)
    with pytest.raises(ValidationError, match="valid_until"):
        cmd.GrantConsent.model_validate(base | {"recipient_orgs": ["o"], "valid_until": day(0)})
    grant = cmd.GrantConsent.model_validate(base | {"recipient_orgs": ["o", "o"]})
    assert grant.valid_from == day(1)
    assert grant.recipient_orgs == ["o"]


def test_personal_fields_go_to_the_personal_part() -> None:
    add = cmd.AddTeamMember(
        occurred_at=day(1),
        party_id="p1",
        member_type="informal",
        role="family_member",
        organisation="family",
        sector="family",
        display_name="Karin",
        contact="040 123",
        note="prefers evenings",
    )
    (draft,) = add.drafts()
    assert draft.personal == {
        "display_name": "Karin",
        "contact": "040 123",
        "note": "prefers evenings",
    }
    assert not {"display_name", "contact", "note"} & set(draft.fields)


def test_a_disclosure_states_its_basis_consistently() -> None:
    base: dict[str, Any] = {
        "occurred_at": day(1),
        "disclosure_id": "d",
        "from_org": "a",
        "to_org": "b",
        "categories": ["health"],
        "purpose": "care_coordination",
    }
    with pytest.raises(ValidationError, match="consent_id is only"):
        cmd.RecordInformationShared.model_validate(base | {"basis": "statutory", "consent_id": "k"})
    with pytest.raises(ValidationError, match="to_party or to_org"):
        cmd.RecordInformationShared.model_validate(base | {"basis": "none", "to_org": None})


def test_a_replacement_is_not_a_retraction() -> None:
    inner = cmd.RetractEvent(
        occurred_at=day(1), target_event_id="00000000-0000-0000-0000-000000000001", reason="other"
    )
    with pytest.raises(ValidationError, match="replacement"):
        cmd.RetractEvent(
            occurred_at=day(1),
            target_event_id="00000000-0000-0000-0000-000000000002",
            reason="other",
            replacement=inner,
        )


def test_every_vocabulary_list_is_loaded() -> None:
    vocab = vocabulary()
    assert "education" in vocab.terms["sectors"]
    assert all(vocab.terms.values())
    assert "FI:integration-act:information-right" in vocab.statutes


def test_every_vocabulary_term_has_a_label_in_every_language() -> None:
    from domain.vocabulary import LANGUAGES, labels, vocabulary

    known = labels()
    for name, terms in vocabulary().terms.items():
        for term in terms:
            words = known.get(name, {}).get(term, {})
            for language in LANGUAGES:
                assert words.get(language, "").strip(), (name, term, language)
    # and no label for a term the vocabulary does not have (a typo would hide a missing one)
    for name, labelled in known.items():
        assert set(labelled) <= vocabulary().terms[name], name
