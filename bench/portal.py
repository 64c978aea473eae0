"""Server-side time of the portal's pages and API, and what each weighs on the wire, on the real `full` catalog
and a synthetic one.

Requests go straight into the ASGI app (no sockets, no HTTP parsing), so the figures are the
portal's own work: plan views, live-state merge, filtering, templates, JSON and compression (every
request asks for gzip and brotli, as browsers do). Target: main page p95 < 200 ms. Sizes: the body
as generated ("raw") and as sent ("sent").

    .venv/bin/python bench/portal.py [--runs 30] [--size 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from homelab.catalog import load_catalog
from homelab.catalog.loader import Catalog
from homelab.catalog.synthetic import big_cluster_config, generate
from homelab.config import Config, load
from homelab.errors import HomelabError
from homelab.portal import create_app

TARGET_MS = 200.0
PATHS = [("main page", "/"), ("main page, state files rewritten", "/"),
         ("main page, every component's state changed", "/"), ("main page, held by the browser (304)", "/"),
         ("table view", "/?view=table"), ("main API", "/api/overview"), ("component list API", "/api/components"),
         ("search", "/?q=data"), ("component page", None), ("diagrams page", "/diagrams"),
         ("stylesheet", "/static/portal.css"), ("script", "/static/portal.js")]
BROWSER = "gzip, deflate, br"


async def call(app: Any, path: str, encoding: str = BROWSER, etag: str | None = None) -> tuple[int, int]:
    """One GET through the ASGI interface; returns (status, body bytes as sent)."""
    target, _, query = path.partition("?")
    headers = [(b"host", b"bench"), (b"accept", b"text/html"), (b"accept-encoding", encoding.encode())]
    if etag:
        headers.append((b"if-none-match", etag.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": target, "raw_path": target.encode(), "query_string": query.encode(), "root_path": "",
             "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    status, size = 0, 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))

    await app(scope, receive, send)
    return status, size


def live_state(root: Path, env: str, names: list[str], flip: int = 0) -> None:
    """Status and verify files for every component, so the live merge is measured too.

    Consecutive `flip` values give every component a different health than the one before.
    """
    base = root / ".homelab" / "state"
    base.mkdir(parents=True, exist_ok=True)
    status = {"components": [{"name": n, "sync": "Synced", "health": "Healthy" if (i + flip) % 2 else "Degraded",
                              "version": "1.0.0", "pods": "1/1"} for i, n in enumerate(names)]}
    verify = {"results": [{"name": n, "kind": "http", "ok": (i + flip) % 3 != 0, "seconds": 0.01}
                          for i, n in enumerate(names)]}
    (base / f"status-{env}.json").write_text(json.dumps(status))
    (base / f"verify-{env}.json").write_text(json.dumps(verify))
    stamp = time.time_ns() + flip  # a new mtime even within the file system's time resolution
    for path in base.iterdir():
        os.utime(path, ns=(stamp, stamp))


async def timed(app: Any, path: str, runs: int, change: Callable[[int], None] | None,
                etag: str | None) -> tuple[list[float], int, int]:
    """`runs` sequential requests on one event loop, as a server runs them; times in ms, then the body size
    uncompressed and as sent. With `change`, the state files change before every request, so each one re-reads
    and re-merges them; with `etag`, the browser already holds the page."""
    _, raw = await call(app, path, "identity")  # also the warm-up: templates compiled, state files read once
    times, sent = [], 0
    for i in range(runs):
        if change:
            change(i)
        t0 = time.perf_counter()
        status, sent = await call(app, path, etag=etag)
        times.append((time.perf_counter() - t0) * 1000)
        assert status == (304 if etag else 200), f"{path} answered {status}"
    return times, (0 if etag else raw), sent


def changer(what: str, root: Path, env: str, names: list[str]) -> Callable[[int], None] | None:
    """Before each request: rewrite the same content (new mtime), or flip every component's state."""
    if "rewritten" in what:
        return lambda i: live_state(root, env, names)
    if "changed" in what:
        return lambda i: live_state(root, env, names, flip=i + 1)
    return None


def measure(label: str, config: Config, catalog: Catalog, runs: int, table: Table) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        app = create_app(config, catalog, config.env_names()[0], state_root=Path(tmp))
        startup = (time.perf_counter() - started) * 1000
        names = [v.name for v in app.state.portal.views]
        live_state(Path(tmp), config.env_names()[0], names)
        app.state.portal.drawings  # noqa: B018 - the diagrams are drawn once, at start, not on a request
        for what, path in PATHS:
            path = path or f"/components/{names[len(names) // 2]}"
            etag = app.state.portal.reader.version() and _etag(app, path) if "304" in what else None
            times, raw, sent = asyncio.run(timed(app, path, runs, changer(what, Path(tmp), config.env_names()[0],
                                                                           names), etag))
            q = statistics.quantiles(times, n=100, method="inclusive")
            verdict = "[green]ok[/]" if q[94] < TARGET_MS else "[red]over[/]"
            table.add_row(label, str(len(names)), what, path, f"{raw / 1024:.0f} KiB", f"{sent / 1024:.1f} KiB",
                          f"{q[49]:.1f}", f"{q[89]:.1f}", f"{q[94]:.1f}", f"{max(times):.1f}", verdict)
        table.add_row(label, str(len(names)), "start-up (plan + views)", "-", "-", "-", f"{startup:.0f}", "", "", "",
                      "")


def _etag(app: Any, path: str) -> str:
    """The ETag the page at `path` carries now (what a browser holding it sends back)."""
    from starlette.requests import Request

    target, _, query = path.partition("?")
    scope = {"type": "http", "path": target, "query_string": query.encode(), "headers": [(b"host", b"bench")],
             "app": app}
    return str(app.state.portal.etag(Request(scope)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--size", type=int, default=1000, help="components in the synthetic catalog")
    args = parser.parse_args()
    console = Console(width=170)
    table = Table(title=f"portal server time per request, ms ({args.runs} runs each; target p95 < {TARGET_MS:.0f})")
    for column in ("catalog", "components", "request", "path", "raw", "sent", "p50", "p90", "p95", "max", "target"):
        table.add_column(column, justify="right" if column in {"components", "raw", "sent", "p50", "p90", "p95",
                                                               "max"} else "left")
    try:
        real = load(None).config  # the built-in example: profile `full`, the whole design
        measure("real (built-in, full)", real, load_catalog(), args.runs, table)
    except HomelabError as exc:
        console.print(f"[yellow]real catalog skipped:[/] {exc.summary().splitlines()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        catalog = load_catalog(generate(Path(tmp) / "catalog", args.size))
        measure(f"synthetic {args.size}", Config.model_validate(big_cluster_config(args.size)), catalog, args.runs,
                table)
    console.print(table)


if __name__ == "__main__":
    main()
