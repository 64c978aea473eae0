"""Every Helm values key the catalog sets exists in its chart at the pinned version.

The oracle is upstream's own chart data under ../shared/charts/<chart>/<version>/ (values.yaml and
values.schema.json, blob-checked against upstream git; see its SOURCES.md). A chart missing there is
reported as a skip reading "unchecked", never as a pass.
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.catalog.values_keys import unknown_keys
from tests.shared import shared, shared_root

from homelab.catalog import load_catalog
from homelab.catalog.loader import data_root
from homelab.catalog.model import Component
from homelab.render import availability

CATALOG = load_catalog()


def applied_values(comp: Component) -> list[dict[str, Any]]:
    """Every values map render may merge into the chart: the defaults and each conditional facet's values."""
    facets = [w.values for w in comp.values_when]
    facets += [facet.values for facet in (comp.gitops, comp.ip_block_nodes) if facet is not None]
    if comp.availability:  # what two copies set: replicas, the PodDisruptionBudget, affinity, leader election
        facets.append(availability.values(comp.availability, 2))
    return [v for v in (comp.values, *facets) if v]


CHARTED = sorted(name for name, comp in CATALOG.components.items()
                 if comp.source.kind in ("helm", "oci") and applied_values(comp))


def _has_chart_data(name: str) -> bool:
    src, root = CATALOG.components[name].source, shared_root()
    return bool(root and (root / "charts" / str(src.chart) / str(src.version) / "values.yaml").is_file())


CHECKED = [name for name in CHARTED if _has_chart_data(name)]
UNCHECKED = [name for name in CHARTED if not _has_chart_data(name)]


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


@pytest.mark.parametrize("name", CHECKED)
def test_every_values_key_exists_in_the_pinned_chart(name: str) -> None:
    comp = CATALOG.components[name]
    src = comp.source
    assert src.chart and src.version
    data = chart_data(src.chart, src.version)
    assert data is not None
    unknown = [key for values in applied_values(comp)
               for key in unknown_keys(values, *data, set(comp.values_free_form), pass_through())]
    assert not unknown, (f"{name}: {src.chart} {src.version} has no values key {unknown} "
                         f"(fix the key, or declare a free-form map in values_free_form with its reason)")


def test_charts_without_upstream_data_are_listed_as_unchecked() -> None:
    """Nothing vouches for their keys: they are named in the warnings summary, never counted as passed."""
    shared("charts")
    assert len(CHECKED) + len(UNCHECKED) == len(CHARTED) and CHECKED
    if UNCHECKED:
        listed = ", ".join(f"{n} ({CATALOG.components[n].source.chart} {CATALOG.components[n].source.version})"
                           for n in UNCHECKED)
        warnings.warn(f"values keys unchecked, no upstream chart data under ../shared/charts: {listed}",
                      stacklevel=1)


@pytest.mark.parametrize("name", sorted(n for n, c in CATALOG.components.items() if c.values_free_form))
def test_free_form_declarations_name_keys_the_entry_sets(name: str) -> None:
    comp = CATALOG.components[name]
    for dotted, reason in comp.values_free_form.items():
        assert any(sets(values, dotted) for values in applied_values(comp)), \
            f"{name}: values_free_form names unset key {dotted}"
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
