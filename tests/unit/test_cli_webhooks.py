"""``polku webhooks``: add (the secret printed once), list, dead, run --once, remove; bad input
refused in one line, nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from runtime.settings import Settings
from runtime.wiring import build_components


def test_the_webhook_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = ["--database-url", f"sqlite:///{tmp_path / 'polku.db'}"]
    assert main([*url, "webhooks", "add", "--org", "school", "--url", "ftp://x.example/"]) == 2
    assert "http://" in capsys.readouterr().err
    hook = ["--org", "school", "--url", "http://127.0.0.1:9/hook"]
    assert main([*url, "webhooks", "add", *hook]) == 0
    out = capsys.readouterr().out
    subscription = out.split()[1]
    secret = out.split()[3]
    assert subscription.startswith("wh-")
    assert secret.startswith("whsec_")
    assert main([*url, "webhooks", "list", "--format", "csv"]) == 0
    listing = capsys.readouterr().out
    assert subscription in listing
    assert secret not in listing
    assert main([*url, "webhooks", "run", "--once"]) == 0  # nothing to deliver yet
    assert main([*url, "webhooks", "dead", subscription]) == 0
    assert main([*url, "webhooks", "dead", "wh-nope"]) == 1
    assert main([*url, "webhooks", "remove", subscription]) == 0
    assert main([*url, "webhooks", "remove", subscription]) == 1
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'polku.db'}", _env_file=None)
    components = build_components(settings)
    try:
        [stored] = components.webhooks.all()
        assert stored.removed_at is not None
        assert components.webhooks.secret(subscription) == secret
    finally:
        components.close()
