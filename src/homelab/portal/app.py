"""The portal's web app: HTML pages and the JSON API behind them, from one plan and live state.

`create_app(config, catalog, env)` takes its inputs instead of loading them, so tests and the
benchmark control exactly what it shows. The pages and the API use the same view models.
Pages stay live without reloads: each carries an ETag of the state files it was built from, and
its script asks again every two seconds with `If-None-Match` (a bodiless 304 until
`homelab status` or `homelab verify` writes), then swaps in the parts that changed.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import jinja2
from markupsafe import Markup
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.plan import Plan, make_plan
from homelab.portal import attention, diagrams, errors, markup, view
from homelab.portal.auth import OidcSettings, install
from homelab.portal.diagrams import Diagram
from homelab.portal.security import SecurityMiddleware
from homelab.portal.state import LiveState, StateReader
from homelab.portal.static import StaticFiles
from homelab.portal.view import ComponentView, Overview

PACKAGE = resources.files("homelab.portal")
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


@dataclass(frozen=True)
class Merged:
    """One moment's live state, the views it gives, their counts and their rendered overview cards."""

    live: LiveState
    views: list[ComponentView]
    counts: dict[str, int]
    cards: dict[str, str]
    rows: dict[str, str]  # the same systems as rows of the table view
    attention: list[attention.AttentionItem]


@dataclass
class Portal:
    """Everything the app shows; the plan part is computed once, live state on each request."""

    config: Config
    catalog: Catalog
    env: str
    reader: StateReader
    builder: diagrams.Builder = field(default_factory=diagrams.builder)
    pages: jinja2.Environment = field(default_factory=lambda: markup.templates())
    _merged: Merged | None = field(default=None, repr=False)
    _views: dict[str, tuple[Any, ComponentView]] = field(default_factory=dict, repr=False)
    _cards: dict[str, tuple[Any, str, str]] = field(default_factory=dict, repr=False)
    _pages: dict[str, str] = field(default_factory=dict, repr=False)  # rendered pages by ETag
    _drawing: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def plan(self) -> Plan:
        return make_plan(self.config, self.catalog, self.env)

    @cached_property
    def views(self) -> list[ComponentView]:
        return view.plan_views(self.plan, self.catalog, self.config)

    @property
    def drawings(self) -> dict[str, Diagram]:
        with self._drawing:  # drawn once, on first use (a background thread starts it early)
            return self._drawn

    @cached_property
    def _drawn(self) -> dict[str, Diagram]:
        built = self.builder(self.plan, self.catalog, self.config)
        parts = diagrams.label_parts({name: p.component.title for name, p in self.plan.components.items()})
        return {name: diagrams.draw(name, text, parts) for name, text in built.items()}

    @cached_property
    def cluster(self) -> str:
        return view.cluster_line(self.plan)

    @cached_property
    def texts(self) -> dict[str, str]:
        return {v.name: view.search_words(self.plan, v) for v in self.views}

    def current(self) -> Merged:
        """Views with live state merged, and their overview cards, redone only for components whose
        status or verify result changed since the last request (rendering 1,000 cards takes a while)."""
        live = self.reader.read()
        if self._merged is not None and self._merged.live is live:
            return self._merged
        merged: dict[str, ComponentView] = {}
        keys: dict[str, Any] = {}
        for planned in self.views:  # status and verify records are frozen dataclasses: cheap to compare
            keys[planned.name] = key = (live.status.get(planned.name), live.verify.get(planned.name))
            known = self._views.get(planned.name)
            if known is None or known[0] != key:
                known = self._views[planned.name] = (key, view.with_live(planned, *key))
            merged[planned.name] = known[1]
        macros = self.pages.get_template("_card.html").module
        cards, rows = {}, {}
        for order, v in enumerate(merged.values()):
            if v.host is not None:
                continue
            key = tuple(keys[name] for name in [v.name, *v.parts])
            cached = self._cards.get(v.name)
            if cached is None or cached[0] != key:
                parts = [merged[name] for name in v.parts]
                cached = self._cards[v.name] = (key, macros.card(v, parts, self.texts[v.name]),  # type: ignore[attr-defined]
                                                macros.row(v, order))  # type: ignore[attr-defined]
            cards[v.name], rows[v.name] = cached[1], cached[2]
        views = list(merged.values())
        self._merged = Merged(live, views, view.counts(views), cards, rows, attention.items(views, live))
        return self._merged

    @cached_property
    def static(self) -> StaticFiles:
        return StaticFiles(PACKAGE.joinpath("static"))

    def select(self, layer: str | None, state: str | None, text: str | None) -> list[ComponentView]:
        words = markup.query_words(text)
        return [v for v in self.current().views if view.matches(v, layer, state, words, self.texts[v.name])]

    def select_systems(self, layer: str | None, state: str | None, text: str | None) -> list[ComponentView]:
        """The overview's cards: a system shows when it or anything folded into it matches."""
        chosen = {v.name for v in self.select(layer, state, text)}
        return [v for v in self.current().views if v.host is None and (v.name in chosen or chosen & set(v.parts))]

    def overview(self, layer: str | None = None, state: str | None = None, text: str | None = None,
                 systems: bool = False) -> Overview:
        merged = self.current()
        live = merged.live
        shown = self.select_systems(layer, state, text) if systems else self.select(layer, state, text)
        return Overview(platform=self.config.platform.name, env=self.env, domain=self.config.platform.domain,
                        profile=self.config.profile, cluster=self.cluster, counts=merged.counts,
                        status_at=live.status_at, verify_at=live.verify_at, problems=live.problems,
                        attention=merged.attention, checks=attention.checks(merged.views, live),
                        layers=view.layered(shown, self.catalog))

    def component(self, name: str) -> ComponentView:
        for current in self.current().views:
            if current.name == name:
                return current
        raise HTTPException(status_code=404, detail=f"no component named {name!r} in the {self.env} plan")

    def etag(self, request: Request) -> str:
        """Changes when the state files do (or the page asked for, or who asks)."""
        user = request.scope.get("portal_user") or {}
        seed = f"{self.reader.version()}|{request.url.path}?{request.url.query}|{user.get('sub', '')}"
        return 'W/"' + hashlib.sha256(seed.encode()).hexdigest()[:16] + '"'


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
