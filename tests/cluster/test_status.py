"""Status rows from recorded Argo CD Applications and Pods, plus the last verify result."""

from __future__ import annotations

import json
from pathlib import Path

from homelab.cluster.status import chart_of, component_status, read_status

from .fakeapi import FakeAPI
from .helpers import load


def test_component_row_from_recorded_objects() -> None:
    app, *pods = load("status.yaml")
    verify = [{"name": "grafana", "kind": "http", "ok": True, "seconds": 0.21, "reason": ""},
              {"name": "loki", "kind": "http", "ok": False, "seconds": 5.0, "reason": "timeout"}]
    row = component_status(app, pods, verify)
    assert row["sync"] == "OutOfSync" and row["health"] == "Progressing"
    assert (row["chart"], row["version"]) == ("grafana", "10.1.4")
    assert (row["pods_ready"], row["pods_total"]) == (1, 2), "the Helm test pod of another release is not counted"
    assert row["drift"] == ["ConfigMap/grafana"]
    assert row["verify"] == {"ok": True, "checks": verify[:1]}
    assert row["wave"] == 3


def test_chart_of_multi_source_and_git_apps() -> None:
    multi = {"spec": {"sources": [{"repoURL": "https://git.example/values.git", "ref": "values"},
                                  {"repoURL": "https://charts.example", "chart": "loki", "targetRevision": "6.2.0"}]}}
    assert chart_of(multi) == ("loki", "6.2.0")
    assert chart_of({"spec": {"source": {"path": "clusters/dev", "targetRevision": "main"}}}) == ("clusters/dev",
                                                                                                    "main")


def test_read_status_writes_the_state_file(api: FakeAPI, tmp_path: Path) -> None:
    app, *pods = load("status.yaml")
    api.add(*load("argocd-crds.yaml"), app, *[dict(p, apiVersion="v1", kind="Pod") for p in pods])
    state = tmp_path / "state"
    state.mkdir()
    (state / "verify-dev.json").write_text(json.dumps([{"name": "grafana", "kind": "http", "ok": False,
                                                        "seconds": 1.5, "reason": "502"}]))
    report = read_status(api.kube(tmp_path), "homelab", "dev", state)
    assert report["argocd"] and [c["name"] for c in report["components"]] == ["grafana"]
    assert report["components"][0]["verify"]["ok"] is False
    saved = json.loads((state / "status-dev.json").read_text())
    assert saved == report


def test_without_argo_cd_the_report_says_so(api: FakeAPI, tmp_path: Path) -> None:
    report = read_status(api.kube(tmp_path), "homelab", "dev", tmp_path / "state")
    assert report["argocd"] is False and report["components"] == []
    assert (tmp_path / "state" / "status-dev.json").exists()


def test_status_reads_the_state_file_that_verify_writes(tmp_path: Path) -> None:
    from homelab.cluster.status import read_verify
    from homelab.verify.report import write_state
    from homelab.verify.runner import Result

    write_state("dev", [Result("postgresql", "postgresql", "postgresql://x", True, 0.01),
                        Result("redis", "redis", "redis://x", False, 1.0, "connect: refused")], 1.0, tmp_path)
    results = read_verify(tmp_path / ".homelab" / "state", "dev")
    assert [(r["name"], r["ok"], r["reason"]) for r in results] == [("postgresql", True, ""),
                                                                   ("redis", False, "connect: refused")]
