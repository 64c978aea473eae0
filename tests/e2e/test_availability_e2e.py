"""Prod's highly available components on a real Kubernetes control plane: the copies, the spread and the
PodDisruptionBudget that prod's rendered values ask for are what the API server, scheduler and disruption
controller make of them.

Helm does not run here, so each chart's Deployment (or StatefulSet, as the ECK operator's) and
PodDisruptionBudget are stood in for by a pause workload of that kind and a PDB built from exactly the values
prod renders for the component: the count at its
`availability.replicas` key, the pod affinity at its `availability.affinity` key, and `minAvailable` from
the PodDisruptionBudget values it switches on. A store whose operator writes no budget (RabbitMQ, Keycloak)
gets the budget exactly as prod renders it, over a StatefulSet standing in for the operator's members; so does a
chart without a budget of its own (MLflow, StarRocks), over a stand-in carrying the labels its entry names.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from homelab.catalog import load_catalog
from homelab.cluster.kube import Kube
from homelab.cluster.objects import Ref
from homelab.render import env_objects
from tests.e2e.test_control_plane import eventually, namespace, pod_spec
from tests.render.test_availability import HIGHLY_AVAILABLE, lookup

pytestmark = pytest.mark.e2e
Obj = dict[str, Any]
CATALOG = load_catalog()


def _min_available(values: Any) -> Any:
    """The first `minAvailable` in the PodDisruptionBudget values the entry switches on."""
    if isinstance(values, dict):
        if "minAvailable" in values:
            return values["minAvailable"]
        for inner in values.values():
            if (found := _min_available(inner)) is not None:
                return found
    return None


@pytest.fixture
def ns(kube: Kube) -> Iterator[str]:
    name = "ha-" + uuid.uuid4().hex[:6]
    kube.apply(namespace(name, {"pod-security.kubernetes.io/enforce": "restricted"}))
    eventually(lambda: kube.get(Ref("v1", "ServiceAccount", name, "default")), "the default ServiceAccount")
    yield name
    kube.delete(Ref("v1", "Namespace", "", name))


# the kind each chart runs its pods as, and the label its controller stamps with the pods' revision
KINDS = {"Deployment": "pod-template-hash", "StatefulSet": "controller-revision-hash"}


def budget_status(kube: Kube, ns: str, name: str, copies: int) -> Obj:
    """A PodDisruptionBudget's status once it counts `copies` healthy pods (the disruption controller's)."""
    def counted() -> Obj | None:
        pdb = kube.get(Ref("policy/v1", "PodDisruptionBudget", ns, name))
        status = (pdb or {}).get("status") or {}
        return status if status.get("currentHealthy") == copies else None

    found: Obj = eventually(counted, f"the {name} PodDisruptionBudget counting {copies} healthy pods", timeout=90)
    return found


@pytest.mark.parametrize(("component", "kind"), [("traefik", "Deployment"), ("cert-manager", "Deployment"),
                                                 ("eck-operator", "StatefulSet")])
def test_prod_copies_spread_over_nodes_under_a_disruption_budget(kube: Kube, ns: str, trees: dict[str, Path],
                                                                 component: str, kind: str) -> None:
    assert component in HIGHLY_AVAILABLE
    facet = CATALOG.components[component].availability
    assert facet is not None
    app = next(o for o in env_objects(trees["full"], "prod")
               if o["kind"] == "Application" and o["metadata"]["name"] in (component, f"prod-{component}"))
    values = app["spec"]["source"]["helm"]["valuesObject"]
    copies, affinity = lookup(values, facet.replicas[0]), lookup(values, facet.affinity[0])
    min_available = _min_available(facet.disruption_budget)
    assert copies == 3 and min_available == 1

    labels = {"app.kubernetes.io/name": component}
    workload: Obj = {"replicas": copies, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {**pod_spec(), "affinity": affinity}}}
    if kind == "StatefulSet":
        workload |= {"serviceName": component, "podManagementPolicy": "Parallel"}
    kube.apply({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": component, "namespace": ns},
                "spec": workload})
    kube.apply({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {"name": component, "namespace": ns},
                "spec": {"minAvailable": min_available, "selector": {"matchLabels": labels}}})

    def running() -> list[Obj]:
        pods = [p for p in kube.list("v1", "Pod", namespace=ns) if (p.get("status") or {}).get("phase") == "Running"]
        return pods if len(pods) == copies else []

    pods = eventually(running, f"{copies} Running {component} pods", timeout=90)
    assert len({p["spec"]["nodeName"] for p in pods}) == copies, "the copies share a node"
    for pod in pods:
        # the API server kept matchLabelKeys and merged the revision hash the pod carries into the selector (the
        # spread is towards this revision's pods only), and ignored the key a pod of this kind does not carry
        term = pod["spec"]["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
        selector = term["podAffinityTerm"]["labelSelector"]
        hash_key = KINDS[kind]
        assert selector["matchExpressions"] == [{"key": hash_key, "operator": "In",
                                                 "values": [pod["metadata"]["labels"][hash_key]]}]

    def budget() -> Obj | None:
        pdb = kube.get(Ref("policy/v1", "PodDisruptionBudget", ns, component))
        status = (pdb or {}).get("status") or {}
        return status if status.get("currentHealthy") == copies else None

    status = eventually(budget, f"the {component} PodDisruptionBudget counting {copies} healthy pods", timeout=90)
    assert status["desiredHealthy"] == min_available
    assert status["disruptionsAllowed"] == copies - min_available


@pytest.mark.parametrize("component", ["rabbitmq", "keycloak"])
def test_prod_budget_for_an_operator_run_store_allows_one_member_down(kube: Kube, ns: str, trees: dict[str, Path],
                                                                      component: str) -> None:
    """The PodDisruptionBudget prod renders beside a store whose operator writes none, applied as rendered: the
    disruption controller counts the members the operator would run (a StatefulSet of pause pods carrying the
    labels the entry says the operator gives them stands in for the operator's) and lets one go at a time."""
    comp = CATALOG.components[component]
    facet = next(f for f in comp.instances if f.budget_pods)
    objects = env_objects(trees["full"], "prod")
    store = next(o for o in objects if o["kind"] == facet.kind and o["metadata"]["namespace"] == comp.namespace)
    copies = lookup(store, ".".join(facet.count[0].split("/")[1:]))
    where = (comp.namespace, store["metadata"]["name"])
    rendered = next(o for o in objects if o["kind"] == "PodDisruptionBudget"
                    and (o["metadata"]["namespace"], o["metadata"]["name"]) == where)
    assert copies == 3 and rendered["spec"]["selector"]["matchLabels"] == facet.budget_pods

    labels = dict(facet.budget_pods)
    kube.apply({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": component, "namespace": ns},
                "spec": {"replicas": copies, "serviceName": component, "podManagementPolicy": "Parallel",
                         "selector": {"matchLabels": labels},
                         "template": {"metadata": {"labels": labels}, "spec": pod_spec()}}})
    kube.apply({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {"name": component, "namespace": ns}, "spec": rendered["spec"]})

    status = budget_status(kube, ns, component, copies)
    assert status["desiredHealthy"] == copies - 1 and status["disruptionsAllowed"] == 1


@pytest.mark.parametrize(("component", "budget", "kind"), [("mlflow", "mlflow", "Deployment"),
                                                           ("starrocks", "starrocks-fe", "StatefulSet")])
def test_prod_budget_homelab_writes_beside_a_chart_without_one(kube: Kube, ns: str, trees: dict[str, Path],
                                                               component: str, budget: str, kind: str) -> None:
    """A chart with no PodDisruptionBudget of its own (`budget_pods`): prod's budget, applied as rendered over a
    pause workload carrying the labels the entry names, keeps one stateless copy (MLflow's: two may go) or lets
    one member of a replicated store go at a time (StarRocks' frontends, whose majority needs two of three)."""
    comp = CATALOG.components[component]
    facet = comp.availability
    assert facet is not None
    objects = env_objects(trees["full"], "prod")
    app = next(o for o in objects if o["kind"] == "Application" and o["metadata"]["name"] in (component,
                                                                                               f"prod-{component}"))
    copies = lookup(app["spec"]["source"]["helm"]["valuesObject"], facet.replicas[0])
    rendered = next(o for o in objects if o["kind"] == "PodDisruptionBudget"
                    and (o["metadata"]["namespace"], o["metadata"]["name"]) == (comp.namespace, budget))
    labels = dict(facet.budget_pods[budget])
    assert copies == 3 and rendered["spec"]["selector"]["matchLabels"] == labels

    workload: Obj = {"replicas": copies, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": pod_spec()}}
    if kind == "StatefulSet":
        workload |= {"serviceName": budget, "podManagementPolicy": "Parallel"}
    kube.apply({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": budget, "namespace": ns},
                "spec": workload})
    kube.apply({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": {"name": budget, "namespace": ns}, "spec": rendered["spec"]})

    status = budget_status(kube, ns, budget, copies)
    allowed = 1 if facet.mode == "replicated" else copies - 1
    assert status["disruptionsAllowed"] == allowed and status["desiredHealthy"] == copies - allowed
