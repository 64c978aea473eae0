"""`homelab render`, `diagram` and `promote` through the real CLI, on the synthetic platform catalog."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import pytest
import yaml
from tests.render.conftest import CONFIG
from tests.shared import shared
from typer.testing import CliRunner

from homelab.catalog.loader import Catalog
from homelab.cli import app
from homelab.errors import HomelabError
from homelab.render.writer import MARKER

runner = CliRunner()


class Run:
    """A CLI run as `homelab` main() reports it: expected errors become their exit code and message."""

    def __init__(self, args: list[str]) -> None:
        result = runner.invoke(app, args)
        self.output = result.output
        self.exit_code = result.exit_code
        if isinstance(result.exception, HomelabError):
            self.exit_code = int(result.exception.exit_code)
            self.output += str(result.exception)
        elif result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception


@pytest.fixture
def workdir(tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a commented homelab.yaml; the CLI loads the synthetic catalog instead of the packaged one."""
    import homelab.catalog

    monkeypatch.setattr(homelab.catalog, "load_catalog", lambda root=None: catalog)
    monkeypatch.chdir(tmp_path)
    body = copy.deepcopy(CONFIG)
    body["environments"]["dev"]["overrides"]["versions"] = {"grafana": "2.0.0"}
    text = "# my homelab\n" + yaml.safe_dump(body, sort_keys=False).replace(
        "profile: full", "profile: full  # everything")
    (tmp_path / "homelab.yaml").write_text(text)
    return tmp_path


def test_render_writes_the_tree_and_a_summary(workdir: Path) -> None:
    result = Run(["render", "-o", "out", "--no-validate"])
    assert result.exit_code == 0, result.output
    assert (workdir / "out" / MARKER).is_file()
    assert (workdir / "out" / "prod" / "gate" / "root.yaml").is_file()
    assert "3 environments" in result.output and "files" in result.output
    again = Run(["render", "-o", "out", "--no-validate"])
    assert again.exit_code == 0, again.output


def test_render_validates_what_it_wrote(workdir: Path) -> None:
    result = Run(["render", "-o", "out", "--crds", str(shared("crds"))])
    assert "objects in" in result.output and "clean" in result.output, result.output
    assert result.exit_code == 0


def test_render_reports_findings_with_exit_1(workdir: Path) -> None:
    crds = shared("crds")
    assert Run(["render", "-o", "out", "--no-validate"]).exit_code == 0
    victim = sorted((workdir / "out" / "platform").glob("*/base/*.yaml"))[0]
    assert victim.name != "kustomization.yaml"
    victim.write_text(victim.read_text() + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: leak}\n"
                      "stringData: {password: hunter2}\n")
    result = Run(["validate", "out", "--crds", str(crds)])
    assert result.exit_code == 1 and "no-secret-data" in result.output


def test_render_refuses_a_foreign_directory(workdir: Path) -> None:
    (workdir / "out").mkdir()
    (workdir / "out" / "mine.txt").write_text("x")
    result = Run(["render", "-o", "out"])
    assert result.exit_code == 2
    assert "not empty and was not written by homelab render" in result.output
    assert sorted(p.name for p in (workdir / "out").iterdir()) == ["mine.txt"]


def test_diagram_prints_one_or_all(workdir: Path) -> None:
    one = Run(["diagram", "interactions"])
    assert one.exit_code == 0, one.output
    assert one.output.startswith("sequenceDiagram")
    everything = Run(["diagram", "--env", "dev"])
    assert everything.exit_code == 0
    lines = everything.output.splitlines()
    assert [line for line in lines if line.startswith("%% ")] == [
        "%% architecture", "%% interactions", "%% security", "%% monitoring", "%% deployment", "%% data-flow"]
    assert sum(line.startswith("graph ") for line in lines) == 5 and "sequenceDiagram" in lines
    bad = Run(["diagram", "nope"])
    assert bad.exit_code == 2


SHA = "0123456789abcdef0123456789abcdef01234567"


