"""Cache hits against cache misses on the reference app's request path, over real loopback servers.

Starts `python -m homelab_app web` in its own process (PostgreSQL 5432, Redis 6379, RabbitMQ 5672 or
NATS 4222), seeds items straight into PostgreSQL, then drives GET /items/{key} from another process:
wrk when installed (Debian package `wrk`), else an async httpx client. The hit phase reads one warm key;
the miss phase reads a fresh key every request. Each phase's hit/miss split is read back from the app's
own /metrics, so the table shows what the app really did. Every GET also publishes a task (no worker runs).

    .venv/bin/python bench/app.py [--seconds 3] [--connections 16] [--backend rabbitmq|nats]

Needs the app's extra (`pip install -e '.[app]'`, which `.[test]` includes); without it, it says so at once.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass

from homelab_app.cli import INSTALL_HINT, missing_extra

if __name__ == "__main__" and (missing := missing_extra()):  # before any slow import: the README's first
    # command (`pip install -e .`) installs no app extra, and nothing else would say so
    raise SystemExit(f"bench/app.py runs the reference app, which needs {', '.join(missing)}: {INSTALL_HINT}")

import httpx
import psycopg
import redis
from rich.console import Console
from rich.table import Table

QUEUES = {"rabbitmq": "amqp://guest:guest@127.0.0.1:5672/", "nats": "nats://127.0.0.1:4222"}
STRIDE = 1_000_000  # miss keys of driver thread t are m{t*STRIDE + i}
WRK_SCRIPT = f"""
local counter = 0  -- `id` is a global: setup() sets it per thread
local threads = 0
function setup(thread) thread:set("id", threads); threads = threads + 1 end
function request()
  counter = counter + 1
  return wrk.format("GET", "/items/m" .. (id * {STRIDE} + counter))
