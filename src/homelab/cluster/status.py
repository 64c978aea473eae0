"""`homelab status`: per component sync, health, chart version, pods ready, drift and last verify result.

Components are the Argo CD Applications that carry our labels; their status is what
Argo CD reports. Pods are matched by the Helm release label; the last verify result
comes from `.homelab/state/verify-<env>.json` (written by `homelab verify`). What we read
is written to `.homelab/state/status-<env>.json` for the portal.

A guest on a shared cluster (`namespace_prefix`) names its Applications `<prefix>-<name>`; its rows are
named as the plan names the components (the prefix taken off), and the components it uses from its host
(cert-manager, the operators, ...) are the host's Applications, shown with `owner` the host.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from homelab import statefile
from homelab.cluster import objects as o
from homelab.cluster.guest import Guest
from homelab.cluster.kube import Kube

APPLICATION = ("argoproj.io/v1alpha1", "Application")
INSTANCE = "app.kubernetes.io/instance"
NAME = "app.kubernetes.io/name"  # the component an Application belongs to


def chart_of(app: o.Obj) -> tuple[str | None, str | None]:
    """(chart, version) of an Application's first Helm source, else its path and revision."""
    spec = app.get("spec") or {}
    sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
    for source in sources:
        if source.get("chart"):
            return str(source["chart"]), source.get("targetRevision")
    if sources:
        return sources[0].get("path"), sources[0].get("targetRevision")
    return None, None


def pod_ready(pod: o.Obj) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") == "Succeeded":
        return True
    return any(c.get("type") == "Ready" and str(c.get("status")) == "True" for c in status.get("conditions") or [])


def component_status(app: o.Obj, pods: list[o.Obj], verify: list[dict[str, Any]], owner: str = "",
                     prefix: str | None = None) -> dict[str, Any]:
    """One row of the status table, from recorded objects only; `prefix` is a guest's, taken off the name."""
    meta, spec, status = app.get("metadata") or {}, app.get("spec") or {}, app.get("status") or {}
    application = str(meta.get("name"))
    name = application.removeprefix(f"{prefix}-") if prefix else application
    namespace = (spec.get("destination") or {}).get("namespace")
    release = ((spec.get("source") or {}).get("helm") or {}).get("releaseName") or application
    mine = [p for p in pods if o.labels(p).get(INSTANCE) == release] or pods
    mine = [p for p in mine if (p.get("status") or {}).get("phase") != "Succeeded"]
    drift = sorted(f"{r.get('kind')}/{r.get('name')}" for r in status.get("resources") or []
                   if r.get("status") not in (None, "Synced"))
    chart, version = chart_of(app)
    checks = [v for v in verify if v.get("name") == name]
    return {
        "name": name,
        "application": application,
        "owner": owner,
        "namespace": namespace,
        "wave": o.wave(app),
        "sync": (status.get("sync") or {}).get("status", "Unknown"),
        "health": (status.get("health") or {}).get("status", "Unknown"),
        "chart": chart,
        "version": version,
        "revision": (status.get("sync") or {}).get("revision"),
        "pods_ready": sum(pod_ready(p) for p in mine),
        "pods_total": len(mine),
        "drift": drift,
        "verify": None if not checks else {"ok": all(bool(c.get("ok")) for c in checks),
                                           "checks": checks},
    }


def read_verify(state_dir: Path, env: str) -> list[dict[str, Any]]:
    path = state_dir / f"verify-{env}.json"
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    items = data.get("results", []) if isinstance(data, dict) else data  # the state file, or `--json` output
    return [d for d in items if isinstance(d, dict)] if isinstance(items, list) else []


def read_status(kube: Kube, platform: str, env: str, state_dir: Path, guest: Guest | None = None,
                shared: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Read every component's status from the cluster and save it for the portal. For a guest, the `shared`
    components it uses are read from its host's Applications."""
    verify = read_verify(state_dir, env)
    report: dict[str, Any] = {"env": env, "context": kube.context, "read_at": int(time.time()),
                              "argocd": kube.served(*APPLICATION), "components": []}
    if report["argocd"]:
        apps = [(app, env) for app in kube.list(*APPLICATION, labels=o.ownership_selector(platform, env))]
        if guest is not None and shared:
            host = guest.host
            apps += [(app, host) for app in kube.list(*APPLICATION, labels=o.ownership_selector(platform, host))
                     if o.labels(app).get(NAME) in shared]
        pods_by_ns: dict[str, list[o.Obj]] = {}
        for app, owner in sorted(apps, key=lambda a: (o.wave(a[0]), o.ref(a[0]).name)):
            ns = str(((app.get("spec") or {}).get("destination") or {}).get("namespace") or "")
            if ns and ns not in pods_by_ns:
                pods_by_ns[ns] = kube.list("v1", "Pod", namespace=ns)
            report["components"].append(component_status(app, pods_by_ns.get(ns, []), verify, owner,
                                                         guest.prefix if guest and owner == env else None))
    statefile.write(state_dir / f"status-{env}.json", json.dumps(report, indent=2) + "\n")  # 0600
    return report
