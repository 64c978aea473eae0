"""Environments on their own clusters: each renders its own address pool, and a README says what runs where."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest
from tests.render.conftest import CONFIG, make_config

from homelab.catalog.loader import Catalog
from homelab.config import address_range
from homelab.render import Rendered, env_objects, render_tree, write_tree

COMMIT = "0123456789abcdef0123456789abcdef01234567"
OWN = {
    "dev": {"kube_context": "lab-dev", "overrides": {"replicas": {"shop": 2}},
            "cluster": {"nodes": [{"name": "d1", "cpu": 32, "memory": "128Gi", "address": "192.168.10.31"}],
                        "load_balancer": {"addresses": ["192.168.10.208-192.168.10.223"]},
                        "kubernetes": {"version": "1.34"}}},
    "staging": {"kube_context": "lab-staging", "revision": COMMIT,
                "cluster": {"load_balancer": {"addresses": ["192.168.10.224/28"]}}},
    "prod": {**CONFIG["environments"]["prod"], "kube_context": "lab-prod"},
}


@pytest.fixture(scope="module")
def apart(catalog: Catalog) -> Rendered:
    return render_tree(make_config(environments=OWN), catalog)


@pytest.fixture(scope="module")
def apart_tree(apart: Rendered, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("apart") / "rendered"
    write_tree(apart, out)
    return out


def pools(objects: list[dict[str, Any]]) -> list[str]:
    return [a for o in objects if o["kind"] == "IPAddressPool" for a in o["spec"]["addresses"]]


def test_each_environment_syncs_its_own_pool(apart_tree: Path) -> None:
    synced = {env: pools(env_objects(apart_tree, env)) for env in ("dev", "staging", "prod")}
    assert synced == {"dev": ["192.168.10.208-192.168.10.223"], "staging": ["192.168.10.224/28"],
                      "prod": ["192.168.10.240/28"]}


def test_environment_readme_says_where_it_runs(apart: Rendered) -> None:
    dev = apart.files["dev/README.md"].decode()
    assert dev.startswith("# dev\n")
    assert ("- Cluster: its own (`environments.dev.cluster`), kube context `lab-dev`, k3s 1.34, network `lan`"
            in dev)
    assert "- Load-balancer addresses: 192.168.10.208-192.168.10.223" in dev
    assert "- Host names: `<name>.dev.lab.example.net`" in dev
    assert "  - d1 (192.168.10.31): cpu " in dev
    prod = apart.files["prod/README.md"].decode()
    assert "- Cluster: the top-level `cluster:`, kube context `lab-prod`, k3s 1.33" in prod
    assert "- Host names: `<name>.lab.example.net`" in prod and "  - n0: cpu " in prod


def test_environment_readme_says_how_it_is_promoted(apart: Rendered, rendered: Rendered) -> None:
    assert "dev follows the branch `main`" in apart.files["dev/README.md"].decode()
    assert f"staging runs commit `{COMMIT}`" in apart.files["staging/README.md"].decode()
    assert "prod runs nothing yet" in apart.files["prod/README.md"].decode()
    assert "`gate/release.yaml` appears with the first revision" in apart.files["prod/README.md"].decode()


def test_environment_readme_lists_what_runs_by_layer(apart: Rendered, catalog: Catalog) -> None:
    for env, plan in apart.plans.items():
        text = apart.files[f"{env}/README.md"].decode()
        rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
        by_name = {row[1]: row for row in rows}
        assert set(by_name) == set(plan.components), env
        for name, planned in plan.components.items():
            copies = str(planned.replicas)
            if planned.component.footprint.per_node:
                copies = f"every node + {planned.replicas}" if planned.component.footprint.copies else "every node"
            assert by_name[name][2:4] == [planned.version or "-", copies], (env, name)
        titles = [row[0].lstrip("| ") for row in rows if row[0].lstrip("| ")]
        assert titles == [info.title for layer, info in catalog.layers.items()
                          if any(p.component.layer == layer for p in plan.components.values())]
    dev = apart.files["dev/README.md"].decode()
    assert "| shop | 1.0.0 | 2 | shop | Argo CD | `shop.dev.lab.example.net` |" in dev  # dev's override: 2 copies
    assert "| shop | 1.0.0 | 1 | shop | Argo CD | `shop.lab.example.net` |" in apart.files["prod/README.md"].decode()


def test_the_tree_readme_points_at_each_environment(apart: Rendered) -> None:
    top = apart.files["README.md"].decode()
    for env in ("dev", "staging", "prod"):
        assert f"| lab-{env} | [`{env}/README.md`]({env}/README.md) |" in top


def test_environments_sharing_the_current_context_share_the_pool(tree: Path, rendered: Rendered,
                                                                  apart: Rendered) -> None:
    """The session's config sets no kube_context: one cluster (the current context), so one pool, not three,
    and render warns that they must not be deployed to one cluster."""
    synced = [pools(env_objects(tree, env)) for env in ("dev", "staging", "prod")]
    assert synced == [["192.168.10.240/28"]] * 3
    assert [w for w in rendered.warnings if "set no kube_context" in w] == [
        "dev, staging, prod set no kube_context: each deploys to the cluster the current context names, and two "
        "on one cluster overwrite each other's namespaces"]
    assert not [w for w in apart.warnings if "kube_context" in w]


def test_the_examples_addresses_never_meet() -> None:
    """The built-in example's environments are three clusters on one LAN: their pools and nodes never meet."""
    from homelab import environments, yamlsrc
    from homelab.config import builtin_text, parse_config

    example = parse_config(yamlsrc.parse(builtin_text(), "example"))
    ranges = {env: [address_range(a) for a in example.cluster_for(env).load_balancer.addresses]  # type: ignore[union-attr]
              for env in example.env_names()}
    assert len(ranges) == 3
    flat = [(env, r) for env, rs in ranges.items() for r in rs]
    for i, (a_env, a) in enumerate(flat):
        for b_env, b in flat[i + 1:]:
            assert a_env == b_env or a[1] < b[0] or b[1] < a[0], (a_env, b_env)
    nodes = [int(ipaddress.ip_address(str(n.address))) for env in example.env_names() for n in example.nodes_for(env)]
    assert len(set(nodes)) == len(nodes) and not any(r[0] <= n <= r[1] for n in nodes for _, r in flat)
    assert environments.check(example) == []


def test_render_repeats_what_the_plan_warned_of(apart: Rendered) -> None:
    """The plan's warnings (here: the synthetic catalog has no CNI) reach render's output, once, under the
    environments they concern: a person who only renders still hears that the nodes would stay NotReady."""
    missing_cni = [w.split(": ")[0] for w in apart.warnings if "no 'cni' provider in the plan" in w]
    assert missing_cni == ["dev, staging, prod"]
