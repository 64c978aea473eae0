"""Monitoring: a ServiceMonitor for every metrics endpoint; Grafana datasources for the chosen stores.

Datasources are a ConfigMap the Grafana chart's sidecar loads (label `grafana_datasource`); the
datasource type is the store's Grafana plugin, known for the stores Grafana ships plugins for.
"""

from __future__ import annotations

from typing import Any

from homelab.render.context import Context, Obj
from homelab.render.yamlout import dump_text

API = "monitoring.coreos.com/v1"
# Grafana's built-in datasource plugin per store (catalog name -> plugin type).
GRAFANA_TYPES = {"prometheus": "prometheus", "kube-prometheus-stack": "prometheus", "victoria-metrics": "prometheus",
                 "thanos": "prometheus", "mimir": "prometheus", "loki": "loki", "elasticsearch": "elasticsearch",
                 "opensearch": "elasticsearch", "jaeger": "jaeger", "tempo": "tempo", "zipkin": "zipkin"}
STORES = (("metrics-store", "Metrics"), ("logs-store", "Logs"), ("traces-store", "Traces"))


def service_monitors(ctx: Context) -> list[Obj]:
    if not ctx.has("ServiceMonitor"):
        if any(p.component.metrics for p in ctx.components):
            ctx.warnings.append("no prometheus-operator provider in the plan: no ServiceMonitors rendered")
        return []
    out = []
    for planned in ctx.components:
        comp, metrics = planned.component, planned.component.metrics
        if metrics is None:
            continue
        endpoint: dict[str, Any] = {"path": metrics.path, "interval": "30s"}
        if isinstance(metrics.port, int):
            endpoint["targetPort"] = metrics.port
        else:
            endpoint["port"] = metrics.port
        spec = {"selector": {"matchLabels": dict(metrics.selector)},
                "namespaceSelector": {"matchNames": [comp.namespace]}, "endpoints": [endpoint]}
        out.append(ctx.obj(API, "ServiceMonitor", comp.name, owner=comp.name, role="monitoring",
                           group=ctx.group_of(comp), namespace=comp.namespace, spec=spec))
    return out


def datasources(ctx: Context) -> list[Obj]:
    grafana = ctx.provider("dashboards")
    if grafana is None:
        return []
    sources = []
    for cap, title in STORES:
        store = ctx.provider(cap)
        kind = GRAFANA_TYPES.get(store.name) if store else None
        if store is None or kind is None or not store.endpoints:
            if store is not None:
                ctx.warnings.append(f"no Grafana datasource type known for {cap} provider {store.name}")
            continue
        ep = store.endpoints[0]
        url = f"http://{ep.service}.{store.namespace}.svc:{ep.port}"
        # never the default and a uid of our own: the chart's values may provision their own default
        sources.append({"name": f"{title} ({store.title})", "type": kind, "uid": f"{ctx.platform}-{store.name}",
                        "access": "proxy", "url": url, "isDefault": False})
    if not sources:
        return []
    obj = ctx.obj("v1", "ConfigMap", f"{ctx.platform}-datasources", owner=grafana.name, role="monitoring",
                  group=ctx.group_of(grafana), namespace=grafana.namespace,
                  extra={"data": {"datasources.yaml": dump_text({"apiVersion": 1, "datasources": sources})}})
    obj.body["metadata"]["labels"]["grafana_datasource"] = "1"
    return [obj]


def render(ctx: Context) -> list[Obj]:
    return [*service_monitors(ctx), *datasources(ctx)]
