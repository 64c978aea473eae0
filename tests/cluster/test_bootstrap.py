"""Bootstrap: Argo CD's manifest verified by sha256 (or trusted on first use), then the entry point."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import pytest

from homelab.cluster import argocd
from homelab.cluster.bootstrap import bootstrap, entry_objects
from homelab.cluster.kube import builtin_kind
from homelab.errors import ExitCode, HomelabError, InputError

from .fakeapi import FakeAPI
from .helpers import FIXTURES, FakeClock, load

MANIFEST = (FIXTURES / "argocd-install.yaml").read_bytes()
DIGEST = hashlib.sha256(MANIFEST).hexdigest()
REPO = "https://gitea.dev.home.example.net/homelab/platform.git"


def namespaced(obj: dict) -> bool:
    info = builtin_kind(obj["apiVersion"], obj["kind"])
    return bool(info and info.namespaced)


def fetch_counting(calls: list[str]) -> argocd.Fetch:
    def fetch(url: str) -> bytes:
        calls.append(url)
        return MANIFEST
    return fetch


def test_manifest_url_is_pinned_to_the_crds_version() -> None:
    assert argocd.MANIFEST_URL == "https://raw.githubusercontent.com/argoproj/argo-cd/v3.5.1/manifests/install.yaml"


def test_refuses_without_a_verified_digest(tmp_path: Path) -> None:
    calls: list[str] = []
    with pytest.raises(InputError) as err:
        argocd.fetch_manifest(tmp_path, fetch=fetch_counting(calls))
    assert "--trust-on-first-use" in str(err.value) and calls == [], "nothing is downloaded"


def test_trust_on_first_use_records_then_checks(tmp_path: Path) -> None:
    calls: list[str] = []
    data, how = argocd.fetch_manifest(tmp_path, trust_on_first_use=True, fetch=fetch_counting(calls))
    assert data == MANIFEST and DIGEST in how and "trusted on first use" in how
    assert argocd.digest_file(tmp_path).read_text().split()[0] == DIGEST
    _, how = argocd.fetch_manifest(tmp_path, fetch=fetch_counting(calls))
    assert how == f"sha256 {DIGEST} verified" and len(calls) == 2

    def tampered(url: str) -> bytes:
        return MANIFEST + b"\n# extra\n"

    with pytest.raises(HomelabError) as err:
        argocd.fetch_manifest(tmp_path, trust_on_first_use=True, fetch=tampered)
    assert err.value.exit_code == ExitCode.PREFLIGHT and "checksum mismatch" in str(err.value)


def test_given_digest_and_local_copy(tmp_path: Path) -> None:
    data, how = argocd.fetch_manifest(tmp_path, expected=DIGEST.upper(), source=FIXTURES / "argocd-install.yaml",
                                      fetch=fetch_counting([]))
    assert data == MANIFEST and how.endswith("verified")
    with pytest.raises(HomelabError):
        argocd.fetch_manifest(tmp_path, expected="0" * 64, source=FIXTURES / "argocd-install.yaml")


def test_manifest_objects_go_into_the_argocd_namespace() -> None:
    objects = argocd.manifest_objects(MANIFEST, namespaced)
    where = {o["kind"]: o["metadata"].get("namespace") for o in objects}
    assert objects[0] == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}}
    assert where["Deployment"] == "argocd" and where["ServiceAccount"] == "argocd"
    assert where["ClusterRole"] is None and where["CustomResourceDefinition"] is None


def env_objects() -> list[dict]:
    tree = load("tree.yaml")
    root = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "homelab-dev", "namespace": "argocd",
                         "labels": {"app.kubernetes.io/component": "root-application",
                                    "homelab.dev/platform": "homelab", "homelab.dev/env": "dev"}},
            "spec": {"project": "default", "source": {"repoURL": REPO, "path": "clusters/dev",
                                                      "targetRevision": "main"},
                     "destination": {"server": "https://kubernetes.default.svc", "namespace": "argocd"}}}
    gitea_app = copy.deepcopy(next(x for x in tree if x["kind"] == "Application"))
    gitea_app["metadata"]["name"] = "local-manifests"
    gitea_app["spec"]["source"] = {"repoURL": REPO, "path": "clusters/manifests/x", "targetRevision": "main"}
    return [*tree, root, gitea_app]


def test_git_mode_installs_argo_cd_then_projects_and_the_root_app(api: FakeAPI, tmp_path: Path) -> None:
    manifest = argocd.manifest_objects(MANIFEST, namespaced)
    result = bootstrap(api.kube(tmp_path), env_objects(), manifest, platform="homelab", env="dev", repo_url=REPO,
                       clock=FakeClock())
    assert len(result.argocd) == len(manifest)
    names = api.applied_names()
    assert names[:3] == ["applications.argoproj.io", "appprojects.argoproj.io", "argocd"]
    assert names[-2:] == ["homelab-data", "homelab-dev"], "then only the AppProjects and the root Application"
    assert "web" not in names


def test_local_mode_applies_the_tree_and_defers_apps_from_the_in_cluster_git(api: FakeAPI, tmp_path: Path) -> None:
    api.script("Application", "local-manifests", [{"sync": {"status": "Unknown"},
                                                   "health": {"status": "Missing"}}])
    manifest = argocd.manifest_objects(MANIFEST, namespaced)
    result = bootstrap(api.kube(tmp_path), env_objects(), manifest, platform="homelab", env="dev", repo_url=REPO,
                       mode="local", clock=FakeClock())
    assert result.deferred == ["Application/argocd/local-manifests"]
    names = api.applied_names()
    assert "web" in names and "blue" in names and "local-manifests" in names
    assert "homelab-dev" not in names, "the root app waits for the hand-over"

    handed = bootstrap(api.kube(tmp_path), env_objects(), [], platform="homelab", env="dev", repo_url=REPO,
                       mode="handover", clock=FakeClock())
    assert handed.applied is not None and handed.applied.applied == ["Application/argocd/homelab-dev"]


def test_entry_objects_need_exactly_one_root() -> None:
    with pytest.raises(InputError) as err:
        entry_objects(load("tree.yaml"))
    assert "0 root Applications" in str(err.value)


def test_force_conflicts_applies_only_to_argo_cd_objects(api: FakeAPI, tmp_path: Path) -> None:
    manifest = argocd.manifest_objects(MANIFEST, namespaced)
    bootstrap(api.kube(tmp_path), env_objects(), manifest, platform="homelab", env="dev", repo_url=REPO,
              clock=FakeClock(), force_argocd=True)
    forced = [r.url.path.rsplit("/", 1)[1] for r in api.requests
              if r.method == "PATCH" and r.url.params.get("force") == "true"]
    assert forced == api.applied_names()[:len(manifest)]
    assert "homelab-dev" in api.applied_names() and "homelab-dev" not in forced
