"""Retries with exponential backoff, so a restarting dependency costs latency, not errors.

Two shapes: `connect_with_backoff` waits (bounded by time) for a dependency at start; `retrying`
repeats one idempotent operation a few times when its connection broke underneath it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

T = TypeVar("T")
log = logging.getLogger("homelab_app.retry")


def _log_retry(what: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning("retrying", extra={"dependency": what, "attempt": state.attempt_number,
                                       "error": repr(error)})
    return before_sleep


async def connect_with_backoff(what: str, connect: Callable[[], Awaitable[T]], timeout: float) -> T:
    """Call `connect` until it succeeds or `timeout` seconds have passed (then raise its last error)."""
    retry = AsyncRetrying(stop=stop_after_delay(timeout),
                          wait=wait_random_exponential(multiplier=0.2, max=5), reraise=True,
                          retry=retry_if_exception_type(Exception),
                          before_sleep=_log_retry(what))
    return await retry(connect)


def retrying(what: str, attempts: int, errors: tuple[type[BaseException], ...]) -> AsyncRetrying:
    """A retry policy for one idempotent operation: `await retrying(...)(fn, *args)`."""
    return AsyncRetrying(stop=stop_after_attempt(attempts),
                         wait=wait_random_exponential(multiplier=0.05, max=2), reraise=True,
                         retry=retry_if_exception_type(errors), before_sleep=_log_retry(what))
