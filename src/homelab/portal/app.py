"""The portal's web app: HTML pages and the JSON API behind them, from one plan and live state.

`create_app(config, catalog, env)` takes its inputs instead of loading them, so tests and the
benchmark control exactly what it shows. The pages and the API use the same view models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import TypeAdapter
from starlette.middleware.trustedhost import TrustedHostMiddleware

from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.plan import Plan, make_plan
from homelab.portal import diagrams, view
from homelab.portal.auth import OidcSettings, install
from homelab.portal.security import SecurityMiddleware
from homelab.portal.state import LiveState, StateReader
from homelab.portal.view import ComponentView, Overview

PACKAGE = resources.files("homelab.portal")
COMPONENT_LIST = TypeAdapter(list[ComponentView])
LayerQuery = Annotated[str | None, Query(description="only this layer, e.g. data")]
StateQuery = Annotated[view.FilterState | None, Query(description="only components in this state "
                                                                "('warning': with a maturity warning)")]
TextQuery = Annotated[str | None, Query(description="words that must all appear in name, title, summary, "
                                                    "categories, namespace or capabilities", max_length=200)]


class JSONResponse(Response):
    """Bytes pydantic already serialized: the response model documents them, nothing re-validates them."""

    media_type = "application/json"


@dataclass
class Diagram:
    name: str
    title: str
    mermaid: str


@dataclass(frozen=True)
class Merged:
    """One moment's live state, the views it gives, their counts and their rendered overview cards."""

    live: LiveState
    views: list[ComponentView]
    counts: dict[str, int]
    cards: dict[str, str]


@dataclass
class Portal:
    """Everything the app shows; the plan part is computed once, live state on each request."""

    config: Config
    catalog: Catalog
    env: str
    reader: StateReader
    builder: diagrams.Builder = field(default_factory=diagrams.builder)
    pages: jinja2.Environment = field(default_factory=lambda: _templates())
    _merged: Merged | None = field(default=None, repr=False)
    _cards: dict[str, tuple[Any, ComponentView, str]] = field(default_factory=dict, repr=False)

    @cached_property
    def plan(self) -> Plan:
        return make_plan(self.config, self.catalog, self.env)

    @cached_property
    def views(self) -> list[ComponentView]:
        return view.plan_views(self.plan, self.catalog, self.config)

    @cached_property
    def diagrams(self) -> dict[str, Diagram]:
        built = self.builder(self.plan, self.catalog, self.config)
        return {name: Diagram(name, diagrams.title_of(name), text) for name, text in built.items()}

    @cached_property
    def cluster(self) -> str:
        return view.cluster_line(self.plan)

    @cached_property
    def texts(self) -> dict[str, str]:
        return {v.name: view.search_text(v) for v in self.views}

    def current(self) -> Merged:
        """Views with live state merged, and their overview cards, redone only for components whose
        status or verify result changed since the last request (rendering 1,000 cards takes a while)."""
        live = self.reader.read()
        if self._merged is not None and self._merged.live is live:
            return self._merged
        card = self.pages.get_template("_card.html").module.card  # type: ignore[attr-defined]
        views, cards = [], {}
        for planned in self.views:
            key = (live.status.get(planned.name), live.verify.get(planned.name))
            cached = self._cards.get(planned.name)
            if cached is None or cached[0] != key:
                merged = view.with_live(planned, *key)
                cached = self._cards[planned.name] = (key, merged, card(merged, self.texts[planned.name]))
            views.append(cached[1])
            cards[planned.name] = cached[2]
        self._merged = Merged(live, views, view.counts(views), cards)
        return self._merged

    def select(self, layer: str | None, state: str | None, text: str | None) -> list[ComponentView]:
        words = (text or "").lower().split()
        return [v for v in self.current().views if view.matches(v, layer, state, words, self.texts[v.name])]

    def overview(self, layer: str | None = None, state: str | None = None, text: str | None = None) -> Overview:
        merged = self.current()
        live = merged.live
        return Overview(platform=self.config.platform.name, env=self.env, domain=self.config.platform.domain,
                        profile=self.config.profile, cluster=self.cluster, counts=merged.counts,
                        status_at=live.status_at, verify_at=live.verify_at, problems=live.problems,
                        layers=view.layered(self.select(layer, state, text), self.catalog))

    def component(self, name: str) -> ComponentView:
        for current in self.current().views:
            if current.name == name:
                return current
        raise HTTPException(status_code=404, detail=f"no component named {name!r} in the {self.env} plan")


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("homelab.portal", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["layer_states"] = view.FILTER_STATES
    return env


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
    pages = portal.pages
    app = FastAPI(title="homelab portal", version="1", docs_url=None, redoc_url=None,
                  description="Read-only view of the homelab platform: the plan laid out as the design draws it, "
                              "with live status and verify results. Every endpoint is GET.")
    app.state.portal = portal
    app.mount("/static", StaticFiles(directory=str(PACKAGE.joinpath("static"))), name="static")

    def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        user = request.scope.get("portal_user")  # set by the login gate from the server-side session
        html = pages.get_template(template).render(env=env, platform=config.platform.name, user=user,
                                                   diagram_names=list(portal.diagrams), **values)
        return HTMLResponse(html, status_code=status)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, layer: LayerQuery = None, state: StateQuery = None, q: TextQuery = None) -> Any:
        overview = portal.overview(layer, state, q)
        return page(request, "index.html", overview=overview, layers=catalog.layers, cards=portal.current().cards,
                    layer=layer or "", state=state or "", q=q or "")

    @app.get("/components/{name}", response_class=HTMLResponse, include_in_schema=False)
    def component_page(request: Request, name: str) -> Any:
        try:
            return page(request, "component.html", c=portal.component(name))
        except HTTPException as exc:
            return page(request, "missing.html", status=404, message=exc.detail)

    @app.get("/diagrams", response_class=HTMLResponse, include_in_schema=False)
    def diagrams_page(request: Request) -> Any:
        return page(request, "diagrams.html", diagrams=list(portal.diagrams.values()))

    @app.get("/api", response_class=HTMLResponse, include_in_schema=False)
    def api_page(request: Request) -> Any:
        return page(request, "api.html", spec=app.openapi())

    @app.get("/api/overview", response_model=Overview, tags=["portal"])
    def api_overview(layer: LayerQuery = None, state: StateQuery = None, q: TextQuery = None) -> Any:
        """Every layer and category of the design with the matching components and their live state."""
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
        """The design's diagrams for this plan as mermaid text, by name."""
        return {d.name: {"title": d.title, "mermaid": d.mermaid} for d in portal.diagrams.values()}

    if oidc is not None:
        install(app, oidc, page)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.add_middleware(SecurityMiddleware)
    return app
