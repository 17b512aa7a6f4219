"""Controlled vocabularies (sectors, roles, categories, purposes…), kept as data.

The terms live in ``vocabulary.toml`` beside this module. They are read once, on first use,
and validated; commands check their fields against them through :func:`check_term`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, get_args

__all__ = [
    "LANGUAGES",
    "Statute",
    "Term",
    "Vocabulary",
    "check_term",
    "label",
    "labels",
    "vocabulary",
]

LANGUAGES = ("en", "fi", "sv")
"""The languages every term has a label in (the pages' languages)."""

Term = Literal[
    "sectors",
    "member_types",
    "roles",
    "information_categories",
    "purposes",
    "consent_forms",
    "basis_kinds",
    "transition_kinds",
    "referral_decline_reasons",
    "retraction_reasons",
    "erasure_reasons",
]


@dataclass(frozen=True)
class Statute:
    """A statutory right to obtain information, as configured by the region."""

    ref: str
    title: str
    recipient_sectors: frozenset[str]
    categories: frozenset[str]
    purposes: frozenset[str]


@dataclass(frozen=True)
class Vocabulary:
    terms: dict[str, frozenset[str]]
    statutes: dict[str, Statute]

    def allows(self, term: Term, value: str) -> bool:
        return value in self.terms[term]


@cache
def vocabulary() -> Vocabulary:
    """The packaged vocabulary (read and validated on first use)."""
    text = resources.files("domain").joinpath("vocabulary.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    terms: dict[str, frozenset[str]] = {}
    for name in get_args(Term):
        values = raw.get(name)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"vocabulary.toml: '{name}' must be a list of strings")
        terms[name] = frozenset(values)
    statutes: dict[str, Statute] = {}
    for entry in raw.get("statutes", []):
        statute = Statute(
            ref=str(entry["ref"]),
            title=str(entry["title"]),
            recipient_sectors=frozenset(entry["recipient_sectors"]),
            categories=frozenset(entry["categories"]),
            purposes=frozenset(entry["purposes"]),
        )
        unknown = (
            (statute.recipient_sectors - terms["sectors"])
            | (statute.categories - terms["information_categories"])
            | (statute.purposes - terms["purposes"])
        )
        if unknown:
            raise ValueError(f"vocabulary.toml: statute {statute.ref} uses unknown terms {unknown}")
        statutes[statute.ref] = statute
    return Vocabulary(terms=terms, statutes=statutes)


def check_term(term: Term, value: str) -> str:
    """Return ``value`` if the vocabulary ``term`` contains it, else raise ``ValueError``."""
    if not vocabulary().allows(term, value):
        allowed = ", ".join(sorted(vocabulary().terms[term]))
        raise ValueError(f"'{value}' is not one of the {term.replace('_', ' ')}: {allowed}")
    return value


@cache
def labels() -> dict[str, dict[str, dict[str, str]]]:
    """What each term is called: ``labels()[vocabulary][term][language]``
    (``vocabulary_labels.toml``)."""
    text = resources.files("domain").joinpath("vocabulary_labels.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    return {
        name: {
            term: {lang: str(words[lang]) for lang in LANGUAGES} for term, words in terms.items()
        }
        for name, terms in raw.items()
    }


def label(term: Term, value: str, language: str = "en") -> str:
    """The words for ``value`` of vocabulary ``term`` in ``language`` (the term itself if the
    value is not in the vocabulary, as in events stored before it was removed)."""
    return labels().get(term, {}).get(value, {}).get(language, value)
