"""Task queues behind one small interface: RabbitMQ (AMQP), NATS JetStream, or Kafka.

Every backend acknowledges a task only after the handler returned, so a worker that dies mid-task
leaves the task to be redelivered to another worker; handlers must therefore be idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from homelab_app.settings import Settings
from homelab_app.tasks import Task

Handler = Callable[[Task], Awaitable[None]]
log = logging.getLogger("homelab_app.broker")


class Broker(Protocol):
    """What the web service and the worker need from a queue."""

    transient: tuple[type[BaseException], ...]
    """Errors of a broker that is restarting or unreachable: worth a retry, then a 503."""

    async def connect(self) -> None:
        """Connect (with backoff) and declare the queue, stream or topic if missing."""

    async def publish(self, task: Task) -> None:
        """Hand a task to the broker durably (returns once the broker has it)."""

    async def consume(self, handler: Handler, stop: asyncio.Event) -> None:
        """Run `handler` on each task, acknowledging after it returns, until `stop` is set."""

    async def depth(self) -> int:
        """Tasks waiting in the queue (in-flight ones may count, depending on the broker)."""

    async def ping(self) -> None:
        """One round trip to the broker; raises when it does not answer."""

    async def close(self) -> None:
        """Close the connection (after consume returned)."""


def make_broker(settings: Settings) -> Broker:
    """The backend `APP_QUEUE_BACKEND` names; each module imports only its own client library."""
    if settings.queue_backend == "rabbitmq":
        from homelab_app.brokers.rabbitmq import RabbitBroker
        return RabbitBroker(settings)
    if settings.queue_backend == "nats":
        from homelab_app.brokers.nats import NatsBroker
        return NatsBroker(settings)
    from homelab_app.brokers.kafka import KafkaBroker
    return KafkaBroker(settings)


async def handle_safely(handler: Handler, body: bytes) -> Task | None:
    """Decode and handle one message; None (and a log line) when the body is not a task at all."""
    try:
        task = Task.decode(body)
    except ValueError:
        excerpt = body[:200].decode(errors="replace")
        log.error("dropping a message that is not a task", extra={"body": excerpt})
        return None
    await handler(task)
    return task
