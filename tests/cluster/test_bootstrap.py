"""Bootstrap: Argo CD built from the tree's own kustomization (pinned manifest, sha256 checked), then the entry."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from homelab.cluster import argocd
from homelab.cluster import objects as o
from homelab.cluster.bootstrap import bootstrap, controller_install, entry_objects
from homelab.errors import ExitCode, HomelabError, InputError
from tests.needs import tool
from tests.shared import shared

from .fakeapi import FakeAPI
from .helpers import FIXTURES, FakeClock, load

REPO = "https://gitea.dev.home.example.net/homelab/platform.git"
PACKAGED = Path(__file__).resolve().parents[2] / "src" / "homelab" / "manifests" / "argo-cd"


def vendored() -> Path:
    """Upstream's install.yaml at v3.5.1, byte for byte (../shared/vendor)."""
    return shared("vendor", "argo-cd", "v3.5.1", "install.yaml")


def test_the_pinned_digest_ships_and_matches_upstream() -> None:
    assert argocd.PINNED == {argocd.MANIFEST_URL: "795a3a972224da6a7f9d32c3e946445f062b60fb46028476715affeb688236e3"}
    assert argocd.remote_manifest(argocd.MANIFEST_URL, vendored()) == vendored().read_bytes()
    downloads: list[str] = []

    def fetch(url: str) -> bytes:
        downloads.append(url)
        return vendored().read_bytes()

    assert argocd.remote_manifest(argocd.MANIFEST_URL, fetch=fetch) and downloads == [argocd.MANIFEST_URL]


def test_a_manifest_that_does_not_match_is_refused(tmp_path: Path) -> None:
    altered = tmp_path / "install.yaml"
    altered.write_bytes(vendored().read_bytes() + b"\n# one more line\n")
    with pytest.raises(HomelabError) as err:
        argocd.remote_manifest(argocd.MANIFEST_URL, altered)
    assert err.value.exit_code == ExitCode.PREFLIGHT
    assert "checksum mismatch" in str(err.value) and str(altered) in str(err.value)
    with pytest.raises(InputError) as unpinned:
        argocd.remote_manifest("https://example.com/install.yaml", vendored())
    assert "sha256 ships with homelab" in str(unpinned.value)


def kubectl_kustomize(folder: Path) -> list[dict]:
    kubectl = tool("kubectl", ".ci/run installs it")
    out = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, check=True).stdout
    return [d for d in yaml.load_all(out, Loader=yaml.CSafeLoader) if d]


def test_bootstrap_builds_exactly_what_kustomize_builds(tmp_path: Path) -> None:
    """What bootstrap installs is what the argo-cd Application syncs: one source, no adoption."""
    ours = argocd.build(PACKAGED, manifest=vendored())
    offline = tmp_path / "argo-cd"
    shutil.copytree(PACKAGED, offline)
    kustomization = offline / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace(argocd.MANIFEST_URL, "install.yaml"))
    shutil.copy(vendored(), offline / "install.yaml")

    def key(obj: dict) -> tuple[str, str, str]:
        return (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])

    theirs = {key(x): x for x in kubectl_kustomize(offline)}
    assert {key(x): x for x in ours} == theirs
    cm = theirs[("ConfigMap", "argocd", "argocd-cm")]["data"]
    assert "resource.customizations.health.argoproj.io_Application" in cm
    assert "resource.exclusions" in cm, "upstream's own keys are kept beside ours"


def test_the_builder_refuses_what_it_cannot_build_faithfully(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [install.yaml]\nimages: [{name: x, newTag: '1'}]\n")
    with pytest.raises(InputError) as unknown:
        argocd.build(tmp_path)
    assert "does not build images" in str(unknown.value)
    shutil.copy(FIXTURES / "argocd-install.yaml", tmp_path / "install.yaml")
    (tmp_path / "patch.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: argocd-server}\n"
                                         "spec: {template: {spec: {containers: [{name: x}]}}}\n")
    (tmp_path / "kustomization.yaml").write_text("resources: [install.yaml]\npatches: [{path: patch.yaml}]\n")
    with pytest.raises(InputError) as lists:
        argocd.build(tmp_path)
    assert "map-only patches" in str(lists.value)


def controller_tree(tmp_path: Path) -> Path:
    """A rendered tree holding a small GitOps controller kustomization (the fixture stands in for install.yaml)."""
    folder = tmp_path / "tree" / "manifests" / "argo-cd"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "argocd-install.yaml", folder / "install.yaml")
    (folder / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm}\n"
                                    "data: {resource.customizations.health.argoproj.io_Application: 'return {}'}\n")
    (folder / "kustomization.yaml").write_text("namespace: argocd\nresources: [install.yaml]\n"
                                               "patches: [{path: cm.yaml}]\n")
    return tmp_path / "tree"


