"""Where each environment runs, and what environments on one network must not share.

An environment runs on the top-level `cluster:` or on its own (`environments.<env>.cluster`, every key
falling back to the top-level one), reached through its `kube_context`. Environments on one network
(`cluster.network`, default: all on one) are one LAN: two clusters there must not hand out the same
load-balancer address or use a node's address, and two environments must not serve the same host
names. Environments deploying to one kube context share its cluster only as prefixed namespaces
(`namespace_prefix`): exactly one of them, without a prefix, is the host that installs the
cluster-wide components; two unprefixed on one named context would overwrite each other's namespaces
and are an error. Leaving every context unset (the current one) is allowed, with a note in `plan`:
the current context may name another cluster each time (that is how a config without contexts works).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from homelab import yamlsrc
from homelab.config import Cluster, Config, address_range
from homelab.errors import Problem

CURRENT = "the current kube context"
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Where:
    """One environment's cluster, resolved, with its context and host names: what the checks compare and
    `plan` reports (`plan.site_of`)."""

    env: str
    cluster: Cluster
    context: str | None
    own: bool  # True when the environment has a `cluster:` of its own
    hosts: str  # the domain its host names end in, e.g. dev.home.example.net
    host: str | None = None  # the environment whose cluster it runs on as prefixed namespaces
    prefix: str | None = None

    @property
    def network(self) -> str:
        return self.cluster.network

    def describe_context(self) -> str:
        return f"kube context {self.context}" if self.context else CURRENT


@dataclass(frozen=True)
class Claim:
    """An address range one environment uses on its network: a load-balancer entry or a node's address."""

    env: str
    what: str
    first: int
    last: int
    version: int
    loc: yamlsrc.PathKey
    node: str | None = None

    def overlaps(self, other: Claim) -> bool:
        return self.version == other.version and self.first <= other.last and other.first <= self.last


def where(config: Config, env: str) -> Where:
    own = config.env(env)
    sub = env if own.subdomain is None else own.subdomain
    hosts = ".".join(p for p in (sub, config.platform.domain) if p)
    return Where(env, config.cluster_for(env), own.kube_context, own.cluster is not None, hosts,
                 config.host_of(env), own.namespace_prefix)


def claims(config: Config, env: str) -> list[Claim]:
    """Every address `env` uses, located where the user wrote it (its own `cluster:`, its host's, or the top-level
    one)."""
    at = config.host_of(env) or env
    own = config.env(at).cluster
    cluster = config.cluster_for(env)
    out: list[Claim] = []
    if cluster.load_balancer:
        mine = own is not None and own.load_balancer is not None
        base = ("environments", at, "cluster") if mine else ("cluster",)
        for i, item in enumerate(cluster.load_balancer.addresses):
            out.append(Claim(env, f"load-balancer addresses {item}", *address_range(item),
                             loc=(*base, "load_balancer", "addresses", i)))
    mine = own is not None and own.nodes is not None
    base = ("environments", at, "cluster") if mine else ("cluster",)
    for i, node in enumerate(cluster.nodes):
        if node.address is not None:
            value = int(node.address)
            out.append(Claim(env, f"node {node.name} ({node.address})", value, value, node.address.version,
                             loc=(*base, "nodes", i, "address"), node=node.name))
    return out


def _clash(a: Claim, b: Claim, same_cluster: bool) -> bool:
    """Overlapping claims that are not one thing seen twice: one cluster's own pool, or one node."""
    if a.node is None and b.node is None:
        return not same_cluster  # one cluster runs one load-balancer: its pool is no second claim
    if a.node is not None and b.node is not None:
        return not (same_cluster and a.node == b.node)  # one node, listed for each environment on it
    return True  # a pool that hands out a node's address


def _overlapping(claims: list[Claim]) -> Iterator[tuple[Claim, Claim]]:
    """Every overlapping pair, without comparing everything with everything: ranges sorted by their first
    address (a sweep), nodes found by address (bisect, or one equal key)."""
    pools = sorted((c for c in claims if c.node is None), key=lambda c: (c.version, c.first))
    nodes = sorted((c for c in claims if c.node is not None), key=lambda c: (c.version, c.first))
    keys = [(c.version, c.first) for c in nodes]
    for i, a in enumerate(pools):
        for b in pools[i + 1:]:
            if (b.version, b.first) > (a.version, a.last):
                break  # sorted: no later range starts inside this one
            yield a, b
        yield from ((a, b) for b in nodes[bisect.bisect_left(keys, (a.version, a.first)):
                                           bisect.bisect_right(keys, (a.version, a.last))])
    for _, same in itertools.groupby(nodes, key=lambda c: (c.version, c.first)):
        yield from itertools.combinations(list(same), 2)


