"""`homelab backup list | run NAME | restore NAME`: the platform's backups on a live cluster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from homelab.cli.common import ConfigOption, EnvOption, JsonOption, check_env, console, load_config

if TYPE_CHECKING:
    from homelab.backups.ops import Backups

KubeconfigOption = Annotated[Path | None, typer.Option("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, "
                                                                            "else ~/.kube/config)")]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="seconds to follow the backup or restore")]
WaitOption = Annotated[bool, typer.Option("--wait/--no-wait", help="follow it to the end (default) or return")]
GRACE_HOURS = 1.0


def _backups(config: Path | None, env: str | None, kubeconfig: Path | None, quiet: bool = False) -> Backups:
    from homelab.backups.ops import Backups
    from homelab.cluster.kube import Kube

    loaded = load_config(config, quiet=quiet)
    name = check_env(loaded, env)
    out = console(stderr=True)
    return Backups(Kube.connect(loaded.config.env(name).kube_context, kubeconfig), say=lambda line: out.print(line))


def register(app: typer.Typer) -> None:
    backup = typer.Typer(help="List, run and restore the platform's backups (Velero, CloudNativePG) on a live "
                              "cluster.", no_args_is_help=True)
    app.add_typer(backup, name="backup")

    @backup.command("list")
    def list_(config: ConfigOption = None, env: EnvOption = None, kubeconfig: KubeconfigOption = None,
              json_out: JsonOption = False) -> None:
        """Every backup schedule, its newest run and whether that run is fresh (no older than the schedule)."""
        import json
        from datetime import timedelta

        from homelab.backups.model import freshness, runs_of

        backups = _backups(config, env, kubeconfig, quiet=json_out)
        try:
            sources, snapshots, now = backups.sources(), backups.snapshots(), backups.now()
        finally:
            backups.kube.close()
        rows: list[dict[str, Any]] = []
        for source in sources:
            runs = runs_of(source, snapshots)
            fresh, why = freshness(source, snapshots, now, timedelta(hours=GRACE_HOURS))
            newest = runs[0] if runs else None
            rows.append({"name": source.name, "kind": source.kind, "namespace": source.namespace,
                         "schedule": source.schedule, "covers": list(source.covers), "fresh": fresh, "why": why,
                         "newest": None if newest is None else {
                             "name": newest.name, "phase": newest.phase,
                             "completed": newest.completed.isoformat() if newest.completed else None}})
        if json_out:
            typer.echo(json.dumps(rows, indent=2))
            return
        from rich.table import Table

        table = Table("schedule", "kind", "backs up", "cron", "newest run", "phase", "fresh")
        for row in rows:
            last = row["newest"] or {}
            table.add_row(f"{row['namespace']}/{row['name']}", row["kind"], ", ".join(row["covers"]), row["schedule"],
                          last.get("name", "-"), last.get("phase", "-"), "yes" if row["fresh"] else "NO")
        console().print(table)
        if not rows:
            typer.echo("no backup schedules in this cluster")

    @backup.command()
    def run(name: Annotated[str, typer.Argument(help="a Velero Schedule, or a ScheduledBackup or its cluster")],
            config: ConfigOption = None, env: EnvOption = None, kubeconfig: KubeconfigOption = None,
            wait: WaitOption = True, timeout: TimeoutOption = 3600) -> None:
        """Back up now: a Backup from the schedule, followed until it completes (exit 1 if it fails)."""
        backups = _backups(config, env, kubeconfig)
        try:
            snap = backups.run(name, wait=wait, timeout=timeout)
        finally:
            backups.kube.close()
        typer.echo(f"{snap.kind} backup {snap.namespace}/{snap.name}: {snap.phase}")

    @backup.command()
    def restore(name: Annotated[str, typer.Argument(help="a backup, or a schedule or cluster (its newest backup)")],
                to_namespace: Annotated[str | None, typer.Option("--to-namespace", help="restore into this "
                                                                 "namespace instead of the original")] = None,
                yes: Annotated[bool, typer.Option("--yes", "-y", help="restore over live data")] = False,
                config: ConfigOption = None, env: EnvOption = None, kubeconfig: KubeconfigOption = None,
                wait: WaitOption = True, timeout: TimeoutOption = 3600) -> None:
        """Restore a backup; refuses to overwrite live data (exit 9) without --yes."""
        backups = _backups(config, env, kubeconfig)
        try:
            result = backups.restore(name, to_namespace=to_namespace, yes=yes, wait=wait, timeout=timeout)
        finally:
            backups.kube.close()
        meta = result.get("metadata") or {}
        typer.echo(f"restored: {result.get('kind')} {meta.get('namespace')}/{meta.get('name')}")
