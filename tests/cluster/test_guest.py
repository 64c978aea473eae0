"""The cluster commands for a guest (`namespace_prefix`): on the shared-cluster example rendered for real, with the
host's and the guest's objects live in one (fake) API server, each command selects only the guest's objects."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from homelab.catalog import load_catalog
from homelab.cluster import objects as o
from homelab.cluster.apply import apply_tree, prune_preview
from homelab.cluster.bootstrap import bootstrap, is_root
from homelab.cluster.destroy import destroy
from homelab.cluster.drift import diff_tree
from homelab.cluster.guest import Guest, guest_of, present, refuse_host_with_guests, require_host, shared_components
from homelab.cluster.prune import inventory_object
from homelab.cluster.status import read_status
from homelab.config import LoadedConfig, load
from homelab.errors import ExitCode, InputError
from homelab.render import env_objects, render_tree, write_tree

from .fakeapi import FakeAPI
from .helpers import FakeClock
from .helpers import load as load_fixture

PLATFORM = "homelab"
APPLICATION = ("argoproj.io/v1alpha1", "Application")


@dataclass
class Shared:
    loaded: LoadedConfig
    host: list[dict[str, Any]]  # prod's objects, as `homelab apply --env prod` reads them
    guest: list[dict[str, Any]]  # dev's


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    """The shared-cluster example (dev a guest of prod) at profile minimal, rendered into a tree."""
    root = tmp_path_factory.mktemp("shared")
    body = yaml.safe_load(resources.files("homelab").joinpath("examples/shared-cluster.yaml").read_text())
    body.update(profile="minimal", choices={})
    (root / "homelab.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    loaded = load(root / "homelab.yaml")
    write_tree(render_tree(loaded.config, load_catalog(), envs=["prod", "dev"]), root / "rendered")
    return Shared(loaded, env_objects(root / "rendered", "prod"), env_objects(root / "rendered", "dev"))


def stand_in_crds(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """TEST DOUBLE for the CRDs the host's charts install (cert-manager's, the operators'...): one Established CRD
    per custom kind in `objects`, so the fake API server serves, lists and deletes those kinds."""
    out = {}
    for obj in objects:
        r = o.ref(obj)
        if o.is_builtin_group(r.group):
            continue
        plural = r.kind.lower() + ("es" if r.kind.endswith("s") else "s")
        out[(r.group, r.kind)] = {
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{r.group}"},
            "spec": {"group": r.group, "scope": "Cluster" if r.namespace == "" else "Namespaced",
                     "names": {"kind": r.kind, "plural": plural},
                     "versions": [{"name": r.api_version.rpartition("/")[2], "served": True, "storage": True}]},
            "status": {"conditions": [{"type": "Established", "status": "True"}]}}
    return list(out.values())


def live(api: FakeAPI, *trees: list[dict[str, Any]]) -> None:
    """Every object of `trees` stored as the API server holds it after an apply (the inventories included)."""
    api.add(*stand_in_crds([obj for tree in trees for obj in tree]))
    for tree in trees:
        api.add(*copy.deepcopy(tree))
        env = o.labels(tree[0])[o.ENV_LABEL]
        api.add(inventory_object(PLATFORM, env, {(str(x["apiVersion"]), str(x["kind"])) for x in tree}))


def refs(objects: list[dict[str, Any]]) -> set[o.Ref]:
    return {o.ref(obj) for obj in objects}


def test_render_gives_the_guest_only_its_own_labelled_objects(shared: Shared) -> None:
    """What every command below relies on: the guest's tree holds only objects labelled dev, in its prefixed
    namespaces or (adding to the host's) named for it; cluster-scoped only what is named for it (its Namespaces,
    and its own Kyverno policies where it audits under a host that enforces)."""
    assert shared.guest and not refs(shared.guest) & refs(shared.host)
    assert {o.labels(x)[o.ENV_LABEL] for x in shared.guest} == {"dev"}
    cluster_scoped = [o.ref(x) for x in shared.guest if not o.ref(x).namespace]
    assert cluster_scoped and all(r.kind in ("Namespace", "ClusterPolicy") and r.name.startswith("dev-")
                                  for r in cluster_scoped)


def test_guest_of_names_the_host_prefix_and_the_line(shared: Shared) -> None:
    guest = guest_of(shared.loaded, "dev")
    assert guest is not None and (guest.env, guest.host, guest.prefix) == ("dev", "prod", "dev")
    assert guest.file == shared.loaded.source.file and guest.line is not None
    assert "namespace_prefix: dev" in Path(guest.file).read_text().splitlines()[guest.line - 1]
    assert guest_of(shared.loaded, "prod") is None


def test_destroying_the_guest_deletes_its_objects_and_leaves_every_host_object(api: FakeAPI, tmp_path: Path,
                                                                                shared: Shared) -> None:
    live(api, shared.host, shared.guest)
    guest = guest_of(shared.loaded, "dev")
    assert guest is not None
    before = set(api.objects)
    plan = destroy(api.kube(tmp_path), shared.guest, PLATFORM, "dev", delete_data=True, clock=FakeClock(),
                   foreign=guest.foreign)
    assert refs(plan.delete) == refs(shared.guest) and plan.kept == []
    gone = before - set(api.objects)
    assert len(gone) == len(shared.guest) + 1, "the guest's objects and its inventory, nothing else"
    assert all(api.key_of(x) in api.objects for x in shared.host), "every host object is still there"


def test_a_guest_never_deletes_a_cluster_scoped_object_whatever_its_labels(api: FakeAPI, tmp_path: Path,
                                                                           shared: Shared) -> None:
    """A host Namespace and a ClusterRole that (by a hand edit, or a bug) carry dev's labels stay, and so does dev's
    inventory (what was kept is still remembered)."""
    live(api, shared.host, shared.guest)
    dev = dict(o.labels(shared.guest[0]))
    host_ns = next(x for x in shared.host if x["kind"] == "Namespace")
    stray = [copy.deepcopy(host_ns), {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                      "metadata": {"name": "shared-reader"}, "rules": []}]
    for obj in stray:
        obj["metadata"]["labels"] = dev
    api.add(*stray)
    kinds = {(str(x["apiVersion"]), str(x["kind"])) for x in [*shared.guest, *stray]}
    api.add(inventory_object(PLATFORM, "dev", kinds))  # as if an earlier render of dev had applied a ClusterRole
    guest = guest_of(shared.loaded, "dev")
    assert guest is not None
    plan = destroy(api.kube(tmp_path), shared.guest, PLATFORM, "dev", delete_data=True, clock=FakeClock(),
                   foreign=guest.foreign)
    assert sorted(plan.kept) == sorted(f"{o.ref(x)} (cluster-scoped, shared with prod: a guest never deletes it)"
                                       for x in stray)
    assert all(api.key_of(x) in api.objects for x in stray)
    assert all(api.key_of(x) not in api.objects for x in shared.guest if x["kind"] != "Namespace")


def test_apply_of_the_guest_applies_and_prunes_only_its_own(api: FakeAPI, tmp_path: Path, shared: Shared) -> None:
    live(api, shared.host)
    api.add(*stand_in_crds(shared.guest))
    kube = api.kube(tmp_path)
    assert prune_preview(kube, shared.guest, PLATFORM, "dev") == []
    result = apply_tree(kube, shared.guest, PLATFORM, "dev", clock=FakeClock())
    assert set(result.applied) == {str(r) for r in refs(shared.guest)} and result.pruned == []
    fewer = [x for x in shared.guest if x["kind"] != "NetworkPolicy" or x["metadata"]["namespace"].startswith("dev-")]
    doomed = prune_preview(kube, fewer, PLATFORM, "dev")
    assert doomed and {o.ref(x) for x in doomed} == refs(shared.guest) - refs(fewer)
    assert all(o.labels(x)[o.ENV_LABEL] == "dev" for x in doomed), "a host object is never pruned by the guest"


def test_diff_of_the_guest_shows_only_its_objects(api: FakeAPI, tmp_path: Path, shared: Shared) -> None:
    live(api, shared.host)
    api.add(*stand_in_crds(shared.guest))
    diffs = diff_tree(api.kube(tmp_path), shared.guest, PLATFORM, "dev")
    assert {d.name for d in diffs} == {str(r) for r in refs(shared.guest)}
    assert {d.action for d in diffs} == {"create"}


def test_the_guest_needs_its_host_first(api: FakeAPI, tmp_path: Path, shared: Shared) -> None:
    guest = guest_of(shared.loaded, "dev")
    assert guest is not None
    kube = api.kube(tmp_path)
    with pytest.raises(InputError) as err:
        require_host(kube, PLATFORM, guest)
    assert err.value.exit_code == ExitCode.BAD_INPUT
    line = str(err.value)
    assert line.startswith(f"{guest.file}:{guest.line}: environments.dev.namespace_prefix: ")
    assert "prod is not installed there yet" in line and "bootstrap prod first: `homelab bootstrap --env prod`" in line
    api.add(inventory_object(PLATFORM, "prod", set()))  # prod applied, but Argo CD's CRDs not served
    require_host(kube, PLATFORM, guest)
    with pytest.raises(InputError, match="prod has no Argo CD there yet"):
        require_host(kube, PLATFORM, guest, argocd=True)


def test_a_host_bootstrapped_through_git_counts_as_present(api: FakeAPI, tmp_path: Path, shared: Shared) -> None:
    """`bootstrap` (git mode) writes no inventory: prod's root Application says it is there."""
    api.add(*load_fixture("argocd-crds.yaml"), *[x for x in shared.host if is_root(x)])
    kube = api.kube(tmp_path)
    assert present(kube, PLATFORM, "prod") and not present(kube, PLATFORM, "dev")


