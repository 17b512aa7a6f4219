"""The roles a caller can have (standard library only, so the command line can offer them
without importing the rest of Polku)."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["ROLES", "Role"]

Role = Literal["caseworker", "coordinator", "auditor", "planner", "admin", "client", "guardian"]
"""``client``: a token bound to the client ref (its party id is the ref), reading and acting on
that journey only; ``guardian``: a party named in a registration's ``guardians``, on those
journeys only (docs/client-page.md)."""
ROLES: tuple[str, ...] = get_args(Role)
