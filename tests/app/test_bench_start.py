"""`python bench/app.py` fails fast and says why: the app's extra missing, or the app exiting before it is ready."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "app.py"
# Runs the benchmark as if `pip install -e .` had left out the app's extra (pydantic-settings among it).
# It then prints which of the benchmark's slow imports had happened by the time it stopped.
SLOW = ("httpx", "psycopg", "redis", "rich")
WITHOUT_EXTRA = ("import runpy, sys\nsys.modules['pydantic_settings'] = None\nsys.argv = [sys.argv[1]]\n"
                 f"try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\nfinally:\n"
                 f"    print('imported:', *[m for m in {SLOW!r} if m in sys.modules])")


def test_missing_extra_says_what_to_install_at_once() -> None:
    """At once: before any of the benchmark's slow imports (its time is measured by hand, not asserted)."""
    done = subprocess.run([sys.executable, "-c", WITHOUT_EXTRA, str(BENCH)], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode != 0 and "pip install" in done.stderr and "[app]" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.split() == ["imported:"], done.stdout


@pytest.mark.servers
def test_stops_as_soon_as_the_app_exits_and_shows_the_last_answer() -> None:
    env = {**os.environ, "APP_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none",
           "APP_CONNECT_TIMEOUT_SECONDS": "1"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(BENCH), "--seconds", "1"], capture_output=True, text=True,
                          timeout=60, env=env)
    took = time.monotonic() - started
    assert done.returncode != 0
    assert "the app exited with status" in done.stderr and "/readyz: no answer" in done.stderr, done.stderr[-2000:]
    assert took < 30, f"took {took:.1f} s"  # it did not wait out its 30 s readiness limit
