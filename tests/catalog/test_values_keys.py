"""Every Helm values key the catalog sets exists in its chart at the pinned version.

The oracle is upstream's own chart data under ../shared/charts/<chart>/<version>/ (values.yaml and
values.schema.json, blob-checked against upstream git; see its SOURCES.md). A chart missing there is
reported as a skip reading "unchecked", never as a pass.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.catalog.values_keys import unknown_keys
from tests.shared import shared

from homelab.catalog import load_catalog
from homelab.catalog.loader import data_root

CATALOG = load_catalog()
CHARTED = sorted(name for name, comp in CATALOG.components.items()
                 if comp.source.kind in ("helm", "oci") and comp.values)


@cache
def pass_through() -> frozenset[str]:
    return frozenset(yaml.safe_load((data_root() / "values-free-form.yaml").read_text()))


def chart_data(chart: str, version: str) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    folder = shared("charts") / chart / version
    if not (folder / "values.yaml").is_file():
        return None
    schema = folder / "values.schema.json"
    return (yaml.safe_load((folder / "values.yaml").read_text()) or {},
            json.loads(schema.read_text()) if schema.is_file() else None)


@pytest.mark.parametrize("name", CHARTED)
def test_every_values_key_exists_in_the_pinned_chart(name: str) -> None:
    comp = CATALOG.components[name]
    src = comp.source
    assert src.chart and src.version
    data = chart_data(src.chart, src.version)
    if data is None:
        pytest.skip(f"unchecked: no upstream data for chart {src.chart} {src.version} under ../shared/charts")
    unknown = unknown_keys(comp.values, *data, set(comp.values_free_form), pass_through())
    assert not unknown, (f"{name}: {src.chart} {src.version} has no values key {unknown} "
                         f"(fix the key, or declare a free-form map in values_free_form with its reason)")


@pytest.mark.parametrize("name", sorted(n for n, c in CATALOG.components.items() if c.values_free_form))
def test_free_form_declarations_name_keys_the_entry_sets(name: str) -> None:
    comp = CATALOG.components[name]
    for dotted, reason in comp.values_free_form.items():
        assert sets(comp.values, dotted), f"{name}: values_free_form names unset key {dotted}"
        assert len(reason) > 10, f"{name}: say why {dotted} is free-form"


def sets(values: Any, dotted: str) -> bool:
    """Whether `values` has the dotted path (a key may itself hold dots, as grafana.ini does)."""
    return isinstance(values, dict) and any(
        dotted == key or (dotted.startswith(f"{key}.") and sets(values[key], dotted[len(key) + 1:]))
        for key in values)


def test_a_key_the_chart_does_not_have_is_found() -> None:
    """The oracle bites: a misspelt key and a key one level too deep fail; declared free-form maps pass."""
    chart_values, schema = chart_data("traefik", "39.0.9") or pytest.fail("traefik 39.0.9 chart data missing")
    values = {"deployment": {"replicas": 1, "replica": 2}, "ports": {"web": {"expose": {"default": True}}},
              "resources": {"requests": {"cpu": "100m"}}, "env": [{"name": "A", "value": "b"}],
              "nosuchkey": {"x": 1}}
    assert unknown_keys(values, chart_values, schema, set(), pass_through()) == ["deployment.replica", "nosuchkey"]
    grafana_values, _ = chart_data("grafana", "12.3.1") or pytest.fail("grafana 12.3.1 chart data missing")
    ini = {"grafana.ini": {"server": {"root_url": "https://grafana"}}, "persistence": {"enabeld": True}}
    assert unknown_keys(ini, grafana_values, None, set(), pass_through()) == [
        "grafana.ini.server.root_url", "persistence.enabeld"]
    assert unknown_keys(ini, grafana_values, None, {"grafana.ini"}, pass_through()) == ["persistence.enabeld"]


def test_unchecked_charts_are_the_ones_missing_upstream_data() -> None:
    """Every entry is either checked or named as unchecked, so nothing passes by default."""
    unchecked = [n for n in CHARTED if chart_data(CATALOG.components[n].source.chart or "",
                                                  CATALOG.components[n].source.version or "") is None]
    checked = [n for n in CHARTED if n not in unchecked]
    assert len(checked) >= 40, checked
    print(f"\nunchecked (no chart data under ../shared/charts): {', '.join(unchecked)}")
    for name in unchecked:
        src = CATALOG.components[name].source
        assert not (Path(str(shared("charts"))) / str(src.chart) / str(src.version) / "values.yaml").exists()