def env_objects() -> list[dict]:
    tree = load("tree.yaml")
    mark = {o.PROTECTED: "gitops-controller", o.SYNC_WAVE: "0"}
    labels = {"homelab.dev/platform": "homelab", "homelab.dev/env": "dev"}
    restricted = {"pod-security.kubernetes.io/enforce": "restricted"}
    namespace = {"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"name": "argocd", "labels": {**labels, **restricted}, "annotations": dict(mark)}}
    controller = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                  "metadata": {"name": "argo-cd", "namespace": "argocd", "labels": dict(labels),
                               "annotations": dict(mark)},
                  "spec": {"project": "homelab-data", "source": {"repoURL": REPO, "path": "clusters/manifests/argo-cd",
                                                                  "targetRevision": "main"},
                           "destination": {"server": "https://kubernetes.default.svc", "namespace": "argocd"}}}
    root = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "homelab-dev", "namespace": "argocd",
                         "labels": {"app.kubernetes.io/component": "root-application", **labels}},
            "spec": {"project": "default", "source": {"repoURL": REPO, "path": "clusters/dev",
                                                      "targetRevision": "main"},
                     "destination": {"server": "https://kubernetes.default.svc", "namespace": "argocd"}}}
    gitea_app = copy.deepcopy(next(x for x in tree if x["kind"] == "Application"))
    gitea_app["metadata"]["name"] = "local-manifests"
    gitea_app["spec"]["source"] = {"repoURL": REPO, "path": "clusters/manifests/x", "targetRevision": "main"}
    return [*tree, namespace, controller, root, gitea_app]


def test_the_controller_is_found_through_its_protected_application(tmp_path: Path) -> None:
    namespaces, objects = controller_install(env_objects(), controller_tree(tmp_path), "clusters")
    assert [o.ref(x).name for x in namespaces] == ["argocd"]
    where = {x["kind"]: x["metadata"].get("namespace") for x in objects}
    assert where["Deployment"] == "argocd" and where["ClusterRole"] is None
    assert next(x for x in objects if x["kind"] == "ConfigMap")["data"]
    with pytest.raises(InputError) as err:
        controller_install([x for x in env_objects() if x["metadata"]["name"] != "argo-cd"], tmp_path, "clusters")
    assert "0 Applications marked homelab.dev/protected" in str(err.value)


def managers(api: FakeAPI) -> dict[str, str]:
    return {r.url.path.rsplit("/", 1)[1]: r.url.params["fieldManager"] for r in api.requests if r.method == "PATCH"}


def test_git_mode_installs_argo_cd_then_projects_and_the_root_app(api: FakeAPI, tmp_path: Path) -> None:
    install = controller_install(env_objects(), controller_tree(tmp_path), "clusters")
    result = bootstrap(api.kube(tmp_path, field_manager="homelab-dev"), env_objects(), install, platform="homelab",
                       env="dev", repo_url=REPO, clock=FakeClock())
    assert len(result.argocd) == 1 + len(install[1])
    names = api.applied_names()
    assert names[:3] == ["argocd", "applications.argoproj.io", "appprojects.argoproj.io"]
    assert names[-2:] == ["homelab-data", "homelab-dev"], "then only the AppProjects and the root Application"
    assert "web" not in names
    owners = managers(api)
    assert owners["argocd-server"] == owners["argocd-cm"] == "homelab-argocd", "Argo CD's install has its own"
    assert owners["homelab-dev"] == owners["argocd"] == "homelab-dev", "the environment's objects, the env's"


def test_local_mode_applies_the_tree_and_defers_apps_from_the_in_cluster_git(api: FakeAPI, tmp_path: Path) -> None:
    api.script("Application", "local-manifests", [{"sync": {"status": "Unknown"},
                                                   "health": {"status": "Missing"}}])
    install = controller_install(env_objects(), controller_tree(tmp_path), "clusters")
    result = bootstrap(api.kube(tmp_path), env_objects(), install, platform="homelab", env="dev", repo_url=REPO,
                       mode="local", clock=FakeClock())
    assert result.deferred == ["Application/argocd/argo-cd", "Application/argocd/local-manifests"]
    names = api.applied_names()
    assert "web" in names and "blue" in names and "local-manifests" in names
    assert "homelab-dev" not in names, "the root app waits for the hand-over"

    handed = bootstrap(api.kube(tmp_path), env_objects(), ([], []), platform="homelab", env="dev", repo_url=REPO,
                       mode="handover", clock=FakeClock())
    assert handed.applied is not None and handed.applied.applied == ["Application/argocd/homelab-dev"]


def test_entry_objects_need_exactly_one_root() -> None:
    with pytest.raises(InputError) as err:
        entry_objects(load("tree.yaml"))
    assert "0 root Applications" in str(err.value)


def test_argo_cd_is_always_forced_and_the_environment_only_when_asked(api: FakeAPI, tmp_path: Path) -> None:
    """Upstream installs Argo CD with --force-conflicts; the environment's objects surface conflicts."""
    install = controller_install(env_objects(), controller_tree(tmp_path), "clusters")

    def forced() -> list[str]:
        return [r.url.path.rsplit("/", 1)[1] for r in api.requests
                if r.method == "PATCH" and r.url.params.get("force") == "true"]

    bootstrap(api.kube(tmp_path), env_objects(), install, platform="homelab", env="dev", repo_url=REPO,
              clock=FakeClock())
    assert forced() == api.applied_names()[1:1 + len(install[1])], "exactly Argo CD's own objects"
    api.requests.clear()
    bootstrap(api.kube(tmp_path), env_objects(), install, platform="homelab", env="dev", repo_url=REPO,
              clock=FakeClock(), force=True)
    assert "homelab-dev" in forced() and "argocd" in forced()
