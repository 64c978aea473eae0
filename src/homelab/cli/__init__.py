"""The `homelab` command: arguments in, stage calls out.

Each area of commands lives in its own module with a `register(app)` function.
Those modules import only typer at load time and import their stage inside the
command body, so `homelab --help` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

from homelab.errors import ExitCode, HomelabError

MAX_PROBLEMS = 20  # a file with thousands of mistakes prints the first ones, not a wall
COMMAND_MODULES = (
    "homelab.cli.config_cmd",
    "homelab.cli.catalog_cmd",
    "homelab.cli.plan_cmd",
    "homelab.cli.render_cmd",
    "homelab.cli.validate_cmd",
    "homelab.cli.crds_cmd",
    "homelab.cli.cluster_cmd",
    "homelab.cli.backup_cmd",
    "homelab.cli.portal_cmd",
    "homelab.cli.verify_cmd",
)

app = typer.Typer(
    name="homelab",
    help="Turn one small config file into a GitOps-managed homelab platform, and prove it works.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion; shellingham loads only when asked
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: rich's help renderer doubles the start-up time
)



def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"homelab {version('homelab')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print the version and exit."),
) -> None:
    """Turn one small config file into a GitOps-managed homelab platform, and prove it works."""


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def _report_bug() -> int:
    """Unexpected exceptions are bugs: keep the traceback in a file, print one line."""
    import os
    import tempfile
    import traceback

    from homelab.redact import PROCESS  # secrets this run knows of never reach the log or the terminal

    fd, path = tempfile.mkstemp(prefix="homelab-crash-", suffix=".log")
    with os.fdopen(fd, "w") as log:
        log.write(PROCESS(traceback.format_exc()))
    exc = sys.exc_info()[1]
    sys.stderr.write(PROCESS(f"homelab: internal error: {type(exc).__name__}: {exc}\n")
                     + f"The traceback is in {path}; please file a bug with it.\n")
    return ExitCode.INTERNAL


def main() -> None:
    """Console-script entry point with one place that formats errors and sets exit codes."""
    try:
        app(prog_name="homelab")
    except HomelabError as error:
        for problem in error.problems[:MAX_PROBLEMS]:
            sys.stderr.write(f"error: {problem}\n")
        if len(error.problems) > MAX_PROBLEMS:
            sys.stderr.write(f"error: ... and {len(error.problems) - MAX_PROBLEMS} more (fix these first)\n")
        sys.exit(int(error.exit_code))
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except SystemExit:
        raise
    except OSError as exc:
        from homelab.errors import unwritable

        refused = unwritable(exc)
        if refused is None:
            sys.exit(_report_bug())
        sys.stderr.write(f"error: {refused.problems[0]}\n")
        sys.exit(int(refused.exit_code))
    except Exception:
        sys.exit(_report_bug())
