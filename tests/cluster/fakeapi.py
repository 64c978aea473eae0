"""An in-memory stand-in for the Kubernetes API server behind an httpx2.MockTransport.

It answers the paths lightkube builds (get, list with label selectors, server-side apply
PATCH with dryRun, delete), records every request so tests can assert their exact shape,
and lets a test script status changes or inject recorded error responses.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import yaml

from homelab.cluster.kube import Kube
from homelab.cluster.transport import RetryPolicy

Key = tuple[str, str, str, str]  # group, plural, namespace, name
Obj = dict[str, Any]

KUBECONFIG = {
    "apiVersion": "v1", "kind": "Config", "current-context": "lab",
    "clusters": [{"name": "lab", "cluster": {"server": "https://lab.test:6443"}}],
    "users": [{"name": "admin", "user": {"token": "test-token"}}],
    "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "admin"}}],
}
VERSION = {"major": "1", "minor": "33", "gitVersion": "v1.33.4+k3s1", "platform": "linux/amd64"}


def status_response(code: int, reason: str, message: str) -> httpx2.Response:
    """A Status object the way the API server sends errors."""
    return httpx2.Response(code, json={"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                       "message": message, "reason": reason, "code": code})


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = _merge(base.get(k), v)
        return out
    return copy.deepcopy(patch)


def _plural(kind: str) -> str:
    lower = kind.lower()
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return lower[:-1] + "ies"
    return lower + ("es" if lower.endswith(("s", "x")) else "s")


class FakeAPI:
    def __init__(self) -> None:
        self.objects: dict[Key, Obj] = {}
        self.requests: list[httpx2.Request] = []
        self.scripts: dict[tuple[str, str], list[Obj]] = {}  # (kind, name) -> statuses served on successive reads
        self.failures: list[tuple[Callable[[httpx2.Request], bool], httpx2.Response]] = []
        self.auto_ready = True
        self.stuck: set[str] = set()  # names whose deletion hangs on a finalizer
        self.finalizing: dict[str, int] = {}  # name -> reads a deletion takes before a controller releases it
        self.version = VERSION
        self._rv = 100
        self.t = 0.0  # the retry clock: moves only when the transport sleeps between retries

    # --- setup -------------------------------------------------------------------------------------------------

    def add(self, *objects: Obj) -> None:
        for obj in objects:
            self.objects[self.key_of(obj)] = copy.deepcopy(obj)

    def fail(self, when: Callable[[httpx2.Request], bool], response: httpx2.Response) -> None:
        self.failures.append((when, response))

    def script(self, kind: str, name: str, statuses: list[Obj]) -> None:
        self.scripts[(kind, name)] = [copy.deepcopy(s) for s in statuses]

    def key_of(self, obj: Obj) -> Key:
        group = str(obj["apiVersion"]).rpartition("/")[0]
        meta = obj["metadata"]
        return (group, _plural(obj["kind"]), meta.get("namespace", ""), meta["name"])

    def kube(self, tmp_path: Path, **options: Any) -> Kube:
        path = tmp_path / "kubeconfig"
        path.write_text(yaml.safe_dump(KUBECONFIG))
        options.setdefault("policy", self.retry_policy())
        return Kube.connect("lab", path, transport=httpx2.MockTransport(self.handle), **options)

    def retry_policy(self, budget: float = 60) -> RetryPolicy:
        def sleep(seconds: float) -> None:
            self.t += seconds

        return RetryPolicy(budget=budget, now=lambda: self.t, sleep=sleep)

    # --- views for assertions ------------------------------------------------------------------------------------

    def writes(self) -> list[httpx2.Request]:
        return [r for r in self.requests if r.method in ("PATCH", "DELETE", "POST", "PUT")]

    def applied_names(self, dry_run: bool = False) -> list[str]:
        return [r.url.path.rsplit("/", 1)[1] for r in self.requests
                if r.method == "PATCH" and ("dryRun" in r.url.params) == dry_run]

    def deleted_names(self, dry_run: bool = False) -> list[str]:
        return [r.url.path.rsplit("/", 1)[1] for r in self.requests
                if r.method == "DELETE" and ("dryRun" in r.url.params) == dry_run]

    # --- the server --------------------------------------------------------------------------------------------

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        for when, response in self.failures:
            if when(request):
                return response
        if request.url.path == "/version":
            return httpx2.Response(200, json=self.version)
        parts = request.url.path.strip("/").split("/")
        if parts[0] == "apis" and len(parts) == 3:
            return self._discovery(parts[1], parts[2])
        if parts[0] == "api":
            group, rest = "", parts[2:]
        else:
            group, rest = parts[1], parts[3:]
        namespace = ""
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        plural, name = rest[0], (rest[1] if len(rest) > 1 else None)
        if name is None:
            return self._list(request, group, plural, namespace)
        key = (group, plural, namespace, name)
        if request.method == "GET":
            return self._get(key)
        if request.method == "PATCH":
            return self._apply(request, key)
        if request.method == "DELETE":
            return self._delete(request, key)
        return status_response(405, "MethodNotAllowed", request.method)

    def _discovery(self, group: str, version: str) -> httpx2.Response:
        """`/apis/<group>/<version>`: the kinds of Established CRDs, as the API server lists them."""
        resources = []
        for key, crd in sorted(self.objects.items()):
            if key[1] != "customresourcedefinitions" or crd["spec"]["group"] != group:
                continue
            self._next_status(crd)
            conditions = (crd.get("status") or {}).get("conditions") or []
            if not any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                continue
            names = crd["spec"]["names"]
            if any(v["name"] == version and v.get("served", True) for v in crd["spec"]["versions"]):
                resources.append({"name": names["plural"], "kind": names["kind"],
                                  "namespaced": crd["spec"]["scope"] == "Namespaced"})
        if not resources:
            return httpx2.Response(404, text="404 page not found", headers={"content-type": "text/plain"})
        return httpx2.Response(200, json={"kind": "APIResourceList", "apiVersion": "v1",
                                          "groupVersion": f"{group}/{version}", "resources": resources})

    def _get(self, key: Key) -> httpx2.Response:
        obj = self.objects.get(key)
        if obj is not None and obj["metadata"].get("deletionTimestamp") and key[3] in self.finalizing:
            self.finalizing[key[3]] -= 1
            if self.finalizing[key[3]] <= 0:
                del self.objects[key], self.finalizing[key[3]]
                obj = None
        if obj is None:
            return status_response(404, "NotFound", f'{key[1]} "{key[3]}" not found')
        self._next_status(obj)
        return httpx2.Response(200, json=obj)

    def _next_status(self, obj: Obj) -> None:
        """A scripted object shows its next status on every read (get or list); the last one stays."""
        queue = self.scripts.get((obj["kind"], obj["metadata"]["name"]))
        if queue:
            obj["status"] = queue.pop(0) if len(queue) > 1 else queue[0]

    def _list(self, request: httpx2.Request, group: str, plural: str, namespace: str) -> httpx2.Response:
        selector = request.url.params.get("labelSelector")
        wanted = dict(part.split("=", 1) for part in selector.split(",")) if selector else {}
        items = []
        for (g, p, ns, _), obj in sorted(self.objects.items()):
            if g != group or p != plural or (namespace and ns != namespace):
                continue
            labels = obj["metadata"].get("labels") or {}
            if all(labels.get(k) == v for k, v in wanted.items()):
                self._next_status(obj)
                item = copy.deepcopy(obj)
                item.pop("apiVersion", None)
                item.pop("kind", None)
                items.append(item)
        return httpx2.Response(200, json={"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
                                          "items": items})

    def _apply(self, request: httpx2.Request, key: Key) -> httpx2.Response:
        body = json.loads(request.content)
        live = self.objects.get(key)
        merged = _merge(live or {}, body)
        self._rv += 1
        meta = merged["metadata"]
        meta.setdefault("uid", f"uid-{key[3]}")
        meta["resourceVersion"] = str(self._rv)
        meta.setdefault("creationTimestamp", "2026-11-26T12:00:00Z")
        meta["managedFields"] = [{"manager": request.url.params["fieldManager"], "operation": "Apply"}]
        if live is None and self.auto_ready:
            merged.setdefault("status", ready_status(merged))
        self._next_status(merged)  # the apply's answer shows the scripted status of the moment, as a read would
        if request.url.params.get("dryRun") != "All":
            self.objects[key] = merged
        return httpx2.Response(200, json=merged)

    def _delete(self, request: httpx2.Request, key: Key) -> httpx2.Response:
        if key not in self.objects:
            return status_response(404, "NotFound", f'{key[1]} "{key[3]}" not found')
        if request.url.params.get("dryRun") == "All":
            pass
        elif key[3] in self.stuck or key[3] in self.finalizing:
            self.objects[key]["metadata"]["deletionTimestamp"] = "2026-11-26T12:00:00Z"
        else:
            del self.objects[key]
        return httpx2.Response(200, json={"kind": "Status", "apiVersion": "v1", "status": "Success"})


def ready_status(obj: Obj) -> Obj:
    """The status a healthy controller would have written shortly after creation."""
    kind = obj["kind"]
    replicas = (obj.get("spec") or {}).get("replicas", 1)
    if kind == "Deployment":
        return {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                "readyReplicas": replicas, "availableReplicas": replicas}
    if kind == "StatefulSet":
        return {"observedGeneration": 1, "replicas": replicas, "readyReplicas": replicas,
                "currentRevision": "r1", "updateRevision": "r1", "updatedReplicas": replicas}
    if kind == "CustomResourceDefinition":
        return {"conditions": [{"type": "NamesAccepted", "status": "True"}, {"type": "Established", "status": "True"}]}
    if kind == "Application":
        return {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}
    if kind == "Namespace":
        return {"phase": "Active"}
    return {}
