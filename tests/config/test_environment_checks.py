"""What environments may not share, case by case: `environments.check` on configs built in the test."""

from __future__ import annotations

from typing import Any

import pytest

from homelab import environments, yamlsrc
from homelab.config import Config, parse_config
from homelab.errors import InputError

HEAD: dict[str, Any] = {"platform": {"name": "lab", "domain": "lab.example.net"},
                        "gitops": {"repo_url": "https://git.example.net/lab.git"}}
NODE = {"name": "n1", "cpu": 4, "memory": "8Gi"}


def lab(cluster: dict[str, Any] | None = None, **envs: dict[str, Any]) -> Config:
    return Config.model_validate({**HEAD, "cluster": cluster or {"nodes": [NODE]}, "environments": envs})


def pool(*addresses: str, **more: Any) -> dict[str, Any]:
    return {"load_balancer": {"addresses": list(addresses)}, **more}


def messages(config: Config) -> list[str]:
    return [p.message for p in environments.check(config)]


def test_environments_on_the_current_context_are_one_cluster_with_one_pool() -> None:
    shared = lab({"nodes": [NODE], **pool("10.0.0.240/28")}, dev={}, staging={}, prod={"subdomain": ""})
    assert messages(shared) == []
    assert environments.sharing_current_context(shared) == ["dev", "staging", "prod"]


@pytest.mark.parametrize(("dev", "prod", "clash"), [
    ("10.0.0.240/28", "10.0.0.255-10.0.1.3", True),  # a CIDR's last address starts a range
    ("10.0.0.240/28", "10.0.1.0-10.0.1.3", False),  # the next address
    ("10.0.0.10-10.0.0.20", "10.0.0.20-10.0.0.30", True),  # ranges sharing one end
    ("10.0.0.10-10.0.0.19", "10.0.0.20-10.0.0.30", False),
    ("10.0.0.0/24", "10.0.0.128/25", True),  # a CIDR inside another
    ("fd00::/120", "10.0.0.0/24", False),  # IPv6 never meets IPv4
    ("fd00::/120", "fd00::ff-fd00::1ff", True),
])
def test_pools_of_two_clusters_on_one_network(dev: str, prod: str, clash: bool) -> None:
    config = lab(dev={"kube_context": "d", "cluster": pool(dev)}, prod={"kube_context": "p", "cluster": pool(prod)})
    assert bool(messages(config)) is clash, messages(config)


def test_different_networks_may_reuse_addresses_and_host_names() -> None:
    apart = lab(dev={"kube_context": "d", "subdomain": "", "cluster": pool("10.0.0.0/24", network="site-a")},
                prod={"kube_context": "p", "subdomain": "", "cluster": pool("10.0.0.0/24", network="site-b")})
    assert messages(apart) == []
    together = lab(dev={"kube_context": "d", "subdomain": "", "cluster": pool("10.0.0.0/24")},
                   prod={"kube_context": "p", "subdomain": "", "cluster": pool("10.0.1.0/24")})
    assert messages(together) == ["prod would serve the same host names as dev (<name>.lab.example.net) on network "
                                  "'lan'"]


def test_a_subdomain_equal_to_another_environments_name_clashes() -> None:
    assert messages(lab(dev={}, staging={"subdomain": "dev"})) == [
        "staging would serve the same host names as dev (<name>.dev.lab.example.net) on network 'lan'"]


def test_node_addresses() -> None:
    addressed = {"nodes": [{**NODE, "address": "10.0.0.5"}]}
    # two clusters taking the top-level node (and so its address)
    inherited = lab(addressed, dev={"kube_context": "d"}, prod={"kube_context": "p"})
    assert messages(inherited) == ["dev and prod are separate clusters (kube context d, kube context p) on network "
                                   "'lan', and both use node n1 (10.0.0.5)"]
    # the same node seen by two environments of one cluster is one node
    assert messages(lab(addressed, dev={}, prod={"subdomain": ""})) == []
    # two nodes of one cluster at one address
    twins = {"nodes": [{**NODE, "address": "10.0.0.5"}, {**NODE, "name": "n2", "address": "10.0.0.5"}]}
    assert messages(lab(twins, dev={})) == ["dev's node n2 (10.0.0.5) and dev's node n1 (10.0.0.5) overlap on "
                                            "network 'lan'"]
    # a pool that hands out a node's address of another cluster
    covered = lab(addressed, dev={"kube_context": "d", "cluster": {"nodes": [{**NODE, "address": "10.0.1.5"}]}},
                  prod={"kube_context": "p", "cluster": pool("10.0.1.0/28", nodes=[{**NODE, "name": "p1"}])})
    assert messages(covered) == ["prod's load-balancer addresses 10.0.1.0/28 and dev's node n1 (10.0.1.5) overlap "
                                 "on network 'lan'"]


def test_problems_are_located_where_the_user_wrote_them() -> None:
    text = ("platform: {name: lab, domain: lab.example.net}\ngitops: {repo_url: 'https://g.example.net/x.git'}\n"
            "cluster:\n  nodes: [{name: n1, cpu: 4, memory: 8Gi}]\n  load_balancer: {addresses: [10.0.0.0/28]}\n"
            "environments:\n  dev: {kube_context: d}\n  prod:\n    kube_context: p\n    subdomain: ''\n"
            "    cluster:\n      load_balancer:\n        addresses:\n          - 10.0.1.0/28\n"
            "          - 10.0.0.8-10.0.0.9\n")
    with pytest.raises(InputError) as err:
        parse_config(yamlsrc.parse(text, "lab.yaml"))
    assert str(err.value) == (
        "lab.yaml:15: environments.prod.cluster.load_balancer.addresses[1]: prod's load-balancer addresses "
        "10.0.0.8-10.0.0.9 and dev's load-balancer addresses 10.0.0.0/28 overlap on network 'lan' (use ranges "
        "that do not overlap, or put prod on another network with environments.prod.cluster.network)")


def test_a_range_mixing_ipv4_and_ipv6_is_refused() -> None:
    with pytest.raises(ValueError, match="is not a CIDR or a first-last address range"):
        lab({"nodes": [NODE], **pool("10.0.0.1-fd00::1")})


def test_own_cluster_keys_fall_back_one_by_one() -> None:
    config = lab({"nodes": [NODE], "kubernetes": {"distribution": "talos", "version": "1.32"}, "headroom": 0.3,
                  **pool("10.0.0.0/28")},
                 dev={"cluster": {"kubernetes": {"version": "1.34"}, "network": "lab"}}, prod={})
    dev = config.cluster_for("dev")
    assert (dev.kubernetes.distribution, dev.kubernetes.version, dev.headroom, dev.network) == (
        "talos", "1.34", 0.3, "lab")
    assert dev.load_balancer == config.cluster.load_balancer and dev.nodes == config.cluster.nodes
    assert config.oldest_kubernetes() == "1.32"  # prod's: the shared objects must be valid on both
    assert lab(dev={"cluster": {"kubernetes": {"version": "1.34"}}}).oldest_kubernetes() == "1.34"
