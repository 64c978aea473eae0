"""The bar of the promotion gate: `homelab promote dev staging --write` then `homelab render` changes only staging's
files, on the built-in example with overrides in every environment (staging's differing from dev's and prod's)."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from tests.render.test_cli import Run

from homelab.config import builtin_text
from homelab.render.writer import MARKER

SHA = "89abcdef0123456789abcdef0123456789abcdef"
STAGING = ("staging/*", "*/staging/*")


def snapshot(tree: Path) -> dict[str, bytes]:
    return {p.relative_to(tree).as_posix(): p.read_bytes() for p in tree.rglob("*") if p.is_file()}


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The built-in example as homelab.yaml, where dev and prod agree on a value staging does not have, dev runs
    its own chart versions and has an overrides/ file: a promotion makes staging equal dev in all three."""
    monkeypatch.chdir(tmp_path)
    yaml = YAML()
    doc = yaml.load(builtin_text())
    envs = doc["environments"]
    envs["dev"]["overrides"]["values"] = {"grafana": {"podAnnotations": {"tier": "tested"}}}
    envs["dev"]["overrides"]["versions"] = {"grafana": "12.4.0", "cilium": "1.20.1"}  # an Application, a bootstrap step
    envs["staging"]["overrides"] = {"values": {"grafana": {"podAnnotations": {"tier": "candidate"}}}}
    envs["prod"]["overrides"] = {"values": {"grafana": {"podAnnotations": {"tier": "tested"}}}}
    with (tmp_path / "homelab.yaml").open("w") as out:
        yaml.dump(doc, out)
    (tmp_path / "rendered" / "overrides" / "dev").mkdir(parents=True)
    (tmp_path / "rendered" / "overrides" / "dev" / "grafana.yaml").write_text("podLabels: {tuned: in-dev}\n")
    return tmp_path


def test_promote_then_render_changes_only_staging(lab: Path) -> None:
    tree = lab / "rendered"
    assert Run(["render", "--no-validate"]).exit_code == 0
    before = snapshot(tree)
    assert not [rel for rel in before if rel.startswith("staging/gate/release")], "staging runs nothing yet"
    promoted = Run(["promote", "dev", "staging", "--write", "--revision", SHA])
    assert promoted.exit_code == 0, promoted.output
    assert Run(["render", "--no-validate"]).exit_code == 0
    after = snapshot(tree)
    changed = sorted(rel for rel in before.keys() | after.keys()
                     if before.get(rel) != after.get(rel) and rel != MARKER)
    assert "staging/gate/release.yaml" in changed and SHA in after["staging/gate/release.yaml"].decode()
    assert "overrides/staging/grafana.yaml" in changed and "application/grafana/staging/application.yaml" in changed
    assert "bootstrap/staging/README.md" in changed and "bootstrap/staging/steps.yaml" in changed
    elsewhere = [rel for rel in changed if not any(fnmatch.fnmatch(rel, pattern) for pattern in STAGING)]
    assert elsewhere == [], "a promotion into staging rewrote files of other environments"
    staging_application = after["application/grafana/staging/application.yaml"].decode()
    assert "12.4.0" in staging_application and "tested" in staging_application and "in-dev" in staging_application
