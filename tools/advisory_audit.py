"""Offline dependency audit: locked and installed packages against a dated advisory snapshot.

The machines that build and test Polku reach no online vulnerability service, so this compares
package versions with a snapshot of the Python Packaging Authority's advisory database (OSV
records written as YAML), read straight from its ``.tar.gz`` in ``../shared/advisories/``
beside the repository (or ``$POLKU_ADVISORIES``, or ``--snapshot``). docs/dependencies.md has
the whole story; in short:

- Packages: every pin in the lock files (``requirements/*.txt``) and, unless ``--no-installed``,
  every distribution installed for the interpreter that runs the audit (the project's ``.venv``
  under ``make audit-offline``), which covers pip, setuptools and wheel as they really are.
- Advisories: every record in the snapshot but the withdrawn ones. Package names are compared
  after PEP 503 normalisation.
- Affected: ``ECOSYSTEM`` ranges are evaluated as the OSV schema prescribes (events sorted by
  version; ``introduced`` opens a range, ``fixed`` closes it before that version,
  ``last_affected`` after it), versions parsed and compared by ``packaging.version``; a version
  in the record's ``versions`` list is affected too. ``GIT`` ranges name commits, against which a
  version number cannot be placed: they are not evaluated. A record whose only evidence is GIT
  ranges (or unparseable versions) is reported as *not judged* and does not fail the audit.
- Matches fail the audit unless the allow-list (``audit-allowlist.toml``) names the advisory,
  by id or alias, with a reason.

The report begins with the snapshot's date: advisories published after it are not known here.

Exit status: 0 no match outside the allow-list; 1 a match outside it, or lock files that pin one
package at different versions; 2 the audit could not run (no snapshot, a malformed record, an
unpinned lock entry, an invalid allow-list).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
import sys
import tarfile
import textwrap
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

REPO_ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT_ENV = "POLKU_ADVISORIES"
DEFAULT_SNAPSHOT_DIR = REPO_ROOT.parent / "shared" / "advisories"
DEFAULT_LOCKS = tuple(
    REPO_ROOT / "requirements" / name for name in ("bootstrap.txt", "runtime.txt", "dev.txt")
)
DEFAULT_ALLOWLIST = REPO_ROOT / "audit-allowlist.toml"
PROJECT = canonicalize_name("polku")  # installed from the work tree, not from a lock

EXIT_PASS = 0
EXIT_MATCH = 1
EXIT_ERROR = 2


class AuditError(Exception):
    """The audit cannot run: no snapshot, a malformed record, an unpinned lock, a bad allow-list."""


# --- reading the snapshot -------------------------------------------------------------------

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml: the same loader, slower
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _TextScalarLoader(_SafeLoader):
    """A safe loader that keeps every plain scalar as text.

    With YAML's default resolvers an unquoted ``fixed: 1.10`` would arrive as the float 1.1 and
    ``2`` as an int; the database quotes its versions today, and this makes sure it need not.
    """


_TextScalarLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Range:
    """One OSV range: ``kind`` is ECOSYSTEM, GIT or SEMVER; events in the record's order."""

    kind: str
    events: tuple[tuple[str, str], ...]

    def describe(self) -> str:
        return ", ".join(f"{event} {value}" for event, value in self.events)


@dataclass(frozen=True)
class Advisory:
    """One ``affected`` entry of one OSV record: the record's id with one package's evidence."""

    id: str
    aliases: tuple[str, ...]
    summary: str
    package: NormalizedName
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)


@dataclass
class Snapshot:
    archive: Path
    date: str | None
    commit: str | None
    newest_modified: str
    records: int
    withdrawn: int
    by_package: dict[NormalizedName, list[Advisory]]
    known_ids: set[str]


_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_README_DATE = re.compile(r"dated\s+(\d{4}-\d{2}-\d{2})")
_README_COMMIT = re.compile(r"commit\s+([0-9a-f]{7,40})\b")


def find_snapshot(location: Path) -> Path:
    """The archive itself, or the newest dated ``*.tar.gz`` in a folder."""
    if location.is_file():
        return location
    if not location.is_dir():
        raise AuditError(
            f"no advisory snapshot at {location} (point --snapshot or ${SNAPSHOT_ENV} to it)"
        )
    candidates = sorted(location.glob("*.tar.gz"), key=lambda p: (_date_in(p.name) or "", p.name))
    if not candidates:
        raise AuditError(f"no advisory snapshot (*.tar.gz) in {location}")
    return candidates[-1]


def _date_in(text: str) -> str | None:
    found = _DATE.search(text)
    return found.group(1) if found else None


