"""A folder we may not write is bad input naming it (exit 2), never an internal error (exit 70).

Root ignores file permissions through two capabilities, so under root (CI) the command runs
without them (util-linux's `setpriv --bounding-set=-dac_override,-dac_read_search`): the kernel
then checks the folder's mode bits as for any owner. A real refusal, not a simulated error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

CONFIG = """platform: {name: lab, domain: lab.example.net}
gitops: {repo_url: "git@git.example.net:me/lab.git"}
profile: minimal
cluster:
  nodes:
    - {name: n1, cpu: 4, memory: 8Gi, storage: 128Gi}
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "homelab.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "home").mkdir()
    yield tmp_path
    for folder, dirs, _files in os.walk(tmp_path):  # let pytest clean up
        for name in dirs:
            Path(folder, name).chmod(0o755)


def run(workspace: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    home = workspace / "home"
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
           "COLUMNS": "200"}
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    return subprocess.run([*drop, sys.executable, "-m", "homelab", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd or workspace, env=env)


def assert_refused(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for text in expected:
        assert text in errors[0], errors[0]


def test_read_only_parent_folder(workspace: Path) -> None:
    parent = workspace / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    assert_refused(run(workspace, "render", "-c", "homelab.yaml", "-o", str(parent / "out")),
                   f"cannot write {parent}", "--output")


def test_read_only_output_folder_is_left_alone(workspace: Path) -> None:
    out = workspace / "out"
    first = run(workspace, "render", "-c", "homelab.yaml", "-o", str(out))
    assert first.returncode == 0, first.stderr
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    out.chmod(0o555)
    assert_refused(run(workspace, "render", "-c", "homelab.yaml", "-o", str(out)),
                   f"cannot write {out}: it is read-only")
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


def test_init_in_a_read_only_folder(workspace: Path) -> None:
    folder = workspace / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    assert_refused(run(workspace, "init", cwd=folder), "cannot write homelab.yaml", "Permission denied")


def test_verify_state_in_a_read_only_folder_still_shows_the_results(workspace: Path) -> None:
    folder = workspace / "locked"
    folder.mkdir()
    targets = workspace / "targets.yaml"
    targets.write_text("- {name: nothing, kind: redis, url: 'redis://127.0.0.1:1/0'}\n", encoding="utf-8")
    folder.chmod(0o555)
    result = run(workspace, "verify", "-t", str(targets), "--json", cwd=folder)
    assert_refused(result, f"cannot write {folder / '.homelab'}")
    assert '"name": "nothing"' in result.stdout  # the run's results were printed before the refusal
