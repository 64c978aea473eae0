"""The test suite's own rules: under CI=true nothing skips for a missing dependency, tests find
../shared only through tests/shared.py, and npm installs exactly what package-lock.json pins."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
# The only places allowed to skip: both fail instead under CI=true. tests/e2e runs against a
# cluster named by HOMELAB_E2E_KUBECONFIG (its conftest says how), which is its own gate.
GATES = {TESTS / "needs.py", TESTS / "shared.py"}
SKIP = re.compile(r"pytest\.skip\(|pytest\.mark\.skip(if)?\b|importorskip\(|\.skipTest\(")


def test_every_skip_goes_through_a_gate_that_fails_under_ci() -> None:
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in sorted(TESTS.rglob("*.py")) if path not in GATES and "e2e" not in path.parts
             and path != Path(__file__).resolve()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if SKIP.search(line)]
    assert found == [], "use tests.needs (missing, tool, module, kustomize) instead:\n" + "\n".join(found)


def test_no_test_hard_codes_where_shared_data_lives() -> None:
    absolute = re.compile(r"""["'](/work/|/home/|/root/)|parents\[\d+\]\s*/\s*["']shared["']""")
    found = [f"{path.relative_to(ROOT)}:{number}" for path in sorted(TESTS.rglob("*.py")) if path not in GATES
             and path != Path(__file__).resolve()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if absolute.search(line)]
    assert found == [], "find ../shared through tests.shared.shared(...):\n" + "\n".join(found)


@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 failed"), ("", "1 skipped")])
def test_a_missing_dependency_fails_under_ci_and_skips_elsewhere(tmp_path: Path, ci: str, outcome: str) -> None:
    probe = tmp_path / "test_needs_probe.py"
    probe.write_text("from tests.needs import tool\n\n\ndef test_it():\n"
                     "    tool('no-such-program-homelab', 'apt-get install nothing')\n", encoding="utf-8")
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe)],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert outcome in result.stdout, result.stdout
    assert "no-such-program-homelab is not installed" in result.stdout or ci == ""


@pytest.mark.parametrize("project", [".", ".ci/renovate"])
def test_npm_installs_what_the_lock_file_pins(project: str) -> None:
    lock = json.loads((ROOT / project / "package-lock.json").read_text(encoding="utf-8"))
    package = json.loads((ROOT / project / "package.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    assert "package-lock.json" not in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    for script in (ROOT / ".ci/run", ROOT / ".ci/servers/azurite.sh"):
        text = script.read_text(encoding="utf-8")
        assert "npm ci" in text and "npm install" not in text, script


def test_no_fixed_server_port_lies_in_the_ephemeral_range() -> None:
    """A server port the kernel may hand to an outgoing connection fails to bind now and then."""
    narrowed = re.search(r'echo "(\d+) (\d+)" >/proc/sys/net/ipv4/ip_local_port_range',
                         (ROOT / ".ci/run").read_text(encoding="utf-8"))
    assert narrowed, ".ci/run no longer narrows the ephemeral port range"
    low, high = int(narrowed[1]), int(narrowed[2])
    listening = re.compile(r"127\.0\.0\.1:(\d{4,5})|\bPORT=(\d{4,5})|_port *= *(\d{4,5})|port (\d{4,5})")
    ports = {int(next(group for group in match.groups() if group)): script.name
             for script in sorted((ROOT / ".ci/servers").glob("*.sh"))
             for match in listening.finditer(script.read_text(encoding="utf-8"))}
    assert len(ports) > 20, ports
    inside = {port: name for port, name in ports.items() if low <= port <= high}
    assert inside == {}, f"move these above {high} (or narrow the range in .ci/run)"
