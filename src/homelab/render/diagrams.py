"""The design's six mermaid diagrams, regenerated from a plan so the docs show what is deployed.

Each diagram keeps the design's shape; its boxes are the components the plan actually chose
(found by capability, never by name), and boxes with no chosen component are left out.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.plan import Plan

NAMES = ("architecture", "interactions", "security", "monitoring", "deployment", "data-flow")
TITLES = {"architecture": "System Architecture Overview", "interactions": "System Interactions",
          "security": "Security Architecture", "monitoring": "Monitoring Architecture",
          "deployment": "Deployment Architecture", "data-flow": "Data Flow Architecture"}


def _id(name: str) -> str:
    return "c_" + name.replace("-", "_")


def _label(text: str) -> str:
    """Text safe inside a quoted mermaid label: quotes become apostrophes, markup characters go."""
    return re.sub(r"[<>`#\\]", "", text.replace('"', "'"))


def _providers(plan: Plan, *capabilities: str) -> list[str]:
    names = [p.name for p in plan.components.values() if set(capabilities) & set(p.component.provides)]
    return list(dict.fromkeys(names))


def _title(plan: Plan, name: str) -> str:
    return _label(plan.components[name].component.title)


def architecture(plan: Plan, catalog: Catalog, config: Config) -> str:
    lines = ["graph TB", "    K8S[Kubernetes Cluster]"]
    layer_ids = {layer: f"L_{layer}" for layer in catalog.layers}
    for layer, info in catalog.layers.items():
        members = [p for p in plan.components.values() if p.component.layer == layer]
        if not members:
            continue
        lines.append(f'    subgraph {layer_ids[layer]}["{_label(info.title)}"]')
        lines.append("        direction TB")
        for slug, title in info.categories.items():
            inside = [p for p in members if p.component.category == slug]
            if not inside:
                continue
            lines.append(f'        subgraph G_{layer}_{slug.replace("-", "_")}["{_label(title)}"]')
            lines.append("            direction LR")
            lines.extend(f'            {_id(p.name)}["{_title(plan, p.name)}"]' for p in inside)
            lines.append("        end")
        lines.append("    end")
    present = [layer for layer in catalog.layers if any(p.component.layer == layer for p in plan.components.values())]
    lines.extend(f"    K8S --> {layer_ids[layer]}" for layer in present)
    links = sorted({(plan.components[e.provider].component.layer, plan.components[e.consumer].component.layer)
                    for e in plan.edges if not e.optional})
    order = list(catalog.layers)
    for src, dst in sorted(links, key=lambda pair: (order.index(pair[0]), order.index(pair[1]))):
        if src != dst:
            lines.append(f"    {layer_ids[src]} --> {layer_ids[dst]}")
    return "\n".join(lines) + "\n"


def interactions(plan: Plan, catalog: Catalog, config: Config) -> str:
    roles = [("Ingress", ("ingress", "gateway-api")), ("ServiceMesh", ("service-mesh",)),
             ("App", ("reference-app",)), ("Cache", ("cache",)), ("DB", ("sql-database",)),
             ("Queue", ("message-queue", "event-stream")), ("Monitoring", ("metrics-store",))]
    chosen = {role: _providers(plan, *caps)[:1] for role, caps in roles}
    lines = ["sequenceDiagram", "    participant User"]
    for role, _ in roles:
        if chosen[role]:
            lines.append(f"    participant {role} as {role} ({_title(plan, chosen[role][0])})")
    steps = [("User", "Ingress", "->>", "Request"), ("Ingress", "ServiceMesh", "->>", "Route"),
             ("ServiceMesh", "App", "->>", "Process"), ("App", "Cache", "->>", "Check Cache"),
             ("Cache", "App", "-->>", "Cache Miss"), ("App", "DB", "->>", "Query"), ("DB", "App", "-->>", "Data"),
             ("App", "Queue", "->>", "Async Task"), ("App", "Monitoring", "->>", "Metrics"),
             ("App", "User", "-->>", "Response")]
    here = {"User"} | {role for role, names in chosen.items() if names}
    for src, dst, arrow, text in steps:
        if src == "App" and "App" not in here:
            src = "ServiceMesh" if "ServiceMesh" in here else "Ingress"
        if dst in here and src in here and src != dst:
            lines.append(f"    {src}{arrow}{dst}: {text}")
    return "\n".join(lines) + "\n"


def security(plan: Plan, catalog: Catalog, config: Config) -> str:
    roles = [("Auth", "Authentication", ("identity-provider",)), ("Authz", "Authorization", ("authorization",)),
             ("Secrets", "Secrets Management", ("secrets-store", "external-secrets")),
             ("Policy", "Policy Enforcement", ("policy-engine",)), ("Proxy", "Auth Proxy", ("auth-proxy",))]
    lines = ["graph TB", '    subgraph SEC["Security Layer"]']
    present = set()
    for key, title, caps in roles:
        names = _providers(plan, *caps)
        if names:
            present.add(key)
            lines.append(f'        {key}["{title}: {", ".join(_title(plan, n) for n in names)}"]')
    lines += ["    end", '    subgraph APPS["Applications (exposed UIs)"]']
    uis = [(p.name, e.sso) for p in plan.components.values() for e in p.component.endpoints if e.expose]
    lines.extend(f'        {_id(n)}["{_title(plan, n)}"]' for n in dict.fromkeys(n for n, _ in uis))
    lines.append("    end")
    for a, b in (("Auth", "Authz"), ("Authz", "Policy"), ("Secrets", "Policy"), ("Auth", "Proxy")):
        if {a, b} <= present:
            lines.append(f"    {a} --> {b}")
    for name, sso in dict.fromkeys(uis):
        via = {"oidc": "Auth", "proxy": "Proxy"}.get(sso)
        if via in present:
            lines.append(f"    {via} -->|{sso}| {_id(name)}")
    if "Policy" in present:
        lines.append("    Policy --> APPS")
    return "\n".join(lines) + "\n"


def monitoring(plan: Plan, catalog: Catalog, config: Config) -> str:
    scraped = sum(1 for p in plan.components.values() if p.component.metrics)
    Box = tuple[str, str, tuple[str, ...]]
    collect: list[Box] = [("Metrics", f"Metrics ({scraped} ServiceMonitors)", ()),
                          ("Logs", "Logs", ("log-collector", "log-processor")),
                          ("Traces", "Traces", ("telemetry-collector",))]
    store: list[Box] = [("MStore", "", ("metrics-store",)), ("LStore", "", ("logs-store",)),
                        ("TStore", "", ("traces-store",))]
    show: list[Box] = [("Dash", "", ("dashboards",)), ("LogsUI", "", ("logs-ui",))]
    sections = [("Collect", "Data Collection", collect), ("Store", "Storage", store),
                ("Show", "Visualization", show)]
    lines = ["graph TB"]
    present = set()
    for sid, title, boxes in sections:
        lines.append(f'    subgraph {sid}["{title}"]')
        for key, text, caps in boxes:
            names = _providers(plan, *caps) if caps else []
            if caps and not names:
                continue
            label = text or ", ".join(_title(plan, n) for n in names)
            if text and names:
                label += ": " + ", ".join(_title(plan, n) for n in names)
            present.add(key)
            lines.append(f'        {key}["{_label(label)}"]')
        lines.append("    end")
    edges = [("Metrics", "MStore"), ("Logs", "LStore"), ("Traces", "TStore"), ("MStore", "Dash"),
             ("LStore", "Dash"), ("TStore", "Dash"), ("LStore", "LogsUI")]
    lines.extend(f"    {a} --> {b}" for a, b in edges if {a, b} <= present)
    return "\n".join(lines) + "\n"


def deployment(plan: Plan, catalog: Catalog, config: Config) -> str:
    lines = ["graph TB"]
    envs = config.env_names()
    for env in envs:
        sub = config.env(env).subdomain
        suffix = ".".join(p for p in (env if sub is None else sub, config.platform.domain) if p)
        context = config.env(env).kube_context or "current context"
        cluster = config.cluster_for(env)
        pool = ", ".join(cluster.load_balancer.addresses) if cluster.load_balancer else "no load-balancer"
        lines += [f'    subgraph S_{env}["{env}"]',
                  f'        E_{env}["{env}: *.{suffix}<br/>context {_label(context)}<br/>'
                  f'{len(cluster.nodes)} nodes on {cluster.network}: {_label(pool)}"]', "    end"]
    lines.extend(f"    E_{a} -->|homelab promote| E_{b}" for a, b in itertools.pairwise(envs))
    return "\n".join(lines) + "\n"


def data_flow(plan: Plan, catalog: Catalog, config: Config) -> str:
    groups = [("Sources", "Data Sources", [("Apps", ("reference-app", "serverless")), ("Services", ("ci",))]),
              ("Processing", "Data Processing", [("Stream", ("stream-processing", "event-stream")),
                                                 ("Batch", ("batch-processing",))]),
              ("Storage", "Data Storage", [("DB", ("sql-database", "document-database")), ("Cache", ("cache",)),
                                           ("Object", ("object-storage",))]),
              ("Analytics", "Data Analytics", [("ML", ("ml-platform", "ml-tracking")),
                                               ("BI", ("sql-query-engine", "olap-database", "dashboards"))])]
    lines = ["graph LR"]
    present: dict[str, str] = {}
    for sid, title, boxes in groups:
        lines.append(f'    subgraph {sid}["{title}"]')
        for key, caps in boxes:
            names = _providers(plan, *caps)
            if names:
                present[key] = sid
                shape = ("[(", ")]") if sid == "Storage" else ("[", "]")
                text = ", ".join(_title(plan, n) for n in names[:4]) + (" ..." if len(names) > 4 else "")
                lines.append(f'        {key}{shape[0]}"{text}"{shape[1]}')
        lines.append("    end")
    order = ["Sources", "Processing", "Storage", "Analytics"]
    for a, sa in present.items():
        for b, sb in present.items():
            if order.index(sb) == order.index(sa) + 1 or (sa == "Sources" and sb == "Storage"
                                                          and not any(s == "Processing" for s in present.values())):
                lines.append(f"    {a} --> {b}")
    if {"Stream", "Batch"} <= set(present):
        lines.append("    Stream --> Batch")
    return "\n".join(lines) + "\n"


BUILDERS: dict[str, Callable[[Plan, Catalog, Config], str]] = {
    "architecture": architecture, "interactions": interactions, "security": security, "monitoring": monitoring,
    "deployment": deployment, "data-flow": data_flow,
}


def build(plan: Plan, catalog: Catalog, config: Config) -> dict[str, str]:
    """Diagram name -> mermaid text, for the tree's docs, `homelab diagram` and the portal."""
    return {name: BUILDERS[name](plan, catalog, config) for name in NAMES}


def page(name: str, text: str, env: str) -> str:
    return (f"# {TITLES[name]}\n\nGenerated by `homelab render` from the plan of `{env}`; "
            f"edit homelab.yaml, not this file.\n\n```mermaid\n{text}```\n")
