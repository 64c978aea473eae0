"""`homelab init` and `homelab schema`: get a user from nothing to an editable config."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def init(
        path: Annotated[Path, typer.Argument(help="where to write the config")] = Path("homelab.yaml"),
    ) -> None:
        """Write a commented starter homelab.yaml (and its JSON Schema beside it)."""
        import json

        from homelab import config
        from homelab.errors import InputError, Problem

        schema_path = path.with_name(config.SCHEMA_FILE)
        for target in (path, schema_path):
            if target.exists():
                raise InputError([Problem("already exists; homelab never overwrites your files",
                                          file=str(target), hint="move it away or pick another path")])
        header = f"# yaml-language-server: $schema=./{config.SCHEMA_FILE}\n"
        path.write_text(header + config.builtin_text(), encoding="utf-8")
        schema_path.write_text(json.dumps(config.json_schema(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        typer.echo(f"wrote {path} and {schema_path}; edit it, then run `homelab plan`")

    @app.command()
    def schema() -> None:
        """Print the JSON Schema of homelab.yaml, for editor completion and checks."""
        import json

        from homelab import config

        typer.echo(json.dumps(config.json_schema(), indent=2, sort_keys=True))
