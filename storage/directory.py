"""The directory's two tables: organisations and professionals, beside the event store.

Each row keeps, beside the entry, two folded copies of its text (``domain.directory.folded``):
``sort_key`` (the name, by which lists are ordered, ties by id) and ``search_key`` (the name
and the id, one per line, which ``q`` is looked for in), so a search is case- and
accent-insensitive on both backends alike. On PostgreSQL those columns and the ids compare
byte by byte (``COLLATE "C"``), as SQLite's do, so both order and page the same way.

A page is at most ``limit`` entries after an opaque cursor (the last entry's sort key and id);
the next page's cursor is given while more follow. A load is one transaction: entries are
upserted by id, a list being replaced loses the entries it no longer holds, and a load that
would leave a professional naming an organisation not listed is rolled back whole.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from domain.directory import Organisation, Professional, folded
from domain.errors import InvalidQueryError, PolkuError
from storage.sql import SqlStore, Tx

__all__ = [
    "DEFAULT_PAGE",
    "MAX_PAGE",
    "Directory",
    "DirectoryConflictError",
    "DirectoryPage",
    "ListCounts",
    "LoadCounts",
    "OrganisationEntry",
    "ProfessionalEntry",
]

DEFAULT_PAGE = 100
MAX_PAGE = 1000
"""The most entries one page holds."""


def _tables(collate: str) -> tuple[str, ...]:
    return (
        "CREATE TABLE IF NOT EXISTS {polku_directory_organisations} ("
        f" org_id TEXT{collate} PRIMARY KEY,"
        " name TEXT NOT NULL,"
        " sector TEXT NOT NULL,"
        " municipality TEXT,"
        f" sort_key TEXT{collate} NOT NULL,"
        " search_key TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {polku_directory_professionals} ("
        f" party_id TEXT{collate} PRIMARY KEY,"
        " display_name TEXT NOT NULL,"
        " organisation TEXT NOT NULL,"
        " sector TEXT NOT NULL,"
        " role TEXT NOT NULL,"
        " title TEXT,"
        f" sort_key TEXT{collate} NOT NULL,"
        " search_key TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS polku_directory_organisations_by_name"
        " ON {polku_directory_organisations} (sort_key, org_id)",
        "CREATE INDEX IF NOT EXISTS polku_directory_professionals_by_name"
        " ON {polku_directory_professionals} (sort_key, party_id)",
        "CREATE INDEX IF NOT EXISTS polku_directory_professionals_by_organisation"
        " ON {polku_directory_professionals} (organisation, sort_key, party_id)",
    )


T = TypeVar("T")


@dataclass(frozen=True)
class OrganisationEntry:
    org_id: str
    name: str
    sector: str
    municipality: str | None


@dataclass(frozen=True)
class ProfessionalEntry:
    party_id: str
    display_name: str
    organisation: str
    organisation_name: str
    """The name of the organisation (``organisation`` is its id)."""
    sector: str
    role: str
    title: str | None


@dataclass(frozen=True)
class DirectoryPage(Generic[T]):
    entries: tuple[T, ...]
    next_cursor: str | None
    """More follow: ask again with this cursor (None: this is the last page)."""


@dataclass(frozen=True)
class ListCounts:
    """What a load did to one list."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass(frozen=True)
class LoadCounts:
    organisations: ListCounts
    professionals: ListCounts


class DirectoryConflictError(PolkuError):
    """The load would leave professionals naming organisations that are not listed (nothing
    was written)."""

    def __init__(self, orphans: Sequence[tuple[str, str]]) -> None:
        super().__init__(f"{len(orphans)} professionals would name an unlisted organisation")
        self.orphans = tuple(orphans)
        """(party id, organisation id) of each."""


_ORG_COLUMNS = ("org_id", "name", "sector", "municipality", "sort_key", "search_key")
_PRO_COLUMNS = (
    "party_id",
    "display_name",
    "organisation",
    "sector",
    "role",
    "title",
    "sort_key",
    "search_key",
)


