"""Benchmark: load + plan for the real catalog and synthetic catalogs, and CLI cold start.

Run: python bench/plan.py   (prints a table; targets: 1,000 components < 0.5 s, near-linear
growth; `homelab --help` cold start < 0.2 s, stated as a ratio to `python -c pass`; the checks between
environments on one network grow near-linearly with addressed nodes).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from timing import best_of  # bench/timing.py (scripts run with bench/ on sys.path)

from homelab import config, environments
from homelab.catalog.loader import _load, load_catalog
from homelab.catalog.synthetic import big_cluster_config, generate
from homelab.plan import make_plan


def bench_real() -> tuple[str, int, float, float]:
    loaded = config.load(None) if not Path("homelab.yaml").exists() else config.load(Path("homelab.yaml"))
    from homelab.catalog.loader import data_root

    load = best_of(lambda: _load(data_root()))
    catalog = load_catalog()
    plan = best_of(lambda: make_plan(loaded.config, catalog, "dev"))
    return "real catalog (built-in example)", len(catalog.components), load, plan


def bench_synthetic(size: int, root: Path) -> tuple[str, int, float, float]:
    generate(root / str(size), size)
    cfg = config.Config.model_validate(big_cluster_config(size))
    load = best_of(lambda: _load(root / str(size)), runs=1 if size >= 10_000 else 3)
    catalog = _load(root / str(size))
    plan = best_of(lambda: make_plan(cfg, catalog, "dev"), runs=1 if size >= 10_000 else 3)
    return f"synthetic {size:,}", size, load, plan


def addressed(nodes: int, entries: int = 256) -> config.Config:
    """Three clusters on one network, each with `nodes` addressed nodes and `entries` load-balancer ranges."""
    def env(k: int) -> dict[str, object]:
        return {"kube_context": f"c{k}", "cluster": {
            "nodes": [{"name": f"n{i}", "cpu": 1, "memory": "1Gi", "address": f"10.{k}.{i // 250}.{i % 250 + 1}"}
                      for i in range(nodes)],
            "load_balancer": {"addresses": [f"10.{100 + k}.{i // 64}.{(i % 64) * 4}/30" for i in range(entries)]}}}
    return config.Config.model_validate({
        "platform": {"name": "b", "domain": "b.example.net"}, "gitops": {"repo_url": "https://g.example.net/b.git"},
        "cluster": {"nodes": [{"name": "n", "cpu": 1, "memory": "1Gi"}]},
        "environments": {name: env(k) for k, name in enumerate(("dev", "staging", "prod"))}})


def bench_addresses() -> Table:
    table = Table(title="environments.check: three clusters on one network, 256 ranges each (best of 3)")
    for column in ("nodes per cluster", "addresses", "seconds", "µs / address"):
        table.add_column(column, justify="right")
    for nodes in (100, 1_000, 5_000):
        lab = addressed(nodes)
        assert environments.check(lab) == []
        took = best_of(lambda lab=lab: environments.check(lab))
        count = 3 * (nodes + 256)
        table.add_row(f"{nodes:,}", f"{count:,}", f"{took:.3f}", f"{took / count * 1e6:.0f}")
    return table


def cold_start(args: list[str], runs: int = 7) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    table = Table(title="homelab plan: load + plan (best of 3)")
    for column in ("catalog", "components", "load s", "plan s", "total s", "µs / component"):
        table.add_column(column, justify="right")
    rows = []
    try:
        rows.append(bench_real())
    except Exception as exc:  # the real catalog may not plan on its own yet; say so
        Console().print(f"[yellow]real catalog not benchmarked: {exc}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (100, 1_000, 10_000):
            rows.append(bench_synthetic(size, Path(tmp)))
    for name, count, load, plan in rows:
        total = load + plan
        table.add_row(name, f"{count:,}", f"{load:.3f}", f"{plan:.3f}", f"{total:.3f}", f"{total / count * 1e6:.0f}")
    console = Console()
    console.print(table)
    console.print(bench_addresses())

    python = cold_start([sys.executable, "-c", "pass"])
    helps = cold_start([sys.executable, "-m", "homelab", "--help"])
    start = Table(title="cold start (median of 7 runs)")
    for column in ("command", "seconds", "ratio to python -c pass"):
        start.add_column(column, justify="right")
    start.add_row("python -c pass", f"{python:.3f}", "1.0")
    start.add_row("homelab --help", f"{helps:.3f}", f"{helps / python:.1f}")
    start.add_row("homelab --help minus interpreter", f"{helps - python:.3f}", "")
    console.print(start)


if __name__ == "__main__":
    main()
