"""Who the caller is, and the controlled vocabularies: what the web pages need to sign in and
to offer the right choices in their forms. Neither holds client data."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Response
from pydantic import TypeAdapter

from api.deps import CurrentActor
from domain.vocabulary import Term, labels, vocabulary

__all__ = ["router"]

router = APIRouter(
    prefix="/v1", tags=["session"], responses={401: {"description": "no valid bearer token"}}
)


@dataclass(frozen=True)
class MeOut:
    party_id: str
    organisation: str
    role: str


@dataclass(frozen=True)
class StatuteOut:
    ref: str
    title: str


@dataclass(frozen=True)
class VocabularyOut:
    sectors: tuple[str, ...]
    member_types: tuple[str, ...]
    roles: tuple[str, ...]
    information_categories: tuple[str, ...]
    purposes: tuple[str, ...]
    consent_forms: tuple[str, ...]
    basis_kinds: tuple[str, ...]
    transition_kinds: tuple[str, ...]
    referral_decline_reasons: tuple[str, ...]
    retraction_reasons: tuple[str, ...]
    statutes: tuple[StatuteOut, ...]
    labels: dict[str, dict[str, dict[str, str]]]
    """What each term is called in English, Finnish and Swedish: labels[vocabulary][term][lang]."""


_ME = TypeAdapter(MeOut)
_VOCABULARY = TypeAdapter(VocabularyOut)


@router.get("/me", response_model=MeOut, summary="The caller: party, organisation and role")
def get_me(actor: CurrentActor) -> Response:
    out = MeOut(actor.party_id, actor.organisation, actor.role)
    return Response(_ME.dump_json(out), media_type="application/json")


@router.get(
    "/vocabulary",
    response_model=VocabularyOut,
    summary="The controlled vocabularies commands are checked against (sorted)",
)
def get_vocabulary(actor: CurrentActor) -> Response:
    del actor  # any authenticated caller: the vocabulary holds no client data
    known = vocabulary()

    def terms(name: Term) -> tuple[str, ...]:
        return tuple(sorted(known.terms[name]))

    out = VocabularyOut(
        sectors=terms("sectors"),
        member_types=terms("member_types"),
        roles=terms("roles"),
        information_categories=terms("information_categories"),
        purposes=terms("purposes"),
        consent_forms=terms("consent_forms"),
        basis_kinds=terms("basis_kinds"),
        transition_kinds=terms("transition_kinds"),
        referral_decline_reasons=terms("referral_decline_reasons"),
        retraction_reasons=terms("retraction_reasons"),
        statutes=tuple(StatuteOut(s.ref, s.title) for s in known.statutes.values()),
        labels=labels(),
    )
    return Response(_VOCABULARY.dump_json(out), media_type="application/json")
