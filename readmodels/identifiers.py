"""Identifiers in read-model rows, sealed with the client's key.

A read model that must show the client ref, or a party of the client's private network, keeps
the real value only sealed with the client's data key (the same key, and the same vault, as the
personal part of their events), and a pseudonym in the plain columns it filters and sorts by.
Copies of those rows in PostgreSQL's WAL, archives, replicas and backups then hold the real
value only under a key that erasure destroys (and the next KEK rotation makes unrecoverable
everywhere), exactly like the events themselves.

Without a vault (a service that seals nothing, and so cannot erase), values are kept as they
are.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid5

from domain.application import JourneyService
from domain.personal import ERASED

__all__ = ["SealedIdentifiers"]

_BINDING = uuid5(UUID(int=0), "polku read-model identifiers")
"""Stands for the event id in the seal's binding: a sealed value opens only as a read-model
value of its own journey."""


class SealedIdentifiers:
    def __init__(self, service: JourneyService) -> None:
        self._service = service

    @property
    def sealing(self) -> bool:
        return self._service.vault is not None

    def seal(self, journey: UUID, values: dict[str, Any]) -> str | None:
        """``values`` sealed with the journey's key (as stored text); None without a vault or
        when the journey has no key (erased: a read model never makes a key of its own, so
        nothing it writes after an erasure can be opened)."""
        vault = self._service.vault
        if vault is None:
            return None
        sealed = vault.seal(journey, _BINDING, values, create=False)
        return None if sealed is None else json.dumps(sealed, separators=(",", ":"))

    def open(self, journey: UUID, sealed: object) -> dict[str, Any] | None:
        """The values, or None if there are none or the client's key is gone (erased)."""
        vault = self._service.vault
        if vault is None or sealed is None:
            return None
        opened = vault.open(journey, _BINDING, json.loads(str(sealed)))
        if any(value == ERASED for value in opened.values()):
            return None
        return opened
