"""`homelab crds fetch`: download the CRDs catalog entries install, so `homelab validate` can check custom kinds."""

from __future__ import annotations

from typing import Annotated

import typer

from homelab.cli.common import JsonOption, console

crds_app = typer.Typer(help="Upstream CRD schemas for offline validation.", no_args_is_help=True, rich_markup_mode=None)


@crds_app.command()
def fetch(
    json_out: JsonOption = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="download every file again")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, max=32, help="files downloaded at once")] = 8,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="seconds per request")] = 30,
) -> None:
    """Download every catalog entry's CRD files (at its pinned version) into the user cache, with checksums.

    `homelab validate` then uses them without being told (`--crds DIR` still wins). Files whose recorded
    checksum matches are not downloaded again. Exit 0 when all arrived, 1 when any could not be fetched.
    """
    import json

    import httpx

    from homelab.catalog import load_catalog
    from homelab.validate.crd_cache import INDEX
    from homelab.validate.crd_cache import fetch as fetch_crds

    with httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
                      headers={"User-Agent": "homelab-crds-fetch"}) as client:
        report = fetch_crds(load_catalog().components.values(), client, refresh=refresh, workers=workers)
    if json_out:
        typer.echo(json.dumps({"cache": str(report.root), "files": report.files, "downloaded": report.downloaded,
                               "failures": report.failures}, indent=2))
    else:
        out = console()
        kept = report.files - report.downloaded - len(report.failures)
        out.print(f"{report.files} CRD files: {report.downloaded} downloaded, {kept} already cached"
                  + (f", [red]{len(report.failures)} failed[/]" if report.failures else "")
                  + f"; index {report.root / INDEX}")
        for line in report.failures:
            typer.echo(f"error: {line}", err=True)
    raise typer.Exit(1 if report.failures else 0)


def register(app: typer.Typer) -> None:
    app.add_typer(crds_app, name="crds")
