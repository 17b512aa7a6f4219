"""The directory: the organisations and professionals case workers pick from, by id and name.

An entry is validated like a command's fields: ids are refs (one line, 1-128 characters),
sectors and roles are terms of the controlled vocabularies, names are one line of at most 200
characters. Professionals are staff, not clients: their names are kept in plain text (never
sealed), but like every name they never reach a log line. Who may read the directory:
:data:`DIRECTORY_ROLES`.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from domain.commands import Ref, Role, Sector

__all__ = [
    "DIRECTORY_ROLES",
    "Line",
    "Organisation",
    "Professional",
    "folded",
]

DIRECTORY_ROLES = frozenset({"caseworker", "coordinator", "auditor", "admin"})
"""The staff roles that read the directory (planners, clients and guardians do not: 403)."""

Line = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
"""A name or title: one line, 1-200 characters."""


class Organisation(BaseModel):
    """An organisation case workers name on journeys (a team member's, a referral's, …)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    org_id: Ref
    name: Line
    sector: Sector
    municipality: Line | None = None


class Professional(BaseModel):
    """A member of staff of a listed organisation, with the role they usually have on teams."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    party_id: Ref
    display_name: Line
    organisation: Ref
    sector: Sector
    role: Role
    title: Line | None = None


_UNMARKED = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ð": "d", "þ": "th", "ł": "l", "ß": "ss"}
)


def folded(text: str) -> str:
    """``text`` as the directory searches and sorts it: case folded, accents and marks taken
    off (``Mäkinen``, ``MAKINEN`` and ``mäkinen`` all read ``makinen``; ``Sjöström`` reads
    ``sjostrom``, ``Søren`` ``soren``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.translate(_UNMARKED)
