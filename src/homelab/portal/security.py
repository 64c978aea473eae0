"""Read-only and locked-down responses: every request goes through here first.

Only GET and HEAD exist (anything else is 405, on any path; HEAD runs GET and drops the body),
and every response carries a Content-Security-Policy that allows this origin's own files only:
no inline script or style, no other origin, no framing. Diagrams are SVG drawn on the server, inline in the page.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_METHODS = ("GET", "HEAD")
CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


class SecurityMiddleware:
    """Pure ASGI (no per-request task), so it costs next to nothing on the hot path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in HEADERS if n not in names]
                if not static:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        if scope["method"] not in ALLOWED_METHODS:
            body = json.dumps({"detail": "the portal is read-only: only GET and HEAD are allowed"}).encode()
            await send_with_headers({"type": "http.response.start", "status": 405, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"allow", b", ".join(m.encode() for m in ALLOWED_METHODS))]})
            await send({"type": "http.response.body", "body": body})
            return
        if scope["method"] == "HEAD":  # FastAPI routes answer GET only; HEAD is GET without the body
            scope = {**scope, "method": "GET"}

            async def send_head(message: Message) -> None:
                if message["type"] == "http.response.body":
                    if message.get("more_body", False):
                        return
                    message = {"type": "http.response.body", "body": b""}
                await send_with_headers(message)

            await self.app(scope, receive, send_head)
            return
        await self.app(scope, receive, send_with_headers)
