#!/usr/bin/env python3
"""Keep a school's local list of its pupils' teams current from Polku's change feed.

A worked example for docs/feed.md: the standard library only, so a school's student system can
copy it. It follows ``GET /v1/feed`` with the school's token (long polling), keeps every team
event it is given per pupil, and works out each pupil's team *now* from them: in valid-time
order (``occurred_at``), so a late entry lands where it happened, and without the events a
retraction took out. A pupil whose journey the school no longer reads (``access: "ended"``) is
dropped, with everything kept about them.

The list and the feed position are saved together in one file, replaced atomically after each
page, so a consumer that stops anywhere resumes from the last page it saved; an item given
twice (the page after the last save) is recognised by its ``event_id`` and applied once.

    POLKU_TOKEN=polku_… python examples/school_teams.py --url http://127.0.0.1:8000 \\
        --state school-teams.json            # follows until interrupted
    ... --once                               # reads up to the head, saves, prints, stops
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Fetch = Callable[[dict[str, str]], dict[str, Any]]
"""Asks the feed with these query parameters; answers the page (JSON)."""

TEAM_KINDS = {"team_member_added", "team_member_role_changed", "team_member_removed"}


class SchoolList:
    """The pupils the school follows, each with the team events it was given."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        state = state or {}
        self.cursor: str | None = state.get("cursor")
        self.pupils: dict[str, dict[str, Any]] = state.get("pupils", {})
        """client_ref -> {"events": {event_id: event}, "retracted": [event_id, ...]}"""

    def apply(self, item: dict[str, Any]) -> None:
        ref = item["client_ref"]
        if item["access"] == "ended":
            self.pupils.pop(ref, None)  # the school no longer reads this journey: forget it
            return
        pupil = self.pupils.setdefault(ref, {"events": {}, "retracted": []})
        if item["kind"] == "event_retracted":
            if item["retracts"] not in pupil["retracted"]:
                pupil["retracted"].append(item["retracts"])
        elif item["kind"] in TEAM_KINDS:
            pupil["events"][item["event_id"]] = {
                "kind": item["kind"],
                "occurred_at": item["occurred_at"],
                "version": item["version"],
                "facts": item["facts"],
            }

    def team(self, ref: str, now: datetime | None = None) -> dict[str, dict[str, str]]:
        """The pupil's team at ``now`` (valid time; default the present), by party."""
        now = now or datetime.now(UTC)
        pupil = self.pupils[ref]
        events = [
            e
            for event_id, e in pupil["events"].items()
            if event_id not in pupil["retracted"]
            and datetime.fromisoformat(e["occurred_at"]) <= now
        ]
        events.sort(key=lambda e: (datetime.fromisoformat(e["occurred_at"]), e["version"]))
        team: dict[str, dict[str, str]] = {}
        for e in events:
            facts = e["facts"]
            if e["kind"] == "team_member_added":
                team[facts["party_id"]] = {
                    k: facts[k] for k in ("role", "organisation", "sector", "member_type")
                }
            elif e["kind"] == "team_member_role_changed" and facts["party_id"] in team:
                team[facts["party_id"]]["role"] = facts["role"]
            elif e["kind"] == "team_member_removed":
                team.pop(facts["party_id"], None)
        return team

    def teams(self) -> dict[str, dict[str, dict[str, str]]]:
        return {ref: self.team(ref) for ref in sorted(self.pupils)}

    def state(self) -> dict[str, Any]:
        return {"cursor": self.cursor, "pupils": self.pupils}


def load(path: Path) -> SchoolList:
    return SchoolList(json.loads(path.read_text()) if path.exists() else None)


def save(school: SchoolList, path: Path) -> None:
    """Replace the state file atomically: the list and the position always go together."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        json.dump(school.state(), tmp)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)


def follow(fetch: Fetch, path: Path, *, wait: float = 25, once: bool = False) -> SchoolList:
    """Read the feed from the saved position, a page at a time, saving after each page; with
    ``once``, stop when a page says it reached the head (``caught_up``)."""
    school = load(path)
    while True:
        params = {"limit": "200", "wait": "0" if once else str(wait)}
        if school.cursor:
            params["after"] = school.cursor
        page = fetch(params)
        for item in page["items"]:
            school.apply(item)
        school.cursor = page["next"]
        save(school, path)
        if once and page["caught_up"]:
            return school


def http_fetch(base_url: str, token: str, timeout: float = 60) -> Fetch:
    def fetch(params: dict[str, str]) -> dict[str, Any]:
        url = f"{base_url.rstrip('/')}/v1/feed?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(  # noqa: S310 (the operator's own Polku URL)
            url, headers={"Authorization": f"Bearer {token}", "X-Purpose": "pupil teams"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            page: dict[str, Any] = json.load(response)
            return page

    return fetch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="Polku's base URL")
    parser.add_argument("--state", type=Path, default=Path("school-teams.json"))
    parser.add_argument("--once", action="store_true", help="read up to the head and stop")
    args = parser.parse_args(argv)
    token = os.environ.get("POLKU_TOKEN")
    if not token:
        print("set POLKU_TOKEN to the school's token", file=sys.stderr)
        return 2
    try:
        school = follow(http_fetch(args.url, token), args.state, once=args.once)
    except KeyboardInterrupt:
        return 0
    print(json.dumps(school.teams(), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
