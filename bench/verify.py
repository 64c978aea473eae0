"""Benchmark `homelab verify`: is the concurrent run close to the slowest probe, not the sum?

Probes every real service listening on loopback (the machine's own and those .ci/servers
starts, 28 of them when all run) one at a time, then all at once, and prints each probe's time, the sum, and the
concurrent wall time (target: wall <= sum / 3 with six or more services). Then points
several probe kinds at a black-holed listener (accepts, never answers) and checks each
costs no more than its timeout + 0.5 s. Last, MANY targets at a closed port in a fresh process:
wall time, that process's peak memory, how many were reported as refused (all should be), and
the slowest target against timeout + 0.5 s (at most runner.MAX_CONCURRENT probes run at a time).
Run: `.venv/bin/python bench/verify.py`.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import resource
import socket
import statistics
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from homelab.verify.kinds import probe_class
from homelab.verify.runner import MAX_CONCURRENT, run_all, run_one
from homelab.verify.targets import Target

AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
SERVICES: list[tuple[str, str, int, str, dict[str, object]]] = [
    ("postgresql", "postgresql", 5432, "postgresql://postgres@127.0.0.1:5432/test", {}),
    ("mariadb", "mysql", 3306, "mysql://root@127.0.0.1:3306/test", {}),
    ("redis", "redis", 6379, "redis://127.0.0.1:6379/0", {}),
    ("rabbitmq", "rabbitmq", 5672, "amqp://guest:guest@127.0.0.1:5672/", {}),
    ("nats", "nats", 4222, "nats://127.0.0.1:4222", {}),
    ("mosquitto", "mqtt", 1883, "mqtt://127.0.0.1:1883", {}),
    ("memcached", "memcached", 51211, "memcached://127.0.0.1:51211", {}),
    ("slapd", "ldap", 50389, "ldap://127.0.0.1:50389/dc=example,dc=org",
     {"bind_dn": "cn=admin,dc=example,dc=org", "password": "secret", "write": True}),
    ("prometheus", "prometheus", 59090, "http://127.0.0.1:59090", {}),
    ("etcd", "etcd", 52379, "http://127.0.0.1:52379", {}),
    ("nginx", "http", 58080, "http://127.0.0.1:58080/healthz", {"expect_body": "ok"}),
    ("haproxy", "http", 58081, "http://127.0.0.1:58081/healthz", {"expect_body": "ok"}),
    ("tansu", "kafka", 59092, "kafka://127.0.0.1:59092", {}),
    ("swift-s3api", "s3", 58888, "s3://test%3Atester:testing@127.0.0.1:58888", {}),
    ("swift", "swift", 58888, "swift://test%3Atester:testing@127.0.0.1:58888/auth/v1.0", {}),
    ("azurite", "azure-blob", 50000, "azure-blob://devstoreaccount1@127.0.0.1:50000", {"account_key": AZURITE_KEY}),
    ("jupyter", "jupyter", 58890, "http://127.0.0.1:58890", {"token": "homelab-ci-token"}),
    ("mlflow", "mlflow", 55001, "http://127.0.0.1:55001", {}),
    # Built from the Go module proxy or run from Maven Central jars by .ci/servers (test-only secrets, as there).
    ("dex", "oidc", 55556, "http://127.0.0.1:55556/dex",
     {"client_id": "homelab-portal", "client_secret": "homelab-portal-test-secret",
      "username": "admin@homelab.test", "password": "homelab-test-password"}),
    ("clickhouse", "clickhouse", 58123, "http://homelab:homelab-clickhouse-pw@127.0.0.1:58123", {}),
    ("ferretdb", "mongodb", 57017, "mongodb://127.0.0.1:57017/", {}),
    ("apache-kafka", "kafka", 59094, "kafka://127.0.0.1:59094", {}),
    ("opensearch", "elasticsearch", 59200, "http://127.0.0.1:59200", {}),
    ("neo4j", "neo4j", 57687, "bolt://neo4j:homelab-neo4j-pw@127.0.0.1:57687", {}),
    ("openbao", "vault", 58200, "http://127.0.0.1:58200", {"token": "homelab-bao-root"}),
    ("openfga", "openfga", 58480, "http://127.0.0.1:58480", {"token": "homelab-openfga-key"}),
    ("trino", "trino", 58088, "http://homelab@127.0.0.1:58088", {"catalog": "memory"}),
    ("solr", "solr", 58983, "http://homelab:homelab-solr-pw@127.0.0.1:58983/solr", {}),
]
BLACK_HOLE_KINDS = ["postgresql", "mysql", "redis", "rabbitmq", "nats", "mqtt", "kafka", "s3", "http", "ldap"]
ROUNDS = 3
BLACK_HOLE_TIMEOUT = 2.0
MANY = 10_000
MANY_TIMEOUT = 5.0
LATENCY = 0.010  # seconds added to each chunk in each direction by the delay proxy
# Their servers hand out their own address (Kafka's advertised listener, Swift's storage URL, Dex's issuer
# endpoints), so clients would bypass the proxy after the first request.
NO_PROXY = {"tansu", "swift", "apache-kafka", "dex"}


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


async def rounds(targets: list[Target]) -> tuple[dict[str, float], float, float, list[str]]:
    """Median of ROUNDS: each probe alone, and all of them at once (wall and this process's CPU)."""
    alone: dict[str, list[float]] = {t.name: [] for t in targets}
    walls: list[float] = []
    cpus: list[float] = []
    failures: list[str] = []
    for _ in range(ROUNDS):
        for target in targets:
            result = await run_one(target, 15)
            alone[target.name].append(result.seconds)
            if not result.ok:
                failures.append(f"{target.name}: {result.reason}")
        start, cpu = time.perf_counter(), time.process_time()
        results = await run_all(targets, 15)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
        failures += [f"{r.name} (concurrent): {r.reason}" for r in results if not r.ok]
    medians = {name: statistics.median(times) for name, times in alone.items()}
    return medians, statistics.median(walls), statistics.median(cpus), failures


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    try:
        while data := await reader.read(65536):
            await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


def _delay_proxy(routes: dict[int, int], delay: float, ready: Any) -> None:
    """Forward each listening port to a real server, holding every chunk `delay` seconds each way."""

    async def serve() -> None:
        async def link(upstream: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
            except OSError:
                writer.close()
                return
            await asyncio.gather(_pump(reader, up_writer, delay), _pump(up_reader, writer, delay))

        for listen, upstream in routes.items():
            await asyncio.start_server(functools.partial(link, upstream), "127.0.0.1", listen)
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(serve())


def with_latency(targets: list[Target], delay: float) -> tuple[list[Target], multiprocessing.Process]:
    """The same targets reached through a delay proxy in its own process (a network's round trips)."""
    routes: dict[int, int] = {}
    moved = []
    for target in targets:
        port = target.port(None)
        if port not in routes.values():
            with socket.socket() as probe_socket:
                probe_socket.bind(("127.0.0.1", 0))
                routes[probe_socket.getsockname()[1]] = port
        listen = next(k for k, v in routes.items() if v == port)
        moved.append(target.model_copy(update={"url": target.url.replace(f":{port}", f":{listen}", 1)}))
    ready = multiprocessing.Event()
    proxy = multiprocessing.Process(target=_delay_proxy, args=(routes, delay, ready), daemon=True)
    proxy.start()
    ready.wait(10)
    return moved, proxy


async def black_holes() -> tuple[list[tuple[str, float]], float]:
    """Every kind pointed at one listener that accepts and never answers, all at once."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)
    port = hole.getsockname()[1]
    urls = {"postgresql": "postgresql://u@127.0.0.1:{p}/db", "mysql": "mysql://root@127.0.0.1:{p}/db",
            "redis": "redis://127.0.0.1:{p}/0", "rabbitmq": "amqp://guest:guest@127.0.0.1:{p}/",
            "nats": "nats://127.0.0.1:{p}", "mqtt": "mqtt://127.0.0.1:{p}", "kafka": "kafka://127.0.0.1:{p}",
            "s3": "s3://k:s@127.0.0.1:{p}", "http": "http://127.0.0.1:{p}/", "ldap": "ldap://127.0.0.1:{p}/dc=x"}
    try:
        targets = [Target(name=f"hole-{kind}", kind=kind, url=urls[kind].format(p=port)) for kind in BLACK_HOLE_KINDS]
        start = time.perf_counter()
        results = await run_all(targets, BLACK_HOLE_TIMEOUT)
        return [(r.kind, r.seconds) for r in results], time.perf_counter() - start
    finally:
        hole.close()


def _many_closed(count: int, out: Any) -> None:
    """In a child process: `count` redis targets at a closed port, all at once."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    targets = [Target(name=f"closed-{i}", kind="redis", url=f"redis://127.0.0.1:{port}/0") for i in range(count)]
    probe_class("redis").prepare()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    results = asyncio.run(run_all(targets, MANY_TIMEOUT))
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    refused = sum("connection refused" in r.reason for r in results)
    out.put((wall, peak / 1024, (peak - before) / 1024, refused, max(r.seconds for r in results)))


def many_closed(count: int) -> tuple[float, float, float, int, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_many_closed, args=(count, queue))
    child.start()
    figures: tuple[float, float, float, int, float] = queue.get(timeout=600)
    child.join()
    return figures


def main() -> None:
    console = Console()
    up = [s for s in SERVICES if listening(s[2])]
    missing = [s[0] for s in SERVICES if s not in up]
    targets = [Target(name=name, kind=kind, url=url, options=options) for name, kind, _, url, options in up]
    start = time.perf_counter()
    for kind in {t.kind for t in targets} | set(BLACK_HOLE_KINDS):
        probe_class(kind).prepare()
    loading = time.perf_counter() - start
    alone, wall, cpu, failures = asyncio.run(rounds(targets))

    table = Table(title=f"verify: {len(targets)} real local services, median of {ROUNDS} rounds")
    table.add_column("service")
    table.add_column("kind")
    table.add_column("probe alone (s)", justify="right")
    for target in targets:
        table.add_row(target.name, target.kind, f"{alone[target.name]:.3f}")
    total = sum(alone.values())
    table.add_section()
    table.add_row("[bold]sum[/]", "", f"{total:.3f}")
    table.add_row("[bold]all at once (wall)[/]", "", f"{wall:.3f}")
    table.add_row("[bold]slowest single probe[/]", "", f"{max(alone.values()):.3f}")
    console.print(table)
    ok_wall = len(targets) >= 6 and wall <= total / 3
    console.print(f"client libraries loaded once before timing: {loading:.2f} s")
    console.print(f"wall / sum = {wall / total:.2f} (target <= 0.33 with >= 6 services): "
                  + ("[green]met[/]" if ok_wall else "[red]NOT met[/]"))
    load = os.getloadavg()[0]
    console.print(f"this process's CPU during the concurrent run: {cpu:.3f} s; {os.cpu_count()} cores, "
                  f"load average {load:.1f} (the local servers share these cores with the probes)")
    if missing:
        console.print(f"not listening, skipped: {', '.join(missing)}")
    for failure in failures:
        console.print(f"[red]failed:[/] {failure}")

    proxied, proxy = with_latency([t for t in targets if t.name not in NO_PROXY], LATENCY)
    try:
        slow_alone, slow_wall, _, slow_failures = asyncio.run(rounds(proxied))
    finally:
        proxy.terminate()
    slow = Table(title=f"the same servers behind a {LATENCY * 1000:g} ms-per-direction delay proxy "
                       f"({len(proxied)} services)")
    slow.add_column("service")
    slow.add_column("probe alone (s)", justify="right")
    for name, seconds in slow_alone.items():
        slow.add_row(name, f"{seconds:.3f}")
    slow_total = sum(slow_alone.values())
    slow.add_section()
    slow.add_row("[bold]sum[/]", f"{slow_total:.3f}")
    slow.add_row("[bold]all at once (wall)[/]", f"{slow_wall:.3f}")
    console.print(slow)
    console.print(f"with network latency: wall / sum = {slow_wall / slow_total:.2f}: "
                  + ("[green]met[/]" if slow_wall <= slow_total / 3 else "[red]NOT met[/]"))
    for failure in slow_failures:
        console.print(f"[red]failed behind the proxy:[/] {failure}")

    holes, hole_wall = asyncio.run(black_holes())
    hole_table = Table(title=f"black-holed listener, timeout {BLACK_HOLE_TIMEOUT:g} s, all kinds at once")
    hole_table.add_column("kind")
    hole_table.add_column("cost (s)", justify="right")
    hole_table.add_column("<= timeout + 0.5 s")
    for kind, seconds in holes:
        verdict = "[green]yes[/]" if seconds <= BLACK_HOLE_TIMEOUT + 0.5 else "[red]no[/]"
        hole_table.add_row(kind, f"{seconds:.3f}", verdict)
    hole_table.add_section()
    hole_table.add_row("[bold]sum[/]", f"{sum(s for _, s in holes):.3f}", "")
    hole_table.add_row("[bold]all at once (wall)[/]", f"{hole_wall:.3f}", "")
    console.print(hole_table)

    wall_many, peak, grown, refused, slowest = many_closed(MANY)
    many = Table(title=f"{MANY:,} redis targets at a closed port, timeout {MANY_TIMEOUT:g} s, "
                       f"at most {MAX_CONCURRENT} probes at a time (fresh process)")
    for column in ("wall (s)", "peak memory (MiB)", "grown while probing (MiB)", "reported refused",
                   "slowest target (s)", "<= timeout + 0.5 s"):
        many.add_column(column, justify="right")
    verdict = "[green]yes[/]" if slowest <= MANY_TIMEOUT + 0.5 else "[red]no[/]"
    many.add_row(f"{wall_many:.1f}", f"{peak:.0f}", f"{grown:.0f}", f"{refused:,} of {MANY:,}", f"{slowest:.3f}",
                 verdict)
    console.print(many)


if __name__ == "__main__":
    main()
