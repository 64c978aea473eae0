"""Scenario `request-path`: the design's request sequence, driven through the reference app.

Ingress -> app -> cache miss -> database -> queue -> worker -> metrics, each step timed:
ready, write an item, read it (a miss, answered from PostgreSQL), read it again (a hit,
answered from Redis), wait for the worker to finish the task the miss published, check
the app's Prometheus counters moved, delete the item. URL: the app's base URL, through
the ingress or a port-forward. Option `task_wait` bounds the wait for the worker.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from homelab.verify.base import ProbeFailure, expect, expect_same, register, token
from homelab.verify.web import HTTP_API_QUERY, HttpApiProbe, checked, client_for

if TYPE_CHECKING:
    import httpx

    from homelab.verify.base import Step
    from homelab.verify.targets import Target

COUNTERS = ("app_cache_misses_total", "app_cache_hits_total", "app_tasks_published_total",
            "app_request_seconds_count")


def counters(text: str) -> dict[str, float]:
    """Sum each metric over its label sets, from Prometheus text exposition format."""
    totals: dict[str, float] = defaultdict(float)
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        try:
            totals[name] += float(line.rsplit(" ", 1)[1])
        except (IndexError, ValueError):
            continue
    return dict(totals)


@register
class RequestPathScenario(HttpApiProbe):
    kind = "request-path"
    query_keys = HTTP_API_QUERY | {"task_wait"}
    default_port = 80

    async def check(self, target: Target) -> list[Step]:
        key, value = token(), token()
        async with client_for(target, self.timeout) as client:
            with self.step("ready"):
                checked(await client.get("/readyz"), "readyz")
                before = counters((await client.get("/metrics")).text)
            with self.step("write (database, cache invalidated)"):
                checked(await client.put(f"/items/{key}", json={"value": value}), "put item")
            try:
                with self.step("read: cache miss, from database"):
                    first = checked(await client.get(f"/items/{key}"), "get item")
                    expect_same(first.get("value"), value)
                    expect(first.get("source") == "database", f"first read came from {first.get('source')!r}, "
                           "expected 'database' (a cache miss)")
                with self.step("read: cache hit"):
                    second = checked(await client.get(f"/items/{key}"), "get item")
                    expect_same(second.get("value"), value)
                    expect(second.get("source") == "cache", f"second read came from {second.get('source')!r}, "
                           "expected 'cache'")
                with self.step("async task done (queue -> worker)"):
                    task = await self._task_done(client, str(first.get("task_id")),
                                                 float(target.option("task_wait", self.timeout)))
                    self.note(f"result {str(task.get('result'))[:40]}")
                with self.step("metrics moved"):
                    after = counters((await client.get("/metrics")).text)
                    stuck = [name for name in COUNTERS if after.get(name, 0) <= before.get(name, 0)]
                    expect(not stuck, f"counters did not move: {', '.join(stuck)}")
            finally:
                with self.cleanup():
                    await client.delete(f"/items/{key}")
        return self.steps

    async def _task_done(self, client: httpx.AsyncClient, task_id: str, wait: float) -> dict[str, Any]:
        """Poll the task until a worker recorded its result (pending meanwhile)."""
        deadline = time.monotonic() + wait
        while True:
            task: dict[str, Any] = checked(await client.get(f"/tasks/{task_id}"), "get task")
            if task.get("status") == "done":
                return task
            if time.monotonic() > deadline:
                raise ProbeFailure(f"task {task_id} still {task.get('status')!r} after {wait:g} s: "
                                   "is a worker consuming the queue?")
            await asyncio.sleep(0.05)
