"""A per-node component is charged in two parts: its DaemonSet (the footprint) on every node, and its Deployments
(`footprint.copies`) once per copy the environment runs, spread over nodes like any other component's copies."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.plan.test_planner import catalog, config
from tests.profiles import config_for

from homelab.catalog import load_catalog
from homelab.catalog.synthetic import entry
from homelab.errors import PlanError
from homelab.plan import Plan, make_plan

NODES = [{"name": f"n{i}", "cpu": 4, "memory": "8Gi"} for i in range(1, 5)]
AGENT = {"cpu": "100m", "memory": "256Mi", "per_node": True,
         "copies": {"cpu": "300m", "memory": "64Mi", "confirmed": "synthetic: one operator copy"}}


def copies_on(plan: Plan, name: str) -> Counter[str]:
    """node -> copies of `name`'s Deployments placed there."""
    return Counter(node.name for node in plan.nodes for item in node.placed if item == name)


def three_copies(tmp_path: Path, footprint: dict[str, Any], nodes: list[dict[str, Any]] = NODES) -> Plan:
    cat = catalog(tmp_path, [entry("agent", layer="infrastructure", category="networking", footprint=footprint)],
                  ["agent"])
    return make_plan(config(nodes=nodes, environments={"prod": {"overrides": {"replicas": {"agent": 3}}}}),
                     cat, "prod")


def test_three_copies_charge_the_copies_part_three_times_on_three_nodes(tmp_path: Path) -> None:
    plan = three_copies(tmp_path, AGENT)
    assert all(node.every_node == ["agent"] for node in plan.nodes)
    assert sorted(copies_on(plan, "agent").values()) == [1, 1, 1]  # spread: no two copies on one node
    with_copy = {name for name in copies_on(plan, "agent")}
    for node in plan.nodes:
        assert node.cpu_used == 100 + (300 if node.name in with_copy else 0), node.name
        assert node.memory_used == (256 + (64 if node.name in with_copy else 0)) * 2**20, node.name
    assert plan.totals()[:2] == (4 * 100 + 3 * 300, (4 * 256 + 3 * 64) * 2**20)
    planned = plan.components["agent"]
    assert planned.requests() == (900, 3 * 64 * 2**20, 0)  # the Deployments' copies
    assert planned.per_node() == (100, 256 * 2**20, 0)  # and apart from them, what every node gets
    row = next(c for c in plan.to_json()["components"] if c["name"] == "agent")
    assert row["per_node"] == {"cpu": "100m", "memory": "256Mi", "storage": "0"}
    assert row["requests"]["cpu"] == "900m"


def test_without_a_copies_part_the_count_changes_nothing(tmp_path: Path) -> None:
    """A DaemonSet alone (Fluent Bit's) runs on every node whatever the count; nothing else is charged."""
    plan = three_copies(tmp_path, {"cpu": "100m", "memory": "256Mi", "per_node": True})
    assert [node.cpu_used for node in plan.nodes] == [100] * 4
    assert not copies_on(plan, "agent") and plan.components["agent"].requests() == (0, 0, 0)


def test_a_node_too_small_for_the_per_node_part_is_named(tmp_path: Path) -> None:
    small = [*NODES[:3], {"name": "pi", "cpu": "100m", "memory": "8Gi"}]
    with pytest.raises(PlanError) as raised:
        three_copies(tmp_path, AGENT, small)
    text = str(raised.value)
    assert "agent does not fit: its part on every node needs cpu 100m" in text
    assert "room left on pi: cpu 85m" in text  # 15% headroom kept free of its 100m
    assert "n1" not in text


def test_copies_that_fit_nowhere_name_the_node_with_most_room(tmp_path: Path) -> None:
    big = {**AGENT, "copies": {"cpu": "3500m", "memory": "64Mi", "confirmed": "synthetic"}}
    with pytest.raises(PlanError) as raised:
        three_copies(tmp_path, big)
    assert "agent does not fit: a replica needs cpu 3500m" in str(raised.value)
    assert "most room left is on" in str(raised.value)


@pytest.mark.parametrize(("env", "count"), [("dev", 1), ("staging", 2), ("prod", 3)])
def test_on_the_built_in_example_the_operators_beside_a_daemonset_are_spread(env: str, count: int) -> None:
    """Cilium's operator, Hubble Relay and UI and Datadog's cluster agent run the environment's copies, each on a
    node of its own; their agents run on every node."""
    catalog_ = load_catalog()
    plan = make_plan(config_for("full"), catalog_, env)
    for name in ("cilium", "datadog"):
        assert plan.components[name].replicas == count, name
        assert sorted(copies_on(plan, name).values()) == [1] * count, name
        assert all(name in node.every_node for node in plan.nodes), name
        copies = catalog_.components[name].footprint.copies
        assert copies is not None
        assert plan.components[name].requests()[0] == count * copies.cpu
