"""The hostile corpus through the real CLI, each file in a fresh process: configs (`plan`, `render`)
and targets files (`verify`, against real local servers and the test doubles in servers.py).

Every file says what it attacks and what must happen (`# attacks:`, `# expect:`, and `# line:`,
`# exit:`, `# secret:`, `# env:`, `# args:`, `# needs:`). For every file:
- the documented exit code (2 for bad input), no traceback, no "internal error";
- bad input is one line (`# lines:` when the file holds more mistakes) naming file and line;
- bad input costs under 1 s of CPU beyond the same command's start-up on a missing file (CPU
  time, since a shared machine's load stretches wall time; a hang or an alias bomb shows as
  either), and every run stays under a hard 2 GiB of memory and 30 s;
- no secret (`# secret:` values, exported for the run) in stdout, stderr or any file written;
- nothing written outside the output folder: plan writes nothing, render only -o, verify only
  its state file (0600), and no crash log appears in TMPDIR.
"""

from __future__ import annotations

import os
import re
import resource
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.hostile.servers import start_all
from tests.verify.conftest import need_server

HERE = Path(__file__).parent
CONFIGS = sorted(p for p in (HERE / "configs").iterdir() if p.suffix == ".yaml")
TARGETS = sorted((HERE / "targets").glob("*.yaml"))
MEMORY = 2 * 2**30
OWN_TIME = 1.0  # CPU seconds a bad-input run may take beyond the command's start-up


@dataclass
class Case:
    path: Path
    attacks: str
    expect: str
    exit: int = 2
    line: int | None = None
    lines: int = 1
    secrets: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    needs: tuple[int, str] | None = None

    @classmethod
    def read(cls, path: Path) -> Case:
        sidecar = path.with_name(path.name + ".expect")
        text = (sidecar if sidecar.exists() else path).read_bytes().decode("utf-8", "replace")
        header = re.findall(r"^# (attacks|expect|exit|line|lines|secret|env|args|needs): (.*)$", text, re.M)
        values = dict(header)
        pairs = {key: dict(v.split("=", 1) for k, v in header if k == key) for key in ("secret", "env")}
        needs = values["needs"].split(" ", 1) if "needs" in values else None
        return cls(path, values["attacks"], values["expect"], int(values.get("exit", 2)),
                   int(values["line"]) if "line" in values else None, int(values.get("lines", 1)),
                   pairs["secret"], pairs["env"], values.get("args", "").split(),
                   (int(needs[0]), needs[1]) if needs else None)


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


@dataclass
class Run:
    code: int
    out: str
    err: str
    cpu: float  # the child's user + system seconds


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.fixture(scope="module")
def hostile_env() -> Iterator[dict[str, str]]:
    env, servers = start_all()
    yield env
    for server in servers:
        server.close()


def homelab(args: list[str], cwd: Path, env: dict[str, str]) -> Run:
    home = cwd.parent / "home"
    home.mkdir(exist_ok=True)
    full = {**os.environ, **env, "HOME": str(home), "TMPDIR": str(home), "XDG_CACHE_HOME": str(home / "cache"),
            "COLUMNS": "200"}
    before = _child_cpu()
    # a hang guard, not a speed check: 30 s was exceeded by garbage-everywhere while Go builds loaded the
    # 2-core machine (load average 16); finite, so a hang still fails
    result = subprocess.run([sys.executable, "-m", "homelab", *args], capture_output=True, text=True, cwd=cwd,
                            env=full, timeout=120, preexec_fn=_limits)
    return Run(result.returncode, result.stdout, result.stderr, _child_cpu() - before)


@cache
def startup(command: str) -> float:
    """CPU seconds of `command`'s start-up and imports: the least of three runs on a missing file."""
    runs = []
    for _ in range(3):
        before = _child_cpu()
        subprocess.run([sys.executable, "-m", "homelab", command, "-t" if command == "verify" else "-c",
                        "/nonexistent/homelab.yaml"], capture_output=True, timeout=60)
        runs.append(_child_cpu() - before)
    return min(runs)


def files_under(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*") if p.is_file()}


def check(case: Case, run: Run, written: dict[str, str], command: str) -> None:
    shown = f"{case.path.name} ({case.attacks}): exit {run.code}\n{run.err}{run.out[-2000:]}"
    assert run.code == case.exit, shown
    assert "Traceback" not in run.err + run.out and "internal error" not in run.err, shown
    if case.exit == 2:
        errors = run.err.splitlines()
        assert len(errors) == case.lines and all(e.startswith("error: ") for e in errors), shown
        where = f"error: {case.path}:{case.line}: " if case.line else f"error: {case.path}"
        assert errors[0].startswith(where), shown
        assert case.expect in run.err, shown
        assert max(len(e) for e in errors) < 400, shown
        own = run.cpu - startup(command)
        assert own < OWN_TIME, f"{shown}\n{run.cpu:.2f} s of CPU, of which start-up {startup(command):.2f} s"
    else:
        assert case.expect in run.out + run.err, shown
    for name, secret in case.secrets.items():
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            assert form not in run.out + run.err, f"{case.path.name}: the secret {name} is in the output"
            for path, text in written.items():
                assert form not in text, f"{case.path.name}: the secret {name} is in {path}"


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
@pytest.mark.parametrize("command", ["plan", "render"])
def test_hostile_config(path: Path, command: str, tmp_path: Path) -> None:
    case = Case.read(path)
    work = tmp_path / "work"
    work.mkdir()
    args = ["plan", "-c", str(path)] if command == "plan" else ["render", "-c", str(path), "-o", "out"]
    run = homelab(args, work, case.env)
    check(case, run, {}, command)
    assert files_under(tmp_path) == {}, "a run that refused its input wrote files"


@pytest.mark.parametrize("path", TARGETS, ids=lambda p: p.stem)
@pytest.mark.parametrize("view", ["--json", "table"])
def test_hostile_targets(path: Path, view: str, tmp_path: Path, hostile_env: dict[str, str]) -> None:
    case = Case.read(path)
    if case.needs:
        need_server(*case.needs)
    work = tmp_path / "work"
    work.mkdir()
    run = homelab(["verify", "-t", str(path), *case.args, *([view] if view != "table" else [])], work,
                  {**hostile_env, **case.env, **case.secrets})
    files = files_under(tmp_path)
    written = {name: (tmp_path / name).read_text("utf-8", "replace") for name in files}
    check(case, run, written, "verify")
    state = "work/.homelab/state/verify-local.json"
    assert set(files) == (set() if case.exit == 2 else {state}), files
    if case.exit != 2:
        assert files[state] == 0o600


@pytest.mark.parametrize("view", ["--json", "table"])
def test_hostile_manifests_are_findings(view: str, tmp_path: Path) -> None:
    """`homelab validate DIR` reads files the user points it at: each hostile one is a finding at its line."""
    work = tmp_path / "work"
    work.mkdir()
    cases = [Case.read(path) for path in sorted((HERE / "manifests").glob("*.yaml"))]
    run = homelab(["validate", str(HERE / "manifests"), *([view] if view != "table" else [])], work, {})
    shown = f"exit {run.code}\n{run.err}{run.out[-3000:]}"
    assert run.code == 1 and "Traceback" not in run.err + run.out and "internal error" not in run.err, shown
    for case in cases:  # the table wraps its cells: the JSON view holds each message whole
        assert (case.expect if view == "--json" else case.path.name) in run.out, f"{case.path.name}: {shown}"
    assert run.cpu - startup("validate") < OWN_TIME * 2, f"{run.cpu:.2f} s of CPU"
    assert files_under(tmp_path) == {}
