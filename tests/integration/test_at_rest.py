"""With POLKU_CIPHER_KEY every stored event is encrypted at rest, on top of the per-client
keys; the journey reads back the same."""

from __future__ import annotations

import base64
import secrets

from pydantic import SecretStr

from projections import view
from runtime.settings import Settings
from runtime.wiring import build_service
from tests.support import CTX, day, member, register


def test_events_are_encrypted_at_rest(settings: Settings) -> None:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    service = build_service(settings.model_copy(update={"cipher_key": SecretStr(key)}))
    try:
        service.register_client(register("visible-ref-4242"), CTX)
        service.execute("visible-ref-4242", member("p-1", day(1), org="visible-org-987"), CTX)
        rows = service.recorder.select_events(service.get_record("visible-ref-4242").journey_id)
        assert len(rows) == 2
        for row in rows:
            assert b"visible-org-987" not in row.state
            assert b"visible-ref-4242" not in row.state
            assert b"team_member_added" not in row.state
        team = view(service.get_record("visible-ref-4242"), at=day(2)).team
        assert [m.organisation for m in team] == ["visible-org-987"]
    finally:
        service.close()
