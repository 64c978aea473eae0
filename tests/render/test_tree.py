"""The tree on disk: byte-identical re-renders, atomic writes, ownership, overrides, kustomize parity."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tests.render.kubectl import argocd_build

from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.errors import InputError
from homelab.render import Rendered, env_objects, render_tree, write_tree
from homelab.render.writer import MARKER, ours, write


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
    assert ours(out) == set(rendered.files)
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
    (out / "application" / "grafana" / "NOTES.md").write_text("my notes\n")
    again = render_tree(config, catalog, tree=out)
    write_tree(again, out)
    assert (out / "overrides" / "all" / "grafana.yaml").read_text() == everywhere
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (out / "application" / "grafana" / "NOTES.md").read_text() == "my notes\n"
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
    ours = env_objects(tree, env)
    assert len(ours) > 100
    assert ours == argocd_build(tree, env)


def folder(tree: Path, group: str, env: str) -> dict[str, list[dict[str, object]]]:
    """The files of `<group>/<env>/` (an environment's patches and own objects), by name."""
    return {p.name: [d for d in yaml.safe_load_all(p.read_text()) if d]
            for p in sorted((tree / group / env).glob("*.yaml")) if p.name != "kustomization.yaml"}


def test_environments_differ_only_where_the_config_says(tree: Path) -> None:
    listed = {env: yaml.safe_load((tree / env / "kustomization.yaml").read_text())["resources"]
              for env in ("dev", "staging", "prod")}
    # shop's replicas differ in dev: base has no replica count, each environment's folder says its own
    base_shop = next(d for d in yaml.safe_load_all((tree / "application" / "shop" / "base" / "application.yaml")
                                                   .read_text()) if d["metadata"]["name"] == "shop")
    assert "replicaCount" not in base_shop["spec"]["source"]["helm"]["valuesObject"]
    for env, replicas in (("dev", 2), ("staging", 1), ("prod", 1)):
        patch = next(d for d in folder(tree, "application/shop", env)["application.yaml"]
                     if d["metadata"]["name"] == "shop")
        assert patch["spec"]["source"]["helm"]["valuesObject"] == {"replicaCount": replicas}
        assert set(patch["spec"]) == {"source"}, "a patch holds only what differs"
    # grafana's chart version differs in prod only (its hostnames differ everywhere)
    versions = {env: next(d for d in folder(tree, "application/grafana", env)["application.yaml"]
                          if d["metadata"]["name"] == "grafana")["spec"]["source"].get("targetRevision")
                for env in ("dev", "staging", "prod")}
    assert versions["prod"] == "9.9.9" and versions["dev"] == versions["staging"] != "9.9.9"
    # loki is removed in prod: its folder is there, prod does not list it
    assert (tree / "application" / "loki" / "base" / "application.yaml").is_file()
    assert [r for r in listed["dev"] if "/loki/" in r] and not [r for r in listed["prod"] if "/loki/" in r]
    # grafana's egress reaches loki where loki runs: its policy differs in exactly that
    for env, reaches in (("dev", True), ("staging", True), ("prod", False)):
        policy = folder(tree, "application/grafana", env)["network-policy.yaml"][0]
        assert ("loki" in str(policy["spec"]["egress"])) is reaches
    assert not (tree / "data" / "cloudnative-pg" / "dev").exists(), "what does not differ has no folder"
    # one folder per component: its objects split by kind, its namespace first
    docs = list(yaml.safe_load_all((tree / "application" / "grafana" / "base" / "namespace.yaml").read_text()))
    assert docs[0]["kind"] == "Namespace" and docs[0]["metadata"]["name"] == "grafana"
    kinds = {d["kind"] for p in (tree / "application" / "grafana" / "base").glob("*.yaml")
             for d in yaml.safe_load_all(p.read_text()) if d}
    assert kinds >= {"Namespace", "NetworkPolicy", "Application", "ExternalSecret", "Ingress"}
