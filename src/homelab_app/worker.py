"""The worker: takes tasks off the queue, does the work, records the result, then acknowledges.

Acknowledging last means a worker killed mid-task loses nothing (the broker redelivers the task);
the result write is insert-or-ignore, so a task done twice is recorded once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time

from opentelemetry import context as otel_context
from prometheus_client import start_http_server

from homelab_app import metrics
from homelab_app.brokers import make_broker
from homelab_app.settings import Settings
from homelab_app.store import Store
from homelab_app.tasks import Task, perform
from homelab_app.telemetry import extract_context, setup_tracing, tracer

log = logging.getLogger("homelab_app.worker")


def worker_id() -> str:
    """Which worker did a task: pod name (the hostname in Kubernetes) and process id."""
    return f"{socket.gethostname()}/{os.getpid()}"


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Consume until `stop` is set, then finish the task in hand and close every connection."""
    store, broker = Store(settings, max_size=2), make_broker(settings)
    await asyncio.gather(store.open(), broker.connect())
    me = worker_id()

    async def handle(task: Task) -> None:
        token = otel_context.attach(extract_context(task.trace))  # type: ignore[arg-type]
        start = time.perf_counter()
        try:
            with tracer.start_as_current_span(f"task {task.kind}", attributes={"task.id": str(task.task_id)}):
                log.info("task started", extra={"task_id": str(task.task_id), "key": task.key})
                if settings.work_seconds:
                    await asyncio.sleep(settings.work_seconds)
                await store.record_result(task, perform(task), me)
            metrics.TASKS_DONE.labels("done").inc()
            log.info("task done", extra={"task_id": str(task.task_id)})
        except Exception:
            metrics.TASKS_DONE.labels("failed").inc()
            raise
        finally:
            metrics.TASK_SECONDS.observe(time.perf_counter() - start)
            otel_context.detach(token)

    log.info("worker consuming", extra={"queue_backend": settings.queue_backend, "worker": me})
    try:
        await broker.consume(handle, stop)
    finally:
        await broker.close()
        await store.close()
        log.info("worker stopped")


async def serve(settings: Settings) -> None:
    """Run the worker in this process, with SIGTERM/SIGINT meaning 'finish the task in hand, then exit'."""
    provider = setup_tracing("request-path-app-worker")
    start_http_server(settings.metrics_port, addr=settings.host, registry=metrics.WORKER)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_worker(settings, stop)
    finally:
        if provider is not None:
            provider.shutdown()