_ORG_UPSERT = (
    "INSERT INTO {polku_directory_organisations}"
    " (org_id, name, sector, municipality, sort_key, search_key)"
    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (org_id) DO UPDATE SET"
    " name = excluded.name, sector = excluded.sector, municipality = excluded.municipality,"
    " sort_key = excluded.sort_key, search_key = excluded.search_key"
)
_PRO_UPSERT = (
    "INSERT INTO {polku_directory_professionals}"
    " (party_id, display_name, organisation, sector, role, title, sort_key, search_key)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (party_id) DO UPDATE SET"
    " display_name = excluded.display_name, organisation = excluded.organisation,"
    " sector = excluded.sector, role = excluded.role, title = excluded.title,"
    " sort_key = excluded.sort_key, search_key = excluded.search_key"
)


def _search_key(name: str, ident: str) -> str:
    return f"{folded(name)}\n{folded(ident)}"


class Directory:
    def __init__(self, store: SqlStore) -> None:
        self._store = store
        store.ensure(*_tables(' COLLATE "C"' if store.backend == "postgres" else ""))

    # -- reading --------------------------------------------------------------------------

    def organisations(
        self,
        *,
        sector: str | None = None,
        q: str | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE,
    ) -> DirectoryPage[OrganisationEntry]:
        """Organisations by name (then id), optionally of one sector and matching ``q``."""
        where, params = _filters(q, cursor, "org_id")
        if sector is not None:
            where.append("sector = %s")
            params.append(sector)
        rows = self._rows(
            "SELECT org_id, name, sector, municipality, sort_key"
            " FROM {polku_directory_organisations}",
            where,
            params,
            "org_id",
            limit,
        )
        return _page([OrganisationEntry(*row[:4]) for row in rows], rows, limit)

    def professionals(
        self,
        *,
        organisation: str | None = None,
        sector: str | None = None,
        q: str | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE,
    ) -> DirectoryPage[ProfessionalEntry]:
        """Professionals by name (then id), optionally of one organisation and one sector and
        matching ``q``."""
        where, params = _filters(q, cursor, "p.party_id", "p.")
        if organisation is not None:
            where.append("p.organisation = %s")
            params.append(organisation)
        if sector is not None:
            where.append("p.sector = %s")
            params.append(sector)
        rows = self._rows(
            "SELECT p.party_id, p.display_name, p.organisation, o.name, p.sector, p.role,"
            " p.title, p.sort_key FROM {polku_directory_professionals} p"
            " JOIN {polku_directory_organisations} o ON o.org_id = p.organisation",
            where,
            params,
            "p.party_id",
            limit,
            "p.",
        )
        return _page([ProfessionalEntry(*row[:7]) for row in rows], rows, limit)

    def _rows(
        self,
        select: str,
        where: list[str],
        params: list[Any],
        key: str,
        limit: int,
        prefix: str = "",
    ) -> list[tuple[Any, ...]]:
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidQueryError(f"limit must be 1 to {MAX_PAGE}")
        statement = select
        if where:
            statement += " WHERE " + " AND ".join(where)
        statement += f" ORDER BY {prefix}sort_key, {key} LIMIT %s"
        with self._store.transaction(write=False) as tx:
            return tx.rows(statement, [*params, limit + 1])

    def counts(self) -> tuple[int, int]:
        """How many organisations and professionals are listed."""
        with self._store.transaction(write=False) as tx:
            orgs = tx.rows("SELECT COUNT(*) FROM {polku_directory_organisations}")
            pros = tx.rows("SELECT COUNT(*) FROM {polku_directory_professionals}")
        return int(orgs[0][0]), int(pros[0][0])

    def organisation_ids(self) -> set[str]:
        with self._store.transaction(write=False) as tx:
            rows = tx.rows("SELECT org_id FROM {polku_directory_organisations}")
        return {str(row[0]) for row in rows}

    def employers(self) -> dict[str, str]:
        """Each listed professional's organisation id, by party id."""
        with self._store.transaction(write=False) as tx:
            rows = tx.rows("SELECT party_id, organisation FROM {polku_directory_professionals}")
        return {str(party): str(org) for party, org in rows}

    # -- writing --------------------------------------------------------------------------

    def load(
        self,
        organisations: Sequence[Organisation],
        professionals: Sequence[Professional],
        *,
        replace_organisations: bool = False,
        replace_professionals: bool = False,
    ) -> LoadCounts:
        """Upsert the entries by id in one transaction; a list being replaced loses the entries
        not given. Raises :class:`DirectoryConflictError` (writing nothing) if a professional
        would then name an organisation that is not listed."""
        with self._store.transaction() as tx:
            pros = _write(
                tx,
                "polku_directory_professionals",
                _PRO_COLUMNS,
                _PRO_UPSERT,
                [
                    (
                        p.party_id,
                        p.display_name,
                        p.organisation,
                        p.sector,
                        p.role,
                        p.title,
                        folded(p.display_name),
                        _search_key(p.display_name, p.party_id),
                    )
                    for p in professionals
                ],
                replace_professionals,
            )
            orgs = _write(
                tx,
                "polku_directory_organisations",
                _ORG_COLUMNS,
                _ORG_UPSERT,
                [
                    (
                        o.org_id,
                        o.name,
                        o.sector,
                        o.municipality,
                        folded(o.name),
                        _search_key(o.name, o.org_id),
                    )
                    for o in organisations
                ],
                replace_organisations,
            )
            orphans = tx.rows(
                "SELECT p.party_id, p.organisation FROM {polku_directory_professionals} p"
                " LEFT JOIN {polku_directory_organisations} o ON o.org_id = p.organisation"
                " WHERE o.org_id IS NULL ORDER BY p.party_id"
            )
            if orphans:
                raise DirectoryConflictError([(str(a), str(b)) for a, b in orphans])
        return LoadCounts(orgs, pros)


