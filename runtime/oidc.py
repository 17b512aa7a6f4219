"""OpenID Connect: the provider's metadata and signing keys, the authorization code flow with
PKCE for the web pages, and programs' bearer JWT access tokens (docs/sign-in.md).

Every JWT is checked by PyJWT against the provider's JWKS: signature (asymmetric algorithms
only), issuer, audience, expiry and issue time. The keys are cached; a token signed with a key id
the cache does not hold makes them be fetched again (a key rotation), at most once per
``oidc_jwks_refetch_seconds``, so a key the provider has dropped is refused from the next fetch
on. Claims become an :class:`~domain.events.Actor` by the configured mapping; tokens and claims
are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt

from domain.events import Actor
from domain.roles import ROLES
from runtime.settings import Settings

__all__ = ["LoginStart", "OidcError", "OidcProvider", "pkce_pair"]

_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
"""Asymmetric algorithms only: never ``none`` or a shared-secret HMAC."""
_TIMEOUT = 10.0


class OidcError(Exception):
    """A token or an answer from the provider that is not accepted (the message says why, and
    holds no token or claim value)."""


@dataclass(frozen=True)
class LoginStart:
    """What a sign-in needs to remember until the provider sends the browser back."""

    url: str
    state: str
    nonce: str
    code_verifier: str


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _fetch_json(url: str, data: dict[str, str] | None = None, **headers: str) -> dict[str, Any]:
    body = None if data is None else urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(  # noqa: S310 (the URL comes from settings/discovery)
        url, data=body, headers={"Accept": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as answer:  # noqa: S310
            loaded = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        raise OidcError(f"the provider answered {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise OidcError(f"the provider did not answer: {type(error).__name__}") from None
    except ValueError:
        raise OidcError("the provider's answer is not JSON") from None
    if not isinstance(loaded, dict):
        raise OidcError("the provider's answer is not a JSON object")
    return loaded


class OidcProvider:
    """One configured provider. Metadata and keys are fetched on first use, not at start, so
    Polku starts (and API tokens work) while the provider is unreachable."""

    def __init__(self, settings: Settings) -> None:
        if settings.oidc_issuer is None or not settings.oidc_client_id:
            raise ValueError("OpenID Connect needs POLKU_OIDC_ISSUER and POLKU_OIDC_CLIENT_ID")
        unknown = sorted(set(settings.oidc_roles.values()) - set(ROLES))
        if unknown:
            raise ValueError(f"POLKU_OIDC_ROLES maps to unknown roles: {', '.join(unknown)}")
        self.settings = settings
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self.audience = settings.oidc_audience or settings.oidc_client_id
        self._lock = threading.RLock()
        self._metadata: dict[str, Any] | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._keys_fetched = float("-inf")

    @property
    def pages_enabled(self) -> bool:
        """Whether the pages offer sign-in through the provider (a redirect URL is set)."""
        return self.settings.oidc_redirect_url is not None

    # -- metadata and keys ---------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (``.well-known/openid-configuration``), cached."""
        with self._lock:
            if self._metadata is None:
                found = _fetch_json(f"{self.issuer}/.well-known/openid-configuration")
                if str(found.get("issuer", "")).rstrip("/") != self.issuer:
                    raise OidcError("the discovery document names another issuer")
                for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(found.get(needed), str):
                        raise OidcError(f"the discovery document has no {needed}")
                self._metadata = found
            return self._metadata

    def _refresh_keys(self) -> None:
        uri = str(self.metadata()["jwks_uri"])
        found = _fetch_json(uri)
        keys: dict[str, jwt.PyJWK] = {}
        for entry in found.get("keys", []):
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(entry)
            except (jwt.PyJWKError, jwt.InvalidKeyError):
                continue  # a key type or algorithm PyJWT does not take: not usable here
            keys[str(entry.get("kid", ""))] = key
        self._keys = keys
        self._keys_fetched = time.monotonic()

    def _key_for(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            age = time.monotonic() - self._keys_fetched
            if age > self.settings.oidc_jwks_cache_seconds or (
                kid not in self._keys and age >= self.settings.oidc_jwks_refetch_seconds
            ):
                self._refresh_keys()
            key = self._keys.get(kid)
        if key is None:
            raise OidcError("the token is signed with a key the provider does not publish")
        return key

    # -- tokens ----------------------------------------------------------------------------

    def _decode(self, token: str, audience: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise OidcError("the token is not a JWT") from None
        algorithm = header.get("alg")
        if algorithm not in _ALGORITHMS:
            raise OidcError("the token's algorithm is not accepted")
        key = self._key_for(str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=audience,
                issuer=str(self.metadata()["issuer"]),
                leeway=self.settings.oidc_leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise OidcError("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise OidcError("the token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise OidcError("the token is from another issuer") from None
        except jwt.InvalidSignatureError:
            raise OidcError("the token's signature does not verify") from None
        except jwt.InvalidTokenError as error:
            raise OidcError(f"the token is not valid ({type(error).__name__})") from None
        return claims

    def actor_of(self, claims: dict[str, Any]) -> Actor:
        """The party, organisation and role the claims stand for, by the configured mapping."""
        s = self.settings
        party = claims.get(s.oidc_party_claim)
        organisation = claims.get(s.oidc_organisation_claim) or s.oidc_default_organisation
        if not isinstance(party, str) or not party.strip() or len(party) > 128:
            raise OidcError(f"the token has no usable {s.oidc_party_claim} claim")
        if not isinstance(organisation, str) or not organisation.strip() or len(organisation) > 128:
            raise OidcError(f"the token has no usable {s.oidc_organisation_claim} claim")
        values = claims.get(s.oidc_role_claim)
        candidates = [values] if isinstance(values, str) else values
        if not isinstance(candidates, list):
            raise OidcError(f"the token has no {s.oidc_role_claim} claim")
        for value in candidates:
            if not isinstance(value, str):
                continue
            role = s.oidc_roles.get(value) if s.oidc_roles else value
            if role in ROLES:
                return Actor(party_id=party.strip(), organisation=organisation.strip(), role=role)
        raise OidcError(f"the token's {s.oidc_role_claim} claim names no role of Polku's")

    def verify_access_token(self, token: str) -> Actor:
        """The actor a program's bearer JWT stands for; :class:`OidcError` if it is refused."""
        return self.actor_of(self._decode(token, self.audience))

    # -- the authorization code flow (the pages) ------------------------------------------

    def start_login(self) -> LoginStart:
        """The provider's authorization URL for a new sign-in, with state, nonce and PKCE."""
        if self.settings.oidc_redirect_url is None:
            raise OidcError("sign-in through the provider is not configured")
        endpoint = str(self.metadata()["authorization_endpoint"])
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier, challenge = pkce_pair()
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.settings.oidc_redirect_url,
                "scope": self.settings.oidc_scopes,
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        separator = "&" if "?" in endpoint else "?"
        return LoginStart(f"{endpoint}{separator}{query}", state, nonce, verifier)

    def finish_login(self, code: str, code_verifier: str, nonce: str) -> Actor:
        """Exchange the code (with the PKCE verifier) for tokens, verify the ID token (and its
        nonce), add the userinfo claims, and map them to an actor."""
        metadata = self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": str(self.settings.oidc_redirect_url),
            "code_verifier": code_verifier,
        }
        headers: dict[str, str] = {}
        if self.settings.oidc_client_secret is not None:
            secret = self.settings.oidc_client_secret.get_secret_value()
            quote = urllib.parse.quote
            pair = f"{quote(self.client_id, safe='')}:{quote(secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form["client_id"] = self.client_id
        answer = _fetch_json(str(metadata["token_endpoint"]), form, **headers)
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the provider gave no ID token")
        claims = self._decode(id_token, self.client_id)
        if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
            claims["nonce"], nonce
        ):
            raise OidcError("the ID token's nonce is not this sign-in's")
        userinfo = metadata.get("userinfo_endpoint")
        access_token = answer.get("access_token")
        if isinstance(userinfo, str) and isinstance(access_token, str):
            extra = _fetch_json(userinfo, Authorization=f"Bearer {access_token}")
            if extra.get("sub") != claims.get("sub"):
                raise OidcError("the userinfo answer is about someone else")
            claims = {**extra, **claims}
        return self.actor_of(claims)

    def end_session_url(self, post_logout_url: str) -> str | None:
        """The provider's sign-out URL (RP-initiated logout), if it has one."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except OidcError:
            return None
        if not isinstance(endpoint, str):
            return None
        query = urllib.parse.urlencode(
            {"client_id": self.client_id, "post_logout_redirect_uri": post_logout_url}
        )
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{query}"
