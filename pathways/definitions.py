"""Pathway definitions: data files (TOML) validated by pydantic, with a loader.

A pathway names an *anchor* (the event its deadlines count from, e.g. the transition from day
care to school) and ordered *steps*. A step is an event of a given kind whose fields match
conditions, optionally within a window relative to the anchor, with the roles responsible.
A malformed file is refused with a message naming the file, the line and the field.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.events import EVENT_TYPES
from domain.vocabulary import check_term

__all__ = [
    "Condition",
    "DefinitionError",
    "Pathway",
    "Step",
    "Window",
    "catalogue",
    "load_pathway",
]

Ident = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_kind(kind: str) -> str:
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown event kind '{kind}' (one of: {', '.join(sorted(EVENT_TYPES))})")
    return kind


class Condition(_Strict):
    """Which events count: an event kind, and field values it must have.

    ``fields`` maps an event field to a value (or a list of values, any of which will do); for a
    list field (categories, recipients, participants) the value must be among its items.
    """

    kind: str
    fields: dict[str, str | bool | list[str]] = {}

    @field_validator("kind")
    @classmethod
    def _kind(cls, kind: str) -> str:
        return _known_kind(kind)

    @model_validator(mode="after")
    def _fields_exist(self) -> Condition:
        event = EVENT_TYPES[self.kind]
        known = set(getattr(event, "__dataclass_fields__", {}))
        unknown = set(self.fields) - known
        if unknown:
            raise ValueError(f"{self.kind} has no field(s) {', '.join(sorted(unknown))}")
        return self


class Window(_Strict):
    """When a step is due, relative to the anchor's occurrence: ``days`` before or after it."""

    relative_to_anchor: Literal["before", "after"]
    days: int | None = Field(default=None, ge=0, le=3650)
    """The window's width; none: any time before (or after) the anchor."""


class Step(_Strict):
    id: Ident
    title: str = Field(min_length=1, max_length=200)
    event: Condition
    window: Window | None = None
    responsible_roles: list[str] = []
    after: list[Ident] | None = None
    """The steps that must come first, by valid time (ids of earlier steps); none given: every
    earlier step, in the order they are listed. ``[]``: none."""

    @field_validator("responsible_roles")
    @classmethod
    def _roles(cls, roles: list[str]) -> list[str]:
        for role in roles:
            check_term("roles", role)
        return roles


class Pathway(_Strict):
    id: Ident
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    sectors: list[str] = []
    anchor: Condition
    steps: list[Step] = Field(min_length=1, max_length=50)

    @field_validator("sectors")
    @classmethod
    def _sectors(cls, sectors: list[str]) -> list[str]:
        for sector in sectors:
            check_term("sectors", sector)
        return sectors

    @model_validator(mode="after")
    def _step_ids_unique(self) -> Pathway:
        ids = [s.id for s in self.steps]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"step ids must be unique: {', '.join(duplicates)}")
        for index, step in enumerate(self.steps):
            unknown = sorted(set(step.after or ()) - set(ids[:index]))
            if unknown:
                raise ValueError(
                    f"step {step.id}: 'after' names {', '.join(unknown)}, not an earlier step"
                )
        return self

    def prerequisites(self, index: int) -> list[str]:
        """The ids of the steps that must come before step ``index``."""
        step = self.steps[index]
        return list(step.after) if step.after is not None else [s.id for s in self.steps[:index]]


@dataclass(frozen=True)
class DefinitionError(Exception):
    """A definition file that does not validate, with where and why."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


def load_pathway(path: Path | str, text: str | None = None) -> Pathway:
    """Read and validate one definition file; raises :class:`DefinitionError`."""
    name = str(path)
    source = text if text is not None else Path(path).read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        raise DefinitionError(
            name, int(line.group(1)) if line else None, "(file)", str(error)
        ) from None
    try:
        return Pathway.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        loc = [str(part) for part in first["loc"]]
        raise DefinitionError(
            name, _line_of(source, first["loc"]), ".".join(loc) or "(top)", first["msg"]
        ) from None


def _line_of(source: str, loc: Sequence[int | str]) -> int | None:
    """The line a validation error points at, for our TOML layout: top-level keys, inline
    tables, and ``[[steps]]`` arrays of tables (with ``[steps.event]``-style sub-tables)."""
    lines = source.splitlines()
    start, section = 0, ""
    parts = list(loc)
    if parts and parts[0] == "steps" and len(parts) > 1 and isinstance(parts[1], int):
        headers = [i for i, line in enumerate(lines) if line.strip() == "[[steps]]"]
        if parts[1] < len(headers):
            start = headers[parts[1]]
        parts = parts[2:]
        section = "steps."
    wanted = [str(p) for p in parts if isinstance(p, str)]
    for depth in range(len(wanted), 0, -1):
        key = wanted[depth - 1]
        table = f"[{section}{'.'.join(wanted[:depth])}]"
        for i in range(start, len(lines)):
            stripped = lines[i].strip()
            if i > start and stripped == "[[steps]]":
                break
            if stripped == table or re.match(rf"^{re.escape(key)}\s*=", stripped):
                return i + 1
    return start + 1 if start else None


def catalogue() -> dict[str, Pathway]:
    """The pathways shipped with Polku (``pathways/catalogue/*.toml``), by id."""
    found: dict[str, Pathway] = {}
    folder = resources.files("pathways").joinpath("catalogue")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            pathway = load_pathway(
                f"pathways/catalogue/{entry.name}", entry.read_text(encoding="utf-8")
            )
            found[pathway.id] = pathway
    return found
