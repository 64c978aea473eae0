"""`homelab verify`: prove every deployed system works through its own protocol, all at once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from homelab.cli.common import ConfigOption, EnvOption, JsonOption


def register(app: typer.Typer) -> None:
    @app.command()
    def verify(
        config: ConfigOption = None,
        env: EnvOption = None,
        only: Annotated[list[str] | None, typer.Option(
            "--only", help="target names or kinds to check (repeat, or comma-separate)")] = None,
        targets: Annotated[Path | None, typer.Option(
            "--targets", "-t", help="YAML list of {name, kind, url}; default: the plan's components")] = None,
        timeout: Annotated[float, typer.Option(
            "--timeout", min=0.1, max=600, help="seconds each probe may take at most")] = 10.0,
        json_out: JsonOption = False,
    ) -> None:
        """Check each system by doing real work with it (write, read back, clean up), concurrently.

        Without --targets, the targets are the planned components' in-cluster Services.
        Exit 0 when all passed, 1 when any failed, 2 on bad input. The last run is kept in
        .homelab/state/verify-<env>.json for `homelab status` and the portal.
        """
        from homelab.verify.command import run_verify

        code = run_verify(env, only or [], targets, timeout, json_out, config=config)
        if code:
            raise typer.Exit(code)
