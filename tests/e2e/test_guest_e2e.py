"""A guest environment (`namespace_prefix`) beside its host on a real kube-apiserver, through the CLI as a user runs it.

The shared-cluster example at profile `minimal`: prod is the host (it installs Argo CD, cert-manager, the operators),
dev runs as namespaces `<prefix>-*` on the same context. Before prod is there, dev is refused (exit 2, naming its
`namespace_prefix`); prod bootstraps; dev bootstraps beside it without a second Argo CD; status shows what dev uses of
prod's as prod's; diff is dev's alone; prod is not destroyed under dev; `destroy --env dev` removes dev's objects and
leaves every one of prod's (asserted by listing what each environment's labels select, before and after).

Argo CD's controller does not run here: ArgoCDControllerDouble (tests/e2e/argocd_double.py, a test double) installs
the CRDs prod's charts would bring and writes the Applications' status. The platform name is fresh per run, so the
ownership labels select this run's objects only; what earlier modules' destroys keep of Argo CD (its Namespace and
Application) is taken over by prod's bootstrap with --force-conflicts, as a user would, and removed at the end.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest
import yaml

from homelab.catalog import load_catalog
from homelab.cluster import argocd
from homelab.cluster import objects as o
from homelab.cluster.apply import inventory_ref
from homelab.cluster.bootstrap import is_root
from homelab.cluster.kube import Kube
from homelab.config import load
from homelab.render import env_objects, render_tree, write_tree
from tests.shared import shared, vendored

from .argocd_double import ArgoCDControllerDouble
from .test_bootstrap_e2e import changes
from .workspace import Workspace, cluster_nodes, current_context, e2e_kubeconfig, terminating, wait_until

pytestmark = pytest.mark.e2e
HOST, GUEST = "prod", "dev"
# every kind either environment writes at profile minimal, so a listing by labels sees all of them
KINDS = [("v1", "Namespace"), ("v1", "LimitRange"), ("v1", "Service"), ("v1", "ConfigMap"),
         ("networking.k8s.io/v1", "NetworkPolicy"), ("networking.k8s.io/v1", "Ingress"),
         ("policy/v1", "PodDisruptionBudget"), ("argoproj.io/v1alpha1", "Application"),
         ("argoproj.io/v1alpha1", "AppProject")]


@dataclass
class Lab:
    workspace: Workspace
    kube: Kube
    double: ArgoCDControllerDouble
    platform: str
    prefix: str
    objects: dict[str, list[dict[str, Any]]]  # each environment's, as its commands read them
    manifest: str  # Argo CD's pinned install manifest (../shared/vendor)

    def run(self, env: str, *args: str, timeout: float = 600) -> Any:
        return self.workspace.homelab(*args, env_name=env, timeout=timeout)

    def labelled(self, env: str) -> dict[o.Ref, str]:
        """Every live object of KINDS (and every kind the tree writes) that carries `env`'s labels, with its uid."""
        kinds = set(KINDS) | {(str(x["apiVersion"]), str(x["kind"])) for x in self.objects[env]}
        self.kube.refresh_crds()
        found = {}
        for api_version, kind in sorted(kinds):
            if self.kube.served(api_version, kind):
                for obj in self.kube.list(api_version, kind, labels=o.ownership_selector(self.platform, env)):
                    found[o.ref(obj)] = obj["metadata"]["uid"]
        return found


def configure(workspace: Workspace, kube: Kube, platform: str, prefix: str) -> None:
    body = yaml.safe_load(resources.files("homelab").joinpath("examples/shared-cluster.yaml").read_text())
    body["platform"]["name"] = platform
    body.update(profile="minimal", choices={})
    body["cluster"]["nodes"] = cluster_nodes(kube)
    body["environments"] = {GUEST: {"kube_context": workspace.context, "namespace_prefix": prefix},
                            HOST: {"kube_context": workspace.context, "subdomain": ""}}
    (workspace.root / "homelab.yaml").write_text(yaml.safe_dump(body, sort_keys=False))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    kubeconfig = e2e_kubeconfig()
    kube = Kube.connect(current_context(kubeconfig), kubeconfig)
    workspace = Workspace(tmp_path_factory.mktemp("guest"), kubeconfig, current_context(kubeconfig))
    run = uuid.uuid4().hex[:6]
    platform, prefix = f"g{run}", f"d{run}"
    configure(workspace, kube, platform, prefix)
    config = load(workspace.root / "homelab.yaml").config
    write_tree(render_tree(config, load_catalog(), envs=[HOST, GUEST]), workspace.tree)
    objects = {env: env_objects(workspace.tree, env) for env in (HOST, GUEST)}
    manifest = vendored(argocd.MANIFEST_URL)
    assert manifest is not None
    with ArgoCDControllerDouble(kubeconfig, workspace.tree, shared("crds")) as double:
        lab = Lab(workspace, kube, double, platform, prefix, objects, str(manifest))
        try:
            yield lab
        finally:
            for env in (GUEST, HOST):
                lab.run(env, "destroy", "--yes", "--delete-data", "--timeout", "300", timeout=420)
            kube.refresh_crds()
            leftover = [o.ref(x) for x in objects[HOST] if o.protected(x) or x["kind"] == "AppProject"]
            for ref in sorted(leftover, key=lambda r: r.kind != "Application"):  # Argo CD's own, this run's
                live = kube.get(ref)
                if live is not None and o.labels(live).get(o.PLATFORM_LABEL) == platform:
                    kube.delete(ref)
            wait_until("this run's Argo CD objects gone", lambda: all(kube.get(r) is None for r in leftover),
                       timeout=240)
            for env in (HOST, GUEST):  # kept while those were
                if kube.get(inventory_ref(platform, env)) is not None:
                    kube.delete(inventory_ref(platform, env))
    kube.close()


