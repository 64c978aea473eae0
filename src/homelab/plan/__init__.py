"""Plan: config + catalog -> the components of one environment, their waves, fit and reasons."""

from __future__ import annotations

from homelab import environments
from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.plan import fit, graph, resolve
from homelab.plan.model import Edge, NodeFit, Plan, Planned, Site

__all__ = ["Edge", "NodeFit", "Plan", "Planned", "Site", "make_plan", "site_of"]


def site_of(config: Config, env: str) -> Site:
    """Where `env` runs, as the plan reports it."""
    place = environments.where(config, env)
    own = config.env(env).cluster
    cluster = place.cluster
    others = environments.sharing_current_context(config) if place.context is None else []
    return Site(context=place.context, distribution=cluster.kubernetes.distribution,
                version=cluster.kubernetes.version, network=cluster.network,
                addresses=list(cluster.load_balancer.addresses) if cluster.load_balancer else [],
                hosts=place.hosts, own_cluster=place.own,
                nodes_field=f"environments.{env}.cluster.nodes" if own and own.nodes else "cluster.nodes",
                shares_context_with=[e for e in others if e != env])


def make_plan(config: Config, catalog: Catalog, env: str, file: str = "homelab.yaml") -> Plan:
    """Resolve, order and place the components of `env`. Raises PlanError on any problem."""
    selection = resolve.select(config, catalog, env, file)
    names = list(selection.reasons)
    levels = graph.waves(names, selection.edges)
    overrides = config.env(env).overrides
    ha_replicas = config.replicas_for(env)
    layer_order = {layer: i for i, layer in enumerate(catalog.layers)}
    planned = []
    for name in names:
        comp = catalog.components[name]
        planned.append(Planned(
            component=comp,
            wave=levels[name],
            reasons=selection.reasons[name],
            replicas=overrides.replicas.get(name, ha_replicas if comp.availability else comp.footprint.replicas),
            version=overrides.versions.get(name, comp.source.version),
            warnings=selection.warnings.get(name, []),
        ))
    planned.sort(key=lambda p: (p.wave, layer_order.get(p.component.layer, 99), p.name))
    site = site_of(config, env)
    cluster = config.cluster_for(env)
    nodes = fit.place(planned, cluster.nodes, cluster.headroom, file, site.nodes_field)
    warnings = [*selection.notes, *(w for p in planned for w in p.warnings)]
    return Plan(env=env, profile=config.profile, components={p.name: p for p in planned},
                edges=selection.edges, nodes=nodes, headroom=cluster.headroom, warnings=warnings,
                skipped=selection.skipped, site=site)
