"""What the portal shows, computed once per plan and merged with live state per change of the state files.

The plan part (views, search words, diagrams) is computed once per process: config and catalog do
not change while it runs. Live state is merged only when `homelab status` or `homelab verify`
rewrites its file, and only the cards of components whose records changed are rendered again.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any

import jinja2
from fastapi import HTTPException, Request

from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.plan import Plan, make_plan
from homelab.portal import attention, diagrams, markup, view
from homelab.portal.diagrams import Diagram
from homelab.portal.state import LiveState, StateReader
from homelab.portal.static import StaticFiles
from homelab.portal.view import ComponentView, Overview

PACKAGE = resources.files("homelab.portal")


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
