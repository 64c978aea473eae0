"""Run every probe at once, each under a hard timeout, and turn any failure into one line.

Total time is close to the slowest probe, not the sum: probes are coroutines on one
loop, blocking clients run in daemon threads (see `Probe.thread`), and each probe is
given a hard deadline (asyncio.wait, then cancel without waiting for cleanup), so a
black-holed socket costs its timeout and no more. At most MAX_CONCURRENT probes run at
a time, each timed from its own start, so ten thousand targets neither exhaust file
descriptors nor starve each other's clocks. Every line a result carries passes through a
`Redactor` holding the run's secrets, whatever the client library put in its error.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from homelab.redact import Redactor
from homelab.verify.base import ProbeFailure, Step
from homelab.verify.kinds import probe_class
from homelab.verify.targets import Target

DEFAULT_TIMEOUT = 10.0
MAX_CONCURRENT = 64
T = TypeVar("T")


@dataclass
class Result:
    """What one target's probe proved, or the one-line reason it could not."""

    name: str
    kind: str
    url: str
    ok: bool
    seconds: float
    reason: str = ""
    steps: list[Step] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "url": self.url, "ok": self.ok,
                "seconds": round(self.seconds, 4), "reason": self.reason,
                "steps": [step.as_json() for step in self.steps]}


_REFUSED = re.compile(r"Errno 111|Error 111|Connection refused|Connect call failed|ECONNREFUSED", re.I)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def reason_of(exc: BaseException) -> str:
    """One line that says what went wrong, in words a person acts on."""
    if isinstance(exc, ProbeFailure):
        return str(exc)
    chain = _chain(exc)
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or _REFUSED.search(str(exc)):
        return "connection refused (nothing listens on that port)"
    if any(isinstance(e, TimeoutError) for e in chain):  # the client's own deadline, set to the probe's timeout
        return "no answer within the timeout (port open but silent, or packets dropped)"
    for error in chain:
        if isinstance(error, ssl.SSLError):
            named = re.search(r"\[SSL: ([A-Z_]+)\]", str(error))
            why = getattr(error, "reason", None) or (named and named[1]) or str(error)
            if why == "WRONG_VERSION_NUMBER":
                why += " (the server answered in plain text, not TLS)"
            return f"TLS handshake failed: {why}"
        if isinstance(error, socket.gaierror):
            return f"host name does not resolve: {error.strerror or error}"
    text = " ".join(str(exc).split()) or repr(exc)
    name = type(exc).__name__
    line = text if name in text else f"{name}: {text}"
    return line if len(line) <= 300 else line[:297] + "..."


def _result(target: Target, ok: bool, seconds: float, reason: str, steps: list[Step], redact: Redactor) -> Result:
    """A result with every secret masked: in the reason, the URL and each step's detail."""
    shown = [Step(s.name, s.seconds, s.ok, redact(s.detail)) for s in steps]
    return Result(target.name, target.kind, redact(target.url_shown), ok, seconds, redact(reason), shown)


async def run_one(target: Target, timeout: float, redact: Redactor | None = None) -> Result:
    """Probe one target; never raises (except cancellation), always returns within the timeout."""
    redact = redact or Redactor(target.secrets)
    limit = target.timeout or timeout
    cls = probe_class(target.kind)
    cls.prepare()
    probe = cls(timeout=limit)
    start = time.perf_counter()
    task = asyncio.create_task(probe.check(target), name=f"verify {target.name}")
    try:
        done, _ = await asyncio.wait({task}, timeout=limit)
    except asyncio.CancelledError:
        task.cancel()
        raise
    seconds = time.perf_counter() - start
    if not done:
        # Hard limit: unlike wait_for, do not wait for the probe's own cleanup to finish.
        during = f" during '{probe.current}'" if probe.current else ""
        probe.abandon("timed out")
        task.cancel()
        task.add_done_callback(_swallow)
        return _result(target, False, seconds,
                       f"no answer within {limit:g} s{during} (port open but silent, or packets dropped)",
                       probe.steps, redact)
    exc = task.exception()
    if exc is None:
        return _result(target, True, seconds, "", probe.steps, redact)
    during = f"{probe.current}: " if probe.current else ""
    return _result(target, False, seconds, during + reason_of(exc), probe.steps, redact)


def _quiet_abandoned(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Client callbacks of abandoned (timed-out) probes may still fire with a cancelled state."""
    if isinstance(context.get("exception"), asyncio.CancelledError):
        return
    loop.default_exception_handler(context)


def _swallow(task: asyncio.Task[object]) -> None:
    """Retrieve an abandoned probe's outcome so asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()


async def run_all(targets: Sequence[Target], timeout: float = DEFAULT_TIMEOUT,
                  on_start: Callable[[Target], None] | None = None,
                  on_done: Callable[[Result], Awaitable[None] | None] | None = None,
                  limit: int = MAX_CONCURRENT) -> list[Result]:
    """Probe all targets concurrently, `limit` at a time; results come back in the targets' order."""

    for cls in {probe_class(target.kind) for target in targets}:
        cls.prepare()
    asyncio.get_running_loop().set_exception_handler(_quiet_abandoned)
    redact = Redactor(secret for target in targets for secret in target.secrets)
    gate = asyncio.Semaphore(limit)

    async def one(target: Target) -> Result:
        async with gate:
            if on_start:
                on_start(target)
            result = await run_one(target, timeout, redact)
        if on_done:
            maybe = on_done(result)
            if maybe is not None:
                await maybe
        return result

    return list(await asyncio.gather(*(one(target) for target in targets)))


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion from synchronous code, even where this thread already runs an
    event loop (a notebook, or Playwright's sync API): then on a fresh loop in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="homelab-verify") as pool:
        return pool.submit(asyncio.run, coro).result()


def verify(targets: Sequence[Target], timeout: float = DEFAULT_TIMEOUT) -> list[Result]:
    """Synchronous entry point for callers without a loop of their own (the CLI, notebooks)."""
    return run_sync(run_all(targets, timeout))
