"""layout.factor on hand-made environments: the base comes from the renderings without promoted values, and every
difference of an environment's own rendering from it (a field, a deleted key, a null, a merged list, a missing
object) builds back exactly, by our reader and by kubectl kustomize."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from tests.render.kubectl import kustomize

from homelab.render.context import Obj
from homelab.render.kustomize import build
from homelab.render.layout import factor
from homelab.render.yamlout import dump

ENVS = ("dev", "staging", "prod")
GROUP = "application/web"


def app(values: dict[str, Any], version: str = "1.0.0") -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "web", "namespace": "argocd"},
            "spec": {"source": {"chart": "web", "targetRevision": version, "helm": {"valuesObject": values}}}}


def deployment(containers: list[dict[str, Any]], replicas: int = 1) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "web"},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": containers}}}}


def config_map(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "web"},
            "data": {"a": "1"}}


UNPROMOTED = {env: [app({"size": env, "keep": {"x": 1}}), deployment([{"name": "web", "image": "web:1"}]),
                    config_map("settings")] for env in ENVS}


def by_kind(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def written(per_env: dict[str, list[dict[str, Any]]], folder: Path) -> dict[str, bytes]:
    files = factor({env: [Obj(copy.deepcopy(b), GROUP) for b in bodies] for env, bodies in per_env.items()},
                   {env: [Obj(copy.deepcopy(b), GROUP) for b in bodies] for env, bodies in UNPROMOTED.items()})
    out = {rel: dump(data) for rel, data in files.items()}
    for rel, data in out.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return out


def test_promoted_values_stay_out_of_the_base(tmp_path: Path) -> None:
    """dev and prod agree on a promoted value staging lacks: it is still each one's own patch, never the base's."""
    per_env = copy.deepcopy(UNPROMOTED)
    for env in ("dev", "prod"):
        per_env[env][0]["spec"]["source"]["helm"]["valuesObject"]["tier"] = "tested"
    files = written(per_env, tmp_path)
    assert b"tested" not in files[f"{GROUP}/base/application.yaml"]
    assert b"keep" in files[f"{GROUP}/base/application.yaml"]
    assert b"tested" in files[f"{GROUP}/dev/application.yaml"] and b"tested" in files[f"{GROUP}/prod/application.yaml"]
    assert b"tested" not in files[f"{GROUP}/staging/application.yaml"]


@pytest.mark.parametrize("change", ["delete a key", "set null", "merged list", "scalar of a merging kind",
                                    "object missing", "object added"])
def test_every_difference_builds_back_exactly(tmp_path: Path, change: str) -> None:
    per_env = copy.deepcopy(UNPROMOTED)
    staging = per_env["staging"]
    values = staging[0]["spec"]["source"]["helm"]["valuesObject"]
    if change == "delete a key":
        del values["keep"]
    elif change == "set null":
        values["keep"] = {"x": None}  # Helm's way to drop a chart default: a merge patch's null would delete it
    elif change == "merged list":
        staging[1] = deployment([{"name": "sidecar", "image": "side:1"}])  # kustomize merges containers by name
    elif change == "scalar of a merging kind":
        staging[1] = deployment([{"name": "web", "image": "web:1"}], replicas=3)
    elif change == "object missing":
        staging.pop(2)
    else:
        staging.append(config_map("extra"))
    unchanged = written(UNPROMOTED, tmp_path / "before")
    files = written(per_env, tmp_path)
    for env in ENVS:  # files hold objects by kind, so compare by identity
        assert by_kind(build(tmp_path / GROUP / env)) == by_kind(per_env[env]), env
        assert by_kind(kustomize(tmp_path / GROUP / env)) == by_kind(per_env[env]), env
    moved = sorted(rel for rel in unchanged.keys() | files.keys() if unchanged.get(rel) != files.get(rel))
    assert moved and all(f"{GROUP}/staging/" in rel for rel in moved), moved


def test_a_long_kind_file_is_split_one_file_per_object(tmp_path: Path) -> None:
    many = [{**config_map(f"settings-{i}"), "data": {f"key{k}": str(k) for k in range(12)}} for i in range(20)]
    per_env = {env: [*copy.deepcopy(UNPROMOTED[env]), *copy.deepcopy(many)] for env in ENVS}
    files = factor({env: [Obj(b, GROUP) for b in bodies] for env, bodies in per_env.items()},
                   {env: [Obj(copy.deepcopy(b), GROUP) for b in bodies] for env, bodies in per_env.items()})
    base = f"{GROUP}/base/"
    assert f"{base}config-map.yaml" not in files
    assert [rel for rel in files if rel.startswith(f"{base}config-map-")] == [
        f"{base}config-map-settings{suffix}.yaml" for suffix in ["", *(f"-{i}" for i in range(20))]]
    assert files[f"{base}kustomization.yaml"]["resources"][0] == "application.yaml"
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(dump(data))
    assert all(dump(data).count(b"\n") <= 200 for rel, data in files.items() if rel.startswith(base))
    for env in ENVS:
        assert by_kind(kustomize(tmp_path / GROUP / env)) == by_kind(per_env[env])


def realm(env: str, clients: int) -> dict[str, Any]:
    """A custom resource whose list items differ per environment in one field (a Keycloak realm's clients)."""
    return {"apiVersion": "k8s.keycloak.org/v2alpha1", "kind": "KeycloakRealmImport",
            "metadata": {"name": "lab", "namespace": "web"},
            "spec": {"realm": {"clients": [{"clientId": f"ui-{i}", "enabled": True, "protocol": "openid-connect",
                                            "redirectUris": ["/*"], "webOrigins": ["+"],
                                            "rootUrl": f"https://ui-{i}.{env}.example.net"}
                                           for i in range(clients)]}}}


@pytest.mark.parametrize("clients", [2, 12])
def test_a_long_list_differing_inside_its_items_is_said_as_operations(tmp_path: Path, clients: int) -> None:
    """A merge patch of a custom resource replaces its list whole: 12 clients would be a long patch per environment,
    so the base keeps the items' shared fields and each environment adds its own rootUrl by index; 2 clients stay
    a short merge patch of the whole list. Either way each environment builds back exactly."""
    per_env = {env: [realm(env, clients)] for env in ENVS}
    files = factor({env: [Obj(copy.deepcopy(b), GROUP) for b in bodies] for env, bodies in per_env.items()})
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(dump(data))
    base_clients = files[f"{GROUP}/base/keycloak-realm-import.yaml"][0].get("spec", {}).get("realm", {}).get("clients")
    patches = files[f"{GROUP}/dev/kustomization.yaml"]["patches"]
    if clients == 12:
        assert base_clients == [{k: v for k, v in c.items() if k != "rootUrl"}
                                for c in per_env["dev"][0]["spec"]["realm"]["clients"]]
        assert [p.get("path") for p in patches] == [None]
        ops = patches[0]["patch"].splitlines()
        assert len(ops) == clients and '"path": "/spec/realm/clients/11/rootUrl"' in ops[-1]
        assert "https://ui-11.dev.example.net" in ops[-1]
    else:
        assert base_clients is None
        assert patches == [{"path": "keycloak-realm-import.yaml"}]
    for env in ENVS:
        assert build(tmp_path / GROUP / env) == per_env[env], env
        assert kustomize(tmp_path / GROUP / env) == per_env[env], env


def test_one_object_too_long_to_review_is_written_short_with_a_file_per_item(tmp_path: Path) -> None:
    """30 clients make one realm of 300 lines: the base holds it with no clients, each client is an `add` in a
    file named by its clientId, applied in order, and every environment builds back exactly (the per-environment
    rootUrl operations still address the clients by index)."""
    per_env = {env: [realm(env, 30)] for env in ENVS}
    files = factor({env: [Obj(copy.deepcopy(b), GROUP) for b in bodies] for env, bodies in per_env.items()})
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(dump(data))
    base = f"{GROUP}/base/"
    assert files[f"{base}keycloak-realm-import.yaml"][0]["spec"]["realm"]["clients"] == []
    parts = [rel for rel in files if rel.startswith(f"{base}keycloak-realm-import-clients/")]
    assert parts == [f"{base}keycloak-realm-import-clients/ui-{i}.yaml" for i in range(30)]
    assert files[f"{base}kustomization.yaml"]["patches"][3] == {
        "path": "keycloak-realm-import-clients/ui-3.yaml",
        "target": {"kind": "KeycloakRealmImport", "name": "lab", "namespace": "web"}}
    assert all(dump(data).count(b"\n") <= 200 for rel, data in files.items() if rel.startswith(base))
    for env in ENVS:
        assert build(tmp_path / GROUP / env) == per_env[env], env
        assert kustomize(tmp_path / GROUP / env) == per_env[env], env
