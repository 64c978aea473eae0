"""`homelab plan` and `homelab catalog` on the built-in example, through the real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from homelab.catalog import load_catalog


def homelab(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "homelab", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200"}, timeout=120)


def test_plan_json_on_the_builtin_example(tmp_path: Path) -> None:
    result = homelab("plan", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "using the built-in example homelab" in result.stderr
    plan = json.loads(result.stdout)
    comps = {c["name"]: c for c in plan["components"]}
    assert plan["profile"] == "full" and len(comps) > 100
    assert all({"layer", "category", "wave", "reasons"} <= set(c) for c in comps.values())
    # grafana needs a metrics store; the provider is explained and installed in an earlier wave
    edge = next(e for e in comps["grafana"]["requires"] if e["capability"] == "metrics-store")
    assert comps[edge["provider"]]["wave"] < comps["grafana"]["wave"]
    assert "required by grafana via capability `metrics-store`" in comps[edge["provider"]]["reasons"]
    # operators come before the custom resources they run
    assert comps["cloudnative-pg"]["wave"] < comps["postgresql"]["wave"]
    assert {c["layer"] for c in comps.values()} == {"infrastructure", "data", "application", "development", "backup"}


def test_plan_table_and_explain(tmp_path: Path) -> None:
    table = homelab("plan", "--env", "prod", cwd=tmp_path)
    assert table.returncode == 0 and "Fit per node" in table.stdout and "Infrastructure Layer" in table.stdout
    explain = homelab("plan", "--explain", "cloudnative-pg", cwd=tmp_path)
    assert explain.returncode == 0
    assert "required by postgresql via `postgres-operator`" in explain.stdout


def test_plan_says_where_each_environment_of_the_example_runs(tmp_path: Path) -> None:
    table = homelab("plan", "--env", "staging", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    where = table.stdout[table.stdout.index("Where each environment runs"):]
    for context in ("own: homelab-dev", "own: homelab-staging", "top-level: homelab-prod", "192.168.10.224/28",
                    "192.168.10.240/28", "stage1 … stage4 (4)", "node1 … node7 (7)"):
        assert context in where, context
    sites = {env: json.loads(homelab("plan", "--json", "--env", env, cwd=tmp_path).stdout) for env in
             ("dev", "staging", "prod")}
    assert {env: plan["cluster"]["load_balancer"] for env, plan in sites.items()} == {
        "dev": ["192.168.10.208-192.168.10.223"], "staging": ["192.168.10.224/28"], "prod": ["192.168.10.240/28"]}
    nodes = {env: {n["name"][:3] for n in plan["nodes"]} for env, plan in sites.items()}
    assert nodes == {"dev": {"dev"}, "staging": {"sta"}, "prod": {"nod"}}, "each fitted onto its own nodes"


def test_catalog_commands(tmp_path: Path) -> None:
    listed = json.loads(homelab("catalog", "list", "--json", cwd=tmp_path).stdout)
    assert len(listed) == len(load_catalog().components)
    shown = json.loads(homelab("catalog", "show", "grafana", "--json", cwd=tmp_path).stdout)
    assert shown["source"]["kind"] == "helm" and shown["source"]["version"]
    missing = homelab("catalog", "show", "grafanna", cwd=tmp_path)
    assert missing.returncode == 2 and "did you mean 'grafana'" in missing.stderr
    found = homelab("catalog", "search", "tracing", cwd=tmp_path)
    assert found.returncode == 0 and "jaeger" in found.stdout


def test_coverage_json_lists_every_entry_place(tmp_path: Path) -> None:
    rows = json.loads(homelab("catalog", "coverage", "--json", cwd=tmp_path).stdout)
    assert rows and all(r["entry"] for r in rows)
    kubeless = next(r for r in rows if r["name"] == "Kubeless")
    assert kubeless["profiles"] == [] and kubeless["replacement"] == "knative"


def test_init_writes_a_schema_headed_config_and_never_overwrites(tmp_path: Path) -> None:
    first = homelab("init", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    text = (tmp_path / "homelab.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=./homelab.schema.json\n")
    schema = json.loads((tmp_path / "homelab.schema.json").read_text())
    assert "platform" in schema["properties"]
    again = homelab("init", cwd=tmp_path)
    assert again.returncode == 2 and "never overwrites" in again.stderr
    assert (tmp_path / "homelab.yaml").read_text() == text
    planned = homelab("plan", "--json", cwd=tmp_path)  # the written file is the built-in example
    assert planned.returncode == 0 and "built-in" not in planned.stderr


def test_catalog_show_text_has_no_trailing_spaces(tmp_path: Path) -> None:
    shown = homelab("catalog", "show", "grafana", cwd=tmp_path)
    assert shown.returncode == 0 and "chart: grafana" in shown.stdout
    padded = [line for line in shown.stdout.splitlines() if line != line.rstrip()]
    assert not padded, padded[:3]


def test_version_and_shell_completion_are_offered(tmp_path: Path) -> None:
    from importlib.metadata import version

    shown = homelab("--version", cwd=tmp_path)
    assert shown.returncode == 0 and shown.stdout.strip() == f"homelab {version('homelab')}"
    helped = homelab("--help", cwd=tmp_path)
    assert "--install-completion" in helped.stdout and "--show-completion" in helped.stdout
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    script = subprocess.run([sys.executable, "-m", "homelab", "--show-completion", "bash"], capture_output=True,
                            text=True, cwd=tmp_path, env=env, timeout=60)
    assert script.returncode == 0 and "complete" in script.stdout, script.stderr
