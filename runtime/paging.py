"""Cursors of the pages of one journey's reports: the audit of a journey and the log report.

A cursor says where the next page starts and pins what every page is of (the moments the first
page was worked out at), so the pages of one walk add up to one answer however the record grows
meanwhile. It is sealed (AES-GCM, with a key derived from the keyring for this report only) and
bound to the journey it was given for: a cursor altered, made up, given by another report or
for another journey does not open, and is refused alike (a 422 problem) before anything is read
or written to the access log. The caller learns nothing from a cursor's bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.errors import InvalidQueryError
from runtime.wiring import Components

__all__ = ["MAX_CURSOR", "JourneyCursors", "moment_of"]

MAX_CURSOR = 512
"""The longest cursor accepted (the routes' ``max_length``)."""


class JourneyCursors:
    """Seal and open the cursors of one report (``report`` names it: its own key)."""

    def __init__(self, components: Components, report: str) -> None:
        self._cipher = AESGCM(components.service.journey_id.derive(f"{report} page cursor"))
        self._journey_id = components.service.journey_id
        self._report = report

    def seal(self, client_ref: str, state: dict[str, Any]) -> str:
        """``state`` (JSON-able) sealed for ``client_ref``'s journey (a fresh nonce each time)."""
        nonce = os.urandom(12)
        plain = json.dumps(state, separators=(",", ":")).encode()
        sealed = nonce + self._cipher.encrypt(nonce, plain, self._bound(client_ref))
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def open(self, client_ref: str, cursor: str) -> dict[str, Any]:
        """The state a cursor this report gave for ``client_ref``'s journey holds; any other
        string: :class:`InvalidQueryError`."""
        try:
            if len(cursor) > MAX_CURSOR:
                raise ValueError
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            if len(raw) < 12 + 16:
                raise ValueError
            plain = self._cipher.decrypt(raw[:12], raw[12:], self._bound(client_ref))
            state = json.loads(plain)
            if not isinstance(state, dict):
                raise ValueError
        except (binascii.Error, ValueError, InvalidTag):
            raise InvalidQueryError(f"not a cursor this {self._report} gave") from None
        return state

    def _bound(self, client_ref: str) -> bytes:
        return f"{self._report}|".encode() + self._journey_id(client_ref).bytes


def moment_of(state: dict[str, Any], key: str) -> datetime | None:
    """A moment a cursor's state holds (None where it holds none)."""
    value = state.get(key)
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise InvalidQueryError("not a cursor this report gave")
    return moment
