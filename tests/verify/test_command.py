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


def test_without_targets_file_the_error_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--targets"):
        run_verify(None, [], None, timeout=1, json_out=True, root=tmp_path)
