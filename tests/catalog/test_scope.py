"""What a shared cluster installs once and what each environment gets in its own namespaces (catalog/scope)."""

from __future__ import annotations

import pytest
from tests.profiles import config_for

from homelab.catalog import load_catalog
from homelab.catalog.model import Scope
from homelab.catalog.scope import contradictions, per_environment, placement
from homelab.plan import make_plan

CATALOG = load_catalog()


def full_profile() -> list[str]:
    return list(make_plan(config_for("full"), CATALOG, "prod").components)


@pytest.mark.parametrize("name", full_profile())
def test_every_entry_of_the_full_profile_lands_on_one_side(name: str) -> None:
    """A new entry its facts do not classify fails here until it says `scope:` with the templates read."""
    found = placement(CATALOG.components[name], CATALOG)
    assert found.level in ("cluster", "namespace"), f"{name}: {found.why}"


def test_an_entry_nothing_classifies_is_unclassified_and_installed_once() -> None:
    plain = CATALOG.components["zipkin"].model_copy(update={"scope": None})
    assert placement(plain, CATALOG).level is None
    assert not per_environment(plain, CATALOG)  # never twice by mistake


@pytest.mark.parametrize(("name", "fact"), [
    ("cert-manager", "installs CRDs"), ("cilium", "the CNI"), ("metallb", "load-balancer, one per cluster"),
    ("fluent-bit", "a DaemonSet on every node"), ("strimzi", "an operator others consume"),
])
def test_cluster_wide_is_derived_from_what_entries_already_say(name: str, fact: str) -> None:
    found = placement(CATALOG.components[name], CATALOG)
    assert found.level == "cluster" and fact in found.why, found


def test_operands_and_stated_entries_are_per_environment() -> None:
    assert placement(CATALOG.components["postgresql"], CATALOG).level == "namespace"  # source: none
    assert per_environment(CATALOG.components["zipkin"], CATALOG)  # scope: namespace, templates read
    assert not per_environment(CATALOG.components["grafana"], CATALOG)  # scope: cluster (its ClusterRole)


def test_a_namespace_scope_on_a_cluster_wide_entry_is_refused() -> None:
    wrong = CATALOG.components["cert-manager"].model_copy(
        update={"scope": Scope(level="namespace", reason="a claim the facts contradict", confirmed="none")})
    assert contradictions(wrong, CATALOG) == [
        "scope says namespace, but it is cluster-wide: an operator others consume; installs CRDs; "
        "registers admission webhooks"]
