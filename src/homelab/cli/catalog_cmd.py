"""`homelab catalog list|show|search|coverage|outdated`: browse what the platform can deploy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from homelab.cli.common import JsonOption, console

catalog_app = typer.Typer(help="Browse the catalog of deployable systems.", no_args_is_help=True, rich_markup_mode=None)


if TYPE_CHECKING:
    from homelab.catalog.model import Component


def _table(components: list[Component], title: str) -> None:
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for column in ("name", "layer / category", "source", "version", "maturity", "summary"):
        table.add_column(column, overflow="fold")
    for comp in components:
        src = comp.source
        where = src.chart or src.path or "-"
        maturity = comp.maturity.status if comp.maturity.status == "stable" else f"[yellow]{comp.maturity.status}"
        table.add_row(comp.name, f"{comp.layer} / {', '.join(comp.categories)}", f"{src.kind}: {where}",
                      src.version or "-", maturity, comp.summary)
    console().print(table)


@catalog_app.command("list")
def list_(json_out: JsonOption = False) -> None:
    """List every component, in the design's layer order."""
    import json

    from homelab.catalog import load_catalog

    catalog = load_catalog()
    order = {(layer, cat): (i, j) for i, (layer, info) in enumerate(catalog.layers.items())
             for j, cat in enumerate(info.categories)}
    comps = sorted(catalog.components.values(), key=lambda c: (order.get((c.layer, c.category), (99, 99)), c.name))
    if json_out:
        typer.echo(json.dumps([c.model_dump(mode="json", exclude={"values", "resources"}) for c in comps], indent=2))
        return
    _table(comps, f"{len(comps)} components")


@catalog_app.command()
def show(name: Annotated[str, typer.Argument(help="component name")], json_out: JsonOption = False) -> None:
    """Show one component's entry: source, capabilities, endpoints, maturity, values."""
    import json

    import yaml

    from homelab.catalog import load_catalog

    catalog = load_catalog()
    comp = catalog.get(name)
    data = comp.model_dump(mode="json")
    if json_out:
        typer.echo(json.dumps(data, indent=2))
        return
    console().print(f"[bold]{comp.title}[/] ({comp.name}) — {comp.summary}\n[dim]{catalog.files[comp.name]}[/]")
    # Plain text: rich's Syntax pads every line to the terminal width with spaces.
    typer.echo(yaml.safe_dump(comp.model_dump(mode="json", exclude_none=True), sort_keys=False, width=100), nl=False)


@catalog_app.command()
def search(text: Annotated[str, typer.Argument(help="words to look for in names, summaries, capabilities")]) -> None:
    """Find components by name, summary, category or capability."""
    from homelab.catalog import load_catalog

    found = load_catalog().search(text)
    _table(found, f"{len(found)} components match '{text}'")


@catalog_app.command()
def coverage(
    design: Annotated[Path | None, typer.Option(help="the design's markdown (default: entries' places)")] = None,
    json_out: JsonOption = False,
) -> None:
    """Every system the design names: its entry, maturity, evidence for its pin, and which profiles deploy it."""
    import json

    from rich.table import Table

    from homelab import coverage as cov
    from homelab.catalog import load_catalog
    from homelab.errors import InputError, Problem

    text = None
    if design is not None:
        if not design.is_file():
            raise InputError([Problem("design file not found", file=str(design), field="--design")])
        text = design.read_text(encoding="utf-8")
    rows = cov.coverage(load_catalog(), text)
    if json_out:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=cov.summary(rows))
    for column in ("design layer / category", "system", "entry", "maturity", "evidence", "profiles"):
        table.add_column(column, overflow="fold")
    for r in rows:
        maturity = r["maturity"] or "-"
        if r["replacement"]:
            maturity += f" (use {r['replacement']})"
        evidence = r["evidence"] or "-"
        if evidence in ("third-party", "unverified"):
            evidence = f"[yellow]{evidence}"
        table.add_row(f"{r['layer']} / {r['category']}", r["name"], r["entry"] or "[red]missing",
                      maturity, evidence, ", ".join(r["profiles"]) or "[yellow]none")
    console().print(table)


@catalog_app.command()
def outdated(
    json_out: JsonOption = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="ignore cached answers and ask upstream again")] = False,
    max_age: Annotated[float, typer.Option("--max-age", min=0, help="seconds a cached answer stays valid")] = 3600,
    workers: Annotated[int, typer.Option("--workers", min=1, max=32, help="sources asked at once")] = 8,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="seconds per request")] = 15,
) -> None:
    """Ask upstream whether every pinned version exists and what the newest stable one is.

    Exit 0 when every pin exists, 1 when a pin is missing upstream or a source could not be read.
    """
    import json

    from rich.table import Table

    from homelab.catalog import load_catalog
    from homelab.catalog.outdated import check, client, failed
    from homelab.catalog.upstream import Upstream

    with client(timeout) as http:
        rows = check(load_catalog().components.values(), Upstream(http, ttl=max_age, refresh=refresh), workers)
    if json_out:
        typer.echo(json.dumps([row.to_json() for row in rows], indent=2))
        raise typer.Exit(1 if failed(rows) else 0)
    colour = {"missing": "red", "error": "red", "outdated": "yellow", "current": "green", "skipped": "dim"}
    table = Table(title=f"{len(rows)} catalog sources against upstream")
    for column in ("name", "source", "current", "newest", "status"):
        table.add_column(column, overflow="fold")
    for row in rows:
        if row.status != "skipped":
            table.add_row(row.name, row.source, row.pinned, row.newest or "-",
                          f"[{colour[row.status]}]{row.status}[/]" + (f" ({row.note})" if row.note else ""))
    out = console()
    out.print(table)
    counts = {status: sum(r.status == status for r in rows) for status in colour}
    out.print(", ".join(f"{n} {status}" for status, n in counts.items() if n))
    for row in rows:
        if row.status == "error":
            typer.echo(f"error: {row.name}: {row.note}", err=True)
    raise typer.Exit(1 if failed(rows) else 0)


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
