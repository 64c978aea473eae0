"""Benchmark of the cluster stage.

1. The logic on large synthetic trees (ordering, prune selection, diff) and the client-side cost of
   one server-side apply through lightkube (echoing transport, no network).
2. With a real control plane ($HOMELAB_E2E_KUBECONFIG, from `tests/e2e/cluster/kube up`): for the
   `minimal`, `standard` and `full` profiles, `homelab bootstrap --local` until every wave is ready, next
   to `kubectl apply --server-side` of the very same objects (Argo CD's install and the tree) in one run.
   Fake kwok nodes make pods ready at once and ArgoCDControllerDouble (tests/e2e, a test double for
   Argo CD's controller) polls Applications every 0.1 s, so the wall time is our own
   overhead: applying, ordering and waiting. Every chart CRD is installed beforehand for both runs, and
   the environment is destroyed (data included) before each run.

Run: .venv/bin/python bench/cluster.py   (add `--profiles minimal` to run fewer)
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path

import httpx2
import yaml
from rich.console import Console
from rich.table import Table
from timing import best_of  # bench/timing.py (scripts run with bench/ on sys.path)

from homelab.cluster import objects as o
from homelab.cluster.diff import diff_object
from homelab.cluster.kube import Kube
from homelab.cluster.prune import select_prune

KINDS = [("v1", "Namespace"), ("v1", "ConfigMap"), ("apps/v1", "Deployment"), ("networking.k8s.io/v1",
         "NetworkPolicy"), ("argoproj.io/v1alpha1", "Application"), ("v1", "ServiceAccount")]
LABELS = {o.PLATFORM_LABEL: "bench", o.ENV_LABEL: "dev"}


def tree(size: int) -> list[o.Obj]:
    out = []
    for i in range(size):
        api, kind = KINDS[i % len(KINDS)]
        out.append({"apiVersion": api, "kind": kind,
                    "metadata": {"name": f"obj-{i}", "namespace": f"ns-{i % 50}", "labels": dict(LABELS),
                                 "annotations": {o.SYNC_WAVE: str(i % 7)}},
                    "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "c", "image": "x:1"}]}}}})
    return out




def echo(request: httpx2.Request) -> httpx2.Response:
    if request.url.path == "/version":
        return httpx2.Response(200, json={"major": "1", "minor": "34", "gitVersion": "v1.34.0"})
    return httpx2.Response(200, json=json.loads(request.content))


def kube(tmp: Path) -> Kube:
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "b",
              "clusters": [{"name": "b", "cluster": {"server": "https://bench.test"}}],
              "users": [{"name": "b", "user": {"token": "t"}}],
              "contexts": [{"name": "b", "context": {"cluster": "b", "user": "b"}}]}
    (tmp / "kubeconfig").write_text(yaml.safe_dump(config))
    return Kube.connect("b", tmp / "kubeconfig", transport=httpx2.MockTransport(echo))


def measure(size: int) -> list[tuple[str, float]]:
    objects = tree(size)
    live = copy.deepcopy(objects) + [dict(x, metadata=dict(x["metadata"], name=x["metadata"]["name"] + "-old"))
                                     for x in objects[: size // 10]]
    changed = copy.deepcopy(objects)
    for x in changed[::3]:
        x["spec"]["replicas"] = 2
    return [
        ("waves (apply order)", best_of(lambda: o.waves(objects))),
        ("prune selection", best_of(lambda: select_prune(live, objects, "bench", "dev"))),
        ("diff per object (a third changed)",
         best_of(lambda: [diff_object(a, b) for a, b in zip(objects, changed, strict=True)])),
    ]


def logic_table() -> Table:
    table = Table(title="cluster logic (best of 3)")
    for column in ("operation", "objects", "seconds", "objects/s"):
        table.add_column(column, justify="right" if column != "operation" else "left")
    for size in (1_000, 10_000):
        for name, seconds in measure(size):
            table.add_row(name, f"{size:,}", f"{seconds:.3f}", f"{size / seconds:,.0f}")
    with tempfile.TemporaryDirectory() as tmp:
        client = kube(Path(tmp))
        objects = [x for x in tree(600) if x["kind"] != "Application"][:500]
        seconds = best_of(lambda: [client.apply(x, dry_run=True) for x in objects])
        table.add_row("server-side apply via lightkube (echo transport)", f"{len(objects):,}", f"{seconds:.3f}",
                      f"{len(objects) / seconds:,.0f}")
        client.close()
    return table


def main() -> None:
    import argparse
    import os

    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", nargs="*", default=["minimal", "standard", "full"])
    args = parser.parse_args()
    console = Console()
    console.print(logic_table())
    kubeconfig = os.environ.get("HOMELAB_E2E_KUBECONFIG")
    if not kubeconfig:
        console.print("no control plane: set HOMELAB_E2E_KUBECONFIG (`tests/e2e/cluster/kube up` prints one) "
                      "to compare bootstrap --local with kubectl apply --server-side")
        return
    from cluster_real import compare  # bench/cluster_real.py

    console.print(compare(Path(kubeconfig), args.profiles))


if __name__ == "__main__":
    main()
