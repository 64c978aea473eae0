"""Plan: config + catalog -> the components of one environment, their waves, fit and reasons."""

from __future__ import annotations

from homelab import environments
from homelab.catalog.loader import Catalog
from homelab.catalog.model import Component
from homelab.config import Config
from homelab.plan import fit, graph, resolve, sharing
from homelab.plan.model import Edge, NodeFit, Plan, Planned, Site

__all__ = ["Edge", "NodeFit", "Plan", "Planned", "Site", "make_plan", "site_of"]


def site_of(config: Config, env: str) -> Site:
    """Where `env` runs, as the plan reports it."""
    place = environments.where(config, env)
    at = place.host or env  # a guest's nodes are its host's
    own = config.env(at).cluster
    cluster = place.cluster
    others = environments.sharing_current_context(config) if place.context is None else []
    return Site(context=place.context, distribution=cluster.kubernetes.distribution,
                version=cluster.kubernetes.version, network=cluster.network,
                addresses=list(cluster.load_balancer.addresses) if cluster.load_balancer else [],
                hosts=place.hosts, own_cluster=place.own,
                nodes_field=f"environments.{at}.cluster.nodes" if own and own.nodes else "cluster.nodes",
                shares_context_with=[e for e in others if e != env], host=place.host, prefix=place.prefix,
                guests=config.on_cluster_of(env)[1:] if place.host is None else [])


def make_plan(config: Config, catalog: Catalog, env: str, file: str = "homelab.yaml") -> Plan:
    """Resolve, order and place the components of `env`. Raises PlanError on any problem."""
    selection, planned = _components(config, catalog, env, file)
    site = site_of(config, env)
    cluster = config.cluster_for(env)
    own = [p for p in planned if sharing.installs(config, catalog, env, p.component)]
    nodes = fit.place(own, cluster.nodes, cluster.headroom, file, site.nodes_field)
    together = None
    if len(config.on_cluster_of(env)) > 1:  # fitted with every environment on its cluster, the shared ones once
        load = sharing.cluster_load(config, catalog, {e: (planned if e == env else _components(config, catalog, e,
                                                                                                file)[1])
                                                      for e in config.on_cluster_of(env)})
        together = sharing.place_together(config, env, load, cluster, file, site.nodes_field)
    hosted = {p.name for p in planned} - {p.name for p in own}
    warnings = [*selection.notes, *(w for p in planned for w in p.warnings), *shared_nodes(planned, nodes),
                *sharing.hosted_overrides(config, env, hosted)]
    return Plan(env=env, profile=config.profile, components={p.name: p for p in planned},
                edges=selection.edges, nodes=nodes, headroom=cluster.headroom, warnings=warnings,
                skipped=selection.skipped, site=site, cluster_nodes=together, hosted=sorted(hosted))


def _components(config: Config, catalog: Catalog, env: str, file: str) -> tuple[resolve.Selection, list[Planned]]:
    """The selection for `env` and its components in install order (a guest's own moved to their namespaces)."""
    selection = resolve.select(config, catalog, env, file)
    names = list(selection.reasons)
    levels = graph.waves(names, selection.edges)
    overrides = config.env(env).overrides
    ha_replicas = config.replicas_for(env)
    nodes_here = len(config.nodes_for(env))
    if config.env(env).replicas is None:  # the default count: no more copies than nodes to spread them over
        ha_replicas = min(ha_replicas, nodes_here)
    layer_order = {layer: i for i, layer in enumerate(catalog.layers)}
    components = sharing.moved(config, catalog, env, names, file)
    planned = []
    for name in names:
        comp = components[name]
        planned.append(Planned(
            component=comp,
            wave=levels[name],
            reasons=selection.reasons[name],
            replicas=overrides.replicas.get(name, copies(comp, ha_replicas, nodes_here)),
            version=overrides.versions.get(name, comp.source.version),
            warnings=selection.warnings.get(name, []),
        ))
    planned.sort(key=lambda p: (p.wave, layer_order.get(p.component.layer, 99), p.name))
    return selection, planned


def copies(comp: Component, count: int, nodes: int) -> int:
    """How many copies the environment's count means for `comp`: its footprint's own unless its entry says how
    it runs more (`availability`, `instances`); a quorum (`odd`) takes the odd count next to an even one, up
    while there are nodes for it, else down."""
    if not (comp.availability or comp.instances):
        return comp.footprint.replicas
    odd = any(i.odd for i in comp.instances) or bool(comp.availability and comp.availability.odd)
    if not odd or count % 2:
        return count
    return count + 1 if count + 1 <= nodes else count - 1


def shared_nodes(planned: list[Planned], nodes: list[NodeFit]) -> list[str]:
    """A warning for each highly available component whose copies had to share a node: losing that node takes
    more than one copy (the fit spreads copies over nodes only where there is room)."""
    out = []
    for p in planned:
        if p.replicas >= 2 and (p.component.availability or p.component.instances):
            used = sorted(n.name for n in nodes if p.name in n.placed)
            if used and len(used) < p.replicas:
                out.append(f"{p.name}: its {p.replicas} copies share {len(used)} node(s) ({', '.join(used)}); "
                           "add room on other nodes to lose only one copy with a node")
    return out
