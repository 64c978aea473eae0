"""The tree on disk: byte-identical re-renders, atomic writes, ownership, overrides, kustomize parity."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from tests.needs import tool

from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.errors import InputError
from homelab.render import Rendered, env_objects, render_tree, write_tree
from homelab.render.writer import MARKER, write


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_rerender_is_byte_identical(catalog: Catalog, config: Config, rendered: Rendered, tmp_path: Path) -> None:
    again = render_tree(config, catalog)
    assert again.files == rendered.files
    out = tmp_path / "tree"
    write_tree(rendered, out)
    first = snapshot(out)
    write_tree(again, out)
    assert snapshot(out) == first
    assert (out / MARKER).read_text().splitlines()[1:] == sorted(rendered.files)
    assert not [p for p in tmp_path.iterdir() if p.name != "tree"], "temporary folders left behind"


def test_refuses_a_foreign_non_empty_directory(rendered: Rendered, tmp_path: Path) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not empty and was not written by homelab"):
        write_tree(rendered, foreign)
    assert snapshot(foreign) == {"notes.txt": b"keep me"}
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        write_tree(rendered, a_file)
    empty = tmp_path / "empty"
    empty.mkdir()
    write_tree(rendered, empty)
    assert (empty / MARKER).is_file()
    first = tmp_path / "overrides-first"
    (first / "overrides" / "all").mkdir(parents=True)
    (first / "overrides" / "all" / "grafana.yaml").write_text("a: 1\n")
    write_tree(rendered, first)
    assert (first / "overrides" / "all" / "grafana.yaml").read_text() == "a: 1\n" and (first / MARKER).is_file()


def test_user_files_survive_and_overrides_are_merged(catalog: Catalog, config: Config, rendered: Rendered,
                                                     tmp_path: Path) -> None:
    out = tmp_path / "tree"
    write_tree(rendered, out)
    (out / "overrides" / "all").mkdir(parents=True)
    (out / "overrides" / "prod").mkdir(parents=True)
    everywhere = "# mine\nsidecar: {enabled: false}\ngrafana.ini: {server: {domain: '${domain}'}}\n"
    (out / "overrides" / "all" / "grafana.yaml").write_text(everywhere)
    (out / "overrides" / "prod" / "grafana.yaml").write_text("sidecar: {enabled: true}\n")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "base" / "NOTES.md").write_text("my notes\n")
    again = render_tree(config, catalog, tree=out)
    write_tree(again, out)
    assert (out / "overrides" / "all" / "grafana.yaml").read_text() == everywhere
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (out / "base" / "NOTES.md").read_text() == "my notes\n"
    for env, enabled in (("dev", False), ("prod", True)):
        app = next(o for o in env_objects(out, env)
                   if o["kind"] == "Application" and o["metadata"]["name"] == "grafana")
        values = app["spec"]["source"]["helm"]["valuesObject"]
        assert values["sidecar"] == {"enabled": enabled}
        assert values["grafana.ini"]["server"] == {"domain": "lab.example.net", "root_url": values["grafana.ini"][
            "server"]["root_url"]}
    assert "overrides/all/grafana.yaml" not in again.files


def test_a_user_file_where_we_now_write_is_refused(rendered: Rendered, tmp_path: Path) -> None:
    out = tmp_path / "tree"
    write(out, {"a.yaml": b"a: 1\n"})
    (out / "b.yaml").write_text("mine\n")
    with pytest.raises(InputError, match="is yours"):
        write(out, {"a.yaml": b"a: 2\n", "b.yaml": b"b: 2\n"})
    assert (out / "b.yaml").read_text() == "mine\n" and (out / "a.yaml").read_text() == "a: 1\n"


def test_a_failed_write_leaves_the_old_tree(tmp_path: Path) -> None:
    out = tmp_path / "tree"
    write(out, {"a.yaml": b"a: 1\n"})
    (out / "mine.txt").write_text("mine\n")
    with pytest.raises(OSError):
        write(out, {"x": b"file", "x/y.yaml": b"under a file\n"})
    assert snapshot(out) == {MARKER: (out / MARKER).read_bytes(), "a.yaml": b"a: 1\n", "mine.txt": b"mine\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tree"]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_env_objects_equal_kubectl_kustomize(tree: Path, env: str) -> None:
    kubectl = tool("kubectl", ".ci/run puts it on PATH")
    built = subprocess.run([kubectl, "kustomize", str(tree / env)], capture_output=True, text=True, check=True)
    theirs = [d for d in yaml.safe_load_all(built.stdout) if d]
    ours = env_objects(tree, env)
    assert len(ours) > 100
    assert ours == theirs


def patches_of(tree: Path, env: str) -> dict[tuple[str, str], list[dict[str, object]]]:
    kust = yaml.safe_load((tree / env / "kustomization.yaml").read_text())
    return {(p["target"]["kind"], p["target"]["name"]): yaml.safe_load(p["patch"]) for p in kust.get("patches", [])}


def test_environments_differ_only_where_the_config_says(tree: Path) -> None:
    dev, staging, prod = (patches_of(tree, env) for env in ("dev", "staging", "prod"))
    # shop's replicas differ in dev only: base keeps the value staging and prod share
    assert dev[("Application", "shop")] == [
        {"op": "add", "path": "/spec/source/helm/valuesObject/replicaCount", "value": 2}]
    assert ("Application", "shop") not in staging and ("Application", "shop") not in prod
    # grafana's chart version differs in prod only (its hostnames differ everywhere)
    assert {"op": "add", "path": "/spec/source/targetRevision", "value": "9.9.9"} in prod[("Application", "grafana")]
    assert not [op for op in staging[("Application", "grafana")] if op["path"] == "/spec/source/targetRevision"]
    # loki is removed in prod, so it lives in the dev and staging overlays, not in base
    assert (tree / "dev" / "application" / "loki.yaml").is_file()
    assert not (tree / "base" / "application" / "loki.yaml").exists()
    assert not [key for key in dev if key[0] in ("Namespace", "NetworkPolicy")]
    # one file per component (all its objects) and one per namespace (with its policies)
    docs = list(yaml.safe_load_all((tree / "base" / "application" / "grafana.yaml").read_text()))
    assert docs[0]["kind"] == "Namespace" and docs[0]["metadata"]["name"] == "grafana"
    assert {d["kind"] for d in docs} >= {"Namespace", "NetworkPolicy", "Application", "ExternalSecret", "Ingress"}
