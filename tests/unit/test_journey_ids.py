"""Journey ids and pseudonyms are HMAC-SHA-256 under the pseudonym secret, exactly.

The derivation is kept however it is computed: a different id for the same client ref would
orphan every journey of a store, and a different record key would give every planner figure
new noise, which averaged with the old would wear it away."""

from __future__ import annotations

import hmac
from hashlib import sha256
from uuid import UUID

import pytest

from domain.journey import JourneyIds


@pytest.mark.parametrize("secret", [b"s" * 16, b"a 32-byte pseudonym secret......", b"k" * 100])
def test_ids_and_pseudonyms_are_the_keyed_hash_written_out(secret: bytes) -> None:
    ids = JourneyIds(secret)
    for n in range(50):
        ref = f"010190-{n:03}X"
        digest = hmac.new(secret, f"polku journey|{ref}".encode(), sha256).digest()
        assert ids(ref) == UUID(bytes=digest[:16], version=4)
        text = hmac.new(secret, f"polku party|{ref}".encode(), sha256).hexdigest()
        assert ids.pseudonym("party", ref) == f"party-{text[:16]}"
    # The same answers again: the keyed state copied for each is never changed by it.
    assert ids("010190-000X") == ids("010190-000X")
