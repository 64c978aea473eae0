"""`homelab crds fetch` fills the user cache from each entry's upstream CRD URLs (served here from ../shared/crds
by a local stand-in for raw.githubusercontent.com), and `homelab validate` uses it without being told."""

from __future__ import annotations

import hashlib
import json
import re
import socket
from pathlib import Path

import pytest
import yaml
from tests.shared import crd_schemas
from tests.validate.raw_server import serve, shared_files
from typer.testing import CliRunner

from homelab.catalog import load_catalog
from homelab.cli import app
from homelab.cli.validate_cmd import run_validation
from homelab.config import Config, builtin_text
from homelab.render import render_tree, write_tree
from homelab.validate.crd_cache import BASE_URL_ENV, INDEX, cache_root, cached_files

CONFIG = Config.model_validate(yaml.safe_load(builtin_text()))


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One `homelab crds fetch` into a fresh cache, from the stand-in server; the environment it ran in."""
    home = tmp_path_factory.mktemp("cache")
    patch = pytest.MonkeyPatch()
    with serve() as raw:
        patch.setenv(BASE_URL_ENV, raw.base_url)
        patch.setenv("XDG_CACHE_HOME", str(home))
        result = CliRunner().invoke(app, ["crds", "fetch"])
    patch.undo()
    return {"home": home, "result": result, "served": raw.served, "missing": raw.missing}


@pytest.fixture(scope="module")
def full_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("full") / "out"
    write_tree(render_tree(CONFIG, load_catalog()), tree)
    return tree


@pytest.fixture
def use_cache(fetched: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(fetched["home"]))
    return cache_root()


def test_fetch_downloads_every_shared_crd_with_checksums(fetched: dict[str, object], use_cache: Path) -> None:
    result = fetched["result"]
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert fetched["missing"] == [], "every URL the catalog names is a file upstream has (here: shared/crds)"
    served = {path for _, _, path in fetched["served"]}  # type: ignore[attr-defined]
    assert served == set(shared_files().values()), "every CRD under shared/crds is named by some catalog entry"
    index = json.loads((use_cache / INDEX).read_text())["components"]
    for body in index.values():
        for entry in body["files"]:
            data = (use_cache / entry["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]


def test_validate_uses_the_cache_and_leaves_no_shared_kind_unverified(use_cache: Path, full_tree: Path) -> None:
    """The bar: the full render with a fetched cache has 0 unverified objects of any kind under shared/crds."""
    report = run_validation(full_tree, CONFIG.cluster.kubernetes.version, None, CONFIG.gitops.repo_url)
    shared_kinds = {f"{api} {kind}" for api, kind in crd_schemas()}
    assert not shared_kinds & set(report.unverified), sorted(shared_kinds & set(report.unverified))
    assert report.findings == [], [f"{f.file} {f.path}: {f.message}" for f in report.findings][:10]
    assert report.objects > 2000 and any("homelab crds fetch" in note for note in report.notes)
    print(f"\nfull render with the fetched cache: {report.objects} objects, "
          f"{sum(report.unverified.values())} unverified ({', '.join(sorted(report.unverified)) or 'none'})")


SMALL_TREE = """apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: web}
spec: {secretName: web-tls, dnsNames: [web.example.net], issuerRef: {name: ca, kind: ClusterIssuer}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: api, namespace: web}
spec: {secretName: api-tls, dnsNames: [api.example.net], issuerRef: {name: ca, kind: ClusterIssuer}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: web}
"""


def small_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "objects.yaml").write_text(SMALL_TREE)
    return tree


def test_crds_dir_wins_over_the_cache(use_cache: Path, tmp_path: Path) -> None:
    tree, empty = small_tree(tmp_path), tmp_path / "no-crds"
    empty.mkdir()
    version, repo = CONFIG.cluster.kubernetes.version, CONFIG.gitops.repo_url
    assert run_validation(tree, version, None, repo).unverified == {"example.com/v1 Widget": 1}
    assert run_validation(tree, version, empty, repo).unverified == {"cert-manager.io/v1 Certificate": 2,
                                                                     "example.com/v1 Widget": 1}


def test_unverified_is_one_line_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = small_tree(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["validate", str(tree)])
    lines = [line for line in result.output.splitlines() if "unverified" in line]
    assert lines == ["unverified: 3 objects of 2 custom kinds have no CRD schema at hand; run `homelab crds fetch` "
                     "(or pass --crds DIR, or --from-cluster)"], result.output


def test_a_changed_cache_file_is_not_trusted_and_fetch_repairs_it(fetched: dict[str, object], tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    home = tmp_path / "home"
    shutil.copytree(str(fetched["home"]), home)
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    victim = next(cache_root().glob("cert-manager/*.yaml"))
    victim.write_text(victim.read_text().replace("cert-manager.io", "tampered.example"))
    good, problems = cached_files()
    assert victim not in good and len(problems) == 1 and "changed since" in problems[0]
    with serve() as raw:
        monkeypatch.setenv(BASE_URL_ENV, raw.base_url)
        result = CliRunner().invoke(app, ["crds", "fetch", "--json"])
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["downloaded"] == 1 and len(raw.served) == 1
    assert cached_files()[1] == []


def test_unreachable_upstream_is_one_line_per_file_and_keeps_the_cache(fetched: dict[str, object], tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    home = tmp_path / "home"
    shutil.copytree(str(fetched["home"]), home)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.setenv(BASE_URL_ENV, f"http://127.0.0.1:{port}")
    before = cached_files()[0]
    result = CliRunner().invoke(app, ["crds", "fetch", "--refresh"])
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert result.exit_code == 1 and len(errors) == sum(len(c.crds.files) for c in load_catalog().components.values()
                                                        if c.crds)
    assert all("unreachable" in line for line in errors) and "Traceback" not in result.output
    assert cached_files()[0] == before, "a failed refresh keeps the intact copies"


def test_every_crd_url_is_a_raw_file_at_a_tag_its_entry_names() -> None:
    for comp in load_catalog().components.values():
        if comp.crds is None:
            continue
        for url in comp.crds.files:
            match = re.fullmatch(r"https://raw\.githubusercontent\.com/[^/]+/[^/]+/([^/]+)/.+\.ya?ml", url)
            assert match, f"{comp.name}: {url} is not a raw file URL"
            tag = match[1]
            assert tag in comp.crds.confirmed, f"{comp.name}: crds.confirmed does not name the tag {tag}"
            pins = {v.lstrip("v") for v in (comp.source.version, comp.source.app_version) if v}
            assert any(tag.lstrip("v").endswith(p) or tag.endswith(p) for p in pins) or comp.name == "argo-cd", (
                f"{comp.name}: {tag} is not its pinned version {pins}")
