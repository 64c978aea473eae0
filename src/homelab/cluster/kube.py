"""The thin I/O layer: one lightkube client per kube context, objects in and out as dicts.

Every object goes through a generic resource class (built-in kinds borrow their path
and scope from lightkube's models, custom kinds from their CRD), so what the server
returns is kept whole as a dict for readiness, diff and status. Writes are server-side
apply under one field manager per environment (`homelab-<env>`); conflicts surface unless
`force` is asked for. The first request proves the address is a Kubernetes API server;
every API failure is translated into one message and one exit code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
from lightkube import Client
from lightkube.config import client_adapter
from lightkube.config.kubeconfig import SingleConfig
from lightkube.config.models import Cluster as LkCluster
from lightkube.config.models import Context as LkContext
from lightkube.config.models import User as LkUser
from lightkube.generic_resource import GenericNamespacedResource
from lightkube.types import PatchType

from homelab.cluster import apierrors, kubeconfig
from homelab.cluster.credentials import Credentials
from homelab.cluster.kinds import KindInfo, builtin_kind, crd_kind_infos, resource_class
from homelab.cluster.objects import Obj, Ref, crd_kinds, ref
from homelab.cluster.transport import KubeTransport, RetryPolicy
from homelab.errors import ExitCode, HomelabError, cluster_error

FIELD_MANAGER = "homelab"
ARGOCD_FIELD_MANAGER = "homelab-argocd"


def env_field_manager(env: str) -> str:
    """Each environment owns its fields under its own name, so two never silently share one."""
    return f"{FIELD_MANAGER}-{env}"


class Kube:
    """A connection to one cluster through one kube context.

    `budget` bounds retries of a failing request (the command's --timeout); `field_manager`
    names who owns what we apply (`homelab-<env>`, or `homelab-argocd` for Argo CD's install).
    """

    def __init__(self, ctx: kubeconfig.Context, transport: httpx2.BaseTransport | None = None, *,
                 field_manager: str = FIELD_MANAGER, budget: float = 60.0, policy: RetryPolicy | None = None):
        self.context, self.server, self.field_manager = ctx.name, ctx.server, field_manager
        self.transport = KubeTransport(Credentials(ctx), policy or RetryPolicy(budget=budget), inner=transport)
        limit = httpx2.Timeout(min(20.0, max(budget, 1.0)))
        # TLS, identity and proxy live in our transport; lightkube only builds paths and decodes objects.
        config = SingleConfig(context_name=ctx.name, context=LkContext(cluster=ctx.name, namespace=ctx.namespace),
                              cluster=LkCluster(server=ctx.server), user=LkUser())
        self.client = Client(config, timeout=limit, field_manager=field_manager, transport=self.transport,
                             trust_env=False)
        params = client_adapter.ConnectionParams(timeout=limit, transport=self.transport, trust_env=False)
        self.http = client_adapter.Client(config, params)
        self._kinds: dict[tuple[str, str], KindInfo] = {}
        self._discovered: dict[str, dict[str, KindInfo]] = {}
        self._version: dict[str, Any] | None = None

    @classmethod
    def connect(cls, context: str | None = None, kubeconfig_path: Path | None = None,
                transport: httpx2.BaseTransport | None = None, **options: Any) -> Kube:
        """Open the kubeconfig (`kubeconfig_path`, else every file of $KUBECONFIG merged, else
        ~/.kube/config) at `context`, or its current context."""
        ctx = kubeconfig.load(context, kubeconfig_path)
        with apierrors.credential_errors():
            return cls(ctx, transport=transport, **options)

    def close(self) -> None:
        self.client.close()
        self.http.close()

    @contextmanager
    def managed_as(self, field_manager: str) -> Iterator[None]:
        """Apply under another field manager for a while (Argo CD's own install)."""
        before, self.field_manager = self.field_manager, field_manager
        try:
            yield
        finally:
            self.field_manager = before

    @contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """Translate transport and API failures into one clear message with its exit code."""
        with apierrors.translated(apierrors.Where(self.server, self.context, self.transport), doing):
            yield

    def _not_kubernetes(self, what: str) -> HomelabError:
        return apierrors.not_kubernetes(apierrors.Where(self.server, self.context, self.transport), what)

    def check_server(self) -> dict[str, Any]:
        """`/version`, once: the reachability and credentials check, and proof the address is Kubernetes."""
        if self._version is None:
            with self.errors("reading the server version"):
                response = self.http.get("/version")
                if response.status_code in (401, 403):
                    response.raise_for_status()
                if response.status_code != 200 or not response.headers.get("content-type", "").startswith(
                        "application/json"):
                    raise self._not_kubernetes(f"GET /version answered HTTP {response.status_code} "
                                               f"({response.headers.get('content-type') or 'no content type'})")
                found = response.json()
            if not isinstance(found, dict) or "gitVersion" not in found:
                raise self._not_kubernetes("GET /version did not answer with a Kubernetes version")
            self._version = dict(found)
        return self._version

    # --- kinds -----------------------------------------------------------------------------------------------

    def learn(self, crds: list[Obj]) -> None:
        """Remember where the kinds of these CRDs (from the tree) will live, before the cluster serves them."""
        for crd in crds:
            for info in crd_kind_infos(crd):
                self._kinds[(f"{info.group}/{info.version}", info.kind)] = info

    def _discover(self, api_version: str) -> dict[str, KindInfo]:
        """The kinds the server serves in one group/version, from API discovery (as kubectl reads it).

        Discovery lists a custom resource only once its CRD is Established, so this is also the
        readiness test for custom kinds; one small request instead of every CRD's schema.
        """
        if api_version not in self._discovered:
            self.check_server()
            group, _, version = api_version.rpartition("/")
            with self.errors(f"discovering {api_version}"):
                response = self.http.get(f"/apis/{api_version}" if group else f"/api/{version}")
                if response.status_code == 404 and apierrors.is_status(response):
                    found: dict[str, Any] = {}
                else:
                    response.raise_for_status()
                    found = response.json()
            self._discovered[api_version] = {
                str(r["kind"]): KindInfo(group, version, str(r["kind"]), str(r["name"]), bool(r.get("namespaced")))
                for r in found.get("resources") or [] if "/" not in str(r.get("name", ""))}
        return self._discovered[api_version]

    def kind(self, api_version: str, kind: str) -> KindInfo | None:
        """Where objects of this kind live: built in, served by the cluster, or defined by a CRD in the tree."""
        key = (api_version, kind)
        if key not in self._kinds:
            found = builtin_kind(api_version, kind) or self._discover(api_version).get(kind)
            if found is None:
                return None
            self._kinds[key] = found
        return self._kinds[key]

    def refresh_crds(self) -> None:
        """Forget what discovery said: CRDs come, get Established and go during apply and destroy."""
        self._discovered.clear()

    def served(self, api_version: str, kind: str) -> bool:
        """Whether the server itself serves this kind now (built in, or its CRD is Established)."""
        return builtin_kind(api_version, kind) is not None or kind in self._discover(api_version)

    def _res(self, api_version: str, kind: str) -> Any:
        self.check_server()
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
                                       patch_type=PatchType.APPLY, field_manager=self.field_manager,
                                       force=force, dry_run=dry_run)
        return dict(result)

    def get(self, r: Ref) -> Obj | None:
        """The live object, or None when it does not exist (404)."""
        res = self._res(r.api_version, r.kind)
        with self.errors(f"reading {r}"):
            try:
                return dict(self.client.get(res, r.name, namespace=r.namespace or None))
            except httpx2.HTTPStatusError as exc:
                if exc.response.status_code == 404 and apierrors.is_status(exc.response):
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
                if exc.response.status_code == 404 and apierrors.is_status(exc.response):
                    return False
                raise
        return True

    def version(self) -> dict[str, Any]:
        """The API server's `/version` (also the cheapest reachability and credentials check)."""
        return self.check_server()


def learn_tree(kube: Kube, objects: list[Obj]) -> None:
    """Teach `kube` the kinds defined by CRDs inside the tree, before they exist in the cluster."""
    kube.learn(list(crd_kinds(objects).values()))
