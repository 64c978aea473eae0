"""The thin I/O layer: one lightkube client per kube context, objects in and out as dicts.

Every object goes through a generic resource class (built-in kinds borrow their path
and scope from lightkube's models, custom kinds from their CRD), so what the server
returns is kept whole as a dict for readiness, diff and status. Writes are server-side
apply with field manager `homelab`; conflicts surface unless `force` is asked for.
Every API failure is translated into one message and one exit code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from lightkube import ApiError, Client, ConfigError, KubeConfig
from lightkube.config import client_adapter
from lightkube.core import resource as lkres
from lightkube.core.resource_registry import resource_registry
from lightkube.generic_resource import GenericGlobalResource, GenericNamespacedResource, create_api_info
from lightkube.types import PatchType

from homelab.cluster.objects import Obj, Ref, crd_kinds, ref
from homelab.errors import ExitCode, HomelabError, InputError, Problem, cluster_error

FIELD_MANAGER = "homelab"


@dataclass(frozen=True)
class KindInfo:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool


_CLASSES: dict[KindInfo, type] = {}


def resource_class(info: KindInfo) -> Any:
    """A lightkube generic resource class for `info` (kept out of lightkube's global registry)."""
    if info not in _CLASSES:
        base = GenericNamespacedResource if info.namespaced else GenericGlobalResource
        _CLASSES[info] = type(info.kind, (base,), {"_api_info": create_api_info(
            info.group, info.version, info.kind, info.plural)})
    return _CLASSES[info]


def builtin_kind(api_version: str, kind: str) -> KindInfo | None:
    """Path and scope of a built-in kind from lightkube's models, or None for custom kinds."""
    try:
        model = resource_registry.load(api_version, kind)
    except Exception:  # lightkube raises LoadResourceError, or AttributeError for odd names
        return None
    info = lkres.api_info(model)
    return KindInfo(info.resource.group, info.resource.version, kind, info.plural,
                    issubclass(model, lkres.NamespacedResource))


def crd_kind_infos(crd: Obj) -> list[KindInfo]:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    return [KindInfo(str(spec.get("group")), str(v.get("name")), str(names.get("kind")), str(names.get("plural")),
                     spec.get("scope") == "Namespaced") for v in spec.get("versions") or []]


def _status_message(error: httpx2.HTTPStatusError) -> str:
    if isinstance(error, ApiError) and error.status.message:
        return str(error.status.message)
    try:
        return str(error.response.json().get("message") or error.response.text)
    except ValueError:
        return error.response.text.strip() or error.response.reason_phrase


class Kube:
    """A connection to one cluster through one kube context."""

    def __init__(self, config: Any, transport: httpx2.BaseTransport | None = None, timeout: float = 20.0):
        self.context = str(config.context_name)
        self.server = str(config.cluster.server)
        limit = httpx2.Timeout(timeout)
        trust_env = transport is None  # honour HTTPS_PROXY like kubectl, except under a test transport
        self.client = Client(config, timeout=limit, field_manager=FIELD_MANAGER, transport=transport,
                             trust_env=trust_env)
        params = client_adapter.ConnectionParams(timeout=limit, transport=transport, trust_env=trust_env)
        self.http = client_adapter.Client(config, params)
        self._kinds: dict[tuple[str, str], KindInfo] = {}
        self._served: set[tuple[str, str]] | None = None

    @classmethod
    def connect(cls, context: str | None = None, kubeconfig: Path | None = None,
                transport: httpx2.BaseTransport | None = None) -> Kube:
        """Open the kubeconfig (`kubeconfig`, else $KUBECONFIG, else ~/.kube/config) at `context`."""
        import os

        # $KUBECONFIG may list several files; like kubectl we take contexts from the first that exists
        # (lightkube reads one file, so contexts spread over several files are not merged).
        candidates = [Path(p).expanduser() for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
        path = kubeconfig or next((p for p in candidates if p.is_file()), None) or Path("~/.kube/config").expanduser()
        try:
            config = KubeConfig.from_file(path).get(context_name=context)
        except ConfigError as exc:
            raise InputError([Problem(f"kubeconfig {path}: {exc}", field="kube_context",
                                      hint="set environments.<env>.kube_context to a context in your kubeconfig, "
                                           "or point KUBECONFIG at the right file")]) from None
        return cls(config, transport=transport)

    def close(self) -> None:
        self.client.close()
        self.http.close()

    @contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """Translate transport and API failures into one clear message with its exit code."""
        try:
            yield
        except httpx2.HTTPStatusError as exc:
            raise self._translate(exc, doing) from None
        except httpx2.TransportError as exc:
            raise cluster_error(ExitCode.UNREACHABLE,
                                f"cannot reach the Kubernetes API server {self.server} (context {self.context}) "
                                f"while {doing}: {exc or type(exc).__name__}",
                                "check that the cluster is running and the kubeconfig's server address") from None
        except ConfigError as exc:
            raise cluster_error(ExitCode.UNAUTHORIZED, f"context {self.context}: {exc}",
                                "fix the user entry of your kubeconfig") from None

    def _translate(self, exc: httpx2.HTTPStatusError, doing: str) -> HomelabError:
        code, message = exc.response.status_code, _status_message(exc)
        if code == 401:
            return cluster_error(ExitCode.UNAUTHORIZED,
                                 f"the API server rejected the credentials of context {self.context} while {doing} "
                                 f"(401 Unauthorized: {message})",
                                 "they have probably expired; refresh the kubeconfig from your cluster")
        if code == 403:
            return cluster_error(ExitCode.FORBIDDEN, f"not allowed while {doing}: {message}",
                                 "the kubeconfig user needs RBAC rights for this (homelab needs cluster-admin "
                                 "to install CRDs and namespaces)")
        if code == 409:
            return cluster_error(ExitCode.CONFLICT, f"conflict while {doing}: {message}",
                                 "another field manager owns these fields; change them there, or re-run with "
                                 "--force-conflicts to take them over")
        return cluster_error(ExitCode.FINDINGS, f"the API server refused {doing} ({code}: {message})")

    # --- kinds -----------------------------------------------------------------------------------------------

    def learn(self, crds: list[Obj]) -> None:
        """Remember the kinds defined by these CRDs (from the tree or from the cluster)."""
        for crd in crds:
            for info in crd_kind_infos(crd):
                api_version = f"{info.group}/{info.version}"
                self._kinds[(api_version, info.kind)] = info

    def kind(self, api_version: str, kind: str, refresh: bool = True) -> KindInfo | None:
        """Where objects of this kind live; reads the cluster's CRDs once more when it is unknown."""
        key = (api_version, kind)
        if key not in self._kinds and (found := builtin_kind(api_version, kind)) is not None:
            self._kinds[key] = found
        if key not in self._kinds and refresh:
            self.refresh_crds()
        return self._kinds.get(key)

    def refresh_crds(self) -> None:
        """Read the cluster's CRDs: which custom kinds it serves right now."""
        crds = self.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        self.learn(crds)
        self._served = {(f"{(c.get('spec') or {}).get('group')}/{v.get('name')}",
                         str(((c.get("spec") or {}).get("names") or {}).get("kind")))
                        for c in crds for v in (c.get("spec") or {}).get("versions") or [] if v.get("served")}

    def served(self, api_version: str, kind: str) -> bool:
        """Whether the server itself serves this kind now (built in, or its CRD is installed)."""
        if builtin_kind(api_version, kind) is not None:
            return True
        if self._served is None:
            self.refresh_crds()
        return (api_version, kind) in (self._served or set())

    def _res(self, api_version: str, kind: str) -> Any:
        info = self.kind(api_version, kind)
        if info is None:
            raise cluster_error(ExitCode.TIMEOUT, f"the cluster does not know the kind {kind} ({api_version})",
                                "its CRD is not installed or not established yet")
        return resource_class(info)

    # --- verbs -----------------------------------------------------------------------------------------------

    def apply(self, obj: Obj, dry_run: bool = False, force: bool = False) -> Obj:
        """Server-side apply of one object; returns the object as the server stores (or would store) it."""
        r = ref(obj)
        res = self._res(r.api_version, r.kind)
        with self.errors(f"applying {r}" + (" (dry run)" if dry_run else "")):
            result = self.client.patch(res, r.name, obj, namespace=r.namespace or None,
                                       patch_type=PatchType.APPLY, field_manager=FIELD_MANAGER,
                                       force=force, dry_run=dry_run)
        return dict(result)

    def get(self, r: Ref) -> Obj | None:
        """The live object, or None when it does not exist (404)."""
        res = self._res(r.api_version, r.kind)
        with self.errors(f"reading {r}"):
            try:
                return dict(self.client.get(res, r.name, namespace=r.namespace or None))
            except httpx2.HTTPStatusError as exc:
                if exc.response.status_code == 404:
                    return None
                raise

    def list(self, api_version: str, kind: str, labels: dict[str, str] | None = None,
             namespace: str | None = None) -> list[Obj]:
        """Every object of a kind (all namespaces unless one is given), with apiVersion and kind filled in."""
        res = self._res(api_version, kind)
        where = namespace or ("*" if issubclass(res, GenericNamespacedResource) else None)
        with self.errors(f"listing {kind}"):
            items = [dict(o) for o in self.client.list(res, namespace=where, labels=labels)]  # type: ignore[arg-type]
        for item in items:
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return items

    def delete(self, r: Ref, dry_run: bool = False) -> bool:
        """Delete one object (background cascade); False when it was already gone."""
        from lightkube.types import CascadeType

        res = self._res(r.api_version, r.kind)
        with self.errors(f"deleting {r}" + (" (dry run)" if dry_run else "")):
            try:
                self.client.delete(res, r.name, namespace=r.namespace or None, cascade=CascadeType.BACKGROUND,
                                   dry_run=dry_run)
            except httpx2.HTTPStatusError as exc:
                if exc.response.status_code == 404:
                    return False
                raise
        return True

    def version(self) -> dict[str, Any]:
        """The API server's `/version` (also the cheapest reachability and credentials check)."""
        with self.errors("reading the server version"):
            response = self.http.get("/version")
            response.raise_for_status()
            return dict(response.json())


def learn_tree(kube: Kube, objects: list[Obj]) -> None:
    """Teach `kube` the kinds defined by CRDs inside the tree, before they exist in the cluster."""
    kube.learn(list(crd_kinds(objects).values()))