def test_bootstrap_of_the_guest_installs_no_second_argo_cd(api: FakeAPI, tmp_path: Path, shared: Shared) -> None:
    api.add(*load_fixture("argocd-crds.yaml"))
    result = bootstrap(api.kube(tmp_path), shared.guest, None, platform=PLATFORM, env="dev",
                       repo_url=shared.loaded.config.gitops.repo_url, clock=FakeClock())
    applied = {(x.kind, x.name) for x in map(o.ref, shared.guest) if str(x) in (result.applied.applied
                                                                                  if result.applied else [])}
    assert result.argocd == [] and applied == {(x["kind"], x["metadata"]["name"]) for x in shared.guest
                                               if x["kind"] == "AppProject" or is_root(x)}
    assert all(name.startswith("homelab-dev") for _, name in applied)


def test_a_host_is_not_destroyed_under_its_guests(api: FakeAPI, tmp_path: Path, shared: Shared) -> None:
    kube = api.kube(tmp_path)
    refuse_host_with_guests(kube, shared.loaded, "prod")  # no guest installed yet: nothing to refuse
    api.add(inventory_object(PLATFORM, "dev", set()))
    with pytest.raises(InputError) as err:
        refuse_host_with_guests(kube, shared.loaded, "prod")
    assert "prod hosts dev" in str(err.value) and "`homelab destroy --env dev`" in str(err.value)
    refuse_host_with_guests(kube, shared.loaded, "dev")  # a guest hosts nobody


