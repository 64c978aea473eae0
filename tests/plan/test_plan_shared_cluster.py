"""Environments as prefixed namespaces of one cluster: fitted together, cluster-wide components once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.plan.test_planner import catalog, config

from homelab.catalog.synthetic import entry
from homelab.errors import PlanError
from homelab.plan import make_plan

NODES = [{"name": f"n{i}", "cpu": 4, "memory": "8Gi"} for i in range(2)]
SHARED = {"dev": {"kube_context": "lab", "namespace_prefix": "dev"},
          "staging": {"kube_context": "lab", "namespace_prefix": "staging"},
          "prod": {"kube_context": "lab", "subdomain": ""}}
CLUSTER_WIDE = entry("operator", provides=["d"], operator=True, footprint={"cpu": "1", "memory": "1Gi"},
                     watches={"all_namespaces": True, "how": "synthetic: every namespace", "confirmed": "test"})


def store(cpu: str) -> dict[str, Any]:
    """A per-environment store: stated `scope: namespace` (synthetic evidence)."""
    return entry("db", requires=["d"], footprint={"cpu": cpu, "memory": "1Gi"},
                 scope={"level": "namespace", "reason": "synthetic: only namespaced objects", "confirmed": "test"})


def test_each_environment_on_a_shared_cluster_is_fitted_with_the_others(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [CLUSTER_WIDE, store("1")], ["db"])
    lab = config(nodes=NODES, environments=SHARED)
    dev = make_plan(lab, cat, "dev")
    # dev's own fit holds only its own copy of the store; the operator is prod's
    assert sorted(n for node in dev.nodes for n in node.placed) == ["db"]
    assert dev.hosted == ["operator"] and dev.components["db"].component.namespace == "dev-db"
    assert dev.components["operator"].component.namespace == "operator"
    # the cluster's fit: the operator once, each environment's store under its prefix
    assert dev.cluster_nodes is not None
    placed = sorted(n for node in dev.cluster_nodes for n in node.placed)
    assert placed == ["db", "dev-db", "operator", "staging-db"]
    assert make_plan(lab, cat, "prod").cluster_nodes is not None
    site = dev.site
    assert site is not None and (site.host, site.prefix) == ("prod", "dev")
    assert dev.to_json()["cluster"]["namespaces"] == "dev-*"
    assert make_plan(lab, cat, "prod").to_json()["cluster"]["guests"] == ["dev", "staging"]


def test_an_operand_of_an_operator_that_watches_only_its_namespace_is_the_hosts(tmp_path: Path) -> None:
    narrow = {**CLUSTER_WIDE, "watches": {"all_namespaces": False, "how": "synthetic: its own namespace",
                                          "confirmed": "test"}}
    cat = catalog(tmp_path, [narrow, store("1")], ["db"])
    dev = make_plan(config(nodes=NODES, environments=SHARED), cat, "dev")
    assert dev.hosted == ["db", "operator"] and dev.components["db"].component.namespace == "db"


def test_what_fits_alone_but_not_together_is_refused(tmp_path: Path) -> None:
    # 2 cpu each: prod's 3 (operator + store) fits 2x4 cpu less headroom, and so does each guest alone;
    # the three stores and one operator (7 cpu) do not fit the 6.8 cpu the headroom leaves
    cat = catalog(tmp_path, [CLUSTER_WIDE, store("2")], ["db"])
    apart = config(nodes=NODES, environments={e: {"kube_context": f"lab-{e}", "subdomain": e, "cluster": {
        "load_balancer": {"addresses": [f"10.0.{i}.0/28"]}}} for i, e in enumerate(SHARED)})
    for env in SHARED:
        make_plan(apart, cat, env)
    with pytest.raises(PlanError) as err:
        make_plan(config(nodes=NODES, environments=SHARED), cat, "dev")
    assert "on the cluster prod, dev, staging share: " in str(err.value)
    assert "does not fit" in str(err.value)


def test_a_prefix_that_makes_a_namespace_too_long_names_its_line(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [CLUSTER_WIDE, store("1")], ["db"])
    file = tmp_path / "homelab.yaml"
    prefix = "p" * 61
    file.write_text(f"environments:\n  dev:\n    kube_context: lab\n    namespace_prefix: {prefix}\n")
    lab = config(nodes=NODES, environments={**SHARED, "dev": {"kube_context": "lab", "namespace_prefix": prefix}})
    with pytest.raises(PlanError) as err:
        make_plan(lab, cat, "dev", str(file))
    assert str(err.value) == (
        f"{file}:4: environments.dev.namespace_prefix: namespace '{prefix}-db' would be 64 characters long; "
        "Kubernetes allows 63 (use a prefix of at most 60 characters)")


def test_service_names_written_in_an_entrys_data_follow_the_prefix() -> None:
    """akhq's values name Kafka's bootstrap Service by namespace; drone-runner-kube names drone's."""
    from homelab.catalog import load_catalog
    from homelab.plan.sharing import moved

    lab = config(nodes=NODES, environments=SHARED)
    got = moved(lab, load_catalog(), "dev", ["akhq", "kafka", "drone", "drone-runner-kube", "cert-manager"], "x.yaml")
    assert "kafka-kafka-bootstrap.dev-kafka.svc:9092" in str(got["akhq"].values)
    assert "drone.dev-drone.svc:8080" in str(got["drone-runner-kube"].values)
    assert (got["akhq"].namespace, got["kafka"].namespace, got["cert-manager"].namespace) == (
        "dev-akhq", "dev-kafka", "cert-manager")
    assert moved(lab, load_catalog(), "prod", ["akhq"], "x.yaml")["akhq"].namespace == "akhq"


def test_a_guests_override_of_a_component_its_host_installs_is_named_not_dropped(tmp_path: Path) -> None:
    """dev's version of the operator would change nothing (prod's copy runs): the plan says where it belongs; its
    own store's override takes effect without a word."""
    cat = catalog(tmp_path, [CLUSTER_WIDE, store("1")], ["db"])
    envs = {**SHARED, "dev": {**SHARED["dev"], "overrides": {"versions": {"operator": "9.9.9", "db": "2.0.0"},
                                                                "replicas": {"operator": 2}}}}
    dev = make_plan(config(nodes=NODES, environments=envs), cat, "dev")
    named = [w for w in dev.warnings if "changes nothing" in w]
    assert named == [
        "operator: environments.dev.overrides.versions changes nothing: prod installs operator on the cluster dev "
        "shares (set it in environments.prod.overrides)",
        "operator: environments.dev.overrides.replicas changes nothing: prod installs operator on the cluster dev "
        "shares (set it in environments.prod.overrides)"]
    assert dev.components["db"].version == "2.0.0"
    assert not [w for w in make_plan(config(nodes=NODES, environments=envs), cat, "prod").warnings
                if "changes nothing" in w]