def test_promote_prints_a_diff_then_writes_keeping_comments(workdir: Path) -> None:
    (workdir / "rendered" / "overrides" / "dev").mkdir(parents=True)
    (workdir / "rendered" / "overrides" / "dev" / "grafana.yaml").write_text("# tuned in dev\nreplicas: 3\n")
    before = (workdir / "homelab.yaml").read_text()
    shown = Run(["promote", "dev", "staging", "--revision", SHA])
    assert shown.exit_code == 0, shown.output
    assert "+        grafana: 2.0.0" in shown.output and "-  staging: {}" in shown.output
    assert f"+    revision: {SHA}" in shown.output and "+replicas: 3" in shown.output
    assert (workdir / "homelab.yaml").read_text() == before, "promote without --write changed the file"
    written = Run(["promote", "dev", "staging", "--write", "--revision", SHA])
    assert written.exit_code == 0, written.output
    after = (workdir / "homelab.yaml").read_text()
    assert after.startswith("# my homelab\n") and "profile: full  # everything" in after
    data = yaml.safe_load(after)
    assert data["environments"]["staging"]["overrides"]["versions"] == {"grafana": "2.0.0"}
    assert data["environments"]["staging"]["overrides"]["values"] == {"grafana": {"env": "dev"}}
    assert data["environments"]["staging"]["revision"] == SHA
    assert data["environments"]["dev"] == yaml.safe_load(before)["environments"]["dev"]
    assert (workdir / "rendered" / "overrides" / "staging" / "grafana.yaml").read_text() == (
        "# tuned in dev\nreplicas: 3\n")
    nothing = Run(["promote", "dev", "staging", "--revision", SHA])
    assert nothing.exit_code == 0 and "nothing to promote" in nothing.output
    assert Run(["promote", "dev", "dev"]).exit_code == 2
    assert Run(["promote", "dev", "qa"]).exit_code == 2
    # staging now runs SHA, so promoting it to prod carries that commit (and no --revision may contradict it)
    onward = Run(["promote", "staging", "prod", "--write"])
    assert onward.exit_code == 0, onward.output
    assert yaml.safe_load((workdir / "homelab.yaml").read_text())["environments"]["prod"]["revision"] == SHA
    other = Run(["promote", "staging", "prod", "--revision", "f" * 40])
    assert other.exit_code == 2 and "staging runs" in other.output


@pytest.mark.parametrize("style", [{"mapping": 4, "sequence": 4, "offset": 2},
                                   {"mapping": 2, "sequence": 2, "offset": 0}])
def test_promote_writes_only_the_promoted_lines(workdir: Path, style: dict[str, int]) -> None:
    """A homelab.yaml in the user's own indentation keeps it: every other line is left exactly as it was."""
    from ruamel.yaml import YAML

    styled = YAML()
    styled.indent(**style)
    data = styled.load((workdir / "homelab.yaml").read_text())
    data["environments"]["prod"] = {"overrides": {"values": {"grafana": {"hosts": ["a", "b"]}}}}
    with (workdir / "homelab.yaml").open("w") as out:
        styled.dump(data, out)
    before = (workdir / "homelab.yaml").read_text().splitlines()
    assert Run(["promote", "dev", "staging", "--write", "--revision", SHA]).exit_code == 0
    after = (workdir / "homelab.yaml").read_text().splitlines()
    assert [line.strip() for line in after if "revision" in line] == [f"revision: {SHA}"]
    staging = before.index(next(line for line in before if line.lstrip().startswith("staging:")))
    removed = [line for line in before if line not in after]
    assert removed == [before[staging]], removed  # `staging: {}` became a section; nothing else moved
    assert next(line for line in after if line not in before).lstrip() == "staging:"
    assert after[:staging] == before[:staging] and after[-4:] == before[-4:]


