"""Errors as the asker reads them: an HTML page for a browser, JSON for the API and scripts.

A page path answers HTML unless the Accept header asks for JSON alone; the API paths always answer
JSON, so a script gets the same shape whatever it sends (FastAPI's `{"detail": ...}`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

API_PATHS = ("/api/", "/openapi.json")
TITLES = {404: "Not found", 405: "Not allowed", 422: "Not a valid filter"}


def wants_html(request: Request) -> bool:
    """Pages answer HTML unless the asker wants JSON only; API paths always answer JSON."""
    accept = request.headers.get("accept", "")
    return not request.url.path.startswith(API_PATHS) and ("text/html" in accept or "application/json" not in accept)


def _problem(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
    return f"{where}: {error.get('msg', 'invalid')} (given {error.get('input')!r})"


def install(app: FastAPI, page: Callable[..., Response]) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if wants_html(request):
            message = exc.detail if exc.status_code != 404 or request.url.path.startswith("/components/") \
                else f"nothing at {request.url.path}"
            return page(request, "message.html", status=exc.status_code, heading=TITLES.get(exc.status_code, "Error"),
                        message=message, link="/", link_text="Back to the overview")
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if wants_html(request):
            message = "; ".join(_problem(e) for e in exc.errors())
            return page(request, "message.html", status=422, heading=TITLES[422], message=message, link="/",
                        link_text="Show everything")
        return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)