def test_status_of_the_guest_names_its_components_and_shows_shared_ones_as_the_hosts(
        api: FakeAPI, tmp_path: Path, shared: Shared) -> None:
    api.add(*load_fixture("argocd-crds.yaml"))
    api.add(*[x for x in [*shared.host, *shared.guest] if x["kind"] == "Application"])
    guest = guest_of(shared.loaded, "dev")
    assert isinstance(guest, Guest)
    used = shared_components(shared.loaded, "dev")
    assert {"cert-manager", "cloudnative-pg"} <= used and not {"postgresql", "redis", "nats"} & used
    state = tmp_path / "state"
    state.mkdir()
    (state / "verify-dev.json").write_text(json.dumps([{"name": "redis", "kind": "redis", "ok": True}]))
    report = read_status(api.kube(tmp_path), PLATFORM, "dev", state, guest, used)
    redis = next(c for c in report["components"] if c["name"] == "redis")
    assert redis["verify"] and redis["verify"]["ok"], "verify names targets after components: the row matches"
    rows = {(c["name"], c["owner"]) for c in report["components"]}
    assert {("nats", "dev"), ("redis", "dev"), ("cert-manager", "prod"), ("cloudnative-pg", "prod")} <= rows
    assert all(c["application"] == f"dev-{c['name']}" for c in report["components"]
               if c["owner"] == "dev" and not c["name"].startswith("homelab"))
    host_rows = {c["application"] for c in report["components"] if c["owner"] == "prod"}
    host_apps = {x["metadata"]["name"] for x in shared.host if x["kind"] == "Application"}
    assert host_rows < host_apps and "homelab-prod" not in host_rows, "only the components dev uses from prod"
