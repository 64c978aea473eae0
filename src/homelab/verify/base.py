"""The one small base every probe kind shares, and the registry of kinds.

A probe proves a system works by doing real work through its own protocol
(write, read back, clean up where the protocol allows). Each kind is a class with
a `kind`, optional `aliases` and one `async def check(target)`. The probe records
timed steps as it goes, so a timeout or failure can say which step it was in.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from homelab.verify.targets import Target

T = TypeVar("T")

# Client libraries log connection errors that the probe already reports as its reason.
logging.getLogger("homelab.verify").addHandler(logging.NullHandler())


class ProbeFailure(Exception):
    """The system answered, but not as it should (wrong value, bad status, unhealthy)."""


@dataclass
class Step:
    """One timed piece of a probe's work, e.g. 'write', 'read back', 'clean up'."""

    name: str
    seconds: float
    ok: bool = True
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "seconds": round(self.seconds, 4), "ok": self.ok, "detail": self.detail}


@dataclass
class Probe:
    """Base of every probe kind. Subclasses set `kind` (and `aliases`) and implement `check`."""

    kind: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    default_port: ClassVar[int | None] = None
    scheme: ClassVar[str] = ""  # URL scheme used when targets are built from the catalog
    needs_credentials: ClassVar[bool] = False
    imports: ClassVar[tuple[str, ...]] = ()  # client libraries, loaded before any clock starts
    # URL query keys the probe (or its client) reads; None: the client reads and checks the whole URL.
    query_keys: ClassVar[frozenset[str] | None] = frozenset()
    tls_schemes: ClassVar[frozenset[str]] = frozenset()  # schemes that mean TLS, e.g. amqps
    tls_query_keys: ClassVar[frozenset[str]] = frozenset()  # TLS settings, honoured only with a TLS scheme

    @classmethod
    def url_problem(cls, target: Target) -> str | None:
        """Why `target`'s URL would be misread; a query key nothing reads is refused, never ignored."""
        if cls.query_keys is None:
            return None
        tls = target.parts.scheme in cls.tls_schemes
        allowed = cls.query_keys | (cls.tls_query_keys if tls else frozenset())
        unknown = [key for key in target.query if key not in allowed]
        if not unknown:
            return None
        key = unknown[0]
        if key in cls.tls_query_keys:
            return f"'{key}' is a TLS setting: use the {' or '.join(sorted(cls.tls_schemes))} scheme"
        reads = ", ".join(sorted(allowed)) or "nothing"
        return f"the {cls.kind} probe does not read '{key}' from the URL's query (it reads: {reads})"

    @classmethod
    def prepare(cls) -> None:
        """Load the client library up front: import time is not the system's latency."""
        for module in cls.imports:
            importlib.import_module(module)

    timeout: float = 5.0
    steps: list[Step] = field(default_factory=list)
    current: str | None = None
    current_start: float = 0.0
    detail: str = ""

    async def check(self, target: Target) -> list[Step]:
        """Do the round trip against `target`; raise on any failure; return the steps."""
        raise NotImplementedError

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time one step; the runner names the step in progress when a probe times out."""
        self.current, self.detail = name, ""
        self.current_start = start = time.perf_counter()
        try:
            yield
        except BaseException:
            self.steps.append(Step(name, time.perf_counter() - start, ok=False, detail=self.detail))
            raise
        self.steps.append(Step(name, time.perf_counter() - start, detail=self.detail))
        self.current = None

    @contextlib.contextmanager
    def cleanup(self, name: str = "clean up") -> Iterator[None]:
        """A step in a `finally:` that never hides the failure that got us there.

        When an earlier step already failed, a failing clean-up is recorded on its step and
        swallowed, so the reported reason stays the first failure.
        """
        pending, previous = sys.exc_info()[1], self.current
        try:
            with self.step(name):
                yield
        except Exception as exc:
            if pending is None:
                raise
            self.steps[-1].detail = f"also failed: {type(exc).__name__}: {exc}"[:200]
            self.current = previous

    def abandon(self, detail: str) -> None:
        """Record the step in progress as failed (the runner calls this on timeout)."""
        if self.current:
            self.steps.append(Step(self.current, time.perf_counter() - self.current_start, False, detail))

    def note(self, detail: str) -> None:
        """Attach a short fact (server version, rows read) to the step in progress."""
        self.detail = detail

    async def thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking client call without blocking the loop or the process exit.

        asyncio.to_thread uses the default executor, whose threads are joined when the
        program ends, so one hung socket would hold the whole command. A daemon thread
        per call is cheap next to a network round trip and is abandoned on timeout.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(outcome: Callable[[], None]) -> None:
            if not future.done():
                outcome()

        def work() -> None:
            try:
                value = fn(*args, **kwargs)
            except BaseException as exc:  # handed to the awaiting task
                error = exc
                with contextlib.suppress(RuntimeError):  # loop already closed: nobody waits
                    loop.call_soon_threadsafe(settle, lambda: future.set_exception(error))
            else:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(settle, lambda: future.set_result(value))

        threading.Thread(target=work, name=f"probe-{self.kind}", daemon=True).start()
        return await future


def token() -> str:
    """A unique name for the probe's own scratch objects, so parallel runs never collide."""
    return "homelab-verify-" + uuid.uuid4().hex[:12]


def expect(condition: bool, reason: str) -> None:
    """Fail the probe with a one-line reason unless `condition` holds."""
    if not condition:
        raise ProbeFailure(reason)


def expect_same(got: object, want: object, what: str = "read back") -> None:
    """Fail unless the value read back is the one written (shown shortened, never in full)."""
    if got != want:
        shown = repr(got)
        raise ProbeFailure(f"{what} {shown[:60]}{'...' if len(shown) > 60 else ''}, not the value written")


REGISTRY: dict[str, type[Probe]] = {}


def register(cls: type[Probe]) -> type[Probe]:
    """Class decorator: make a probe kind (and its aliases) available to targets."""
    for name in (cls.kind, *cls.aliases):
        if name in REGISTRY and REGISTRY[name] is not cls:
            raise ValueError(f"probe kind '{name}' registered twice")
        REGISTRY[name] = cls
    return cls
