"""Bad input through the real command: exit 2, one clear line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homelab import config, yamlsrc
from homelab.errors import InputError


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "homelab", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200"}, timeout=60)


def assert_bad_input(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for text in expected:
        assert text in result.stderr


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "homelab.yaml"
    path.write_bytes(os.urandom(4096) + b"\x00")
    assert_bad_input(run("plan", "-c", str(path)), str(path), "binary data")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert_bad_input(run("plan", "-c", str(tmp_path)), "is a directory")


def test_huge_file(tmp_path: Path) -> None:
    path = tmp_path / "homelab.yaml"
    with path.open("wb") as out:
        out.write(b"# padding\n" * (5 * 1024 * 1024))  # 50 MiB
    assert_bad_input(run("plan", "-c", str(path)), "50 MiB", "limit")


def test_missing_file(tmp_path: Path) -> None:
    assert_bad_input(run("plan", "-c", str(tmp_path / "nope.yaml")), "not found")


def test_bad_quantity_via_cli(tmp_path: Path) -> None:
    path = tmp_path / "homelab.yaml"
    path.write_text("platform: {name: lab, domain: lab.example.net}\ngitops: {repo_url: 'https://g.example/x'}\n"
                    "cluster:\n  nodes:\n    - {name: n1, cpu: 4, memory: 32GB}\n")
    assert_bad_input(run("plan", "-c", str(path)), f"{path}:5: cluster.nodes[0].memory", "did you mean 32Gi?")


def test_unknown_environment_flag() -> None:
    assert_bad_input(run("plan", "--env", "qa"), "unknown environment 'qa'")


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),  # NaN and infinities too
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(st.text(max_size=300), yaml_values.map(repr)))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        config.parse_config(yamlsrc.parse(text, "fuzz.yaml"))
    except InputError as err:
        assert err.problems and all(p.file == "fuzz.yaml" for p in err.problems)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["platform", "cluster", "gitops", "tls", "environments", "profile",
                                        "choices", "add", "nodes", "sync"]), yaml_values, max_size=6))
def test_arbitrary_structures_are_located(data: dict[str, object]) -> None:
    import yaml

    text = yaml.safe_dump(data)
    try:
        config.parse_config(yamlsrc.parse(text, "fuzz.yaml"))
    except InputError as err:
        for problem in err.problems:
            assert problem.file == "fuzz.yaml" and problem.line is not None and problem.field


@pytest.mark.parametrize("path", sorted((Path(__file__).parent / "invalid").glob("*.yaml")), ids=lambda p: p.stem)
def test_invalid_fixture_via_cli(path: Path) -> None:
    assert_bad_input(run("plan", "-c", str(path)), str(path))


@pytest.mark.parametrize("path", sorted((Path(__file__).parent / "invalid").glob("*.yaml")), ids=lambda p: p.stem)
def test_bad_config_never_leaves_a_partial_tree(path: Path, tmp_path: Path) -> None:
    result = run("render", "-c", str(path), "-o", str(tmp_path / "out"))
    assert_bad_input(result, str(path))
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []


def test_a_namespace_prefix_too_long_for_a_planned_namespace(tmp_path: Path) -> None:
    """Known only once the plan has its namespaces; still one located line and exit 2."""
    path = tmp_path / "homelab.yaml"
    prefix = "p" * 50
    path.write_text("platform: {name: lab, domain: lab.example.net}\n"
                    "gitops: {repo_url: 'https://git.example.net/lab.git'}\n"
                    "cluster: {nodes: [{name: n1, cpu: 64, memory: 256Gi, storage: 4Ti}]}\n"
                    "environments:\n"
                    "  prod: {kube_context: lab, subdomain: ''}\n"
                    f"  dev: {{kube_context: lab, namespace_prefix: {prefix}}}\n")
    assert_bad_input(run("plan", "-c", str(path), "-e", "dev"), f"{path}:6: environments.dev.namespace_prefix: "
                     f"namespace '{prefix}-", "Kubernetes allows 63")
