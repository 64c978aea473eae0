"""PostgreSQL: the items the API serves and the results the worker records.

Every statement is idempotent (upsert, insert-or-ignore, select, delete), so each is retried
with backoff when the pool hands out a connection the server closed during a restart. Only a lost
or refused connection is retried: an error about the statement or its data is raised at once.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from homelab_app.resilience import connect_with_backoff, retrying
from homelab_app.settings import Settings
from homelab_app.tasks import Task

log = logging.getLogger("homelab_app.store")
DATABASE_ERRORS = (psycopg.OperationalError, PoolTimeout)
# SQLSTATE classes of a database that is away or restarting: connection exception, insufficient
# resources, operator intervention (shutdown, "cannot connect now").
TRANSIENT_STATES = ("08", "53", "57P")


def transient(exc: BaseException) -> bool:
    """True when the database itself is away (retry, then 503), not when it refused this statement."""
    if isinstance(exc, PoolTimeout):
        return True
    state = getattr(exc, "sqlstate", None)
    return isinstance(exc, psycopg.OperationalError) and (state is None or state.startswith(TRANSIENT_STATES))


class Store:
    """A pool of PostgreSQL connections and the app's few statements."""

    def __init__(self, settings: Settings, max_size: int = 10) -> None:
        self.settings = settings
        items, tasks = sql.Identifier(settings.items_table), sql.Identifier(settings.tasks_table)
        self._schema = [
            sql.SQL("CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, value text NOT NULL, "
                    "updated_at timestamptz NOT NULL DEFAULT now())").format(items),
            sql.SQL("CREATE TABLE IF NOT EXISTS {} (task_id uuid PRIMARY KEY, kind text NOT NULL, "
                    "key text NOT NULL, result jsonb NOT NULL, worker text NOT NULL, "
                    "done_at timestamptz NOT NULL DEFAULT now())").format(tasks),
        ]
        self._put = sql.SQL("INSERT INTO {} (key, value) VALUES (%s, %s) ON CONFLICT (key) "
                            "DO UPDATE SET value = EXCLUDED.value, updated_at = now()").format(items)
        self._get = sql.SQL("SELECT value FROM {} WHERE key = %s").format(items)
        self._delete = sql.SQL("DELETE FROM {} WHERE key = %s").format(items)
        self._record = sql.SQL("INSERT INTO {} (task_id, kind, key, result, worker) "
                               "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (task_id) DO NOTHING").format(tasks)
        self._result = sql.SQL("SELECT result, worker FROM {} WHERE task_id = %s").format(tasks)
        self.pool = AsyncConnectionPool(settings.database_url, min_size=1, max_size=max_size, open=False,
                                        kwargs={"autocommit": True}, timeout=2, reconnect_timeout=0)

    async def open(self) -> None:
        """Wait for the database, create the tables if missing, then open the pool."""
        await connect_with_backoff("postgresql", self._create_schema, self.settings.connect_timeout_seconds)
        await self.pool.open(wait=True, timeout=self.settings.connect_timeout_seconds)

    async def _create_schema(self) -> None:
        async with await psycopg.AsyncConnection.connect(self.settings.database_url, autocommit=True,
                                                         connect_timeout=5) as conn:
            for statement in self._schema:
                await conn.execute(statement)

    async def close(self) -> None:
        await self.pool.close()

    async def _run(self, query: sql.Composed, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        async def once() -> list[tuple[Any, ...]]:
            async with self.pool.connection() as conn:
                cursor = await conn.execute(query, params)
                return await cursor.fetchall() if cursor.description else []
        return await retrying("postgresql", self.settings.operation_attempts, DATABASE_ERRORS, transient)(once)

    async def ping(self) -> None:
        async with self.pool.connection(timeout=2) as conn:
            await conn.execute("SELECT 1")

    async def put(self, key: str, value: str) -> None:
        await self._run(self._put, (key, value))

    async def get(self, key: str) -> str | None:
        rows = await self._run(self._get, (key,))
        return rows[0][0] if rows else None

    async def delete(self, key: str) -> bool:
        async def once() -> int:
            async with self.pool.connection() as conn:
                return (await conn.execute(self._delete, (key,))).rowcount
        return await retrying("postgresql", self.settings.operation_attempts, DATABASE_ERRORS, transient)(once) > 0

    async def record_result(self, task: Task, result: dict[str, Any], worker: str) -> None:
        """Write a task's result once; a redelivered task's second write is ignored."""
        await self._run(self._record, (task.task_id, task.kind, task.key, Jsonb(result), worker))

    async def result(self, task_id: uuid.UUID) -> tuple[dict[str, Any], str] | None:
        rows = await self._run(self._result, (task_id,))
        return (rows[0][0], rows[0][1]) if rows else None