def load_snapshot(location: Path) -> Snapshot:
    archive = find_snapshot(location)
    date, commit = _date_in(archive.name), None
    readme = archive.parent / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        if archive.name in text:
            if (found := _README_COMMIT.search(text)) is not None:
                commit = found.group(1)
            if date is None and (found := _README_DATE.search(text)) is not None:
                date = found.group(1)

    by_package: dict[NormalizedName, list[Advisory]] = defaultdict(list)
    known_ids: set[str] = set()
    records = withdrawn = 0
    newest_modified = ""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if not member.isfile() or not member.name.endswith((".yaml", ".yml")):
                    continue
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                record = yaml.load(handle.read().decode("utf-8"), Loader=_TextScalarLoader)  # noqa: S506 -- a safe loader
                if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                    raise AuditError(f"{archive.name}:{member.name}: not an OSV record")
                records += 1
                newest_modified = max(newest_modified, str(record.get("modified", "")))
                if record.get("withdrawn"):
                    withdrawn += 1
                    continue
                for advisory in _advisories(record, where=f"{archive.name}:{member.name}"):
                    by_package[advisory.package].append(advisory)
                    known_ids.update(advisory.names)
    except (tarfile.TarError, OSError, EOFError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise AuditError(f"cannot read the snapshot {archive}: {error}") from error
    if records == 0:
        raise AuditError(f"{archive} holds no advisory records")
    return Snapshot(
        archive=archive,
        date=date,
        commit=commit,
        newest_modified=newest_modified,
        records=records,
        withdrawn=withdrawn,
        by_package=dict(by_package),
        known_ids=known_ids,
    )


def _advisories(record: dict[str, Any], *, where: str) -> Iterator[Advisory]:
    affected = record.get("affected")
    if not isinstance(affected, list):
        raise AuditError(f"{where}: no 'affected' list")
    aliases = tuple(str(alias) for alias in record.get("aliases") or ())
    summary = str(record.get("summary") or record.get("details") or "").strip()
    for entry in affected:
        package = entry.get("package") if isinstance(entry, dict) else None
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            raise AuditError(f"{where}: an 'affected' entry without a package name")
        if package.get("ecosystem", "PyPI") != "PyPI":
            continue
        ranges = tuple(
            Range(
                kind=str(r.get("type", "")),
                events=tuple(
                    (str(kind), str(value))
                    for event in r.get("events") or ()
                    for kind, value in event.items()
                ),
            )
            for r in entry.get("ranges") or ()
        )
        yield Advisory(
            id=record["id"],
            aliases=aliases,
            summary=summary,
            package=canonicalize_name(package["name"]),
            ranges=ranges,
            versions=tuple(str(v) for v in entry.get("versions") or ()),
        )


# --- is a version affected? -----------------------------------------------------------------

_EVENT_RANK = {"introduced": 0, "fixed": 1, "last_affected": 1, "limit": 1}


def in_ecosystem_range(events: Sequence[tuple[str, str]], version: Version) -> bool:
    """OSV's evaluation of one ECOSYSTEM range; raises ValueError for an event it cannot place."""
    placed: list[tuple[Version, int, str, str]] = []
    for kind, value in events:
        if kind not in _EVENT_RANK:
            raise ValueError(f"unknown event {kind!r}")
        bound = Version("0") if kind == "introduced" and value == "0" else Version(value)
        placed.append((bound, _EVENT_RANK[kind], kind, value))
    affected = False
    for bound, _, kind, value in sorted(placed, key=lambda p: (p[0], p[1])):
        if kind == "introduced":
            if value == "0" or version >= bound:
                affected = True
        elif kind == "fixed" or kind == "limit":
            if version >= bound:
                affected = False
        elif version > bound:  # last_affected
            affected = False
    return affected


@dataclass(frozen=True)
class Judgement:
    """``affected`` is None when nothing in the record could be evaluated for this version."""

    affected: bool | None
    how: str = ""


def judge(advisory: Advisory, version: str) -> Judgement:
    try:
        parsed = Version(version)
    except InvalidVersion:
        return _judge_by_list_only(advisory, version)
    evaluated: list[str] = []
    not_evaluated: list[str] = []
    for rng in advisory.ranges:
        if rng.kind != "ECOSYSTEM":
            not_evaluated.append(f"{rng.kind} range")
            continue
        try:
            inside = in_ecosystem_range(rng.events, parsed)
        except (InvalidVersion, ValueError) as error:
            not_evaluated.append(f"ECOSYSTEM range [{rng.describe()}] ({error})")
            continue
        evaluated.append(rng.describe())
        if inside:
            fixes = _fixes_after(rng, parsed)
            fixed = f"; fixed in {', '.join(fixes)}" if fixes else "; no fixed version named"
            return Judgement(True, f"in the range [{rng.describe()}]{fixed}")
    for listed in advisory.versions:
        if _same_version(listed, version, parsed):
            return Judgement(True, f"{listed} is in the record's list of affected versions")
    if evaluated or advisory.versions:
        return Judgement(False)
    return Judgement(None, "; ".join(not_evaluated) or "no ranges and no version list")


def _judge_by_list_only(advisory: Advisory, version: str) -> Judgement:
    if version in advisory.versions:
        return Judgement(True, f"{version} is in the record's list of affected versions")
    return Judgement(None, f"{version!r} is not a PEP 440 version, so no range can place it")


def _same_version(listed: str, version: str, parsed: Version) -> bool:
    try:
        return Version(listed) == parsed
    except InvalidVersion:
        return listed == version


def _fixes_after(rng: Range, version: Version) -> list[str]:
    fixes = []
    for kind, value in rng.events:
        try:
            if kind == "fixed" and Version(value) > version:
                fixes.append(value)
        except InvalidVersion:
            continue
    return fixes


# --- what is checked: lock files and the environment ---------------------------------------


@dataclass(frozen=True)
class Pin:
    name: NormalizedName
    version: str
    source: str


_COMMENT = re.compile(r"(^|\s)#.*$")


def read_lock(path: Path) -> list[Pin]:
    """Pins of a hashed requirements file (``name==version`` with ``--hash`` options)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise AuditError(f"cannot read the lock file {path}: {error}") from error
    source = _shown(path)
    pins = []
    for lineno, line in _logical_lines(text):
        if line.startswith("-"):
            raise AuditError(f"{source}:{lineno}: unexpected option in a lock file: {line}")
        requirement = re.split(r"\s+--", line, maxsplit=1)[0].strip()
        try:
            parsed = Requirement(requirement)
        except InvalidRequirement as error:
            raise AuditError(f"{source}:{lineno}: {error}") from error
        specifiers = list(parsed.specifier)
        if (
            parsed.url
            or len(specifiers) != 1
            or specifiers[0].operator not in {"==", "==="}
            or specifiers[0].version.endswith("*")
        ):
            raise AuditError(f"{source}:{lineno}: {requirement!r} is not pinned to one version")
        pins.append(Pin(canonicalize_name(parsed.name), specifiers[0].version, source))
    return pins


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    pending: list[str] = []
    start = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = _COMMENT.sub("", raw).rstrip()
        if not pending:
            start = lineno
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        joined = " ".join(part.strip() for part in pending).strip()
        pending = []
        if joined:
            yield start, joined
    if pending and (joined := " ".join(part.strip() for part in pending).strip()):
        yield start, joined


def installed_pins() -> list[Pin]:
    """Every distribution the running interpreter can import, first on sys.path winning."""
    source = f"installed in {sys.prefix}"
    found: dict[NormalizedName, Pin] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(
                canonicalize_name(name), Pin(canonicalize_name(name), dist.version, source)
            )
    return sorted(found.values(), key=lambda pin: pin.name)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


# --- the allow-list -------------------------------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    id: str
    reason: str
    package: NormalizedName | None = None

    def covers(self, advisory: Advisory) -> bool:
        return self.id in advisory.names and self.package in {None, advisory.package}


_ALLOWANCE_KEYS = {"id", "package", "reason"}


def read_allowlist(path: Path, *, required: bool = False) -> list[Allowance]:
    """``[[allow]]`` tables with ``id`` and a non-empty ``reason`` (``package`` optional)."""
    if not path.exists() and not required:
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise AuditError(f"cannot read the allow-list {path}: {error}") from error
    if set(data) - {"allow"}:
        raise AuditError(f"{path}: unknown keys {sorted(set(data) - {'allow'})}; use [[allow]]")
    entries = data.get("allow", [])
    if not isinstance(entries, list):
        raise AuditError(f"{path}: 'allow' must be an array of tables ([[allow]])")
    allowances: list[Allowance] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: [[allow]] entry {number}"
        if not isinstance(entry, dict):
            raise AuditError(f"{where} is not a table")
        if set(entry) - _ALLOWANCE_KEYS:
            raise AuditError(f"{where}: unknown keys {sorted(set(entry) - _ALLOWANCE_KEYS)}")
        advisory_id, reason, package = entry.get("id"), entry.get("reason"), entry.get("package")
        if not isinstance(advisory_id, str) or not advisory_id.strip():
            raise AuditError(f"{where}: 'id' (the advisory id or an alias) is required")
        if not isinstance(reason, str) or not reason.strip():
            raise AuditError(f"{where} ({advisory_id}): a non-empty 'reason' is required")
        if package is not None and (not isinstance(package, str) or not package.strip()):
            raise AuditError(f"{where} ({advisory_id}): 'package' must be a package name")
        allowance = Allowance(
            id=advisory_id.strip(),
            reason=" ".join(reason.split()),
            package=canonicalize_name(package) if package else None,
        )
        if any((a.id, a.package) == (allowance.id, allowance.package) for a in allowances):
            raise AuditError(f"{where}: {allowance.id} is listed twice")
        allowances.append(allowance)
    return allowances


# --- the audit ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    package: NormalizedName
    version: str
    sources: tuple[str, ...]
    advisory: Advisory
    how: str


@dataclass
class AuditResult:
    snapshot: Snapshot
    sources: dict[str, int]
    checked: dict[tuple[NormalizedName, str], list[str]]
    findings: list[Finding] = field(default_factory=list)
    allowed: list[tuple[Finding, Allowance]] = field(default_factory=list)
    not_judged: list[Finding] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unused_allowances: list[Allowance] = field(default_factory=list)
    unknown_allowances: list[Allowance] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings and not self.disagreements

    @property
    def advisories_considered(self) -> int:
        names = {name for name, _ in self.checked}
        return sum(len(self.snapshot.by_package.get(name, ())) for name in names)


def audit(
    snapshot: Snapshot,
    lock_pins: Iterable[Pin],
    allowances: Sequence[Allowance],
    installed: Iterable[Pin] = (),
) -> AuditResult:
    lock_pins, installed = list(lock_pins), list(installed)
    sources: dict[str, int] = defaultdict(int)
    checked: dict[tuple[NormalizedName, str], list[str]] = defaultdict(list)
    for pin in (*lock_pins, *installed):
        sources[pin.source] += 1
        if pin.source not in checked[(pin.name, pin.version)]:
            checked[(pin.name, pin.version)].append(pin.source)
    result = AuditResult(snapshot=snapshot, sources=dict(sources), checked=dict(checked))
    result.disagreements = _disagreements(lock_pins)
    result.notes = _environment_notes(lock_pins, installed)

    used: set[Allowance] = set()
    for (name, version), where in sorted(result.checked.items()):
        for advisory in snapshot.by_package.get(name, ()):
            verdict = judge(advisory, version)
            if verdict.affected is False:
                continue
            finding = Finding(name, version, tuple(where), advisory, verdict.how)
            if verdict.affected is None:
                result.not_judged.append(finding)
                continue
            allowance = next((a for a in allowances if a.covers(advisory)), None)
            if allowance is None:
                result.findings.append(finding)
            else:
                used.add(allowance)
                result.allowed.append((finding, allowance))
    result.unknown_allowances = [a for a in allowances if a.id not in snapshot.known_ids]
    result.unused_allowances = [
        a for a in allowances if a not in used and a not in result.unknown_allowances
    ]
    return result


def _disagreements(lock_pins: Sequence[Pin]) -> list[str]:
    versions: dict[NormalizedName, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for pin in lock_pins:
        versions[pin.name][pin.version].append(pin.source)
    return [
        f"{name}: " + "; ".join(f"{v} in {', '.join(s)}" for v, s in sorted(by_version.items()))
        for name, by_version in sorted(versions.items())
        if len(by_version) > 1
    ]


def _environment_notes(lock_pins: Sequence[Pin], installed: Sequence[Pin]) -> list[str]:
    if not installed or not lock_pins:
        return []
    locked: dict[NormalizedName, set[str]] = defaultdict(set)
    for pin in lock_pins:
        locked[pin.name].add(pin.version)
    notes = []
    for pin in installed:
        if pin.name == PROJECT:
            continue
        if pin.name not in locked:
            notes.append(f"{pin.name} {pin.version} is installed but in no lock file")
        elif pin.version not in locked[pin.name]:
            pinned = ", ".join(sorted(locked[pin.name]))
            notes.append(f"{pin.name} {pin.version} is installed; the lock pins {pinned}")
    return notes


# --- the report -----------------------------------------------------------------------------


def render(result: AuditResult, out: TextIO) -> None:
    snap = result.snapshot
    date = snap.date or "undated"

    def say(line: str = "") -> None:
        print(line, file=out)

    say("Offline advisory audit (tools/advisory_audit.py)")
    say(f"Snapshot: {snap.archive}")
    commit = f", commit {snap.commit}" if snap.commit else ""
    say(f"  PyPA advisory database dated {date}{commit}")
    say(f"  newest record modified {snap.newest_modified}")
    say(f"  Advisories published after {date} are not in it: this audit cannot know of them.")
    say(f"  {snap.records} records read; {snap.withdrawn} withdrawn, skipped.")
    say(f"Checked: {len(result.checked)} distinct package versions")
    for source, count in result.sources.items():
        say(f"  {source}: {count}")
    with_records = {name for name, _ in result.checked if name in snap.by_package}
    say(
        f"  {len(with_records)} of these packages have records in the snapshot "
        f"({result.advisories_considered} evaluated against their versions)."
    )
    say()
    if result.findings:
        say(f"MATCHES outside the allow-list: {len(result.findings)}")
        for finding in result.findings:
            _say_finding(say, "MATCH", finding)
    else:
        say("Matches outside the allow-list: none.")
    if result.allowed:
        say(f"Allowed by the allow-list: {len(result.allowed)}")
        for finding, allowance in result.allowed:
            _say_finding(say, "ALLOWED", finding)
            say(f"           reason: {allowance.reason}")
    else:
        say("Allowed by the allow-list: none.")
    if result.not_judged:
        say(f"Not judged (nothing a version number can be placed in): {len(result.not_judged)}")
        for finding in result.not_judged:
            _say_finding(say, "NOT JUDGED", finding)
    for allowance in result.unknown_allowances:
        say(f"Allow-list entry {allowance.id}: no such advisory in this snapshot (a typo?).")
    for allowance in result.unused_allowances:
        say(f"Allow-list entry {allowance.id}: matches nothing checked now; remove it?")
    if result.disagreements:
        say("Lock files that pin one package at different versions:")
        for line in result.disagreements:
            say(f"  {line}")
    if result.notes:
        say("Environment and lock differ (the installed versions were audited as well):")
        for note in result.notes:
            say(f"  {note}")
    say()
    if result.passed:
        say(
            f"PASSED: no locked or installed version matches an advisory of the {date} snapshot "
            "outside the allow-list."
        )
    else:
        problems = []
        if result.findings:
            problems.append(f"{len(result.findings)} match(es) outside the allow-list")
        if result.disagreements:
            problems.append("lock files disagree")
        say(f"FAILED: {'; '.join(problems)} (snapshot dated {date}).")


def _say_finding(say: Callable[[str], None], label: str, finding: Finding) -> None:
    advisory = finding.advisory
    aliases = f" ({', '.join(advisory.aliases)})" if advisory.aliases else ""
    say(f"  {label:<9} {finding.package} {finding.version}: {advisory.id}{aliases}")
    say(f"           {finding.how}")
    say(f"           checked in: {', '.join(finding.sources)}")
    if advisory.summary:
        say(textwrap.shorten(advisory.summary, width=96, placeholder=" …", initial_indent=" " * 11))


# --- command line ---------------------------------------------------------------------------


def default_snapshot_location() -> Path:
    configured = os.environ.get(SNAPSHOT_ENV)
    return Path(configured) if configured else DEFAULT_SNAPSHOT_DIR


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.advisory_audit",
        description="Audit locked and installed packages against a dated advisory snapshot.",
    )
    parser.add_argument(
        "--snapshot",
        type=Path,
        default=None,
        help=f"the .tar.gz, or a folder holding it (default: ${SNAPSHOT_ENV}, "
        "else ../shared/advisories beside the repository)",
    )
    parser.add_argument(
        "--lock",
        type=Path,
        action="append",
        default=None,
        help="a hashed requirements file; repeatable (default: requirements/"
        "{bootstrap,runtime,dev}.txt)",
    )
    parser.add_argument(
        "--allowlist",
        type=Path,
        default=None,
        help="the allow-list (default: audit-allowlist.toml, empty if absent)",
    )
    parser.add_argument(
        "--no-installed",
        action="store_true",
        help="check only the lock files, not the running interpreter's installed packages",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = parse_args(argv)
    try:
        snapshot = load_snapshot(args.snapshot or default_snapshot_location())
        locks = args.lock or list(DEFAULT_LOCKS)
        lock_pins = [pin for path in locks for pin in read_lock(path)]
        allowances = read_allowlist(
            args.allowlist or DEFAULT_ALLOWLIST, required=args.allowlist is not None
        )
    except AuditError as error:
        print(f"advisory audit: cannot run: {error}", file=out)
        return EXIT_ERROR
    installed = [] if args.no_installed else installed_pins()
    result = audit(snapshot, lock_pins, allowances, installed)
    render(result, out)
    return EXIT_PASS if result.passed else EXIT_MATCH


if __name__ == "__main__":
    sys.exit(main())
