"""Planner behaviour on small synthetic catalogs: resolution, order, fit, and clear failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from homelab.catalog.loader import load_catalog
from homelab.catalog.synthetic import entry, write_catalog
from homelab.config import Config
from homelab.errors import PlanError
from homelab.plan import make_plan

CAPS = {c: {"summary": c} for c in ("a", "b", "c", "d", "db", "cache", "cycle-x", "cycle-y", "cycle-z")}
CAPS["cni"] = {"summary": "cni", "exclusive": True}


def config(profile: str = "p", nodes: list[dict[str, Any]] | None = None, **extra: Any) -> Config:
    return Config.model_validate({
        "platform": {"name": "t", "domain": "t.example.net"},
        "cluster": {"nodes": nodes or [{"name": "n1", "cpu": 8, "memory": "16Gi"}]},
        "profile": profile,
        "gitops": {"repo_url": "https://git.example.net/x.git"},
    } | extra)


def catalog(tmp_path: Path, entries: list[dict[str, Any]], components: list[str],
            defaults: dict[str, str] | None = None):
    profiles = {"p": {"summary": "test", "hardware": "one node", "components": components,
                      "nodes": [{"name": "n1", "cpu": 8, "memory": "16Gi", "storage": "100Gi"}],
                      "defaults": defaults or {}}}
    return load_catalog(write_catalog(tmp_path / "cat", entries, profiles, CAPS))


def test_diamond_dependencies_get_increasing_waves(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [
        entry("top", requires=["b", "c"]),
        entry("left", provides=["b"], requires=["d"]),
        entry("right", provides=["c"], requires=["d"]),
        entry("base", provides=["d"]),
    ], ["top"])
    plan = make_plan(config(), cat, "dev")
    assert {n: p.wave for n, p in plan.components.items()} == {"base": 0, "left": 1, "right": 1, "top": 2}
    assert plan.waves() == [["base"], ["left", "right"], ["top"]]
    # base is reached twice, and both reasons are kept
    assert plan.components["base"].reasons == ["required by left via capability `d`",
                                               "required by right via capability `d`"]


def test_cycle_is_reported_with_its_path(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [
        entry("x", provides=["cycle-x"], requires=["cycle-y"]),
        entry("y", provides=["cycle-y"], requires=["cycle-z"]),
        entry("z", provides=["cycle-z"], requires=["cycle-x"]),
    ], ["x"])
    with pytest.raises(PlanError) as err:
        make_plan(config(), cat, "dev")
    assert "dependency cycle: x → y → z → x" in str(err.value)


def test_exclusive_capability_clash_names_both(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("cilium", provides=["cni"]), entry("calico", provides=["cni"])],
                  ["cilium", "calico"])
    with pytest.raises(PlanError) as err:
        make_plan(config(), cat, "dev")
    assert "only one component may provide 'cni'" in str(err.value)
    assert "calico" in str(err.value) and "cilium" in str(err.value)


def test_choice_replaces_the_profiles_exclusive_provider(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("cilium", provides=["cni"]), entry("calico", provides=["cni"]),
                             entry("app", requires=["cni"])], ["cilium", "app"])
    plan = make_plan(config(choices={"cni": "calico"}), cat, "dev")
    assert "calico" in plan.components and "cilium" not in plan.components
    assert "chosen in homelab.yaml `choices.cni`" in plan.components["calico"].reasons[0]


def test_missing_provider_lists_candidates(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("app", requires=["db"]), entry("pg", provides=["db"]),
                             entry("mysql", provides=["db"])], ["app"])
    with pytest.raises(PlanError) as err:
        make_plan(config(), cat, "dev")
    text = str(err.value)
    assert "requires capability 'db', which several components provide" in text
    assert "candidates: mysql, pg" in text


def test_profile_default_resolves_ambiguity(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("app", requires=["db"]), entry("pg", provides=["db"]),
                             entry("mysql", provides=["db"])], ["app"], defaults={"db": "pg"})
    plan = make_plan(config(), cat, "dev")
    assert set(plan.components) == {"app", "pg"}
    assert plan.components["pg"].reasons == ["required by app via capability `db`"]


def test_removing_the_only_provider_is_an_error(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("app", requires=["db"]), entry("pg", provides=["db"])], ["app", "pg"])
    with pytest.raises(PlanError) as err:
        make_plan(config(remove=["pg"]), cat, "dev")
    assert "'app' requires capability 'db', but no component that provides it is available" in str(err.value)


def test_does_not_fit_names_component_and_room_left(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("huge", footprint={"cpu": 2, "memory": "20Gi"})], ["huge"])
    with pytest.raises(PlanError) as err:
        make_plan(config(), cat, "dev")
    text = str(err.value)
    assert "huge does not fit" in text and "memory 20Gi" in text and "most room left is on n1" in text


def test_headroom_is_kept_free(tmp_path: Path) -> None:
    # 15 GiB fits 16 GiB raw, but not with the default 15% headroom
    cat = catalog(tmp_path, [entry("big", footprint={"cpu": 1, "memory": "15Gi"})], ["big"])
    with pytest.raises(PlanError):
        make_plan(config(), cat, "dev")
    no_headroom = {"nodes": [{"name": "n1", "cpu": 8, "memory": "16Gi"}], "headroom": 0.0}
    plan = make_plan(config(cluster=no_headroom), cat, "dev")
    assert plan.nodes[0].memory_used == 15 * 2**30


def test_amd64_only_image_refused_on_arm64_cluster(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("x86", arch=["amd64"])], ["x86"])
    arm = [{"name": "pi", "cpu": 4, "memory": "8Gi", "arch": "arm64"}]
    with pytest.raises(PlanError) as err:
        make_plan(config(nodes=arm), cat, "dev")
    assert "x86 publishes images for amd64 only, but every node is arm64" in str(err.value)


def test_mixed_arch_places_only_on_matching_nodes(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("x86", arch=["amd64"], footprint={"replicas": 2, "cpu": "200m",
                                                                    "memory": "256Mi"})], ["x86"])
    nodes = [{"name": "pi", "cpu": 4, "memory": "8Gi", "arch": "arm64"},
             {"name": "nuc", "cpu": 4, "memory": "8Gi", "arch": "amd64"}]
    plan = make_plan(config(nodes=nodes), cat, "dev")
    placed = {n.name: n.placed for n in plan.nodes}
    assert placed == {"pi": [], "nuc": ["x86", "x86"]}


def test_replicas_spread_across_nodes_and_env_override_scales(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("web", footprint={"replicas": 2, "cpu": "200m", "memory": "256Mi"})], ["web"])
    nodes = [{"name": "a", "cpu": 4, "memory": "8Gi"}, {"name": "b", "cpu": 4, "memory": "8Gi"}]
    plan = make_plan(config(nodes=nodes, environments={"prod": {"overrides": {"replicas": {"web": 4}}}}),
                     cat, "prod")
    assert [len(n.placed) for n in plan.nodes] == [2, 2]
    assert plan.components["web"].requests()[0] == 400  # 4 replicas of 100m


def test_not_installable_is_refused_unless_allowed(tmp_path: Path) -> None:
    gone = {"status": "archived", "reason": "archived upstream in 2021", "replacement": "new",
            "installable": False}
    cat = catalog(tmp_path, [entry("old", maturity=gone), entry("new")], ["old"])
    with pytest.raises(PlanError) as err:
        make_plan(config(), cat, "dev")
    assert "old can no longer be installed" in str(err.value) and "use new instead" in str(err.value)
    plan = make_plan(config(allow=["old"]), cat, "dev")
    assert plan.warnings == ["old is archived: archived upstream in 2021; recommended replacement: new"]


def test_unknown_names_get_suggestions(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("grafana")], ["grafana"])
    with pytest.raises(PlanError) as err:
        make_plan(config(add=["grafanna"]), cat, "dev")
    assert "unknown component 'grafanna'" in str(err.value) and "did you mean 'grafana'?" in str(err.value)


def test_component_the_distribution_ships_is_skipped_and_said(tmp_path: Path) -> None:
    cat = catalog(tmp_path, [entry("metrics", bundled_with=["k3s"]), entry("app")], ["metrics", "app"])
    on_k3s = make_plan(config(), cat, "dev")  # k3s is the default distribution
    assert "metrics" not in on_k3s.components and on_k3s.skipped == {"metrics": "k3s already ships it"}
    kubeadm = {"nodes": [{"name": "n1", "cpu": 8, "memory": "16Gi"}], "kubernetes": {"distribution": "kubeadm"}}
    on_kubeadm = make_plan(config(cluster=kubeadm), cat, "dev")
    assert "metrics" in on_kubeadm.components and on_kubeadm.skipped == {}
