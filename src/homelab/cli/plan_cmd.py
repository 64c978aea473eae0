"""`homelab plan`: what will be installed, in which wave, where it fits, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from homelab.cli.common import ConfigOption, EnvOption, JsonOption, check_env, console, load_config

if TYPE_CHECKING:
    from homelab.catalog import Catalog
    from homelab.config import Config
    from homelab.plan import Plan, Planned


def _print_plan(plan: Plan, catalog: Catalog) -> None:
    from rich.table import Table

    from homelab.quantity import format_bytes, format_cpu

    out = console()
    cpu, memory, storage = plan.totals()
    out.print(f"[bold]Plan for {plan.env}[/] (profile {plan.profile}): {len(plan.components)} components in "
              f"{len(plan.waves())} waves; requests cpu {format_cpu(cpu)}, memory {format_bytes(memory)}, "
              f"storage {format_bytes(storage)}")
    table = Table(show_lines=False)
    for column in ("layer / category", "component", "wave", "version", "cpu", "memory", "why"):
        table.add_column(column, overflow="fold")
    for layer, info in catalog.layers.items():
        for slug, title in info.categories.items():
            members = [p for p in plan.components.values()
                       if p.component.layer == layer and p.component.category == slug]
            for i, p in enumerate(sorted(members, key=lambda p: (p.wave, p.name))):
                cpu_cell, memory_cell = _requests(p)
                flag = " [yellow]![/]" if p.warnings else ""
                if p.name in plan.hosted and plan.site:
                    flag += f" [dim]({plan.site.host}'s)[/]"
                table.add_row(f"[bold]{info.title}[/] / {title}" if i == 0 else "", p.name + flag, str(p.wave),
                              p.version or "-", cpu_cell, memory_cell, "; ".join(p.reasons))
    out.print(table)
    if any(p.per_node() for p in plan.components.values()):
        out.print("[dim]cpu and memory: the requests of all copies; `x/node + y`: x on every node (a DaemonSet), "
                  "y for all copies of its Deployments[/]")
    fit = Table(title=f"Fit per node (headroom {plan.headroom:.0%} kept free)")
    for column in ("node", "address", "arch", "cpu", "memory", "storage", "components"):
        fit.add_column(column)
    for n in plan.nodes:
        fit.add_row(n.name, n.address or "-", n.arch, f"{format_cpu(n.cpu_used)} / {format_cpu(n.cpu_total)}",
                    f"{format_bytes(n.memory_used)} / {format_bytes(n.memory_total)}",
                    f"{format_bytes(n.storage_used)} / {format_bytes(n.storage_total)}", str(len(n.components())))
    out.print(fit)
    if plan.cluster_nodes is not None:
        together = Table(title="Fit of the shared cluster: every environment on it, cluster-wide components once "
                               "(a guest's own as <prefix>-<name>)")
        for column in ("node", "cpu", "memory", "storage", "components"):
            together.add_column(column)
        for n in plan.cluster_nodes:
            together.add_row(n.name, f"{format_cpu(n.cpu_used)} / {format_cpu(n.cpu_total)}",
                             f"{format_bytes(n.memory_used)} / {format_bytes(n.memory_total)}",
                             f"{format_bytes(n.storage_used)} / {format_bytes(n.storage_total)}",
                             str(len(n.components())))
        out.print(together)
    for name, why in plan.skipped.items():
        out.print(f"[dim]skipped:[/] {name} ({why})")
    for p in plan.components.values():
        if p.warnings:
            maturity = p.component.maturity
            better = f"; use {maturity.replacement} instead" if maturity.replacement else ""
            out.print(f"[yellow]warning:[/] {p.name} is {maturity.status}{better} "
                      f"(why: `homelab plan --explain {p.name}`)")


def _requests(p: Planned) -> tuple[str, str]:
    """The cpu and memory cells of one component: its copies, and what it asks on every node if it runs there."""
    from homelab.quantity import format_bytes, format_cpu

    cpu, memory, _ = p.requests()
    each = p.per_node()
    if each is None:
        return format_cpu(cpu), format_bytes(memory)
    copies = (f" + {format_cpu(cpu)}", f" + {format_bytes(memory)}") if cpu or memory else ("", "")
    return f"{format_cpu(each[0])}/node{copies[0]}", f"{format_bytes(each[1])}/node{copies[1]}"


def _print_sites(plans: dict[str, Plan | str]) -> None:
    """Where every environment runs (its cluster, nodes, addresses, host names) and how full its nodes are."""
    from rich.table import Table

    out = console()
    table = Table(title="Where each environment runs (requests as a share of the room the headroom leaves)")
    for column in ("env", "cluster", "kubernetes", "network", "nodes", "load-balancer", "UIs at", "of the room"):
        table.add_column(column, overflow="fold")
    shared: list[str] = []
    for env, plan in plans.items():
        if isinstance(plan, str):
            table.add_row(env, "", "", "", "", "", "", f"[red]{plan}[/]")
            continue
        site = plan.site
        if site is None:
            continue
        cpu, memory, _ = plan.totals()
        keep = 1 - plan.headroom
        room_cpu = sum(n.cpu_total for n in plan.nodes) * keep
        room_mem = sum(n.memory_total for n in plan.nodes) * keep
        names = [n.name for n in plan.nodes]
        nodes = ", ".join(names) if len(names) <= 3 else f"{names[0]} … {names[-1]} ({len(names)})"
        where = ("own" if site.own_cluster else "top-level") + ": " + (site.context or "current context")
        if site.host:
            where = f"namespaces {site.prefix}-* on {site.host}'s cluster ({site.context or 'current context'})"
        elif site.guests:
            where += f"; hosts {', '.join(site.guests)}"
        table.add_row(env, where, f"{site.distribution} {site.version}", site.network, nodes,
                      ", ".join(site.addresses) or "-", f"*.{site.hosts}",
                      f"cpu {cpu / room_cpu:.0%}, memory {memory / room_mem:.0%}")
        shared = shared or [env, *site.shares_context_with]
    out.print(table)
    if len(shared) > 1:
        out.print(f"[yellow]note:[/] {', '.join(shared)} set no kube_context, so each deploys to whichever cluster "
                  "the current context names; two of them on one cluster would overwrite each other's namespaces "
                  "(set environments.<env>.kube_context, one cluster each)")


def _explain(plan: Plan, name: str) -> None:
    from homelab.errors import InputError, Problem

    if name not in plan.components:
        raise InputError([Problem(f"'{name}' is not in the plan for {plan.env}", field="--explain",
                                  hint="see `homelab plan` for what is in it, or add it with `add:`")])
    p = plan.components[name]
    out = console()
    out.print(f"[bold]{p.component.title}[/] ({name}), wave {p.wave}, namespace {p.component.namespace}")
    for reason in p.reasons:
        out.print(f"  why: {reason}")
    for edge in plan.requires_of(name):
        out.print(f"  needs `{edge.capability}` from {edge.provider}")
    for edge in plan.requires_of(name, optional=True):
        out.print(f"  wired to {edge.provider} for `{edge.capability}`")
    users = [e for e in plan.edges if e.provider == name]
    for edge in users:
        out.print(f"  {'used' if edge.optional else 'required'} by {edge.consumer} via `{edge.capability}`")
    for warning in p.warnings:
        out.print(f"  [yellow]warning:[/] {warning}")


def _all_plans(config: Config, catalog: Catalog, done: Plan) -> dict[str, Plan | str]:
    """Every environment's plan (the one asked for is `done`); one that cannot be planned says so."""
    from homelab.errors import PlanError
    from homelab.plan import make_plan

    plans: dict[str, Plan | str] = {}
    for env in config.env_names():
        try:
            plans[env] = done if env == done.env else make_plan(config, catalog, env)
        except PlanError:
            plans[env] = f"cannot be planned: see `homelab plan --env {env}`"
    return plans


def register(app: typer.Typer) -> None:
    @app.command()
    def plan(
        config: ConfigOption = None,
        env: EnvOption = None,
        explain: Annotated[str | None, typer.Option(help="explain why one component is in the plan")] = None,
        json_out: JsonOption = False,
    ) -> None:
        """Resolve the config against the catalog: components, waves, fit per node, and why."""
        import json

        from homelab.catalog import load_catalog
        from homelab.plan import make_plan

        loaded = load_config(config)
        name = check_env(loaded, env)
        catalog = load_catalog()
        result = make_plan(loaded.config, catalog, name, loaded.source.file)
        if json_out:
            typer.echo(json.dumps(result.to_json(), indent=2))
        elif explain:
            _explain(result, explain)
        else:
            _print_plan(result, catalog)
            _print_sites(_all_plans(loaded.config, catalog, result))
