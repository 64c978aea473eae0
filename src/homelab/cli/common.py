"""Options and helpers shared by the command modules (kept tiny for start-up time)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from homelab.config import LoadedConfig

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="homelab.yaml to use (default: ./homelab.yaml, else the built-in example)"),
]
EnvOption = Annotated[str | None, typer.Option("--env", "-e", help="environment: dev, staging or prod")]
JsonOption = Annotated[bool, typer.Option("--json", help="print machine-readable JSON")]


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=False, width=None if sys.stdout.isatty() else 160)


def load_config(path: Path | None, quiet: bool = False) -> LoadedConfig:
    """Load the config; say in one line (on stderr) when the built-in example is used."""
    from homelab import config

    loaded = config.load(path)
    if loaded.builtin and not quiet:
        sys.stderr.write("note: no homelab.yaml here; using the built-in example homelab "
                         "(`homelab init` writes it out for editing)\n")
    return loaded


def check_env(loaded: LoadedConfig, env: str | None) -> str:
    """The environment to act on: the one asked for, else the first configured."""
    from homelab.errors import InputError, Problem

    names = loaded.config.env_names()
    if env is None:
        return names[0]
    if env not in names:
        raise InputError([Problem(f"unknown environment '{env}'", field="--env",
                                  hint=f"choose one of: {', '.join(names)}")])
    return env
