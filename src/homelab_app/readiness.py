"""/readyz: which dependency failed and why, in words fit for whoever asks.

Anyone (the kubelet, a load balancer, `homelab verify`) gets a short reason code per failed dependency:
`timeout`, `unreachable` or `error`. The dependency's own error text can carry host names, user names
and library internals, so it goes to the log always and to the answer only for trusted callers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from typing import Any

from psycopg import OperationalError
from psycopg_pool import PoolTimeout
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("homelab_app.readyz")
CHECK_SECONDS = 3.0


def reason(exc: BaseException) -> str:
    """A short, fixed code for an error: nothing of its text."""
    if isinstance(exc, TimeoutError | RedisTimeoutError | PoolTimeout):
        return "timeout"
    if isinstance(exc, ConnectionError | OSError | RedisConnectionError | OperationalError):
        return "unreachable"
    return "error"


def describe(exc: BaseException) -> str:
    """The error in one line, with a message even when the exception has none (a bare TimeoutError)."""
    text = str(exc).strip() or (f"no answer within {CHECK_SECONDS:g} s" if reason(exc) == "timeout" else "")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def readiness(checks: Mapping[str, Awaitable[None]], details: bool) -> dict[str, Any]:
    """Run every check at once, each bounded; `details` adds each failure's message."""
    results = await asyncio.gather(*(asyncio.wait_for(check, CHECK_SECONDS) for check in checks.values()),
                                   return_exceptions=True)
    failed = {name: result for name, result in zip(checks, results, strict=True)
              if isinstance(result, BaseException)}
    if not failed:
        return {"status": "ready"}
    for name, exc in failed.items():
        log.warning("not ready", extra={"dependency": name, "reason": reason(exc), "error": describe(exc)})
    body: dict[str, Any] = {"status": "unready", "failed": {name: reason(exc) for name, exc in failed.items()}}
    if details:
        body["detail"] = {name: describe(exc) for name, exc in failed.items()}
    return body
