"""Bearer tokens from the platform's OIDC issuer: the API checks them itself (signature, issuer, audience, time).

The app is an API for programs, so there is no login page to redirect to; a signed JWT from the same
issuer the portal and the UIs use is what a client shows. Keys come from the issuer's JWKS, found
through its discovery document, and are fetched again (at most once a minute) when a token names a
key id we do not have, which is how a provider's key rotation looks from here.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

log = logging.getLogger("homelab_app.tokens")
# Asymmetric only: an HS256 token would be checked with a secret both sides know, i.e. none at all here.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
REFETCH_SECONDS = 60.0
LEEWAY_SECONDS = 30


class TokenRejected(Exception):
    """The bearer token is missing, malformed, not ours or expired (the message names which, never the token)."""


class TokenVerifier:
    """Verifies bearer tokens issued by `issuer` for `audience`."""

    def __init__(self, issuer: str, audience: str, timeout: float = 5.0) -> None:
        self.issuer, self.audience, self.timeout = issuer, audience, timeout
        self.keys: KeySet | None = None
        self.jwks_uri = ""
        self.fetched_at = 0.0

    async def load(self) -> None:
        """Read the discovery document and the keys; the issuer there must be exactly ours."""
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            discovery = (await client.get(url)).raise_for_status().json()
            if discovery.get("issuer") != self.issuer:
                raise ValueError(f"the discovery document at {url} names issuer {discovery.get('issuer')!r}, "
                                 f"not {self.issuer!r}")
            self.jwks_uri = str(discovery["jwks_uri"])
            await self._fetch_keys(client)

    async def _fetch_keys(self, client: httpx.AsyncClient) -> None:
        self.keys = KeySet.import_key_set((await client.get(self.jwks_uri)).raise_for_status().json())
        self.fetched_at = time.monotonic()

    async def verify(self, authorization: str | None) -> dict[str, Any]:
        """The token's claims, or TokenRejected."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise TokenRejected("a bearer token from the platform's identity provider is required")
        if self.keys is None or (self._unknown_key(value) and time.monotonic() - self.fetched_at > REFETCH_SECONDS):
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                await (self.load() if self.keys is None else self._fetch_keys(client))
        assert self.keys is not None
        try:
            token = jwt.decode(value.strip(), self.keys, algorithms=ALGORITHMS)
            registry = jwt.JWTClaimsRegistry(leeway=LEEWAY_SECONDS, iss={"essential": True, "value": self.issuer},
                                             aud={"essential": True, "value": self.audience},
                                             exp={"essential": True}, sub={"essential": True})
            registry.validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise TokenRejected(f"token refused: {type(exc).__name__}") from None
        return dict(token.claims)

    def _unknown_key(self, value: str) -> bool:
        try:
            kid = extract_compact(value.strip().encode()).headers().get("kid")
        except (JoseError, ValueError):
            return False
        assert self.keys is not None
        return kid is not None and all(key.kid != kid for key in self.keys.keys)