def test_promote_leaves_a_flow_mapping_written_over_two_lines_as_it_was(workdir: Path) -> None:
    """ruamel.yaml joins a flow mapping the user wrapped; only the promoted environment's lines come from its output."""
    text = (workdir / "homelab.yaml").read_text()
    wrapped = "  - {name: n1, cpu: 16,\n     memory: 64Gi}  # wrapped by hand\n"
    node = "  - name: n1\n    cpu: 16\n    memory: 64Gi\n"
    assert node in text
    (workdir / "homelab.yaml").write_text(text.replace(node, wrapped, 1))
    before = (workdir / "homelab.yaml").read_text()
    assert wrapped in before
    assert Run(["promote", "dev", "staging", "--write", "--revision", SHA]).exit_code == 0
    after = (workdir / "homelab.yaml").read_text()
    assert wrapped in after
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert f"    revision: {SHA}" in added and all("name:" not in line for line in added), added


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.net", *args],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_promote_reads_the_commit_dev_runs_from_the_checkout(workdir: Path) -> None:
    """dev follows gitops.branch: the commit it runs is the branch's tip in the checkout holding the tree."""
    tree = workdir / "rendered"
    tree.mkdir()
    _git(tree, "init", "-q", "-b", "main")
    _git(tree, "commit", "-q", "--allow-empty", "-m", "rendered")
    tip = _git(tree, "rev-parse", "main")
    _git(tree, "checkout", "-q", "-b", "elsewhere")
    _git(tree, "commit", "-q", "--allow-empty", "-m", "not on main")
    shown = Run(["promote", "dev", "staging", "--write"])
    assert shown.exit_code == 0, shown.output
    assert f"dev runs {tip}" in shown.output and f"+    revision: {tip}" in shown.output
    assert yaml.safe_load((workdir / "homelab.yaml").read_text())["environments"]["staging"]["revision"] == tip


@pytest.mark.parametrize(("args", "setup", "message"), [
    (["--tree", "nowhere"], None, "is not inside a git checkout"),
    ([], "plain folder", "is not inside a git checkout"),
    ([], "other branch", "branch 'main' (gitops.branch) is not in the checkout"),
    (["--revision", "ABC123"], None, "is not a full commit id"),
    ([], "no git", "git is not installed"),
])
def test_promote_says_why_it_cannot_know_the_commit(workdir: Path, monkeypatch: pytest.MonkeyPatch,
                                                    args: list[str], setup: str | None, message: str) -> None:
    tree = workdir / "rendered"
    tree.mkdir()
    if setup == "other branch":
        _git(tree, "init", "-q", "-b", "trunk")
        _git(tree, "commit", "-q", "--allow-empty", "-m", "rendered")
    if setup == "no git":
        import homelab.render.revision

        monkeypatch.setattr(homelab.render.revision.shutil, "which", lambda name: None)
    before = (workdir / "homelab.yaml").read_text()
    result = Run(["promote", "dev", "staging", "--write", *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "--revision" in result.output, "the error names the way out"
    assert (workdir / "homelab.yaml").read_text() == before


def test_promote_from_an_environment_that_runs_nothing_yet_is_refused(workdir: Path) -> None:
    result = Run(["promote", "staging", "prod", "--revision", SHA])
    assert result.exit_code == 2 and "staging runs nothing yet" in result.output, result.output


def test_counts_name_what_they_count(workdir: Path) -> None:
    """The render summary counts files written (the tree holds them plus its index); validate counts manifests."""
    out = workdir / "out"
    result = Run(["render", "-o", "out", "--env", "dev", "--crds", str(shared("crds"))])
    assert result.exit_code == 0, result.output
    written = sum(1 for p in out.rglob("*") if p.is_file())
    assert f"{written - 1} files (+ .homelab-rendered)" in result.output
    manifests = sum(1 for p in out.rglob("*.yaml") if p.name != "kustomization.yaml"
                    and not {"overrides", "bootstrap"} & set(p.parts)  # validate reads neither
                    and any(isinstance(d, dict) and "apiVersion" in d for d in yaml.safe_load_all(p.read_text())))
    assert f"objects in {manifests} manifest files" in result.output
    assert "catalog entries" in result.output


def test_the_cli_refuses_to_lose_an_edit_with_exit_2_and_renders_with_discard_edits(workdir: Path) -> None:
    """render/edits: a file changed since the last render is named, kept, and overwritten only when asked."""
    assert Run(["render", "-o", "out", "--no-validate"]).exit_code == 0
    target = next(p for p in sorted((workdir / "out").rglob("application.yaml")) if "targetRevision:" in p.read_text())
    target.write_text(target.read_text() + "# mine\n")
    refused = Run(["render", "-o", "out", "--no-validate"])
    assert refused.exit_code == 2 and str(target.relative_to(workdir)) in refused.output, refused.output
    assert target.read_text().endswith("# mine\n")
    assert Run(["render", "-o", "out", "--no-validate", "--discard-edits"]).exit_code == 0
    assert not target.read_text().endswith("# mine\n")
