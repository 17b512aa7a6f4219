"""The directory's use cases, shared by ``polku directory`` and ``/v1/directory/…``: loading it
from CSV files (every row checked before anything is written) and reading it (staff only).

A file is UTF-8 (a byte-order mark is allowed, as spreadsheets write one), with a header row
naming its columns in any order: ``org_id, name, sector`` and optionally ``municipality`` for
organisations; ``party_id, display_name, organisation, sector, role`` and optionally ``title``
for professionals. Every problem is reported as one line, ``FILE:LINE: what is wrong``, one per
bad row; any problem means nothing is written. The problems name ids and columns, never a name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import ValidationError

from domain.directory import DIRECTORY_ROLES, Organisation, Professional
from domain.errors import InvalidQueryError, NotPermittedError, PolkuError
from domain.events import Actor
from domain.vocabulary import check_term
from storage.directory import (
    DEFAULT_PAGE,
    Directory,
    DirectoryConflictError,
    DirectoryPage,
    LoadCounts,
    OrganisationEntry,
    ProfessionalEntry,
)

__all__ = [
    "MAX_FILE_BYTES",
    "ORGANISATION_COLUMNS",
    "PROFESSIONAL_COLUMNS",
    "DirectoryLoadError",
    "DirectoryReads",
    "load_directory",
    "read_csv",
]

ORGANISATION_COLUMNS = ("org_id", "name", "sector", "municipality")
PROFESSIONAL_COLUMNS = ("party_id", "display_name", "organisation", "sector", "role", "title")
_OPTIONAL = frozenset({"municipality", "title"})
MAX_FILE_BYTES = 50 * 1024 * 1024
"""A directory file larger than this is refused (a region's staff list is far smaller)."""

M = TypeVar("M", Organisation, Professional)


@dataclass(frozen=True)
class Rows(Generic[M]):
    """The valid rows of one file, each with the line it starts on, and the problems found."""

    path: Path
    entries: list[tuple[int, M]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    """(line, the whole message), line 0 for the file as a whole."""
    ids: set[str] = field(default_factory=set)
    """The id of every row, valid or not."""


class DirectoryLoadError(PolkuError):
    """The files have problems (one line each, ``FILE:LINE: …``); nothing was written."""

    def __init__(self, problems: Sequence[str]) -> None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{count} in the directory files; nothing was written")
        self.problems = tuple(problems)


def read_csv(path: Path, model: type[M]) -> Rows[M]:
    """The rows of a directory file, each validated on its own (ids, vocabulary terms, lengths,
    duplicate ids); whether organisations are listed is checked by :func:`load_directory`."""
    columns = ORGANISATION_COLUMNS if model is Organisation else PROFESSIONAL_COLUMNS
    rows: Rows[M] = Rows(path)
    text = _text(path, rows.problems)
    if text is None:
        return rows
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            expected = ",".join(columns)
            rows.problems.append(_at(path, 1, f"empty: a header row is expected ({expected})"))
            return rows
        names = [name.strip() for name in header]
        problem = _header_problem(names, columns)
        if problem is not None:
            rows.problems.append((1, f"{path}:1: {problem}"))
            return rows
        first_seen: dict[str, int] = {}
        line = reader.line_num + 1
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(names):
                what = f"{len(cells)} fields where the header has {len(names)}"
                rows.problems.append(_at(path, start, what))
                continue
            values = {
                name: (cell if cell.strip() or name not in _OPTIONAL else None)
                for name, cell in zip(names, cells, strict=True)
            }
            rows.ids.add(str(values[columns[0]]).strip())
            try:
                entry = model.model_validate(values)
            except ValidationError as error:
                rows.problems.append((start, f"{path}:{start}: {_explain(error)}"))
                continue
            ident = entry.org_id if isinstance(entry, Organisation) else entry.party_id
            if ident in first_seen:
                rows.problems.append(
                    (
                        start,
                        f"{path}:{start}: {columns[0]} '{ident}' is listed twice"
                        f" (also on line {first_seen[ident]})",
                    )
                )
                continue
            first_seen[ident] = start
            rows.entries.append((start, entry))
    except csv.Error as error:
        rows.problems.append(
            (reader.line_num, f"{path}:{reader.line_num}: not readable as CSV ({error})")
        )
    return rows


def _at(path: Path, line: int, what: str) -> tuple[int, str]:
    return line, f"{path}:{line}: {what}"


def _text(path: Path, problems: list[tuple[int, str]]) -> str | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append((0, f"{path}: larger than {MAX_FILE_BYTES // 2**20} MB"))
            return None
        data = path.read_bytes()
    except OSError as error:
        problems.append((0, f"{path}: cannot be read ({error.strerror or 'an error'})"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.append((line, f"{path}:{line}: not UTF-8 text (save the file as UTF-8)"))
        return None


def _header_problem(names: list[str], columns: tuple[str, ...]) -> str | None:
    expected = (
        f"the header names {', '.join(c for c in columns if c not in _OPTIONAL)}"
        f" and may name {', '.join(c for c in columns if c in _OPTIONAL)}"
    )
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return f"column {', '.join(repr(n) for n in twice)} named twice ({expected})"
    unknown = [n for n in names if n not in columns]
    if unknown:
        return f"unknown column {', '.join(repr(n) for n in unknown)} ({expected})"
    missing = [c for c in columns if c not in names and c not in _OPTIONAL]
    if missing:
        return f"missing column {', '.join(repr(n) for n in missing)} ({expected})"
    return None


_MESSAGES = {
    "missing": "empty",
    "string_too_short": "empty",
    "string_too_long": "longer than {max_length} characters",
    "string_pattern_mismatch": "has control characters (tabs, line breaks)",
}


def _explain(error: ValidationError) -> str:
    """Each field's problem, in a few words (a vocabulary error lists the terms allowed)."""
    parts = []
    for problem in error.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in problem["loc"])
        template = _MESSAGES.get(problem["type"])
        if template is not None:
            what = template.format(**problem.get("ctx", {}))
        else:
            what = problem["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {what}")
    return "; ".join(parts)


def load_directory(
    directory: Directory,
    organisations: Path | None,
    professionals: Path | None,
    *,
    replace: bool = False,
) -> LoadCounts:
    """Check every row of the files given, then write them in one transaction (upsert by id;
    with ``replace``, each list given replaces the whole of that list, a list not given is
    kept). Raises :class:`DirectoryLoadError` with one line per bad row, writing nothing."""
    if organisations is None and professionals is None:
        raise ValueError("give a file of organisations, of professionals, or both")
    orgs = read_csv(organisations, Organisation) if organisations is not None else None
    pros = read_csv(professionals, Professional) if professionals is not None else None
    listed = directory.organisation_ids()
    if orgs is not None:
        # The ids of rows with problems count as listed: their professionals are not wrong.
        listed = orgs.ids if replace else listed | orgs.ids
    if pros is not None:
        where = "the directory" if organisations is None else f"{organisations} or the directory"
        where = str(organisations) if orgs is not None and replace else where
        pros.problems.extend(
            _at(pros.path, line, f"organisation '{p.organisation}' is not listed (in {where})")
            for line, p in pros.entries
            if p.organisation not in listed
        )
    if orgs is not None and replace and not orgs.problems:
        # Professionals listed now and not replaced keep their organisation: it must stay.
        kept = directory.employers() if pros is None else {}
        orgs.problems.extend(
            (
                0,
                f"{organisations}: organisation '{org}' would be removed, but professional"
                f" '{party}' of the directory names it (load --professionals too, or keep it)",
            )
            for party, org in sorted(kept.items())
            if org not in listed
        )
    problems = [
        message
        for rows in (orgs, pros)
        if rows is not None
        for _, message in sorted(rows.problems, key=lambda problem: problem[0])
    ]
    if problems:
        raise DirectoryLoadError(problems)
    try:
        return directory.load(
            [o for _, o in orgs.entries] if orgs else [],
            [p for _, p in pros.entries] if pros else [],
            replace_organisations=replace and orgs is not None,
            replace_professionals=replace and pros is not None,
        )
    except DirectoryConflictError as error:  # changed by someone else since the check
        raise DirectoryLoadError(
            [
                f"professional '{party}' would name organisation '{org}', which is not listed"
                for party, org in error.orphans
            ]
        ) from None


class DirectoryReads:
    """The directory for staff (:data:`~domain.directory.DIRECTORY_ROLES`; others: 403). It holds
    no client data, so it reads the same for every caller allowed, and is not access-logged."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory

    @staticmethod
    def authorise(actor: Actor) -> None:
        if actor.role not in DIRECTORY_ROLES:
            raise NotPermittedError(f"the {actor.role} role may not read the directory")

    def organisations(
        self,
        actor: Actor,
        *,
        sector: str | None = None,
        q: str | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE,
    ) -> DirectoryPage[OrganisationEntry]:
        self.authorise(actor)
        _check_sector(sector)
        return self._directory.organisations(sector=sector, q=q, cursor=cursor, limit=limit)

    def professionals(
        self,
        actor: Actor,
        *,
        organisation: str | None = None,
        sector: str | None = None,
        q: str | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE,
    ) -> DirectoryPage[ProfessionalEntry]:
        self.authorise(actor)
        _check_sector(sector)
        return self._directory.professionals(
            organisation=organisation, sector=sector, q=q, cursor=cursor, limit=limit
        )


def _check_sector(sector: str | None) -> None:
    if sector is None:
        return
    try:
        check_term("sectors", sector)
    except ValueError as error:
        raise InvalidQueryError(str(error)) from None
