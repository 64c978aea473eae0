"""Every pin says how it was confirmed, and the strength of that evidence is recorded and shown."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from homelab.catalog import load_catalog
from homelab.catalog.model import EVIDENCE_LEVELS
from homelab.cli import app
from homelab.coverage import coverage

CATALOG = load_catalog()
OWNER_REPO = re.compile(r"\b[\w.-]+/[\w.-]+\b")
REF = re.compile(r"\b(tag|commit)\b|@ ?[0-9a-f]{7,40}\b")


@pytest.mark.parametrize("name", sorted(CATALOG.components))
def test_every_entry_states_its_evidence_level(name: str) -> None:
    raw = yaml.safe_load(Path(CATALOG.files[name]).read_text())
    assert raw["source"].get("evidence") in EVIDENCE_LEVELS, f"{name}: say source.evidence explicitly"
    src = CATALOG.components[name].source
    if src.evidence == "upstream-file":
        assert OWNER_REPO.search(src.confirmed) and REF.search(src.confirmed), (
            f"{name}: an upstream-file claim names the repository and the tag or commit: {src.confirmed}")
    elif src.evidence in ("third-party", "unverified"):
        assert len(src.confirmed) > 40, f"{name}: say plainly what the weaker evidence is"


def test_no_pin_is_left_unchecked() -> None:
    levels = Counter(c.source.evidence for c in CATALOG.components.values())
    assert levels["unverified"] == 0 and levels["upstream-file"] >= 100, levels


def test_coverage_shows_the_evidence_level() -> None:
    rows = coverage(CATALOG)
    assert all(row["evidence"] in EVIDENCE_LEVELS for row in rows)
    result = CliRunner().invoke(app, ["catalog", "coverage", "--json"])
    assert result.exit_code == 0
    assert {r["entry"]: r["evidence"] for r in yaml.safe_load(result.output)}["gitlab"] == "third-party"
    table = CliRunner().invoke(app, ["catalog", "coverage"])
    assert "evidence" in table.output and "upstream-file" in table.output


@pytest.mark.parametrize("name", sorted(CATALOG.components))
def test_every_entry_states_its_backup(name: str) -> None:
    raw = yaml.safe_load(Path(CATALOG.files[name]).read_text())
    backup = CATALOG.components[name].backup
    assert "backup" in raw, f"{name}: say how it is backed up, or why it needs no backup"
    assert backup.method != "none" or backup.note, f"{name}: backup method none needs the reason in note"
