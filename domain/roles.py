"""The roles a caller can have (standard library only, so the command line can offer them
without importing the rest of Polku)."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["ROLES", "Role"]

Role = Literal["caseworker", "coordinator", "auditor", "planner", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
