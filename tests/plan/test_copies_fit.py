"""The fit check places every copy an environment runs: a store's members (`instances`) and a highly available
chart's copies (`availability`) each take their footprint's share on a node, spread over distinct nodes."""

from __future__ import annotations

from collections import Counter

import pytest
from tests.profiles import config_for

from homelab.catalog import load_catalog
from homelab.errors import PlanError
from homelab.plan import make_plan
from homelab.plan.model import Plan

CATALOG = load_catalog()


def placed(plan: Plan, name: str) -> Counter[str]:
    """node -> copies of `name` placed there."""
    return Counter(node.name for node in plan.nodes for item in node.placed if item == name)


@pytest.mark.parametrize(("env", "copies"), [("dev", 1), ("staging", 2), ("prod", 3)])
def test_every_copy_is_placed_and_copies_sharing_a_node_are_told(env: str, copies: int) -> None:
    plan = make_plan(config_for("full"), CATALOG, env)
    for name in ("postgresql", "keycloak", "kafka", "traefik", "cert-manager"):
        assert plan.components[name].replicas == copies, name
        nodes = placed(plan, name)
        assert sum(nodes.values()) == copies, name
        shared = [w for w in plan.warnings if w.startswith(f"{name}: its {copies} copies share")]
        assert bool(shared) == (len(nodes) < copies), name


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_on_the_built_in_example_no_two_copies_share_a_node(env: str) -> None:
    """The fit places copies before the rest, while every node still has room: losing a node loses one copy.
    A component with a DaemonSet (`per_node`, Cilium's agent) is charged on every node, whatever its count; the
    copies of its Deployments (Cilium's operator) are spread like any others."""
    plan = make_plan(config_for("full"), CATALOG, env)
    many = [p for p in plan.components.values() if p.replicas >= 2
            and (p.component.availability or p.component.instances)]
    assert {"cilium", "datadog"} <= {p.name for p in many}
    assert len(many) >= 20
    for p in many:
        assert sorted(placed(plan, p.name).values()) == [1] * p.replicas, p.name
    assert not [w for w in plan.warnings if "copies share" in w]


def test_the_copies_are_what_the_nodes_are_charged() -> None:
    """Prod with PostgreSQL at one instance uses exactly two instances' requests less than with three."""
    body = {"dev": {}, "staging": {}, "prod": {"overrides": {"replicas": {"postgresql": 1}}}}
    three = make_plan(config_for("full"), CATALOG, "prod")
    one = make_plan(config_for("full", environments=body), CATALOG, "prod")
    footprint = CATALOG.components["postgresql"].footprint
    assert sum(n.cpu_used for n in three.nodes) - sum(n.cpu_used for n in one.nodes) == 2 * footprint.cpu
    assert sum(n.memory_used for n in three.nodes) - sum(n.memory_used for n in one.nodes) == 2 * footprint.memory
    assert sum(n.storage_used for n in three.nodes) - sum(n.storage_used for n in one.nodes) == 2 * footprint.storage


def test_copies_that_do_not_fit_are_named() -> None:
    """Dev fits the profile's stated hardware; five copies of everything highly available in prod do not."""
    make_plan(config_for("full"), CATALOG, "dev")
    body = {"dev": {}, "staging": {}, "prod": {"replicas": 5}}
    with pytest.raises(PlanError) as raised:
        make_plan(config_for("full", environments=body), CATALOG, "prod")
    assert "does not fit" in str(raised.value)


def test_the_default_count_is_capped_by_the_nodes_an_explicit_one_is_not() -> None:
    """On the minimal profile's single node prod runs one copy (more could not be spread); a count the user
    writes is kept, and the plan says the copies share the node."""
    one_node = {"nodes": [{"name": "n1", "cpu": 4, "memory": "8Gi", "storage": "128Gi"}]}
    prod = make_plan(config_for("minimal", cluster=one_node), CATALOG, "prod")
    ha = [p for p in prod.components.values() if p.component.availability or p.component.instances]
    assert ha and {p.replicas for p in ha} == {1}
    body = {"dev": {}, "staging": {}, "prod": {"replicas": 2}}
    big_node = {"nodes": [{"name": "n1", "cpu": 16, "memory": "64Gi", "storage": "1Ti"}]}
    two = make_plan(config_for("minimal", cluster=big_node, environments=body), CATALOG, "prod")
    assert two.components["traefik"].replicas == 2
    assert any(w.startswith("traefik: its 2 copies share 1 node(s)") for w in two.warnings)


def test_an_odd_quorum_rounds_down_when_the_nodes_run_out() -> None:
    from homelab.plan import copies

    rabbitmq = CATALOG.components["rabbitmq"]
    assert [copies(rabbitmq, n, 6) for n in (1, 2, 3, 4)] == [1, 3, 3, 5]
    assert copies(rabbitmq, 2, 2) == 1
    assert copies(CATALOG.components["postgresql"], 2, 2) == 2
