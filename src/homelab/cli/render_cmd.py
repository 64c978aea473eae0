"""`homelab render`, `homelab diagram` and `homelab promote`: the GitOps tree and what it documents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from homelab.cli.common import ConfigOption, EnvOption, check_env, console, load_config

OutputOption = Annotated[Path, typer.Option("--output", "-o", help="directory to write the tree into")]


def register(app: typer.Typer) -> None:
    @app.command()
    def render(
        config: ConfigOption = None,
        env: Annotated[str | None, typer.Option("--env", "-e", help="render only this environment (the tree then "
                                                                   "holds only it)")] = None,
        output: OutputOption = Path("rendered"),
        validate: Annotated[bool, typer.Option("--validate/--no-validate",
                                               help="validate the written tree (schemas, lint, kustomize)")] = True,
        crds: Annotated[Path | None, typer.Option("--crds", help="CRD folder for validation")] = None,
        discard_edits: Annotated[bool, typer.Option(
            "--discard-edits", help="overwrite files changed since the last render (refused otherwise)")] = False,
    ) -> None:
        """Write the GitOps tree: Argo CD app-of-apps per environment and all the platform's wiring.

        Exit 0 when written (and clean), 1 when validation found problems, 2 on bad input.
        """
        from rich.progress import BarColumn, Progress, TextColumn
        from rich.table import Table

        from homelab.catalog import load_catalog
        from homelab.render import render_tree, write_tree
        from homelab.render.writer import check_target

        loaded = load_config(config)
        envs = [check_env(loaded, env)] if env else loaded.config.env_names()
        check_target(output)
        catalog = load_catalog()
        err = console(stderr=True)
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      console=err, transient=True) as progress:
            task = progress.add_task("rendering", total=len(envs) + 2)

            def step(what: str) -> None:
                progress.update(task, advance=1, description=f"rendered {what}")

            result = render_tree(loaded.config, catalog, envs, tree=output if output.is_dir() else None,
                                 progress=step, file=loaded.source.file)
            write_tree(result, output, discard_edits)
            step("written")
        table = Table(title=f"Rendered into {output}")
        for column in ("environment", "catalog entries", "waves", "objects"):
            table.add_column(column, justify="left" if column == "environment" else "right")
        for name in result.envs:
            plan = result.plans[name]
            table.add_row(name, str(len(plan.components)), str(len(plan.waves())), str(len(result.objects[name])))
        table.add_section()
        table.add_row(f"{len(result.envs)} environments", "", "", f"{len(result.files)} files (+ .homelab-rendered)")
        out = console()
        out.print(table)
        for warning in result.warnings:
            out.print(f"[yellow]warning:[/] {warning}")
        if validate:
            from homelab.cli.validate_cmd import print_report, run_validation
            from homelab.errors import ExitCode

            report = run_validation(output, loaded.config.oldest_kubernetes(), crds,
                                    loaded.config.gitops.repo_url, config=loaded.config)
            print_report(report, output)
            if report.findings:
                raise typer.Exit(ExitCode.FINDINGS)

    @app.command()
    def diagram(
        name: Annotated[str | None, typer.Argument(help="architecture, interactions, security, monitoring, "
                                                        "deployment or data-flow (default: all)")] = None,
        config: ConfigOption = None,
        env: EnvOption = None,
    ) -> None:
        """Print one of the design's mermaid diagrams, regenerated from the plan."""
        from homelab.catalog import load_catalog
        from homelab.errors import InputError, Problem
        from homelab.plan import make_plan
        from homelab.render import diagrams

        if name is not None and name not in diagrams.NAMES:
            raise InputError([Problem(f"unknown diagram '{name}'", field="NAME",
                                      hint=f"choose one of: {', '.join(diagrams.NAMES)}")])
        loaded = load_config(config)
        chosen = check_env(loaded, env or loaded.config.env_names()[-1])
        catalog = load_catalog()
        built = diagrams.build(make_plan(loaded.config, catalog, chosen, loaded.source.file), catalog, loaded.config)
        if name:
            typer.echo(built[name], nl=False)
            return
        for key in diagrams.NAMES:  # all six, each headed by a mermaid comment naming it
            typer.echo(f"%% {key}\n{built[key]}")

    @app.command()
    def promote(
        src: Annotated[str, typer.Argument(help="environment to promote from, e.g. dev")],
        dst: Annotated[str, typer.Argument(help="environment to promote to, e.g. staging")],
        config: ConfigOption = None,
        tree: Annotated[Path, typer.Option("--tree", help="rendered tree (in your GitOps repository's checkout) "
                                                          "whose overrides/ to promote")] = Path("rendered"),
        revision: Annotated[str | None, typer.Option(
            "--revision", help="the full commit id SRC runs, when SRC follows the branch (default: the branch's "
                               "tip in the checkout holding --tree)")] = None,
        write: Annotated[bool, typer.Option("--write", help="write the change (default: print the diff)")] = False,
    ) -> None:
        """Carry what SRC runs to DST: its commit (DST's revision), chart versions and Helm values, as a unified
        diff; --write applies it."""
        from homelab.catalog import load_catalog
        from homelab.render import promote as promotion

        loaded = load_config(config, quiet=True)
        planned = promotion.plan(loaded, load_catalog(), src, dst, tree, revision)
        err = console(stderr=True)
        err.print(f"{src} runs {planned.source.commit} ({planned.source.how})")
        if planned.source.note:
            err.print(f"[yellow]warning:[/] {planned.source.note}")
        if not planned.changes:
            err.print(f"{dst} already runs {src}'s commit, versions and values; nothing to promote")
            return
        for change in planned.changes:
            typer.echo(change.diff(), nl=False)
        if write:
            promotion.write(planned.changes)
            err.print(f"wrote {len(planned.changes)} file(s); run `homelab render` and commit the tree: Argo CD "
                      f"moves {dst} to that commit once the commit is pushed")
        else:
            err.print(f"{len(planned.changes)} file(s) would change; run again with --write to apply")
