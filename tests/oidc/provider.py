"""A real OpenID provider for the sign-in tests: panva's ``oidc-provider`` (the npm package,
version pinned in ``tests/oidc/provider/package.json`` and its lock file), run with Node on
localhost. :func:`install` runs ``npm ci`` into ``tests/oidc/provider/node_modules`` when the
package is not there yet (``.ci/run`` calls it before the tests; needs only the npm registry).

Without Node, or when the package cannot be installed or the provider does not start, the tests
that need it are skipped with the reason shown — except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "API_AUDIENCE",
    "API_RESOURCE",
    "PROVIDER_DIR",
    "SHORT_RESOURCE",
    "WRONG_RESOURCE",
    "Provider",
    "install",
    "port_in_range",
    "provider_problem",
    "running_provider",
]

PROVIDER_DIR = Path(__file__).parent / "provider"
API_RESOURCE = "https://polku.test/api"
API_AUDIENCE = "polku-api"
SHORT_RESOURCE = "https://polku.test/short"
"""Access tokens for Polku's audience that expire after one second."""
WRONG_RESOURCE = "https://other.test/api"
"""Access tokens for another audience."""
SERVICE_CLIENT = ("svc-school", "svc-school-secret")
WEB_CLIENT = ("polku-web", "polku-web-secret")
PORTS = range(18100, 18200)


def port_in_range(*, avoid: tuple[int, ...] = ()) -> int:
    """A free port in 18100-18199 (this machine's share for these tests), not in ``avoid``."""
    for port in PORTS:
        if port in avoid:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18100-18199")


def _installed() -> bool:
    return (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").exists()


def install() -> None:
    """``npm ci`` the pinned provider into tests/oidc/provider (once)."""
    if _installed():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is missing (install Node.js and npm)")
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=PROVIDER_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 or not _installed():
        raise RuntimeError(f"npm ci failed: {done.stderr.strip()[-2000:]}")


def provider_problem() -> str | None:
    """Why the provider cannot run here, or ``None``."""
    if shutil.which("node") is None:
        return "node is missing (install Node.js)"
    try:
        install()
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        return f"oidc-provider could not be installed: {error}"
    return None


@dataclass
class Provider:
    """A running provider: its issuer URL and the means to get tokens from it."""

    port: int
    workdir: Path
    kids: list[str]
    redirect_uris: list[str] = field(default_factory=list)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    service_claims: dict[str, Any] = field(default_factory=dict)
    keys_from: Provider | None = None
    """Sign with this other provider's keys (as another issuer with the same keys)."""
    process: subprocess.Popen[bytes] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def keys_file(self) -> Path:
        return self.workdir / f"provider-{self.port}.keys.json"

    def _config(self) -> dict[str, Any]:
        keys = None if self.keys_from is None else json.loads(self.keys_from.keys_file.read_text())
        return {
            "keys": keys,
            "keys_out": str(self.keys_file),
            "port": self.port,
            "issuer": self.issuer,
            "kids": self.kids,
            "accounts": self.accounts,
            "service_claims": {SERVICE_CLIENT[0]: self.service_claims},
            "resources": {
                API_RESOURCE: {"audience": API_AUDIENCE, "ttl": 600},
                SHORT_RESOURCE: {"audience": API_AUDIENCE, "ttl": 1},
                WRONG_RESOURCE: {"audience": "another-api", "ttl": 600},
            },
            "clients": [
                {
                    "client_id": SERVICE_CLIENT[0],
                    "client_secret": SERVICE_CLIENT[1],
                    "grant_types": ["client_credentials"],
                    "response_types": [],
                    "redirect_uris": [],
                },
                {
                    "client_id": WEB_CLIENT[0],
                    "client_secret": WEB_CLIENT[1],
                    "grant_types": ["authorization_code"],
                    "response_types": ["code"],
                    "redirect_uris": self.redirect_uris or ["http://127.0.0.1/auth/callback"],
                    "post_logout_redirect_uris": [
                        uri.replace("/auth/callback", "/signin?reason=signed-out")
                        for uri in self.redirect_uris
                    ],
                },
            ],
        }

    def start(self) -> None:
        config = self.workdir / f"provider-{self.port}.json"
        config.write_text(json.dumps(self._config()))
        node = shutil.which("node") or "node"
        with (self.workdir / f"provider-{self.port}.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
                [node, str(PROVIDER_DIR / "provider.mjs"), str(config)],
                cwd=PROVIDER_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                answer = httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2)
                if answer.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        text = (self.workdir / f"provider-{self.port}.log").read_text(errors="replace")
        raise RuntimeError(f"the OpenID provider did not start:\n{text[-3000:]}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def rotate(self, kids: list[str]) -> None:
        """Restart with new signing keys (one fresh key per id): the old ones are gone."""
        self.stop()
        self.kids = kids
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:  # until the old process has let go of the port
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", self.port))
                    break
                except OSError:
                    time.sleep(0.2)
        try:
            self.start()
        except RuntimeError:
            time.sleep(1)
            self.start()  # once more: a port freed a moment late

    def service_token(self, resource: str = API_RESOURCE) -> str:
        """An access token (JWT) for the service client, by the client-credentials grant."""
        answer = httpx.post(
            f"{self.issuer}/token",
            data={"grant_type": "client_credentials", "resource": resource},
            auth=SERVICE_CLIENT,
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        assert token.count(".") == 2  # a JWT, not an opaque token
        return token


@contextmanager
def running_provider(
    workdir: Path, kids: list[str], *, avoid: tuple[int, ...] = (), **options: Any
) -> Iterator[Provider]:
    provider = Provider(port_in_range(avoid=avoid), workdir, kids, **options)
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()
