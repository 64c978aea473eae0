"""A broken catalog entry is reported with its file, line and field, all problems at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from homelab.catalog.loader import load_catalog
from homelab.catalog.synthetic import entry, write_catalog
from homelab.errors import CatalogError

CAPS = {"db": {"summary": "database"}}
PROFILES = {"p": {"summary": "s", "hardware": "h", "nodes": [{"name": "n", "cpu": 1, "memory": "1Gi",
                                                               "storage": "1Gi"}], "components": ["ok"]}}


def test_every_broken_entry_is_located(tmp_path: Path) -> None:
    bad_type = entry("badtype", footprint={"cpu": "lots"})
    no_license = entry("nolicense")
    del no_license["license"]
    typo = entry("typo", requires=["dbb"])
    ranged = entry("ranged", source={"kind": "helm", "repo": "https://x.example", "chart": "c",
                                     "version": "^1.2", "confirmed": "x"})
    root = write_catalog(tmp_path / "cat", [entry("ok", provides=["db"]), bad_type, no_license, typo, ranged],
                         PROFILES, CAPS)
    with pytest.raises(CatalogError) as err:
        load_catalog(root)
    lines = str(err.value).splitlines()
    expect = {
        "badtype.yaml": "footprint.cpu: 'lots' is not a CPU quantity",
        "nolicense.yaml": "license: required key is missing",
        "ranged.yaml": "is a range; pin an exact version",
    }
    for file, text in expect.items():
        assert any(file in line and text in line for line in lines), (file, lines)
    # a cross-check runs only once every entry parses: fix those and the typo is reported
    for name in ("badtype", "nolicense", "ranged"):
        (root / "data" / "databases" / f"{name}.yaml").unlink()
    with pytest.raises(CatalogError) as err:
        load_catalog(root)
    assert "capability 'dbb' is not declared in capabilities.yaml" in str(err.value)
    assert "did you mean 'db'?" in str(err.value)


def test_entry_in_the_wrong_folder(tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "cat", [entry("ok")], PROFILES, CAPS)
    moved = root / "backup" / "backup"
    moved.mkdir(parents=True)
    (root / "data" / "databases" / "ok.yaml").rename(moved / "ok.yaml")
    with pytest.raises(CatalogError) as err:
        load_catalog(root)
    assert "file lives in backup/backup but says layer 'data'" in str(err.value)
    assert yaml.safe_load((moved / "ok.yaml").read_text())["name"] == "ok"
