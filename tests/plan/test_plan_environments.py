"""Each environment is planned on its own cluster: its nodes, distribution and headroom, and says where it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.plan.test_planner import catalog, config

from homelab.catalog.synthetic import entry
from homelab.errors import PlanError
from homelab.plan import make_plan

SMALL = [{"name": "d1", "cpu": 2, "memory": "4Gi", "address": "10.0.0.11"}]
BIG = [{"name": f"p{i}", "cpu": 8, "memory": "16Gi", "address": f"10.0.0.{20 + i}"} for i in range(3)]


def envs(**dev: Any) -> dict[str, Any]:
    return {"dev": {"kube_context": "lab-dev", "cluster": dev},
            "prod": {"kube_context": "lab-prod", "subdomain": ""}}


def test_each_environment_is_fitted_on_its_own_nodes(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("web", footprint={"cpu": "500m", "memory": "1Gi"})], ["web"])
    lab = config(nodes=BIG, environments=envs(nodes=SMALL, load_balancer={"addresses": ["10.0.0.200/29"]}))
    dev, prod = make_plan(lab, cat, "dev"), make_plan(lab, cat, "prod")
    assert [n.name for n in dev.nodes] == ["d1"] and [n.name for n in prod.nodes] == ["p0", "p1", "p2"]
    assert dev.nodes[0].placed == ["web"] and dev.nodes[0].address == "10.0.0.11"
    assert dev.site is not None and prod.site is not None
    assert (dev.site.context, dev.site.addresses, dev.site.own_cluster, dev.site.hosts) == (
        "lab-dev", ["10.0.0.200/29"], True, "dev.t.example.net")
    assert (prod.site.context, prod.site.addresses, prod.site.own_cluster, prod.site.hosts) == (
        "lab-prod", [], False, "t.example.net")
    assert dev.to_json()["cluster"]["load_balancer"] == ["10.0.0.200/29"]


def test_what_does_not_fit_names_the_environments_own_nodes(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("web", footprint={"cpu": "3", "memory": "1Gi"})], ["web"])
    lab = config(nodes=BIG, environments=envs(nodes=SMALL))
    assert make_plan(lab, cat, "prod").components  # prod's nodes have room
    with pytest.raises(PlanError) as err:
        make_plan(lab, cat, "dev")
    assert "web does not fit" in str(err.value) and "environments.dev.cluster.nodes:" in str(err.value)


def test_headroom_and_distribution_fall_back_key_by_key(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("metrics", bundled_with=["k3s"]), entry("app")], ["metrics", "app"])
    top = {"nodes": BIG, "headroom": 0.3, "kubernetes": {"distribution": "k3s", "version": "1.33"}}
    lab = config(cluster=top, environments=envs(kubernetes={"distribution": "kubeadm"}))
    dev, prod = make_plan(lab, cat, "dev"), make_plan(lab, cat, "prod")
    assert "metrics" in dev.components and prod.skipped == {"metrics": "k3s already ships it"}
    assert dev.headroom == prod.headroom == 0.3  # dev names only its distribution
    assert lab.cluster_for("dev").kubernetes.version == "1.33" and [n.name for n in dev.nodes] == ["p0", "p1", "p2"]
    assert dev.site is not None and (dev.site.distribution, dev.site.version) == ("kubeadm", "1.33")


def test_environments_without_a_context_say_they_share_the_current_one(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("app")], ["app"])
    plan = make_plan(config(), cat, "staging")  # no environments: all three, no kube_context
    assert plan.site is not None and plan.site.context is None
    assert plan.site.shares_context_with == ["dev", "prod"]
    assert make_plan(config(environments=envs()), cat, "dev").site.shares_context_with == []  # type: ignore[union-attr]
