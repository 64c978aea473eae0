"""`homelab verify` end to end, below argument parsing: exit codes, JSON, the state file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homelab.errors import ExitCode, InputError
from homelab.verify.command import run_verify
from tests.verify.conftest import need_server


def test_json_results_exit_code_and_state_file(tmp_path: Path, closed_port: int,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    need_server(6379, "redis")
    targets = tmp_path / "targets.yaml"
    targets.write_text(f"""
- {{name: cache, kind: redis, url: "redis://:@127.0.0.1:6379/0"}}
- {{name: gone, kind: postgresql, url: "postgresql://app:hunter2@127.0.0.1:{closed_port}/x", timeout: 2}}
""", encoding="utf-8")
    code = run_verify("dev", [], targets, timeout=5, json_out=True, root=tmp_path)
    assert code == ExitCode.FINDINGS
    printed = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["ok"]) for r in printed] == [("cache", True), ("gone", False)]
    assert {"name", "kind", "ok", "seconds", "reason", "steps"} <= set(printed[0])
    assert "refused" in printed[1]["reason"]
    state = (tmp_path / ".homelab/state/verify-dev.json").read_text(encoding="utf-8")
    assert json.loads(state)["ok"] is False
    assert "hunter2" not in state and "app:***@" in state

    code = run_verify("dev", ["cache"], targets, timeout=5, json_out=False, root=tmp_path)
    assert code == ExitCode.OK
    assert "1/1 passed" in capsys.readouterr().out


def test_unknown_only_name_is_bad_input(tmp_path: Path) -> None:
    targets = tmp_path / "t.yaml"
    targets.write_text("- {name: cache, kind: redis, url: 'redis://127.0.0.1'}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        run_verify(None, ["cahce"], targets, timeout=1, json_out=True, root=tmp_path)
    assert caught.value.exit_code == ExitCode.BAD_INPUT


def test_without_targets_file_the_plan_gives_in_cluster_targets(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """No cluster here: the planned Service name does not resolve, and that is the reason given."""
    code = run_verify(None, ["memcached"], None, timeout=3, json_out=True, root=tmp_path)
    (result,) = json.loads(capsys.readouterr().out)
    assert code == ExitCode.FINDINGS and result["url"].startswith("memcached://memcached.memcached.svc")
    assert "does not resolve" in result["reason"] or "no answer" in result["reason"]
    assert (tmp_path / ".homelab/state/verify-dev.json").exists()


def test_plan_targets_need_their_credentials_exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOMELAB_POSTGRESQL_PASSWORD", raising=False)
    with pytest.raises(InputError, match="HOMELAB_POSTGRESQL_PASSWORD is not set"):
        run_verify(None, ["postgresql"], None, timeout=1, json_out=True, root=tmp_path)


def test_cli_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the real `homelab` entry point: bad targets file is exit 2 with file:line."""
    import subprocess
    import sys

    bad = tmp_path / "bad.yaml"
    bad.write_text("- {name: x, kind: redis}\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "homelab", "verify", "--targets", str(bad)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == ExitCode.BAD_INPUT
    assert f"{bad}:1: [0].url: required key is missing" in run.stderr and "Traceback" not in run.stderr


def test_live_progress_shows_each_target_finishing() -> None:
    import io

    from rich.console import Console

    from homelab.verify.report import run_with_progress
    from homelab.verify.runner import run_sync
    from tests.verify.conftest import target

    need_server(6379, "redis")
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    results = run_sync(run_with_progress([target("cache", "redis", "redis://127.0.0.1:6379/0")], 5, console))
    assert results[0].ok and "cache (redis)" in screen.getvalue()


def test_state_file_is_what_the_portal_reads(tmp_path: Path) -> None:
    """The portal shows the last verify run from this file: keep the two in step."""
    from homelab.portal.state import parse_verify
    from homelab.verify.base import Step
    from homelab.verify.report import write_state
    from homelab.verify.runner import Result

    results = [Result("db", "postgresql", "postgresql://u:***@h/db", True, 0.12, "", [Step("connect", 0.1)]),
               Result("cache", "redis", "redis://h", False, 5.0, "no answer within 5 s")]
    path = write_state("dev", results, 5.0, tmp_path)
    parsed, finished = parse_verify(json.loads(path.read_text(encoding="utf-8")))
    assert finished is not None and set(parsed) == {"db", "cache"}
    assert parsed["db"].ok and parsed["db"].seconds == 0.12
    assert not parsed["cache"].ok and parsed["cache"].reason == "no answer within 5 s"
