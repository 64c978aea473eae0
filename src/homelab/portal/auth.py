"""Login through the platform's own OIDC provider (Keycloak or Dex): authorization code + PKCE.

authlib does the protocol (state, nonce, PKCE, token exchange, ID token signature and claims);
this module wires it to the portal: /login, /auth/callback, /logout, /logged-out, and a gate that
sends anyone without a live session to /login (pages) or answers 401 (API). The provider's
discovery document is read once, at start, and its issuer must be exactly `--oidc-issuer`; a
callback naming another issuer (RFC 9207 `iss`) is refused. Logins live on the server
(`sessions.py`); logout ends them there and, where the provider offers it, at the provider too.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, FastAPI, Request
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from homelab.errors import InputError, Problem
from homelab.portal.sessions import SessionStore

OPEN_PATHS = ("/login", "/auth/callback", "/logout", "/logged-out", "/static/")
MIN_SESSION_SECRET = 32
# Error codes a provider may send back (RFC 6749 4.1.2.1, OpenID Connect Core 3.1.2.6); anything else
# in `error` is shown as "unknown", never echoed.
KNOWN_ERRORS = {"access_denied", "invalid_request", "unauthorized_client", "unsupported_response_type",
                "invalid_scope", "server_error", "temporarily_unavailable", "login_required", "consent_required",
                "interaction_required", "account_selection_required", "invalid_request_uri",
                "invalid_request_object", "request_not_supported", "request_uri_not_supported",
                "registration_not_supported"}
METADATA_KEYS = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint",
                 "end_session_endpoint", "id_token_signing_alg_values_supported",
                 "authorization_response_iss_parameter_supported")
log = logging.getLogger("homelab.portal.auth")
try:  # authlib talks to the provider through httpx2 where installed, else httpx
    import httpx2

    PROVIDER_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError, httpx2.HTTPError)
except ImportError:
    PROVIDER_ERRORS = (httpx.HTTPError,)
Page = Callable[..., Response]


@dataclass(frozen=True)
class OidcSettings:
    """Where the provider is and who the portal is to it; the secret comes from an env var."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    public_url: str  # the portal's own base URL, for the redirect URI registered at the provider
    scopes: str = "openid profile email"
    session_secret: str | None = field(default=None, repr=False)  # signs the cookie; random per start if None

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def redirect_uri(self) -> str:
        return self.public_url.rstrip("/") + "/auth/callback"

    @property
    def cookie_name(self) -> str:
        """Per port: browsers share cookies across ports of one host, so two portals must not share a name."""
        parts = urlsplit(self.public_url)
        return f"homelab_portal_{parts.port or (443 if parts.scheme == 'https' else 80)}"


def discover(settings: OidcSettings, timeout: float = 5.0) -> dict[str, Any]:
    """The provider's discovery document, checked; an InputError (exit 2) naming what is wrong otherwise."""
    url = settings.metadata_url
    hint = "check --oidc-issuer, and that the provider is running"
    try:
        answer = httpx.get(url, timeout=timeout, follow_redirects=False)
        answer.raise_for_status()
        metadata = answer.json()
    except httpx.HTTPError as exc:
        raise InputError([Problem(f"cannot read the OIDC discovery document {url}: {type(exc).__name__}: {exc}",
                                  field="--oidc-issuer", hint=hint)]) from None
    except ValueError:
        raise InputError([Problem(f"{url} is not a JSON discovery document", field="--oidc-issuer",
                                  hint=hint)]) from None
    if not isinstance(metadata, dict) or metadata.get("issuer") != settings.issuer:
        named = metadata.get("issuer") if isinstance(metadata, dict) else None
        raise InputError([Problem(f"the discovery document at {url} names issuer {named!r}, not {settings.issuer!r}",
                                  field="--oidc-issuer", hint="give the issuer exactly as the provider names it")])
    missing = [key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not metadata.get(key)]
    if missing:
        raise InputError([Problem(f"the discovery document at {url} has no {', '.join(missing)}",
                                  field="--oidc-issuer")])
    return {key: metadata[key] for key in METADATA_KEYS if key in metadata}


