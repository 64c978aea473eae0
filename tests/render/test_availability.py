"""Sized per environment (issue 15): on the built-in example prod runs every component whose catalog entry says
how it runs highly available with three copies, its chart's PodDisruptionBudget and pods spread over nodes;
staging with two; dev with one and neither. Read back from the rendered tree as Argo CD builds it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.catalog.test_values_keys import sets
from tests.profiles import config_for

from homelab.catalog import load_catalog
from homelab.plan import make_plan
from homelab.render import env_objects
from homelab.render.argocd import application_values
from homelab.render.availability import HOSTNAME, REVISION_LABELS, at, set_pointer, values

CATALOG = load_catalog()
# metrics-server has the facet but the built-in example's distribution (k3s) bundles it, so it is not planned
PLANNED = make_plan(config_for("full"), CATALOG, "prod").components
HIGHLY_AVAILABLE = sorted(name for name, comp in CATALOG.components.items() if comp.availability and name in PLANNED)


def lookup(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for key in dotted.split("."):
        node = node[key]
    return node


def applications(tree: Path, env: str) -> dict[str, dict[str, Any]]:
    """The values each highly available component's Application carries (Helm's, or a local source's patches), or
    for a step `homelab bootstrap` installs before Argo CD (Cilium) its values file."""
    out = {o["metadata"]["name"].removeprefix(f"{env}-"): application_values(o)[1]
           for o in env_objects(tree, env) if o["kind"] == "Application"
           and o["metadata"]["name"].removeprefix(f"{env}-") in HIGHLY_AVAILABLE}
    for name in HIGHLY_AVAILABLE:
        step = tree / "bootstrap" / env / f"{name}.values.yaml"
        if step.is_file():
            out[name] = yaml.safe_load(step.read_text())
    return out


def test_the_built_in_example_runs_the_highly_available_components() -> None:
    """The facet is on stateless UIs and operators with leader election the full profile really plans."""
    assert {"cert-manager", "external-secrets", "traefik", "oauth2-proxy", "cilium", "prometheus", "minio",
            "ingress-nginx"} <= set(HIGHLY_AVAILABLE)
    left_out = {name for name, comp in CATALOG.components.items() if comp.availability} - set(PLANNED)
    assert left_out == {"metrics-server"}, left_out
    assert {PLANNED[name].replicas for name in HIGHLY_AVAILABLE} == {3}


@pytest.mark.parametrize(("env", "copies"), [("dev", 1), ("staging", 2), ("prod", 3)])
def test_each_environment_runs_its_own_number_of_copies(trees: dict[str, Path], env: str, copies: int) -> None:
    """The bar of issue 15: prod runs every component with the facet with >= 2 copies, its budget on and its pods
    spread; dev runs one copy and no budget (a budget over one pod would block every node drain)."""
    objects = env_objects(trees["full"], env)
    apps = applications(trees["full"], env)
    budgets = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects
               if o["kind"] == "PodDisruptionBudget"}
    assert sorted(apps) == HIGHLY_AVAILABLE
    for name, got in apps.items():
        comp = CATALOG.components[name]
        facet = comp.availability
        assert facet is not None
        want = copies + 1 if facet.odd and copies % 2 == 0 else copies
        assert [lookup(got, path) for path in facet.replicas] == [want] * len(facet.replicas), name
        budget_on = all(sets(got, path) and lookup(got, path) == lookup(facet.disruption_budget, path)
                        for path in _leaves(facet.disruption_budget))
        ours = [(comp.namespace, budget) for budget in facet.budget_pods]
        written = bool(ours) and all(key in budgets for key in ours)
        spread = [lookup(got, path).get("podAntiAffinity") if sets(got, path) else None for path in facet.affinity]
        spread += [lookup(got, path) if sets(got, path) else None for path in facet.anti_affinity]
        if copies == 1:
            assert want == 1 and not any(key in budgets for key in ours), name
            assert not (facet.disruption_budget and budget_on), name
            assert all(anti is None or HOSTNAME not in str(anti) for anti in spread), name
        else:
            assert want >= 2 and (budget_on if facet.disruption_budget else written), name
            for anti in spread:
                term = anti["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]
                assert term["topologyKey"] == HOSTNAME and term["matchLabelKeys"] == REVISION_LABELS, name


def test_a_budget_homelab_writes_selects_the_pods_the_entry_names(trees: dict[str, Path]) -> None:
    """For a chart without a PodDisruptionBudget (the CloudNativePG operator's) prod carries one of its own."""
    comp = CATALOG.components["cloudnative-pg"]
    assert comp.availability is not None and comp.availability.budget_pods
    pdb = next(o for o in env_objects(trees["full"], "prod") if o["kind"] == "PodDisruptionBudget"
               and o["metadata"]["name"] == "cloudnative-pg")
    assert pdb["metadata"]["namespace"] == comp.namespace
    assert pdb["spec"] == {"minAvailable": 1,
                           "selector": {"matchLabels": comp.availability.budget_pods["cloudnative-pg"]}}


def test_a_replicated_chart_without_a_budget_loses_one_member_at_a_time(trees: dict[str, Path]) -> None:
    """StarRocks' frontends keep their majority only while one is drained: homelab's budgets for a replicated
    chart allow one pod down (maxUnavailable 1); for stateless copies (MLflow's) one must stay (minAvailable 1)."""
    budgets = {(o["metadata"]["namespace"], o["metadata"]["name"]): o["spec"]
               for o in env_objects(trees["full"], "prod") if o["kind"] == "PodDisruptionBudget"}
    for name, keep in (("starrocks", {"maxUnavailable": 1}), ("mlflow", {"minAvailable": 1})):
        comp = CATALOG.components[name]
        assert comp.availability is not None and comp.availability.budget_pods, name
        for budget, pods in comp.availability.budget_pods.items():
            assert budgets[(comp.namespace, budget)] == {**keep, "selector": {"matchLabels": pods}}, name


def _leaves(values: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        out += _leaves(value, f"{path}.") if isinstance(value, dict) else [path]
    return out


def test_the_environment_count_and_a_component_override_win_in_that_order() -> None:
    # staging here shares prod's nodes (the example's seven): three copies of everything highly available fit, as
    # in prod; the environment's 3 (its default is 2) and Prometheus's own 2 show which count wins
    body_envs = {"dev": {}, "staging": {"replicas": 3, "overrides": {"replicas": {"prometheus": 2}}},
                 "prod": {"overrides": {"replicas": {"traefik": 5}}}}
    config = config_for("full", environments=body_envs)
    staging = make_plan(config, CATALOG, "staging").components
    prod = make_plan(config, CATALOG, "prod").components
    assert staging["traefik"].replicas == 3 and staging["cert-manager"].replicas == 3
    assert staging["prometheus"].replicas == 2 and staging["starrocks"].replicas == 3
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


STORES = sorted(name for name, comp in CATALOG.components.items() if comp.instances)


def pointed(doc: Any, pointer: str) -> Any:
    for step in pointer.split("/")[1:]:
        doc = doc[int(step)] if isinstance(doc, list) else doc[step]
    return doc


def _contains(doc: Any, part: Any) -> bool:
    if isinstance(part, dict):
        return isinstance(doc, dict) and all(k in doc and _contains(doc[k], v) for k, v in part.items())
    return bool(doc == part)


@pytest.mark.parametrize(("env", "copies"), [("dev", 1), ("staging", 2), ("prod", 3)])
def test_operator_run_stores_get_the_environments_member_count(trees: dict[str, Path], env: str, copies: int) -> None:
    """Database instances per environment: the member count in each store's custom resource as Argo CD syncs it,
    and the operator's replication settings (CloudNativePG's synchronous standby) only from two members on."""
    planned = make_plan(config_for("full"), CATALOG, env).components
    objects = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o
               for o in env_objects(trees["full"], env)}
    assert {"postgresql", "keycloak", "mongodb", "rabbitmq", "kafka", "elasticsearch", "kibana"} <= set(STORES)
    assert set(STORES) <= set(planned)
    for name in STORES:
        comp = CATALOG.components[name]
        odd = any(facet.odd for facet in comp.instances)
        want = copies + 1 if odd and copies % 2 == 0 else copies
        assert planned[name].replicas == want, name
        for facet in comp.instances:
            for raw in (r for r in comp.resources if r["kind"] == facet.kind):
                got = objects[(facet.kind, raw["metadata"].get("namespace"), raw["metadata"]["name"])]
                assert [pointed(got, p) for p in facet.count] == [want] * len(facet.count), name
                if facet.replicated:
                    assert _contains(got, facet.replicated) == (want >= 2), name
    cluster = objects[("Cluster", "postgresql", "postgresql")]["spec"]
    assert cluster["instances"] == copies
    assert ("synchronous" in cluster.get("postgresql", {})) == (copies >= 2)
    assert objects[("RabbitmqCluster", "rabbitmq", "rabbitmq")]["spec"]["replicas"] == (1 if copies == 1 else 3)


def test_an_override_sets_a_stores_members_exactly() -> None:
    """`overrides.replicas` wins over the environment's count and over the odd rounding (the user chose it)."""
    config = config_for("full", environments={"dev": {}, "staging": {"overrides": {"replicas": {"rabbitmq": 2}}},
                                              "prod": {"overrides": {"replicas": {"postgresql": 4}}}})
    staging = make_plan(config, CATALOG, "staging").components
    assert staging["rabbitmq"].replicas == 2 and staging["postgresql"].replicas == 2
    prod = make_plan(config, CATALOG, "prod").components
    assert prod["postgresql"].replicas == 4 and prod["rabbitmq"].replicas == 3


def test_a_pointer_the_resource_lacks_fails_loudly() -> None:
    """A typo in an entry's `count` is a KeyError at render, never a new field silently added."""
    body = {"kind": "Cluster", "spec": {"instances": 1}}
    with pytest.raises(KeyError):
        set_pointer(body, "/spec/instancez", 2)
    set_pointer(body, "/spec/instances", 2)
    assert body == {"kind": "Cluster", "spec": {"instances": 2}}


@pytest.mark.parametrize(("env", "copies"), [("dev", 1), ("staging", 2), ("prod", 3)])
def test_a_store_whose_operator_writes_no_budget_gets_ours(trees: dict[str, Path], env: str, copies: int) -> None:
    """Keycloak, RabbitMQ, MongoDB and Kibana: from two members on, a budget beside the custom resource over the
    labels the operator gives its pods, at most one member down at a time; one member, none (it would block
    every drain). The other stores' operators write their own, so homelab writes none for them."""
    objects = env_objects(trees["full"], env)
    budgets = {(o["metadata"]["namespace"], o["metadata"]["name"]): o["spec"] for o in objects
               if o["kind"] == "PodDisruptionBudget"}
    ours = [n for n in STORES if any(f.budget_pods for f in CATALOG.components[n].instances)]
    assert {"keycloak", "rabbitmq", "mongodb", "kibana"} <= set(ours)
    for name in STORES:
        comp = CATALOG.components[name]
        for facet in comp.instances:
            for raw in (r for r in comp.resources if r["kind"] == facet.kind):
                key = (raw["metadata"]["namespace"], raw["metadata"]["name"])
                if facet.budget_pods and copies >= 2:
                    assert budgets[key] == {"maxUnavailable": 1, "selector": {"matchLabels": facet.budget_pods}}, name
                else:
                    assert key not in budgets, name
