"""The secrets that never enter the database: key-encryption keys (KEKs) and the pseudonym secret.

Every client's data key is stored in the database only *wrapped* (AES-GCM) under a KEK that lives
here, outside it. Rotating the KEK re-wraps every live client key under a new one and destroys
the old: a copy of an erased client's wrapped key that survives in a WAL segment, an archive, a
replica or a backup can then no longer be unwrapped by anyone. The pseudonym secret keys the
HMAC that turns a client ref into a journey id (and other pseudonyms), so the ids cannot be
reversed by hashing guessed refs.

Two keyrings:

- :class:`FileKeyring` — a JSON file (mode 0600) replaced atomically on every change; it can
  rotate. Keep it off the database's volumes and out of the database's backups, or the backups
  carry the old KEK with them.
- :class:`StaticKeyring` — one KEK and the pseudonym secret given directly (``POLKU_KEK`` and
  ``POLKU_PSEUDONYM_SECRET``, e.g. from a secrets manager); it cannot rotate by itself: give the
  new KEK as ``POLKU_KEK`` and the one being retired as ``POLKU_KEK_PREVIOUS`` for the rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

__all__ = ["FileKeyring", "Keyring", "KeyringError", "StaticKeyring"]


class KeyringError(Exception):
    """The keyring cannot be read, or cannot do what was asked."""


class Keyring(Protocol):
    def current(self) -> tuple[str, bytes]:
        """The id and bytes of the KEK new wrappings use."""
        ...

    def kek(self, kek_id: str) -> bytes | None:
        """The KEK with this id, or ``None`` if it was destroyed (or never here)."""
        ...

    def pseudonym_secret(self) -> bytes:
        """The secret keying pseudonyms (journey ids and the like)."""
        ...

    def begin_rotation(self) -> tuple[str, bytes]:
        """Make a new KEK current (the old ones stay until :meth:`retire`); its id and bytes."""
        ...

    def retire(self, keep: str) -> list[str]:
        """Destroy every KEK but ``keep``; the ids destroyed."""
        ...


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _key(text: str, what: str) -> bytes:
    try:
        value = base64.b64decode(text, validate=True)
    except ValueError:
        raise KeyringError(f"{what} is not base64") from None
    if len(value) != 32:
        raise KeyringError(f"{what} must decode to 32 bytes")
    return value


@dataclass
class _Contents:
    current: str
    keks: dict[str, str]
    pseudonym_secret: str

    def as_json(self) -> dict[str, object]:
        return {
            "format": 1,
            "current": self.current,
            "keks": self.keks,
            "pseudonym_secret": self.pseudonym_secret,
        }


class FileKeyring:
    """KEKs and the pseudonym secret in a JSON file, created (with fresh keys) on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._contents = self._load_or_create()

    def current(self) -> tuple[str, bytes]:
        kek_id = self._contents.current
        return kek_id, self._kek_bytes(kek_id)

    def kek(self, kek_id: str) -> bytes | None:
        return self._kek_bytes(kek_id) if kek_id in self._contents.keks else None

    def pseudonym_secret(self) -> bytes:
        return _key(self._contents.pseudonym_secret, f"the pseudonym secret in {self.path}")

    def begin_rotation(self) -> tuple[str, bytes]:
        with self._lock:
            kek_id = f"kek-{secrets.token_hex(6)}"
            key = secrets.token_bytes(32)
            old = self._contents
            contents = _Contents(kek_id, {**old.keks, kek_id: _b64(key)}, old.pseudonym_secret)
            self._write(contents)
            self._contents = contents
        return kek_id, key

    def retire(self, keep: str) -> list[str]:
        with self._lock:
            old = self._contents
            if keep not in old.keks:
                raise KeyringError(f"no KEK {keep} in {self.path}")
            gone = [k for k in old.keks if k != keep]
            contents = _Contents(keep, {keep: old.keks[keep]}, old.pseudonym_secret)
            self._write(contents)
            self._contents = contents
        return gone

    def _kek_bytes(self, kek_id: str) -> bytes:
        return _key(self._contents.keks[kek_id], f"KEK {kek_id} in {self.path}")

    def _load_or_create(self) -> _Contents:
        with self._lock:
            try:
                raw = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                kek_id = f"kek-{secrets.token_hex(6)}"
                contents = _Contents(
                    kek_id,
                    {kek_id: _b64(secrets.token_bytes(32))},
                    _b64(secrets.token_bytes(32)),
                )
                self._write(contents)
                return contents
            except OSError as error:
                raise KeyringError(f"cannot read the keyring {self.path}: {error}") from None
        try:
            data = json.loads(raw)
            contents = _Contents(
                str(data["current"]),
                {str(k): str(v) for k, v in data["keks"].items()},
                str(data["pseudonym_secret"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise KeyringError(f"the keyring {self.path} is not in the expected form") from None
        if contents.current not in contents.keks:
            raise KeyringError(f"the keyring {self.path} names a current KEK it does not hold")
        return contents

    def _write(self, contents: _Contents) -> None:
        """Replace the file atomically (write, fsync, rename, fsync the folder), mode 0600."""
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(prefix=".keyring-", dir=folder)
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(contents.as_json(), out, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


class StaticKeyring:
    """A KEK (and optionally the one being retired) and the pseudonym secret, given directly."""

    def __init__(self, kek: str, pseudonym_secret: str, previous: str | None = None) -> None:
        self._current = ("kek-" + _fingerprint(_key(kek, "POLKU_KEK")), _key(kek, "POLKU_KEK"))
        self._previous: tuple[str, bytes] | None = None
        if previous:
            old = _key(previous, "POLKU_KEK_PREVIOUS")
            self._previous = ("kek-" + _fingerprint(old), old)
        self._secret = _key(pseudonym_secret, "POLKU_PSEUDONYM_SECRET")

    def current(self) -> tuple[str, bytes]:
        return self._current

    def kek(self, kek_id: str) -> bytes | None:
        known = [self._current] + ([self._previous] if self._previous is not None else [])
        return next((key for known_id, key in known if known_id == kek_id), None)

    def pseudonym_secret(self) -> bytes:
        return self._secret

    def begin_rotation(self) -> tuple[str, bytes]:
        if self._previous is None:
            raise KeyringError(
                "to rotate a KEK given in POLKU_KEK, set the new one as POLKU_KEK and the old one"
                " as POLKU_KEK_PREVIOUS (or use a keyring file, POLKU_KEYRING)"
            )
        return self._current

    def retire(self, keep: str) -> list[str]:
        gone = [self._previous[0]] if self._previous is not None else []
        self._previous = None
        return gone


def _fingerprint(key: bytes) -> str:
    """A short public name for a key (not the key: a keyed hash of a constant)."""
    return hmac.new(key, b"polku kek id", hashlib.sha256).hexdigest()[:12]