def _address_problems(config: Config, places: dict[str, Where], file: str, source: yamlsrc.Located | None
                      ) -> list[Problem]:
    problems: dict[tuple[yamlsrc.PathKey, yamlsrc.PathKey], Problem] = {}
    order = {env: i for i, env in enumerate(places)}
    for network in dict.fromkeys(w.network for w in places.values()):
        taken = [c for env, w in places.items() if w.network == network for c in claims(config, env)]
        for one, two in _overlapping(taken):
            a, b = sorted((one, two), key=lambda c: (order[c.env], c.node is not None))
            x, y = a.env, b.env
            if not _clash(a, b, places[x].context == places[y].context) or (a.loc, b.loc) in problems:
                continue
            if a.loc == b.loc:
                message = (f"{x} and {y} are separate clusters ({places[x].describe_context()}, "
                           f"{places[y].describe_context()}) on network '{network}', and both use {b.what}")
                key = "nodes" if b.node else "load_balancer.addresses"
                hint = f"give {y} its own: environments.{y}.cluster.{key}"
            else:
                message = f"{y}'s {b.what} and {x}'s {a.what} overlap on network '{network}'"
                hint = ("use an address outside every load-balancer range" if b.node or a.node else
                        f"use ranges that do not overlap, or put {y} on another network with "
                        f"environments.{y}.cluster.network")
            line = source.line_of(b.loc) if source else None
            problems[(a.loc, b.loc)] = Problem(message, file=file, line=line, field=yamlsrc.dotted(b.loc), hint=hint)
            if len(problems) == MAX_PROBLEMS:
                return [*problems.values(), Problem("... and possibly more overlapping addresses; fix these first")]
    return list(problems.values())


def _context_problems(places: dict[str, Where], file: str, source: yamlsrc.Located | None) -> list[Problem]:
    problems = []
    for x, y in itertools.combinations(places, 2):
        context = places[x].context
        if context is not None and context == places[y].context and places[x].prefix is places[y].prefix is None:
            loc = ("environments", y, "kube_context")
            problems.append(Problem(
                f"{x} and {y} both deploy to kube context '{context}' without a namespace_prefix: every environment "
                "deploys the same namespaces, so one would overwrite the other", file=file,
                line=source.line_of(loc) if source else None, field=yamlsrc.dotted(loc),
                hint=f"give {y} a context of its own, or run it as namespaces of {x}'s cluster: "
                     f"environments.{y}.namespace_prefix: {y}"))
    return problems


def _prefix_problems(config: Config, file: str, source: yamlsrc.Located | None) -> list[Problem]:
    """A prefixed environment needs exactly one host (same context, no prefix), no cluster of its own, and a
    prefix no other environment on that cluster uses."""
    def problem(env: str, key: str, message: str, hint: str) -> Problem:
        loc = ("environments", env, key)
        return Problem(message, file=file, line=source.line_of(loc) if source else None,
                       field=yamlsrc.dotted(loc), hint=hint)

    problems = []
    taken: dict[tuple[str | None, str], str] = {}
    for env in config.env_names():
        own = config.env(env)
        prefix, context = own.namespace_prefix, own.kube_context
        if prefix is None:
            continue
        where = f"kube context '{context}'" if context else CURRENT
        if own.cluster is not None:
            problems.append(problem(env, "cluster", f"{env} runs as namespaces '{prefix}-*' on its host's cluster, "
                                    "so a cluster of its own means nothing",
                                    f"remove environments.{env}.cluster, or remove namespace_prefix and give {env} "
                                    "a kube_context of its own"))
        hosts = [e for e in config.env_names() if config.prefix_of(e) is None and config.env(e).kube_context == context]
        if len(hosts) != 1:
            found = f"{len(hosts)} ({', '.join(hosts)})" if hosts else "none"
            problems.append(problem(env, "namespace_prefix", f"{env} runs as prefixed namespaces on the cluster of "
                                    f"the one environment without a prefix on {where}, and there are {found}",
                                    "give the prefixed environment the kube_context of its host, and the host "
                                    "(the one that installs the cluster-wide components) no namespace_prefix"))
        if (context, prefix) in taken:
            problems.append(problem(env, "namespace_prefix", f"{env} and {taken[context, prefix]} both use the "
                                    f"namespace_prefix '{prefix}' on {where}",
                                    f"give {env} a prefix of its own, e.g. {env}"))
        taken.setdefault((context, prefix), env)
    return problems


def _host_problems(places: dict[str, Where], file: str, source: yamlsrc.Located | None) -> list[Problem]:
    problems = []
    for x, y in itertools.combinations(places, 2):
        if places[x].network == places[y].network and places[x].hosts == places[y].hosts:
            loc = ("environments", y, "subdomain")
            problems.append(Problem(
                f"{y} would serve the same host names as {x} (<name>.{places[y].hosts}) on network "
                f"'{places[y].network}'", file=file, line=source.line_of(loc) if source else None,
                field=yamlsrc.dotted(loc),
                hint=f"use another subdomain for {y}, or put it on another network with "
                     f"environments.{y}.cluster.network"))
    return problems


def check(config: Config, source: yamlsrc.Located | None = None, file: str = "homelab.yaml") -> list[Problem]:
    """Everything environments may not share; an empty list when they are apart."""
    places = {env: where(config, env) for env in config.env_names()}
    file = source.file if source else file
    return [*_prefix_problems(config, file, source), *_context_problems(places, file, source),
            *_host_problems(places, file, source),
            *_address_problems(config, places, file, source)]


def sharing_current_context(config: Config) -> list[str]:
    """Unprefixed environments that set no kube_context: they all deploy wherever the current context points."""
    names = [env for env in config.env_names()
             if config.env(env).kube_context is None and config.prefix_of(env) is None]
    return names if len(names) > 1 else []
