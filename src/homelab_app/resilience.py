"""Retries with exponential backoff, so a restarting dependency costs latency, not errors.

Two shapes: `connect_with_backoff` waits (bounded by time) for a dependency at start; `retrying`
repeats one idempotent operation a few times when its connection broke underneath it. A dependency
that hangs instead of failing (a frozen Redis) is cut off by `CircuitBreaker`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
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


def retrying(what: str, attempts: int, errors: tuple[type[BaseException], ...],
             transient: Callable[[BaseException], bool] = lambda _: True) -> AsyncRetrying:
    """A retry policy for one idempotent operation: `await retrying(...)(fn, *args)`.

    Only `errors` for which `transient` holds are retried; a permanent one is raised at once.
    """
    return AsyncRetrying(stop=stop_after_attempt(attempts),
                         wait=wait_random_exponential(multiplier=0.05, max=2), reraise=True,
                         retry=retry_if_exception(lambda e: isinstance(e, errors) and transient(e)),
                         before_sleep=_log_retry(what))


class CircuitOpen(Exception):
    """The dependency failed too often lately: calls are skipped until the breaker's pause is over."""


class CircuitBreaker:
    """Takes a failing dependency out of the request path for a while, so each request stops paying its timeout.

    Closed: calls go through. After `failures` failures in a row it opens: calls raise `CircuitOpen` at once
    for `pause` seconds. Then one call at a time may try (half-open); a success closes the breaker.
    """

    def __init__(self, what: str, failures: int, pause: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.what, self.failures, self.pause, self.clock = what, failures, pause, clock
        self.failed = 0
        self.open_until = 0.0
        self.trying = False

    @property
    def is_open(self) -> bool:
        return self.failed >= self.failures and (self.clock() < self.open_until or self.trying)

    async def call(self, operation: Callable[[], Awaitable[T]], errors: tuple[type[BaseException], ...]) -> T:
        """Run `operation` unless the breaker is open; its `errors` count as failures."""
        if self.is_open:
            raise CircuitOpen(f"{self.what} skipped for a while after {self.failed} failures in a row")
        half_open = self.failed >= self.failures
        self.trying = half_open
        try:
            result = await operation()
        except errors:
            self.record_failure()
            raise
        finally:
            self.trying = False
        self.record_success()
        return result

    def record_success(self) -> None:
        if self.failed >= self.failures:
            log.info("circuit closed", extra={"dependency": self.what})
        self.failed = 0

    def record_failure(self) -> None:
        self.failed += 1
        if self.failed >= self.failures:
            if self.clock() >= self.open_until:
                log.warning("circuit open", extra={"dependency": self.what, "seconds": self.pause})
            self.open_until = self.clock() + self.pause
