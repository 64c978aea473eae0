"""What the portal shows: the plan laid out as the design draws it, merged with live state.

The plan part is computed once per process (config and catalog do not change while it runs);
the live part (status, verify) is merged per request. The same models back the HTML pages
and the JSON API, so the OpenAPI document describes exactly what the page shows.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from homelab.catalog.loader import Catalog
from homelab.catalog.model import Component, Endpoint
from homelab.config import Config
from homelab.plan import Plan
from homelab.portal import notices, search
from homelab.portal.fold import hosts
from homelab.portal.state import ComponentStatus, ProbeResult
from homelab.quantity import format_bytes

State = Literal["ok", "failing", "pending", "planned"]
STATES: tuple[State, ...] = ("ok", "failing", "pending", "planned")
FilterState = Literal["ok", "failing", "pending", "planned", "warning"]
FILTER_STATES: tuple[FilterState, ...] = (*STATES, "warning")


class EndpointView(BaseModel):
    name: str
    service: str
    port: int
    protocol: str
    exposed: bool
    sso: str
    url: str | None = None  # the ingress URL when exposed
    ui: str | None = None  # the path of its web UI, when it serves one


class Link(BaseModel):
    capability: str
    component: str


class ProbeView(BaseModel):
    kind: str
    endpoint: str | None = None
    path: str | None = None


class StatusView(BaseModel):
    sync: str | None = None
    health: str | None = None
    version: str | None = None
    pods: str | None = None
    drift: list[str] = []


class VerifyView(BaseModel):
    ok: bool
    kind: str
    seconds: float | None = None
    reason: str = ""
    steps: list[dict[str, Any]] = []


class ComponentView(BaseModel):
    name: str
    title: str
    summary: str
    layer: str
    layer_title: str
    category: str
    category_title: str
    categories: list[str]
    namespace: str
    version: str | None
    app_version: str | None
    evidence: str = "unverified"
    confirmed: str = ""
    wave: int
    replicas: int
    maturity: str
    maturity_reason: str | None
    replacement: str | None
    warnings: list[str]
    reasons: list[str]
    url: str | None  # the web UI to open (an exposed endpoint the catalog says is a UI), else None
    endpoints: list[EndpointView]
    provides: list[str]
    requires: list[Link]
    uses: list[Link]
    required_by: list[Link]
    probe: ProbeView | None
    status: StatusView | None = None
    verify: VerifyView | None = None
    state: State = "planned"
    host: str | None = None  # the system it is shown in (an operator or CRDs folded into what it serves)
    parts: list[str] = []  # operators and CRD entries folded into this one
    version_note: str = ""  # why there is no pinned version, or where the version comes from
    notices: list[str] = []  # plan facts worth a look, e.g. an ingress host shared with another component


Kind = Literal["failing", "degraded", "drifted", "unverified"]
KINDS: tuple[Kind, ...] = ("failing", "degraded", "drifted", "unverified")


class AttentionItem(BaseModel):
    kind: Kind
    name: str
    title: str
    component: bool  # False: a verify target that is not a component (a scenario)
    reason: str
    at: str | None  # when the report that says so was written (ISO 8601)


class CheckView(BaseModel):
    """A verify result whose target is not a component (e.g. the request path)."""

    name: str
    kind: str
    ok: bool
    reason: str


class CategoryView(BaseModel):
    slug: str
    title: str
    components: list[ComponentView]


class LayerView(BaseModel):
    name: str
    title: str
    categories: list[CategoryView]


class Overview(BaseModel):
    platform: str
    env: str
    domain: str
    profile: str
    cluster: str  # nodes and the plan's total requests, for the diagram's Kubernetes box
    counts: dict[str, int]
    status_at: str | None
    verify_at: str | None
    problems: list[str]
    attention: list[AttentionItem] = []
    checks: list[CheckView] = []  # verify results of targets that are not components
    layers: list[LayerView]


def ingress_url(config: Config, env: str, comp: Component, endpoint: Endpoint) -> str:
    """`https://<host or name>.<env label>.<domain>`; an empty subdomain (prod) drops the label."""
    sub = config.env(env).subdomain
    label = env if sub is None else sub
    host = ".".join(part for part in (endpoint.host or comp.name, label, config.platform.domain) if part)
    return f"https://{host}"


def plan_views(plan: Plan, catalog: Catalog, config: Config) -> list[ComponentView]:
    """One view per planned component, in the design's layer and category order."""
    users: dict[str, list[Link]] = {}
    for edge in plan.edges:
        users.setdefault(edge.provider, []).append(Link(capability=edge.capability, component=edge.consumer))
    views = []
    folded = hosts(plan)
    shared = notices.shared_hosts(plan, config, ingress_url)
    for planned in plan.components.values():
        comp = planned.component
        layer = catalog.layers[comp.layer]
        endpoints = [EndpointView(name=e.name, service=e.service, port=e.port, protocol=e.protocol, exposed=e.expose,
                                  sso=e.sso, url=ingress_url(config, plan.env, comp, e) if e.expose else None,
                                  ui=e.ui)
                     for e in comp.endpoints]
        views.append(ComponentView(
            name=comp.name, title=comp.title, summary=comp.summary, layer=comp.layer, layer_title=layer.title,
            category=comp.category, category_title=layer.categories.get(comp.category, comp.category),
            categories=comp.categories, namespace=comp.namespace, version=planned.version,
            app_version=comp.source.app_version, evidence=comp.source.evidence, confirmed=comp.source.confirmed,
            wave=planned.wave, replicas=planned.replicas,
            maturity=comp.maturity.status, maturity_reason=comp.maturity.reason,
            replacement=comp.maturity.replacement, warnings=planned.warnings, reasons=planned.reasons,
            url=next((e.url + (e.ui if e.ui != "/" else "") for e in endpoints if e.url and e.ui), None),
            endpoints=endpoints, provides=comp.provides,
            requires=[Link(capability=e.capability, component=e.provider) for e in plan.requires_of(comp.name)],
            uses=[Link(capability=e.capability, component=e.provider)
                  for e in plan.requires_of(comp.name, optional=True)],
            required_by=users.get(comp.name, []),
            probe=ProbeView(kind=comp.probe.kind, endpoint=comp.probe.endpoint, path=comp.probe.path)
            if comp.probe else None,
            host=folded.get(comp.name), parts=[name for name, host in folded.items() if host == comp.name],
            version_note=notices.version_note(plan, comp.name), notices=shared.get(comp.name, []),
        ))
    order = {(layer, cat): i for i, (layer, cat) in enumerate(
        (name, cat) for name, info in catalog.layers.items() for cat in info.categories)}
    views.sort(key=lambda v: (order.get((v.layer, v.category), len(order)), v.name))
    return views


