"""The portal's web app: HTML pages and the JSON API behind them, from one plan and live state.

`create_app(config, catalog, env)` takes its inputs instead of loading them, so tests and the
benchmark control exactly what it shows. The pages and the API use the same view models.
Pages stay live without reloads: each carries an ETag of the state files it was built from, and
its script asks again every two seconds with `If-None-Match` (a bodiless 304 until
`homelab status` or `homelab verify` writes), then swaps in the parts that changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from pydantic import TypeAdapter
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.portal import diagrams, errors, view
from homelab.portal.auth import OidcSettings, install
from homelab.portal.model import Portal
from homelab.portal.security import SecurityMiddleware
from homelab.portal.state import StateReader
from homelab.portal.view import ComponentView, Overview

COMPONENT_LIST = TypeAdapter(list[ComponentView])
StateQuery = Annotated[view.FilterState | None, Query(description="only components in this state "
                                                                "('warning': with a maturity warning)")]
TextQuery = Annotated[str | None, Query(description="words that must each begin a word of the name, title, "
                                                    "summary, aliases, categories, namespace or capabilities",
                                        max_length=200)]


def layer_filter(request: Request, layer: Annotated[str | None, Query(
        description="only this layer (a name of the design's layers, e.g. data)")] = None) -> str | None:
    """An unknown layer is a 422 like an unknown state, not an empty answer."""
    layers = request.app.state.portal.catalog.layers
    if layer and layer not in layers:
        raise RequestValidationError([{"type": "enum", "loc": ("query", "layer"), "input": layer,
                                       "msg": "Input should be " + ", ".join(map(repr, layers))}])
    return layer or None


LayerQuery = Annotated[str | None, Depends(layer_filter)]


class JSONResponse(Response):
    """Bytes pydantic already serialized: the response model documents them, nothing re-validates them."""

    media_type = "application/json"


def create_app(config: Config, catalog: Catalog, env: str, *, state_root: Path | None = None,
               oidc: OidcSettings | None = None, builder: diagrams.Builder | None = None,
               allowed_hosts: list[str] | None = None) -> FastAPI:
    """The portal for one environment. `state_root` holds .homelab/state (default: the working directory).

    `allowed_hosts` are the Host header values to answer (others get 400), which stops a web page
    from reading a loopback portal through DNS rebinding.
    """
    portal = Portal(config, catalog, env, StateReader(env, state_root))
    if builder is not None:
        portal.builder = builder
    portal.views  # noqa: B018 - plan now, so a bad config fails at start-up, not on the first request
    threading.Thread(target=lambda: portal.drawings, name="portal-diagrams", daemon=True).start()
    pages = portal.pages
    app = FastAPI(title="homelab portal", version="1", docs_url=None, redoc_url=None,
                  description="Read-only view of the homelab platform: the plan laid out as the design draws it, "
                              "with live status and verify results. Every endpoint is GET.")
    app.state.portal = portal

    def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        user = request.scope.get("portal_user")  # set by the login gate from the server-side session
        tag = portal.etag(request)
        html = pages.get_template(template).render(env=env, platform=config.platform.name, user=user, etag=tag,
                                                   static=portal.static.url, **values)
        return HTMLResponse(html, status_code=status, headers={"etag": tag} if status == 200 else None)

    def cached(request: Request, render: Callable[[], HTMLResponse]) -> Response:
        """A 304 when the browser holds the current page; else the page, rendered once per state and address."""
        tag = portal.etag(request)
        if request.headers.get("if-none-match") == tag:
            return Response(status_code=304, headers={"etag": tag})
        if tag not in portal._pages:
            if len(portal._pages) > 64:
                portal._pages.clear()
            portal._pages[tag] = bytes(render().body).decode()
        return HTMLResponse(portal._pages[tag], headers={"etag": tag})

    @app.get("/static/{path:path}", include_in_schema=False)
    def static(request: Request, path: str) -> Response:
        return portal.static.response(request, path)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, layer: LayerQuery = None, state: StateQuery = None, q: TextQuery = None,
              view: Annotated[Literal["cards", "table"], Query(description="layout")] = "cards") -> Any:
        def render() -> HTMLResponse:
            merged = portal.current()
            # every system is on the page (so live updates and the filters in the page have them all);
            # those the filters leave out start hidden, which is all a browser without script needs
            shown = {v.name for v in portal.select_systems(layer, state, q)}
            cards = {name: html if name in shown else Markup(str(html).replace("<article ", "<article hidden ", 1))
                     for name, html in merged.cards.items()}
            rows = {name: html if name in shown else Markup(str(html).replace("<tr ", "<tr hidden ", 1))
                    for name, html in merged.rows.items()}
            return page(request, "index.html", overview=portal.overview(systems=True), layers=catalog.layers,
                        cards=cards, rows=rows, shown=shown, layer=layer or "", state=state or "", q=q or "",
                        layout=view)

        return cached(request, render)

    @app.get("/components/{name}", response_class=HTMLResponse, include_in_schema=False)
    def component_page(request: Request, name: str) -> Any:
        c = portal.component(name)
        merged = {v.name: v for v in portal.current().views}
        return cached(request, lambda: page(request, "component.html", c=c, parts=[merged[n] for n in c.parts],
                                            host=merged.get(c.host or ""), live=portal.current().live))

    @app.get("/diagrams", response_class=HTMLResponse, include_in_schema=False)
    def diagrams_page(request: Request) -> Any:
        states: dict[str, str] = {v.name: v.state for v in portal.current().views}
        return cached(request, lambda: page(request, "diagrams.html", diagrams=[
            (d, diagrams.with_states(d.svg, states)) for d in portal.drawings.values()]))

    @app.get("/api", response_class=HTMLResponse, include_in_schema=False)
    def api_page(request: Request) -> Any:
        return page(request, "api.html", spec=app.openapi())

    @app.get("/api/overview", response_model=Overview, tags=["portal"])
    def api_overview(layer: LayerQuery = None, state: StateQuery = None, q: TextQuery = None) -> Any:
        """Every layer and category of the design with the matching components, their live state, and
        what needs attention (failing, degraded, drifted, unverified), each with its reason."""
        return JSONResponse(portal.overview(layer, state, q).model_dump_json())

    @app.get("/api/components", response_model=list[ComponentView], tags=["portal"])
    def api_components(layer: LayerQuery = None, state: StateQuery = None, q: TextQuery = None) -> Any:
        """The planned components that match the filters, in the design's order."""
        return JSONResponse(COMPONENT_LIST.dump_json(portal.select(layer, state, q)))

    @app.get("/api/components/{name}", response_model=ComponentView, tags=["portal"],
             responses={404: {"description": "not in this environment's plan"}})
    def api_component(name: str) -> Any:
        """One component: what it requires and provides, why it is planned, endpoints, probe and last results."""
        return JSONResponse(portal.component(name).model_dump_json())

    @app.get("/api/diagrams", tags=["portal"])
    def api_diagrams() -> dict[str, dict[str, str]]:
        """The design's diagrams for this plan as mermaid text and as the SVG the page shows, by name."""
        return {d.name: {"title": d.title, "mermaid": d.mermaid, "svg": d.svg, "error": d.error}
                for d in portal.drawings.values()}

    errors.install(app, page)
    if oidc is not None:
        install(app, oidc, page)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)
    app.add_middleware(SecurityMiddleware)
    return app
