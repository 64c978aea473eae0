"""How the cluster commands show themselves: progress bars, confirmations, diffs and the status table."""

from __future__ import annotations

import sys
from typing import Any

import typer

from homelab.cli.common import console


class RichProgress:
    """Rich progress bars for waves; one bar per task, notes printed above them."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("[dim]{task.fields[detail]}"), TimeElapsedColumn(),
                             console=console(stderr=True), transient=False)
        self.current: Any = None

    def __enter__(self) -> RichProgress:
        self.bars.start()
        return self

    def __exit__(self, *args: object) -> None:
        self.bars.stop()

    def task(self, title: str, total: int) -> None:
        self.current = self.bars.add_task(title, total=max(total, 0), detail="")

    def advance(self, detail: str) -> None:
        if self.current is not None:
            self.bars.update(self.current, advance=1, detail=detail)

    def note(self, text: str) -> None:
        self.bars.console.print(text)


def confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        sys.stderr.write(f"{question} [needs --yes when not run from a terminal]\n")
        return False
    return typer.confirm(question, default=False)


def print_diffs(diffs: list[Any]) -> None:
    from rich.syntax import Syntax

    out = console()
    for d in diffs:
        out.print(f"[bold]{d.action}[/] {d.name}", markup=True, highlight=False)
        if d.conflict:
            out.print(f"  [yellow]! apply needs --force-conflicts: {d.conflict}[/]", highlight=False)
        out.print(Syntax(d.text, "diff", theme="ansi_dark", background_color="default"))


def print_status(report: dict[str, Any]) -> None:
    from rich.table import Table

    out = console()
    if not report["argocd"]:
        out.print(f"Argo CD is not installed on context {report['context']}; run `homelab bootstrap` first")
        return
    table = Table(title=f"{report['env']} on {report['context']}")
    for column in ("component", "wave", "sync", "health", "chart", "pods", "drift", "verify"):
        table.add_column(column)
    for c in report["components"]:
        colour = "green" if c["sync"] == "Synced" and c["health"] == "Healthy" else "yellow"
        verify = "-" if c["verify"] is None else ("[green]ok[/]" if c["verify"]["ok"] else "[red]failed[/]")
        owner = c.get("owner")
        name = c["name"] + (f" [dim]({owner}'s)[/]" if owner and owner != report["env"] else "")
        table.add_row(name, str(c["wave"]), f"[{colour}]{c['sync']}[/]", f"[{colour}]{c['health']}[/]",
                      f"{c['chart'] or '-'} {c['version'] or ''}".strip(), f"{c['pods_ready']}/{c['pods_total']}",
                      ", ".join(c["drift"]) or "-", verify)
    out.print(table)
