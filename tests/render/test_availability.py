"""Sized per environment (issue 15): on the built-in example prod runs every component whose catalog entry says
how it runs highly available with three copies, its chart's PodDisruptionBudget and pods spread over nodes;
staging with two; dev with one and neither. Read back from the rendered tree as Argo CD builds it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.catalog.test_values_keys import sets
from tests.profiles import config_for

from homelab.catalog import load_catalog
from homelab.plan import make_plan
from homelab.render import env_objects
from homelab.render.availability import HOSTNAME, REVISION_LABELS, at, values

CATALOG = load_catalog()
HIGHLY_AVAILABLE = sorted(name for name, comp in CATALOG.components.items() if comp.availability)


def lookup(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for key in dotted.split("."):
        node = node[key]
    return node


def applications(tree: Path, env: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"].removeprefix(f"{env}-"): o["spec"]["source"]["helm"]["valuesObject"]
            for o in env_objects(tree, env) if o["kind"] == "Application"
            and o["metadata"]["name"].removeprefix(f"{env}-") in HIGHLY_AVAILABLE}


def test_the_built_in_example_runs_the_highly_available_components() -> None:
    """The facet is on stateless UIs and operators with leader election the full profile really plans."""
    planned = make_plan(config_for("full"), CATALOG, "prod").components
    assert {"cert-manager", "external-secrets", "traefik", "oauth2-proxy"} <= set(HIGHLY_AVAILABLE)
    assert set(HIGHLY_AVAILABLE) <= set(planned)
    assert {planned[name].replicas for name in HIGHLY_AVAILABLE} == {3}


@pytest.mark.parametrize(("env", "copies"), [("dev", 1), ("staging", 2), ("prod", 3)])
def test_each_environment_runs_its_own_number_of_copies(trees: dict[str, Path], env: str, copies: int) -> None:
    apps = applications(trees["full"], env)
    assert sorted(apps) == HIGHLY_AVAILABLE
    for name, got in apps.items():
        facet = CATALOG.components[name].availability
        assert facet is not None
        assert [lookup(got, path) for path in facet.replicas] == [copies] * len(facet.replicas), name
        budget_on = all(sets(got, path) and lookup(got, path) == lookup(facet.disruption_budget, path)
                        for path in _leaves(facet.disruption_budget))
        spread = [lookup(got, path).get("podAntiAffinity") if sets(got, path) else None for path in facet.affinity]
        if copies == 1:
            assert not budget_on and spread == [None] * len(spread), name
        else:
            assert budget_on, name
            for anti in spread:
                term = anti["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
                assert term["topologyKey"] == HOSTNAME and term["matchLabelKeys"] == REVISION_LABELS, name


def _leaves(values: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        out += _leaves(value, f"{path}.") if isinstance(value, dict) else [path]
    return out


def test_the_environment_count_and_a_component_override_win_in_that_order() -> None:
    body_envs = {"dev": {}, "staging": {"replicas": 4}, "prod": {"overrides": {"replicas": {"traefik": 5}}}}
    config = config_for("full", environments=body_envs)
    staging = make_plan(config, CATALOG, "staging").components
    prod = make_plan(config, CATALOG, "prod").components
    assert staging["traefik"].replicas == 4 and staging["cert-manager"].replicas == 4
    assert prod["traefik"].replicas == 5 and prod["cert-manager"].replicas == 3
    assert make_plan(config, CATALOG, "dev").components["traefik"].replicas == 1


def test_one_copy_sets_only_the_count() -> None:
    facet = CATALOG.components["external-secrets"].availability
    assert facet is not None
    assert values(facet, 1) == {"replicaCount": 1, "webhook": {"replicaCount": 1},
                                "certController": {"replicaCount": 1}}
    two = values(facet, 2)
    assert two["leaderElect"] is True and two["podDisruptionBudget"]["enabled"] is True
    assert at("a.b", 1) == {"a": {"b": 1}}
