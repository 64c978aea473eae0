"""The HTTP API: the design's request path (cache, then database, then a task on the queue).

Contract (driven by `homelab verify request-path`): PUT/GET/DELETE /items/{key}, GET /tasks/{id},
/healthz (liveness), /readyz (PostgreSQL, Redis and the queue all answer), /metrics (Prometheus).
Items and tasks need a bearer token when an issuer is configured; every input is bounded (`limits`);
no dependency's error text reaches a client that is not trusted (loopback or holding a valid token).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import psycopg
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from homelab_app import metrics
from homelab_app.brokers import make_broker
from homelab_app.cache import Cache
from homelab_app.limits import BodyLimit, WriteLimiter, check_text
from homelab_app.readiness import readiness
from homelab_app.resilience import retrying
from homelab_app.settings import Settings, is_loopback
from homelab_app.store import DATABASE_ERRORS, Store, transient
from homelab_app.tasks import Task
from homelab_app.telemetry import inject_context, setup_tracing, tracer
from homelab_app.tokens import TokenRejected, TokenVerifier

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
    """Pure ASGI middleware timing each request by route template, answer source and status (cheaper than
    BaseHTTPMiddleware, which runs every request through an extra task and stream)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the server answers if the app raises before it starts a response

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            source = scope.get("state", {}).get("source", "none")
            elapsed = time.perf_counter() - start
            metrics.REQUEST_SECONDS.labels(route, scope["method"], source, str(status)).observe(elapsed)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; connections open in the lifespan, so SIGTERM drains requests before closing them."""
    settings = settings or Settings()
    store, cache, broker = Store(settings), Cache(settings), make_broker(settings)
    verifier = TokenVerifier(settings.oidc_issuer, settings.oidc_audience) if settings.oidc_issuer else None
    writes = WriteLimiter(settings.write_rate, settings.write_burst)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await asyncio.gather(store.open(), cache.open(), broker.connect(), *([verifier.load()] if verifier else []))
        log.info("ready to serve", extra={"queue_backend": settings.queue_backend, "tokens": bool(verifier)})
        yield
        await asyncio.gather(broker.close(), cache.close(), store.close(), return_exceptions=True)
        if provider is not None:
            provider.shutdown()
        log.info("stopped")

    docs = settings.docs
    app = FastAPI(title="homelab request-path app", lifespan=lifespan, docs_url="/docs" if docs else None,
                  redoc_url=None, openapi_url="/openapi.json" if docs else None)
    provider = setup_tracing("request-path-app")
    if provider is not None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics",
                                           tracer_provider=provider)

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestTimer)

    async def database_error(_: Request, exc: Exception) -> JSONResponse:
        """Away after the retries: 503, safe to retry. Refused this statement: 422 at once. No database text."""
        if transient(exc):
            log.warning("database unavailable", extra={"error": repr(exc)})
            return JSONResponse({"detail": "database unavailable, retry later"}, status_code=503)
        log.warning("database refused a statement", extra={"error": repr(exc)})
        return JSONResponse({"detail": "the database refused this key or value"}, status_code=422)

    for error in (*DATABASE_ERRORS, psycopg.DataError, psycopg.IntegrityError):
        app.add_exception_handler(error, database_error)

    async def caller(request: Request) -> str:
        """Who is asking: the token's subject when tokens are required (401 without one), else the address."""
        if verifier is None:
            return request.client.host if request.client else "unknown"
        try:
            claims = await verifier.verify(request.headers.get("authorization"))
        except TokenRejected as exc:
            raise HTTPException(401, str(exc), headers={"www-authenticate": 'Bearer realm="request-path-app"'}) \
                from None
        return f"sub:{claims['sub']}"

    async def writer(who: str = Depends(caller)) -> str:
        wait = writes.take(who)
        if wait:
            raise HTTPException(429, "too many writes; slow down", headers={"retry-after": str(math.ceil(wait))})
        return who

    def valid_key(key: str) -> str:
        check_text("key", key, settings.max_key_bytes)
        return key

    async def cached(key: str) -> str | None:
        """The cached value, or None on a miss or when the cache is down (the database still answers)."""
        try:
            with tracer.start_as_current_span("cache get"):
                return await cache.get(key)
        except RedisError as exc:
            metrics.CACHE_ERRORS.inc()
            log.warning("cache unavailable, reading the database", extra={"error": repr(exc)})
            return None

    async def invalidate(key: str) -> None:
        try:
            await cache.invalidate(key)
        except RedisError as exc:  # a stale entry could outlive the write: make the client retry
            metrics.CACHE_ERRORS.inc()
            log.warning("cache invalidation failed", extra={"error": repr(exc)})
            raise HTTPException(503, "written, but the cache could not be invalidated; retry") from exc

    @app.put("/items/{key}")
    async def put_item(item: ItemIn, key: str = Depends(valid_key), _: str = Depends(writer)) -> dict[str, str]:
        check_text("value", item.value, settings.max_value_bytes)
        with tracer.start_as_current_span("db upsert"):
            await store.put(key, item.value)
        await invalidate(key)
        return {"key": key, "value": item.value}

    @app.get("/items/{key}")
    async def get_item(request: Request, key: str = Depends(valid_key), _: str = Depends(caller)) -> ItemOut:
        value = await cached(key)
        source: Literal["cache", "database"] = "cache"
        if value is None:
            metrics.CACHE_MISSES.inc()
            source = request.state.source = "database"
            with tracer.start_as_current_span("db select"):
                value = await store.get(key)
            if value is None:
                raise HTTPException(404, "no such item")
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
            log.warning("queue unavailable", extra={"error": repr(exc)})
            raise HTTPException(503, "the queue did not take the task; retry") from exc
        metrics.TASKS_PUBLISHED.inc()
        return ItemOut(key=key, value=value, source=source, task_id=task.task_id)

    @app.delete("/items/{key}", status_code=204)
    async def delete_item(key: str = Depends(valid_key), _: str = Depends(writer)) -> Response:
        existed = await store.delete(key)
        await invalidate(key)
        if not existed:
            raise HTTPException(404, "no such item")
        return Response(status_code=204)

    @app.get("/tasks/{task_id}")
    async def get_task(task_id: uuid.UUID, _: str = Depends(caller)) -> TaskOut:
        """`pending` until a worker recorded a result (an id never published also reads pending)."""
        found = await store.result(task_id)
        if found is None:
            return TaskOut(task_id=task_id, status="pending")
        return TaskOut(task_id=task_id, status="done", result=found[0], worker=found[1])

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    async def trusted(request: Request) -> bool:
        """Loopback callers and holders of a valid token may read dependencies' error details."""
        if request.client and is_loopback(request.client.host):
            return True
        if verifier is None or "authorization" not in request.headers:
            return False
        try:
            await verifier.verify(request.headers["authorization"])
        except TokenRejected:
            return False
        return True

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        checks = {"postgresql": store.ping(), "redis": cache.ping(), "queue": broker.ping()}
        body = await readiness(checks, details=await trusted(request))
        return JSONResponse(body, status_code=200 if body["status"] == "ready" else 503)

    @app.get("/metrics")
    async def prometheus() -> Response:
        try:
            metrics.QUEUE_DEPTH.set(await asyncio.wait_for(broker.depth(), 2))
        except Exception as exc:  # a scrape must not fail because the broker is away
            log.warning("queue depth unavailable", extra={"error": repr(exc)})
        return Response(generate_latest(metrics.WEB), media_type=CONTENT_TYPE_LATEST)

    return app
