"""Readiness judged from recorded objects: each fixture file is named <expected>--<case>.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from homelab.cluster.readiness import readiness

CASES = sorted((Path(__file__).parent / "fixtures" / "readiness").glob("*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_readiness_of_recorded_object(path: Path) -> None:
    expected = path.stem.split("--")[0]
    state = readiness(yaml.safe_load(path.read_text()))
    assert expected in ("ready", "waiting", "failed")
    assert state.ready == (expected == "ready"), state.reason
    assert state.failed == (expected == "failed"), state.reason
    assert state.reason


def test_reasons_say_what_is_missing() -> None:
    deployment = yaml.safe_load((CASES[0].parent / "waiting--deployment-unavailable.yaml").read_text())
    assert readiness(deployment).reason == "1 of 3 updated replicas available"
    app = yaml.safe_load((CASES[0].parent / "waiting--application-progressing.yaml").read_text())
    assert readiness(app).reason.startswith("sync Synced, health Progressing: Waiting for rollout")
