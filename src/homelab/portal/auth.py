"""Login through the platform's own OIDC provider (Keycloak or Dex): authorization code + PKCE.

authlib does the protocol (discovery, state, nonce, PKCE, token exchange, ID token signature
and claims); this module only wires it to the portal: /login, /auth/callback, /logout, and a
gate that sends anyone without a session to /login (pages) or answers 401 (API).
"""

from __future__ import annotations

import secrets
import warnings
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

OPEN_PATHS = ("/login", "/auth/callback", "/logout", "/static/")


@dataclass(frozen=True)
class OidcSettings:
    """Where the provider is and who the portal is to it; the secret comes from an env var."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    public_url: str  # the portal's own base URL, for the redirect URI registered at the provider
    scopes: str = "openid profile email"
    session_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def redirect_uri(self) -> str:
        return self.public_url.rstrip("/") + "/auth/callback"


class LoginGate:
    """Lets a request through only with a logged-in session (SessionMiddleware runs first)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(OPEN_PATHS) or scope.get("session", {}).get("user"):
            await self.app(scope, receive, send)
            return
        response: Response
        if path.startswith("/api/") or path == "/openapi.json":
            response = JSONResponse({"detail": "login required: open /login in a browser"}, status_code=401,
                                    headers={"www-authenticate": 'OpenIDConnect realm="homelab"'})
        else:
            response = RedirectResponse("/login", status_code=303)
        await response(scope, receive, send)


def install(app: FastAPI, settings: OidcSettings) -> None:
    """Add the login routes and the gate; middleware added last runs first, so sessions wrap the gate."""
    with warnings.catch_warnings():  # authlib announces its move to httpx2; nothing for a user to act on
        warnings.filterwarnings("ignore", message="The httpx module is deprecated")
        from authlib.integrations.starlette_client import OAuth, OAuthError

    oauth = OAuth()
    oauth.register("platform", client_id=settings.client_id, client_secret=settings.client_secret,
                   server_metadata_url=settings.metadata_url,
                   client_kwargs={"scope": settings.scopes, "code_challenge_method": "S256"})
    client: Any = oauth.create_client("platform")
    router = APIRouter(include_in_schema=False)

    @router.get("/login")
    async def login(request: Request) -> Response:
        response: Response = await client.authorize_redirect(request, settings.redirect_uri)
        return response

    @router.get("/auth/callback")
    async def callback(request: Request) -> Response:
        try:
            token = await client.authorize_access_token(request)
        except OAuthError as exc:
            return PlainTextResponse(f"login failed: {exc.error}", status_code=401)
        claims = token.get("userinfo")
        if not claims:
            return PlainTextResponse("login failed: the provider sent no ID token", status_code=401)
        request.session["user"] = {"sub": str(claims["sub"]),
                                   "name": str(claims.get("preferred_username") or claims.get("name") or "")}
        return RedirectResponse("/", status_code=303)

    @router.get("/logout")
    async def logout(request: Request) -> Response:
        request.session.clear()
        return PlainTextResponse("logged out")

    app.include_router(router)
    app.add_middleware(LoginGate)
    app.add_middleware(SessionMiddleware, secret_key=settings.session_secret, session_cookie="homelab_portal",
                       same_site="lax", https_only=settings.public_url.startswith("https://"), max_age=8 * 3600)
