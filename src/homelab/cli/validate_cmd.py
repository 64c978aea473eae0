"""`homelab validate`: schemas, policy lint and kustomize builds of a rendered tree."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from homelab.cli.common import ConfigOption, EnvOption, JsonOption, check_env, console, load_config

if TYPE_CHECKING:
    from homelab.config import Config
    from homelab.validate import Report

CrdsOption = Annotated[
    Path | None,
    typer.Option("--crds", help="folder of CRD YAML files for custom kinds (default: the cache `homelab crds fetch` "
                               "fills, plus the live cluster's with --from-cluster)"),
]


def print_report(report: Report, tree: Path) -> None:
    """Findings quote the files they are about: every such text is escaped, never read as markup."""
    from rich.markup import escape
    from rich.table import Table

    out = console()
    if report.findings:
        table = Table(title=escape(f"{len(report.findings)} findings in {tree}"))
        for column in ("rule", "file", "doc", "path", "problem", "fix"):
            table.add_column(column, overflow="fold")
        for f in report.findings:
            table.add_row(*(escape(text) for text in (f.rule, f.file, "" if f.index is None else str(f.index),
                                                      f.path, f.message, f.fix)))
        out.print(table)
    if report.unverified:
        objects, kinds = sum(report.unverified.values()), len(report.unverified)
        out.print(f"[yellow]unverified:[/] {objects} objects of {kinds} custom kinds have no CRD schema at hand; "
                  "run `homelab crds fetch` (or pass --crds DIR, or --from-cluster)")
    for note in report.notes:
        out.print(f"[yellow]note:[/] {escape(note)}")
    verdict = "[green]clean[/]" if not report.findings else f"[red]{len(report.findings)} findings[/]"
    out.print(f"{report.objects} objects in {report.files} manifest files: {verdict}")


def cluster_crds(kube: Any) -> list[dict[str, Any]]:
    """The CRDs a live cluster serves (read through the cluster stage's client)."""
    return list(kube.list("apiextensions.k8s.io/v1", "CustomResourceDefinition"))


def run_validation(tree: Path, kube_version: str, crds_dir: Path | None, gitops_repo: str | None,
                   live_crds: list[dict[str, Any]] | None = None, config: Config | None = None) -> Report:
    """Validate `tree` with CRDs from `crds_dir` and/or a live cluster (the call `homelab render` makes too).

    With `config`, the platform checks run too: the tree against what the catalog knows of its plan."""
    from homelab.errors import InputError, Problem
    from homelab.validate import crds_for, validate_tree

    if not tree.is_dir():
        raise InputError([Problem("not a rendered tree (no such folder)", file=str(tree),
                                  hint="run `homelab render -o DIR` first")])
    if crds_dir is not None and not crds_dir.is_dir():
        raise InputError([Problem("CRD folder not found", file=str(crds_dir), field="--crds")])
    schemas, notes = crds_for(crds_dir, live_crds), list[str]()
    if crds_dir is None:  # --crds wins; otherwise what `homelab crds fetch` cached, under the live cluster's
        from homelab.validate.crd_cache import cache_root, cached_schemas

        cached, notes = cached_schemas()
        if cached is not None:
            cached.merge(schemas)
            schemas = cached
            notes.append(f"custom kinds checked against the CRDs `homelab crds fetch` cached in {cache_root()}")
    report = validate_tree(tree, kube_version, schemas, gitops_repo)
    report.notes += notes
    if config is not None:
        from homelab.catalog import load_catalog
        from homelab.validate import platform

        report.findings.extend(platform.check(tree, config, load_catalog()))
    if report.objects == 0 and not report.findings:
        raise InputError([Problem("no Kubernetes objects found", file=str(tree),
                                  hint="is this a rendered tree? `homelab render -o DIR` writes one")])
    return report


def register(app: typer.Typer) -> None:
    @app.command()
    def validate(
        tree: Annotated[Path, typer.Argument(help="rendered tree to check")] = Path("rendered"),
        config: ConfigOption = None,
        crds: CrdsOption = None,
        from_cluster: Annotated[bool, typer.Option(
            "--from-cluster", help="also read the CRDs the cluster of --env serves (its kube context)")] = False,
        env: EnvOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Check every object against its schema, lint policies, and build every overlay.

        Exit 0 when clean, 1 with findings, 2 on bad input.
        """
        import json

        from homelab.errors import ExitCode

        loaded = load_config(config, quiet=json_out)
        live = None
        if from_cluster:
            from homelab.cluster.kube import Kube

            kube = Kube.connect(loaded.config.env(check_env(loaded, env)).kube_context)
            try:
                live = cluster_crds(kube)
            finally:
                kube.close()
        report = run_validation(tree, loaded.config.oldest_kubernetes(), crds, loaded.config.gitops.repo_url,
                                live, loaded.config)
        if json_out:
            typer.echo(json.dumps(report.to_json(), indent=2))
        else:
            print_report(report, tree)
        raise typer.Exit(ExitCode.FINDINGS if report.findings else ExitCode.OK)