end
"""


@dataclass
class Phase:
    name: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    hits: float = 0
    misses: float = 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def counters(base: str) -> tuple[float, float]:
    text = httpx.get(f"{base}/metrics").text
    hits, misses = (re.search(rf"^{name} (\S+)$", text, re.M)
                    for name in ("app_cache_hits_total", "app_cache_misses_total"))
    assert hits and misses, text
    return float(hits.group(1)), float(misses.group(1))


def run_wrk(url: str, seconds: int, connections: int, script: str | None) -> tuple[int, float, float, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        if script:
            lua.write(script)
            lua.flush()
            command[1:1] = ["-s", lua.name]
        out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw error responses:\n{out}")

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)$", out, re.M)
        assert match, out
        return float(match.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[match.group(2)]

    total = re.search(r"(\d+) requests in", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert total and rps, out
    return int(total.group(1)), float(rps.group(1)), ms("50"), ms("99")


async def run_httpx(base: str, seconds: int, connections: int, miss: bool) -> tuple[int, float, float, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    fresh = itertools.count(1)  # one stream of fresh keys shared by all users: thread 0's seeded range

    async def user(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            path = f"/items/m{next(fresh)}" if miss else "/items/hot"
            start = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - start)
            response.raise_for_status()

    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits) as client:
        began = time.perf_counter()
        await asyncio.gather(*(user(client) for _ in range(connections)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return len(latencies), len(latencies) / elapsed, pick(0.50), pick(0.99)


def wait_ready(web: subprocess.Popen[bytes], base: str, timeout: float) -> None:
    """Poll /readyz until 200; stop at once if the app exits, and say what /readyz last answered."""
    deadline = time.monotonic() + timeout
    last = "no answer yet (not listening)"
    while True:
        if web.poll() is not None:
            raise SystemExit(f"the app exited with status {web.returncode} before it was ready; /readyz: {last}")
        try:
            answer = httpx.get(f"{base}/readyz", timeout=5)
            if answer.status_code == 200:
                return
            last = f"{answer.status_code} {answer.text.strip()}"
        except httpx.TransportError as exc:
            last = f"no answer ({type(exc).__name__})"
        if time.monotonic() > deadline:
            raise SystemExit(f"the app did not become ready within {timeout:g} s; last /readyz: {last}")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--backend", choices=sorted(QUEUES), default="rabbitmq")
    args = parser.parse_args()
    suffix = uuid.uuid4().hex[:8]
    port = free_port()
    env = {**os.environ, "APP_PORT": str(port), "APP_HOST": "127.0.0.1", "APP_LOG_LEVEL": "WARNING",
           "APP_QUEUE_BACKEND": args.backend, "APP_QUEUE_URL": QUEUES[args.backend],
           "APP_TABLE_PREFIX": f"bench{suffix}_", "APP_QUEUE_NAME": f"bench-{suffix}",
           "APP_CACHE_PREFIX": f"bench:{suffix}:"}
    base = f"http://127.0.0.1:{port}"
    web = subprocess.Popen([sys.executable, "-m", "homelab_app", "web"], env=env)
    try:
        wait_ready(web, base, timeout=30)
        seed = int(args.seconds * 20_000)  # more fresh keys per driver thread than a run can read
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
            conn.execute(f"INSERT INTO bench{suffix}_items (key, value) SELECT 'm' || (t * {STRIDE} + i), "
                         f"repeat('x', 64) FROM generate_series(0, 1) t, generate_series(1, {seed}) i")
        httpx.put(f"{base}/items/hot", json={"value": "x" * 64})
        httpx.get(f"{base}/items/hot")  # warm the one hit key
        tool = "wrk" if shutil.which("wrk") else "httpx"
        phases = []
        for name, miss in (("cache hit", False), ("cache miss", True)):
            before = counters(base)
            if tool == "wrk":
                script = WRK_SCRIPT if miss else None
                result = run_wrk(f"{base}/items/hot", args.seconds, args.connections, script)
            else:
                result = asyncio.run(run_httpx(base, args.seconds, args.connections, miss))
            after = counters(base)
            phases.append(Phase(name, *result, hits=after[0] - before[0], misses=after[1] - before[1]))
    finally:
        web.terminate()
        web.wait(timeout=30)
        cleanup(env)
    report(phases, tool, args)


def cleanup(env: dict[str, str]) -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {env['APP_TABLE_PREFIX']}items, {env['APP_TABLE_PREFIX']}tasks")
    client = redis.Redis(port=6379)
    for key in client.scan_iter(f"{env['APP_CACHE_PREFIX']}*", count=1000):
        client.delete(key)
    asyncio.run(drop_queue(env["APP_QUEUE_BACKEND"], env["APP_QUEUE_NAME"]))


async def drop_queue(backend: str, name: str) -> None:
    if backend == "rabbitmq":
        import aio_pika
        async with await aio_pika.connect(QUEUES[backend]) as connection:
            await (await connection.channel()).queue_delete(name)
    else:
        import nats
        nc = await nats.connect(QUEUES[backend])
        await nc.jetstream().delete_stream(name)
        await nc.close()


def report(phases: list[Phase], tool: str, args: argparse.Namespace) -> None:
    table = Table(title=f"request path: GET /items/{{key}} ({tool}, {args.connections} connections, "
                        f"{args.seconds:g} s a phase, queue {args.backend}, loopback)")
    for column in ("phase", "requests", "req/s", "p50 ms", "p99 ms", "app saw hits / misses"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for p in phases:
        table.add_row(p.name, str(p.requests), f"{p.rps:,.0f}", f"{p.p50_ms:.2f}", f"{p.p99_ms:.2f}",
                      f"{p.hits:.0f} / {p.misses:.0f}")
    hit, miss = phases
    table.add_row("ratio", "", f"{hit.rps / miss.rps:.2f}", f"{miss.p50_ms / hit.p50_ms:.2f}",
                  f"{miss.p99_ms / hit.p99_ms:.2f}", "")
    table.caption = ("ratio: hit req/s ÷ miss req/s, and miss latency ÷ hit latency (above 1: hits are faster). "
                     "Shared 2-core machine: compare ratios within one run, not absolute figures across runs.")
    Console().print(table)


if __name__ == "__main__":
    main()
