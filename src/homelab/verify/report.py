"""Show verify results: live progress while probes run, a table after, JSON, and the state file.

The state file `.homelab/state/verify-<env>.json` keeps the last run, so `homelab status`
and the portal can show it without probing again. It holds masked URLs and reasons only,
and is written 0600 (see `homelab.statefile`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from homelab import statefile
from homelab.verify.runner import Result, run_all
from homelab.verify.targets import Target

STATE_DIR = statefile.STATE_DIR


def state_path(env: str, root: Path = Path()) -> Path:
    return root / STATE_DIR / f"verify-{env}.json"


def write_state(env: str, results: Sequence[Result], wall: float, root: Path = Path()) -> Path:
    """Record the last run for status and the portal (written atomically)."""
    body: dict[str, Any] = {"env": env, "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                            "ok": all(r.ok for r in results), "seconds": round(wall, 4),
                            "results": [r.as_json() for r in results]}
    return statefile.write(state_path(env, root), json.dumps(body, indent=2) + "\n")


async def run_with_progress(targets: Sequence[Target], timeout: float, console: Console) -> list[Result]:
    """Run all probes, with one spinner line per target that turns into a tick or a cross."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        tasks: dict[str, TaskID] = {t.name: progress.add_task(f"{t.name} ({t.kind})", total=1)
                                    for t in targets}

        def done(result: Result) -> None:
            mark = "[green]ok[/]" if result.ok else "[red]failed[/]"
            progress.update(tasks[result.name], completed=1,
                            description=f"{result.name} ({result.kind}) {mark}")

        return await run_all(targets, timeout, on_done=done)


def table(results: Sequence[Result], wall: float) -> Table:
    view = Table(title=f"verify: {sum(r.ok for r in results)}/{len(results)} passed in {wall:.2f} s")
    for column in ("target", "kind", "result", "seconds", "steps / reason"):
        view.add_column(column, justify="right" if column == "seconds" else "left")
    for r in results:  # a reason quotes what a server said: never read it as markup
        steps = ", ".join(f"{escape(s.name)} {s.seconds * 1000:.0f} ms" + ("" if s.ok else " ✗") for s in r.steps)
        what = steps if r.ok else f"[red]{escape(r.reason)}[/]"
        view.add_row(r.name, r.kind, "[green]ok[/]" if r.ok else "[red]FAILED[/]", f"{r.seconds:.3f}", what)
    return view


def as_json(results: Sequence[Result]) -> str:
    return json.dumps([r.as_json() for r in results], indent=2)