def _write(
    tx: Tx,
    table: str,
    columns: Sequence[str],
    upsert: str,
    rows: list[tuple[Any, ...]],
    replace: bool,
) -> ListCounts:
    """Upsert ``rows`` (the entry's fields first, then its two keys) into ``table``; with
    ``replace``, delete the rows not given. Returns what changed."""
    key = columns[0]
    fields = len(columns) - 2
    held = {
        row[0]: tuple(row[1:])
        for row in tx.rows(f"SELECT {', '.join(columns[:fields])} FROM {{{table}}}")  # noqa: S608
    }
    given = {row[0] for row in rows}
    added = [row for row in rows if row[0] not in held]
    updated = [row for row in rows if row[0] in held and held[row[0]] != tuple(row[1:fields])]
    removed = sorted(set(held) - given) if replace else []
    if removed:
        tx.executemany(f"DELETE FROM {{{table}}} WHERE {key} = %s", [(r,) for r in removed])  # noqa: S608
    if added or updated:
        tx.executemany(upsert, [*added, *updated])
    return ListCounts(
        added=len(added),
        updated=len(updated),
        unchanged=len(rows) - len(added) - len(updated),
        removed=len(removed),
    )


def _filters(
    q: str | None, cursor: str | None, key: str, prefix: str = ""
) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if q is not None:
        where.append(f"{prefix}search_key LIKE %s ESCAPE '\\'")
        escaped = folded(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"%{escaped}%")
    if cursor is not None:
        sort_key, ident = _decode(cursor)
        where.append(f"({prefix}sort_key, {key}) > (%s, %s)")
        params += [sort_key, ident]
    return where, params


def _page(entries: list[T], rows: list[tuple[Any, ...]], limit: int) -> DirectoryPage[T]:
    if len(rows) <= limit:
        return DirectoryPage(tuple(entries), None)
    last = rows[limit - 1]
    return DirectoryPage(tuple(entries[:limit]), _encode(str(last[-1]), str(last[0])))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _encode(sort_key: str, ident: str) -> str:
    text = json.dumps([sort_key, ident], ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        sort_key, ident = json.loads(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise InvalidQueryError("not a cursor this directory gave") from None
    if not (
        isinstance(sort_key, str)
        and isinstance(ident, str)
        and ident
        and not _CONTROL.search(sort_key + ident)
    ):
        raise InvalidQueryError("not a cursor this directory gave")
    return sort_key, ident