def state_of(status: StatusView | None, verify: VerifyView | None) -> State:
    """One word per card: a failed probe or a degraded app is failing; no live data means planned."""
    if verify is not None and not verify.ok:
        return "failing"
    if status is not None:
        health, sync = (status.health or "").lower(), (status.sync or "").lower()
        if health in {"degraded", "missing"} or sync == "outofsync":
            return "failing"
        return "ok" if health == "healthy" else "pending"
    return "ok" if verify is not None else "planned"


def with_live(view: ComponentView, st: ComponentStatus | None, pr: ProbeResult | None) -> ComponentView:
    """One planned component with this moment's status and verify result merged in."""
    if st is None and pr is None:
        return view
    status = StatusView(sync=st.sync, health=st.health, version=st.version, pods=st.pods, drift=list(st.drift)) \
        if st else None
    verify = VerifyView(ok=pr.ok, kind=pr.kind, seconds=pr.seconds, reason=pr.reason, steps=pr.steps) \
        if pr else None
    return view.model_copy(update={"status": status, "verify": verify, "state": state_of(status, verify)})


def search_words(plan: Plan, view: ComponentView) -> str:
    """The words search finds a component by: its own and those of what is folded into it."""
    return search.component_words(plan.components[name].component for name in [view.name, *view.parts])


def matches(view: ComponentView, layer: str | None, state: str | None, words: list[str], haystack: str) -> bool:
    """The page's and the API's filter: layer, state (or 'warning'), and words that must each begin a word."""
    if layer and view.layer != layer:
        return False
    if state and not (bool(view.warnings) if state == "warning" else view.state == state):
        return False
    return search.matches(words, haystack)


def layered(views: list[ComponentView], catalog: Catalog) -> list[LayerView]:
    """Every layer and category of the design, in its order, each with its planned components."""
    by_place: dict[tuple[str, str], list[ComponentView]] = {}
    for view in views:
        by_place.setdefault((view.layer, view.category), []).append(view)
    return [LayerView(name=name, title=info.title,
                      categories=[CategoryView(slug=slug, title=title, components=by_place.get((name, slug), []))
                                  for slug, title in info.categories.items()])
            for name, info in catalog.layers.items()]


def cores(millicores: int) -> str:
    """57865 -> '57.9', 96000 -> '96': CPU in cores, one decimal at most."""
    return f"{millicores / 1000:.1f}".removesuffix(".0")


def cluster_line(plan: Plan) -> str:
    """'6 nodes; requests cpu 57.9 of 96 cores, memory 130Gi of 384Gi': the plan's fit in one line."""
    cpu, memory, storage = plan.totals()
    nodes = plan.nodes
    return (f"{len(nodes)} node{'s' if len(nodes) != 1 else ''}; requests cpu {cores(cpu)} of "
            f"{cores(sum(n.cpu_total for n in nodes))} cores, memory {format_bytes(memory)} of "
            f"{format_bytes(sum(n.memory_total for n in nodes))}, storage {format_bytes(storage)} of "
            f"{format_bytes(sum(n.storage_total for n in nodes))}")


def counts(views: list[ComponentView]) -> dict[str, int]:
    out: dict[str, int] = {state: 0 for state in STATES}
    for view in views:
        out[view.state] += 1
    out["warning"] = sum(1 for v in views if v.warnings)
    out["total"] = len(views)
    return out
