"""Test double of an OpenID Connect provider, for what a real one (Dex, tests/dex.py) will not do:
mint hostile tokens, name another issuer, send an `error` or `iss`, offer RP-initiated logout.

It does what the portal relies on and checks what a real provider checks: discovery, the
authorization endpoint (client id, exact redirect URI, PKCE S256 challenge), the token endpoint
(client secret by HTTP Basic, one-time code, PKCE verifier, same redirect URI) and an RS256
ID token with the nonce, verified by the portal against the published JWKS. `mint` replaces how
the ID token is made from its claims; `discovered` overrides fields of the discovery document.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from authlib.jose import JsonWebKey, jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route


class Provider:
    def __init__(self, client_id: str, client_secret: str, redirect_uri: str, user: str = "alice") -> None:
        self.client_id, self.client_secret, self.redirect_uri, self.user = client_id, client_secret, redirect_uri, user
        self.key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "test-key"})
        self.codes: dict[str, dict[str, Any]] = {}
        self.issuer = ""  # set once the server knows its port
        self.mint: Callable[[dict[str, Any]], str] | None = None
        self.discovered: dict[str, Any] = {}
        self.callback_extra: dict[str, str] = {}  # added to the redirect back to the portal (`iss`, `error`)
        self.app = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
            Route("/jwks", self.jwks),
            Route("/logout", self.logout),
        ])
        self.logouts: list[dict[str, str]] = []

    async def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "end_session_endpoint": f"{self.issuer}/logout",
        } | self.discovered)

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != self.client_id or q.get("redirect_uri") != self.redirect_uri:
            return JSONResponse({"error": "unauthorized_client"}, status_code=400)
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256" or "openid" not in q.get(
                "scope", "").split():
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"nonce": q.get("nonce"), "challenge": q.get("code_challenge"),
                            "redirect_uri": q.get("redirect_uri")}
        back = {"code": code, "state": q.get("state", "")} | self.callback_extra
        return RedirectResponse(f"{self.redirect_uri}?{urlencode(back)}", status_code=302)

    async def token(self, request: Request) -> Response:
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {basic}":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        form = dict(parse_qsl((await request.body()).decode()))
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or form.get("grant_type") != "authorization_code" \
                or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, status_code=400)
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": "user-1", "aud": self.client_id, "iat": now, "exp": now + 300,
                  "nonce": grant["nonce"], "preferred_username": self.user}
        id_token = self.mint(claims) if self.mint else jwt.encode({"alg": "RS256", "kid": "test-key"}, claims,
                                                                  self.key).decode()
        return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                             "id_token": id_token})

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(is_private=False)]})

    async def logout(self, request: Request) -> Response:
        """RP-initiated logout: note what the portal sent, then send the browser back where it asked."""
        self.logouts.append(dict(request.query_params))
        return RedirectResponse(request.query_params.get("post_logout_redirect_uri", "/"), status_code=302)
