"""The real catalog: it loads, every source is an exact pin, every design name has an entry,
and the profiles plan on the hardware they state and fail clearly on less."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.shared import shared

from homelab.catalog import load_catalog
from homelab.config import Config
from homelab.coverage import coverage, design_names, plan_profile, profile_config
from homelab.errors import PlanError
from homelab.plan import make_plan

EXACT = re.compile(r"^v?[0-9]+(\.[0-9]+){1,3}([-+][0-9A-Za-z.-]+)?$")
CATALOG = load_catalog()


@pytest.fixture(scope="module")
def design_text() -> str:
    return shared("design", "homelab-system-design.md").read_text()


def test_catalog_loads_with_every_layer() -> None:
    layers = {c.layer for c in CATALOG.components.values()}
    assert layers == {"infrastructure", "data", "application", "development", "backup"}
    assert len(CATALOG.components) >= 100


@pytest.mark.parametrize("name", sorted(CATALOG.components))
def test_source_is_an_exact_pin_with_provenance(name: str) -> None:
    comp = CATALOG.components[name]
    src = comp.source
    assert src.confirmed.strip(), "every entry says where its coordinates were confirmed"
    if src.kind in ("helm", "oci"):
        assert src.repo and src.chart and src.version and EXACT.match(src.version), src
    elif src.kind == "git":
        assert src.repo and src.path and (EXACT.match(src.version or "") or re.fullmatch(r"[0-9a-f]{40}",
                                                                                    src.version or "")), src
    elif src.kind == "local":
        folder = Path(__file__).resolve().parents[2] / "src" / "homelab" / "manifests" / (src.chart or "")
        assert (folder / "kustomization.yaml").is_file(), f"local source {folder} has no kustomization"
    else:  # none: custom resources run by an operator, a role another entry performs, or nothing to install
        delegated = bool(comp.resources or comp.requires)
        assert delegated or not comp.maturity.installable or comp.maturity.status == "saas", name


@pytest.mark.parametrize("name", sorted(CATALOG.components))
def test_renovate_comment_above_source(name: str) -> None:
    text = Path(CATALOG.files[name]).read_text()
    if CATALOG.components[name].source.kind in ("helm", "oci", "git"):
        assert re.search(r"^# renovate: datasource=\S+ .*\n(#.*\n)*source:", text, re.M), name


def test_every_required_capability_has_a_provider() -> None:
    for comp in CATALOG.components.values():
        for cap in comp.requires:
            assert CATALOG.providers.get(cap), f"{comp.name} requires {cap} with no provider"


def test_replacements_are_entries_and_reasons_are_given() -> None:
    for comp in CATALOG.components.values():
        m = comp.maturity
        if m.status != "stable":
            assert m.reason
        if m.replacement:
            assert m.replacement in CATALOG.components


def test_every_design_name_has_an_entry(design_text: str) -> None:
    names = design_names(design_text)
    assert len(names) == 94 and len({n.name for n in names}) == 89  # 89 systems, some named in two places
    rows = coverage(CATALOG, design_text)
    missing = [f"{r['name']} ({r['layer']} / {r['category']})" for r in rows if not r["entry"]]
    assert not missing, f"design names without a catalog entry: {missing}"


def test_full_profile_deploys_every_design_system_that_can_coexist(design_text: str) -> None:
    full = plan_profile(CATALOG, "full").components
    exclusive_in_full = {cap for name in full for cap in CATALOG.components[name].provides
                         if CATALOG.capabilities[cap].exclusive}
    for row in coverage(CATALOG, design_text):
        comp = CATALOG.components[row["entry"]]
        if not comp.maturity.installable:
            assert row["profiles"] == [] and comp.maturity.replacement
        elif "full" not in row["profiles"]:
            clash = exclusive_in_full & set(comp.provides)
            assert clash, f"{row['name']} can coexist but is not in the full profile"


@pytest.mark.parametrize("profile", ["minimal", "standard", "full"])
def test_profile_plans_on_its_stated_hardware(profile: str) -> None:
    plan = plan_profile(CATALOG, profile)
    assert plan.components and len(plan.nodes) == len(CATALOG.profiles[profile].nodes)
    layers = {p.component.layer for p in plan.components.values()}
    assert layers == {"infrastructure", "data", "application", "development", "backup"}


@pytest.mark.parametrize("profile", ["minimal", "standard", "full"])
def test_profile_fails_clearly_on_smaller_hardware(profile: str) -> None:
    """Two thirds of the stated nodes are too small for every profile (standard's requests, about 71% of its room
    since per-node components charge their Deployments once per copy, fit into three quarters), and say so."""
    data = profile_config(CATALOG, profile).model_dump(mode="json")
    data["cluster"]["nodes"] = [
        {"name": n.name, "cpu": f"{n.cpu * 2 // 3}m", "memory": str(n.memory * 2 // 3), "storage": str(n.storage)}
        for n in CATALOG.profiles[profile].nodes]
    shrunk = Config.model_validate(data)
    with pytest.raises(PlanError) as err:
        make_plan(shrunk, CATALOG, "dev")
    assert "does not fit" in str(err.value) and "most room left" in str(err.value)


def test_minimal_fits_one_8gib_node() -> None:
    nodes = CATALOG.profiles["minimal"].nodes
    assert len(nodes) == 1 and nodes[0].memory == 8 * 2**30


def _tags_alone(node: Any, at: str = "") -> Iterator[str]:
    """Where a values mapping sets an image `tag` without the `repository` it belongs to."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _tags_alone(item, f"{at}[{i}]")
    elif isinstance(node, dict):
        if "tag" in node and at.rsplit(".", 1)[-1].lower().endswith("image") and "repository" not in node:
            yield at
        for key, value in node.items():
            yield from _tags_alone(value, f"{at}.{key}" if at else str(key))


def test_every_image_tag_names_its_repository() -> None:
    """Renovate finds an image by its repository; a tag alone (the chart's default image) is a pin it never updates."""
    alone = [f"{name}: values.{where}" for name, comp in sorted(CATALOG.components.items())
             for where in _tags_alone(comp.values)]
    assert alone == [], "write image.repository beside image.tag, from the pinned values.yaml:\n" + "\n".join(alone)
    assert list(_tags_alone({"image": {"tag": "1"}})) == ["image"]
