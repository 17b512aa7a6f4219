"""``make audit``: pip-audit against an online vulnerability service where one answers.

Before pip-audit runs, each service it can use is asked, with a short timeout, about a release
with published advisories (the canary, Jinja2 2.10). A service counts as answering only if it
names the canary's advisories: a mirror that serves package pages but not release pages answers
404, and pip-audit would take that as "nothing to report" for every package. When no service
answers, this says so and runs the offline audit against the dated snapshot instead
(tools/advisory_audit.py), with the same lock files and allow-list.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from tools import advisory_audit

PROBE_TIMEOUT_SECONDS = 5.0
PIP_AUDIT_TIMEOUT_SECONDS = 15
CANARY = ("jinja2", "2.10")
PYPI_RELEASE_URL = "https://pypi.org/pypi/jinja2/2.10/json"
OSV_QUERY_URL = "https://api.osv.dev/v1/query"


def _fetch_json(request: urllib.request.Request, timeout: float) -> Any:
    # Only the two https URLs above are ever opened.
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return json.load(response)


def probe_pypi(timeout: float = PROBE_TIMEOUT_SECONDS) -> str | None:
    """None if PyPI's release JSON names the canary's advisories, else what went wrong."""
    try:
        body = _fetch_json(urllib.request.Request(PYPI_RELEASE_URL), timeout)
    except (urllib.error.URLError, OSError, ValueError) as error:
        return f"PyPI ({PYPI_RELEASE_URL}): {error}"
    if not isinstance(body, dict) or not body.get("vulnerabilities"):
        return f"PyPI ({PYPI_RELEASE_URL}): answers, but names no advisory for {' '.join(CANARY)}"
    return None


def probe_osv(timeout: float = PROBE_TIMEOUT_SECONDS) -> str | None:
    """None if OSV's query API names the canary's advisories, else what went wrong."""
    query = {"package": {"name": CANARY[0], "ecosystem": "PyPI"}, "version": CANARY[1]}
    request = urllib.request.Request(
        OSV_QUERY_URL,
        data=json.dumps(query).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        body = _fetch_json(request, timeout)
    except (urllib.error.URLError, OSError, ValueError) as error:
        return f"OSV ({OSV_QUERY_URL}): {error}"
    if not isinstance(body, dict) or not body.get("vulns"):
        return f"OSV ({OSV_QUERY_URL}): answers, but names no advisory for {' '.join(CANARY)}"
    return None


PROBES: dict[str, Callable[[], str | None]] = {"pypi": probe_pypi, "osv": probe_osv}


def pip_audit_command(service: str, ignored: Sequence[str]) -> list[str]:
    """pip-audit over the dev lock (which holds every runtime, dev and bootstrap pin)."""
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--strict",  # a package that cannot be audited fails the run instead of passing
        "--progress-spinner",
        "off",
        "--vulnerability-service",
        service,
        "--timeout",
        str(PIP_AUDIT_TIMEOUT_SECONDS),
        "--require-hashes",
        "--disable-pip",  # the lock is pinned and hashed: nothing needs resolving
        "-r",
        str(advisory_audit.REPO_ROOT / "requirements" / "dev.txt"),
    ]
    for advisory_id in ignored:
        command += ["--ignore-vuln", advisory_id]
    return command


def main(argv: Sequence[str] | None = None) -> int:
    problems = []
    for service, probe in PROBES.items():
        problem = probe()
        if problem is None:
            try:
                allowances = advisory_audit.read_allowlist(advisory_audit.DEFAULT_ALLOWLIST)
            except advisory_audit.AuditError as error:
                print(f"audit: cannot run: {error}")
                return advisory_audit.EXIT_ERROR
            print(f"audit: the {service} vulnerability service answers; running pip-audit online")
            for allowance in allowances:
                print(f"audit: ignoring {allowance.id} (allow-list: {allowance.reason})")
            command = pip_audit_command(service, [a.id for a in allowances])
            sys.stdout.flush()
            return subprocess.run(command, check=False).returncode  # noqa: S603 -- fixed argv
        problems.append(problem)
    print("audit: no online vulnerability service answers here, so pip-audit was not run:")
    for problem in problems:
        print(f"audit:   {problem}")
    print("audit: running the offline audit against the dated advisory snapshot instead.")
    print()
    return advisory_audit.main(argv)


if __name__ == "__main__":
    sys.exit(main())
