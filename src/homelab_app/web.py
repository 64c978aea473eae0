"""The HTTP API: the design's request path (cache, then database, then a task on the queue).

Contract (driven by `homelab verify request-path`): PUT/GET/DELETE /items/{key}, GET /tasks/{id},
/healthz (liveness), /readyz (PostgreSQL, Redis and the queue all answer), /metrics (Prometheus).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from homelab_app import metrics
from homelab_app.brokers import make_broker
from homelab_app.cache import Cache
from homelab_app.resilience import retrying
from homelab_app.settings import Settings
from homelab_app.store import DATABASE_ERRORS, Store
from homelab_app.tasks import Task
from homelab_app.telemetry import inject_context, setup_tracing, tracer

log = logging.getLogger("homelab_app.web")


class ItemIn(BaseModel):
    value: str


class ItemOut(BaseModel):
    key: str
    value: str
    source: Literal["cache", "database"]
    task_id: uuid.UUID


class TaskOut(BaseModel):
    task_id: uuid.UUID
    status: Literal["pending", "done"]
    result: dict[str, Any] | None = None
    worker: str | None = None


class RequestTimer:
    """Pure ASGI middleware timing each request by route template and answer source (cheaper than
    BaseHTTPMiddleware, which runs every request through an extra task and stream)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            source = scope.get("state", {}).get("source", "none")
            elapsed = time.perf_counter() - start
            metrics.REQUEST_SECONDS.labels(route, scope["method"], source).observe(elapsed)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; connections open in the lifespan, so SIGTERM drains requests before closing them."""
    settings = settings or Settings()
    store, cache, broker = Store(settings), Cache(settings), make_broker(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await asyncio.gather(store.open(), cache.open(), broker.connect())
        log.info("ready to serve", extra={"queue_backend": settings.queue_backend})
        yield
        await asyncio.gather(broker.close(), cache.close(), store.close(), return_exceptions=True)
        if provider is not None:
            provider.shutdown()
        log.info("stopped")

    app = FastAPI(title="homelab request-path app", lifespan=lifespan)
    provider = setup_tracing("request-path-app")
    if provider is not None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics",
                                           tracer_provider=provider)

    app.add_middleware(RequestTimer)

    async def database_unavailable(_: Request, exc: Exception) -> JSONResponse:
        """PostgreSQL still away after the retries: a 503 the client may retry, not a 500 bug."""
        log.warning("database unavailable", extra={"error": repr(exc)})
        return JSONResponse({"detail": f"database unavailable: {exc!r}"}, status_code=503)

    for error in DATABASE_ERRORS:
        app.add_exception_handler(error, database_unavailable)

    async def cached(key: str) -> str | None:
        """The cached value, or None on a miss or when the cache is down (the database still answers)."""
        try:
            with tracer.start_as_current_span("cache get"):
                return await cache.get(key)
        except RedisError as exc:
            metrics.CACHE_ERRORS.inc()
            log.warning("cache unavailable, reading the database", extra={"error": repr(exc)})
            return None

    @app.put("/items/{key}")
    async def put_item(key: str, item: ItemIn) -> dict[str, str]:
        with tracer.start_as_current_span("db upsert"):
            await store.put(key, item.value)
        try:
            await cache.invalidate(key)
        except RedisError as exc:  # a stale entry could outlive the write: make the client retry
            raise HTTPException(503, f"written, but the cache could not be invalidated: {exc}") from exc
        return {"key": key, "value": item.value}

    @app.get("/items/{key}")
    async def get_item(key: str, request: Request) -> ItemOut:
        value = await cached(key)
        source: Literal["cache", "database"] = "cache"
        if value is None:
            metrics.CACHE_MISSES.inc()
            source = request.state.source = "database"
            with tracer.start_as_current_span("db select"):
                value = await store.get(key)
            if value is None:
                raise HTTPException(404, f"no item '{key}'")
            try:
                await cache.fill(key, value)
            except RedisError as exc:
                metrics.CACHE_ERRORS.inc()
                log.warning("cache fill failed", extra={"error": repr(exc)})
        else:
            metrics.CACHE_HITS.inc()
            request.state.source = source
        task = Task(key=key, value=value, trace=inject_context())
        try:
            with tracer.start_as_current_span("queue publish"):
                await retrying("queue", settings.operation_attempts, broker.transient)(broker.publish, task)
        except broker.transient as exc:
            raise HTTPException(503, f"the queue did not take the task: {exc!r}") from exc
        metrics.TASKS_PUBLISHED.inc()
        return ItemOut(key=key, value=value, source=source, task_id=task.task_id)

    @app.delete("/items/{key}", status_code=204)
    async def delete_item(key: str) -> Response:
        existed = await store.delete(key)
        await cache.invalidate(key)
        if not existed:
            raise HTTPException(404, f"no item '{key}'")
        return Response(status_code=204)

    @app.get("/tasks/{task_id}")
    async def get_task(task_id: uuid.UUID) -> TaskOut:
        """`pending` until a worker recorded a result (an id never published also reads pending)."""
        found = await store.result(task_id)
        if found is None:
            return TaskOut(task_id=task_id, status="pending")
        return TaskOut(task_id=task_id, status="done", result=found[0], worker=found[1])

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = {"postgresql": store.ping(), "redis": cache.ping(), "queue": broker.ping()}
        results = await asyncio.gather(*(asyncio.wait_for(c, 3) for c in checks.values()),
                                       return_exceptions=True)
        failed = {name: repr(result) for name, result in zip(checks, results, strict=True)
                  if isinstance(result, BaseException)}
        if failed:
            return JSONResponse({"status": "unready", "failed": failed}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics")
    async def prometheus() -> Response:
        try:
            metrics.QUEUE_DEPTH.set(await asyncio.wait_for(broker.depth(), 2))
        except Exception as exc:  # a scrape must not fail because the broker is away
            log.warning("queue depth unavailable", extra={"error": repr(exc)})
        return Response(generate_latest(metrics.WEB), media_type=CONTENT_TYPE_LATEST)

    return app
