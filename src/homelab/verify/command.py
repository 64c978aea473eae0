"""The body of `homelab verify`, apart from argument parsing, so it is testable on its own."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from homelab.errors import ExitCode
from homelab.redact import PROCESS
from homelab.verify import report
from homelab.verify.catalog_targets import targets_from_plan
from homelab.verify.runner import run_sync
from homelab.verify.targets import load_targets, resolve_all, select


def run_verify(env: str | None, only: Sequence[str], targets_file: Path | None, timeout: float,
               json_out: bool, root: Path = Path(), config: Path | None = None) -> int:
    """Probe the chosen targets, print the results, record them; return the exit code."""
    from rich.console import Console

    # Client libraries log what the results already say; keep the terminal to the results.
    if not logging.getLogger().handlers:
        logging.getLogger().addHandler(logging.NullHandler())

    if targets_file is not None:
        env_name, found = env or "local", load_targets(targets_file)
    else:
        env_name, found = targets_from_plan(config, env)
    names = [name.strip() for item in only for name in item.split(",")]
    chosen = resolve_all(select(found, names))
    PROCESS.add(secret for target in chosen for secret in target.secrets)  # for a crash report, too
    start = time.perf_counter()
    if json_out or not sys.stderr.isatty():
        results = run_sync(report.run_all(chosen, timeout))
    else:
        results = run_sync(report.run_with_progress(chosen, timeout, Console(stderr=True)))
    wall = time.perf_counter() - start
    if json_out:
        sys.stdout.write(report.as_json(results) + "\n")
    else:
        out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)
        out.print(report.table(results, wall))
    report.write_state(env_name, results, wall, root)  # after the results are shown: a refusal loses nothing
    return int(ExitCode.OK if all(r.ok for r in results) else ExitCode.FINDINGS)