def test_the_guest_is_refused_until_its_host_is_there(lab: Lab) -> None:
    for command in (["apply", "--yes"], ["bootstrap", "--local", "--argocd-manifest", lab.manifest]):
        done = lab.run(GUEST, *command, "--timeout", "60", timeout=120)
        assert done.returncode == 2, (command, done.stderr[-2000:])
        assert "homelab.yaml:" in done.stderr and f"environments.{GUEST}.namespace_prefix: " in done.stderr
        assert f"bootstrap {HOST} first: `homelab bootstrap --env {HOST}`" in done.stderr
        assert done.stderr.count("error:") == 1 and "Traceback" not in done.stderr
    assert lab.labelled(GUEST) == {}, "nothing of the guest was written"


def test_host_then_guest_bootstrap_with_one_argo_cd(lab: Lab) -> None:
    host = lab.run(HOST, "bootstrap", "--local", "--argocd-manifest", lab.manifest,
                   "--force-conflicts", "--timeout", "420", timeout=540)
    assert host.returncode == 0, host.stderr[-3000:]
    assert f"bootstrapped {HOST}" in host.stderr and "install manifest sha256 verified" in host.stderr
    lab.kube.refresh_crds()  # Argo CD's and the charts' CRDs arrived with it
    server = lab.kube.get(o.Ref("apps/v1", "Deployment", "argocd", "argocd-server"))
    assert server is not None
    guest = lab.run(GUEST, "bootstrap", "--local", "--timeout", "420", timeout=540)
    assert guest.returncode == 0, guest.stderr[-3000:]
    assert "no second Argo CD" in guest.stderr and f"bootstrapped {GUEST}: {HOST}'s Argo CD" in guest.stderr
    assert "install manifest" not in guest.stderr
    after = lab.kube.get(o.Ref("apps/v1", "Deployment", "argocd", "argocd-server"))
    assert after is not None and after["metadata"]["generation"] == server["metadata"]["generation"]
    for env in (HOST, GUEST):
        missing = [str(o.ref(x)) for x in lab.objects[env] if not is_root(x) and lab.kube.get(o.ref(x)) is None]
        assert missing == [], env
    assert [r for r in lab.labelled(GUEST) if not r.namespace and not r.name.startswith(f"{lab.prefix}-")] == []
    assert lab.double.errors == []


def test_status_shows_the_guests_components_and_the_hosts_it_uses(lab: Lab) -> None:
    done = lab.run(GUEST, "status", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {c["name"]: c for c in json.loads(done.stdout)["components"]}
    assert rows["redis"]["owner"] == GUEST and rows["redis"]["application"] == f"{lab.prefix}-redis"
    assert rows["redis"]["namespace"] == f"{lab.prefix}-redis"
    assert rows["cert-manager"]["owner"] == HOST and rows["cloudnative-pg"]["owner"] == HOST
    assert all(c["sync"] == "Synced" for c in rows.values() if c["owner"] == HOST)


def test_diff_of_the_guest_is_its_own(lab: Lab) -> None:
    done = lab.run(GUEST, "diff")
    assert done.returncode == 0, done.stderr[-2000:]
    assert changes(done.stdout) == [f"create Application/argocd/{lab.platform}-{GUEST}"], "only the root, left for Git"


def test_the_host_is_not_destroyed_under_its_guest(lab: Lab) -> None:
    before = lab.labelled(HOST)
    done = lab.run(HOST, "destroy", "--yes", "--timeout", "60", timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"{HOST} hosts {GUEST}" in done.stderr and f"`homelab destroy --env {GUEST}`" in done.stderr
    assert lab.labelled(HOST) == before


def test_destroying_the_guest_leaves_every_host_object(lab: Lab) -> None:
    host, guest = lab.labelled(HOST), lab.labelled(GUEST)
    assert host and guest and not set(host) & set(guest)
    assert {r for r in guest if r.namespace and not r.namespace.startswith(f"{lab.prefix}-")}, \
        "the guest has objects in the host's namespaces too (its Applications, NetworkPolicies admitting it)"
    done = lab.run(GUEST, "destroy", "--yes", "--delete-data", "--timeout", "300", timeout=420)
    assert done.returncode == 0, done.stderr[-3000:]
    wait_until("the guest's objects gone", lambda: lab.labelled(GUEST) == {}, timeout=240,
               explain=lambda: sorted(map(str, lab.labelled(GUEST)))[:10])
    assert lab.labelled(HOST) == host, "every host object is still there, the very same (same uid)"
    assert [str(o.ref(x)) for x in lab.objects[HOST] if not is_root(x) and lab.kube.get(o.ref(x)) is None] == []
    wait_until("nothing left Terminating", lambda: terminating(lab.kube) == [], timeout=180)
