"""A bounded abuse run against the real web process: oversized bodies, 50 slow clients, a burst of writes.

Every answer must be a deliberate 4xx (413, 422, 429) or a success, never a 5xx; the app must keep serving
while it happens; and its peak resident memory (the kernel's VmHWM) must stay under 200 MB. Loopback only,
bounded in count and time.
"""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import pytest

pytestmark = pytest.mark.servers
PEAK_LIMIT_MB = 200


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


def raw_status(port: int, head: bytes, body: bytes = b"") -> int:
    """Send a request by hand (so a body can claim 100 MB and send little) and read the status code."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        answer = sock.recv(4096)
    return int(answer.split(b" ", 2)[1])


def test_abuse_gets_4xx_and_memory_stays_bounded(app_env, webs) -> None:
    web = webs(app_env(write_rate=50, write_burst=50))
    port = int(web.base.rsplit(":", 1)[1])
    statuses: list[int] = []

    # 1. Oversized bodies: declared (100 MB), streamed in chunks, and one just over the value limit.
    for _ in range(5):
        head = (b"PUT /items/big HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 104857600\r\n\r\n")
        statuses.append(raw_status(port, head, b'{"value": "' + b"x" * 65536))
    chunked = b"".join(b"%x\r\n%s\r\n" % (65536, b"x" * 65536) for _ in range(8))
    statuses.append(raw_status(port, b"PUT /items/big HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                     b"Transfer-Encoding: chunked\r\n\r\n", chunked))
    statuses.append(httpx.put(f"{web.base}/items/big", json={"value": "x" * 65537}).status_code)
    assert statuses == [413] * 6 + [422], statuses

    # 2. Fifty slow clients trickling their headers while a normal client keeps being served.
    slow = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(50)]
    try:
        for sock in slow:
            sock.sendall(b"GET /items/slow HTTP/1.1\r\nHost: x\r\n")
        served = []
        for _ in range(6):
            for sock in slow:
                sock.sendall(b"X-A: b\r\n")
            started = time.perf_counter()
            answer = httpx.get(f"{web.base}/items/absent", timeout=5)
            served.append((answer.status_code, time.perf_counter() - started))
            time.sleep(0.3)
        assert all(status == 404 and took < 2 for status, took in served), served
    finally:
        for sock in slow:
            sock.close()

    # 3. A burst of 300 writes of 60 KB values, 30 at a time: 200 up to the burst, then 429s, nothing else.
    async def burst() -> list[int]:
        limits = httpx.Limits(max_connections=30)
        async with httpx.AsyncClient(base_url=web.base, limits=limits, timeout=30) as client:
            async def put(i: int) -> int:
                return (await client.put(f"/items/burst{i % 20}", json={"value": "v" * 60_000})).status_code
            return list(await asyncio.gather(*(put(i) for i in range(300))))

    written = asyncio.run(burst())
    assert set(written) <= {200, 429} and written.count(200) >= 50, sorted(set(written))

    assert httpx.get(f"{web.base}/items/burst0").status_code == 200  # still serving
    peak = peak_rss_mb(web.proc.pid)
    assert peak < PEAK_LIMIT_MB, f"peak resident memory {peak:.0f} MB"
    web.stop()