class LoginGate:
    """Lets a request through only with a live login (SessionMiddleware runs first)."""

    def __init__(self, app: ASGIApp, sessions: SessionStore) -> None:
        self.app, self.sessions = app, sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        login = self.sessions.get(scope.get("session", {}).get("sid")) if scope["type"] == "http" else None
        if login is not None:
            scope["portal_user"] = {"sub": login.sub, "name": login.name}
        if scope["type"] != "http" or path.startswith(OPEN_PATHS) or login is not None:
            await self.app(scope, receive, send)
            return
        response: Response
        if path.startswith("/api/") or path == "/openapi.json":
            response = JSONResponse({"detail": "login required: open /login in a browser"}, status_code=401,
                                    headers={"www-authenticate": 'OpenIDConnect realm="homelab"'})
        else:
            response = RedirectResponse("/login", status_code=303)
        await response(scope, receive, send)


def install(app: FastAPI, settings: OidcSettings, page: Page) -> None:
    """Add the login routes and the gate; middleware added last runs first, so sessions wrap the gate."""
    with warnings.catch_warnings():  # authlib announces its move to httpx2; nothing for a user to act on
        warnings.filterwarnings("ignore", message="The httpx module is deprecated")
        from authlib.integrations.starlette_client import OAuth, OAuthError
        from joserfc.errors import JoseError

    metadata = discover(settings)
    oauth = OAuth()
    oauth.register("platform", client_id=settings.client_id, client_secret=settings.client_secret,
                   client_kwargs={"scope": settings.scopes, "code_challenge_method": "S256"}, **metadata)
    client: Any = oauth.create_client("platform")
    sessions = SessionStore()
    router = APIRouter(include_in_schema=False)

    def failed(request: Request, message: str, status: int, reason: str) -> Response:
        log.warning("login failed", extra={"reason": reason})  # never the token or the code
        return page(request, "message.html", status=status, heading="Login failed", message=message,
                    link="/login", link_text="Try again")

    @router.get("/login")
    async def login(request: Request) -> Response:
        response: Response = await client.authorize_redirect(request, settings.redirect_uri)
        return response

    @router.get("/auth/callback")
    async def callback(request: Request) -> Response:
        params = request.query_params
        if "error" in params:
            code = params["error"] if params["error"] in KNOWN_ERRORS else "unknown"
            return failed(request, f"the provider refused the login ({code}).", 401, f"provider error {code}")
        iss = params.get("iss")
        if (iss is not None and iss != settings.issuer) or (
                iss is None and metadata.get("authorization_response_iss_parameter_supported")):
            return failed(request, "the answer did not come from the portal's provider.", 401, "iss mismatch")
        try:
            token = await client.authorize_access_token(request)
        except OAuthError as exc:
            return failed(request, "the provider did not confirm the login.", 401, f"oauth: {exc.error}")
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            return failed(request, "the provider's ID token was not valid.", 401, f"id token: {type(exc).__name__}")
        except PROVIDER_ERRORS as exc:
            return failed(request, "the provider did not answer.", 502, f"provider: {type(exc).__name__}")
        claims = token.get("userinfo")
        if not claims or not claims.get("sub"):
            return failed(request, "the provider sent no ID token.", 401, "no id token")
        name = str(claims.get("preferred_username") or claims.get("name") or claims.get("email") or "")
        request.session.clear()
        request.session["sid"] = sessions.start(str(claims["sub"]), name, str(token.get("id_token", "")))
        return RedirectResponse("/", status_code=303)

    @router.get("/logout")
    async def logout(request: Request) -> Response:
        """End the session here; then at the provider too, when it offers RP-initiated logout."""
        ended = sessions.end(request.session.get("sid"))
        request.session.clear()
        end_session = metadata.get("end_session_endpoint")
        if ended is not None and end_session and ended.id_token:
            query = httpx.QueryParams({"id_token_hint": ended.id_token, "client_id": settings.client_id,
                                       "post_logout_redirect_uri": settings.public_url.rstrip("/") + "/logged-out"})
            separator = "&" if "?" in end_session else "?"
            return RedirectResponse(f"{end_session}{separator}{query}", status_code=303)
        return RedirectResponse("/logged-out", status_code=303)

    @router.get("/logged-out")
    async def logged_out(request: Request) -> Response:
        return page(request, "message.html", heading="Logged out", message="You are logged out of the portal.",
                    link="/login", link_text="Log in again")

    app.include_router(router)
    app.add_middleware(LoginGate, sessions=sessions)
    app.add_middleware(SessionMiddleware, secret_key=settings.session_secret or _random_secret(),
                       session_cookie=settings.cookie_name, same_site="lax",
                       https_only=settings.public_url.startswith("https://"), max_age=8 * 3600)


def _random_secret() -> str:
    import secrets

    return secrets.token_urlsafe(MIN_SESSION_SECRET)
