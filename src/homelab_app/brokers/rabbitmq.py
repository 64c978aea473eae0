"""RabbitMQ over AMQP 0-9-1 with aio-pika: a durable queue, persistent messages, manual acks.

The robust connection reconnects by itself after a broker restart; publisher confirms make
`publish` return only once the broker holds the message.
"""

from __future__ import annotations

import asyncio
import logging

import aio_pika
from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)

from homelab_app.brokers import Handler, handle_safely
from homelab_app.resilience import connect_with_backoff
from homelab_app.settings import Settings
from homelab_app.tasks import Task

log = logging.getLogger("homelab_app.rabbitmq")


class RabbitBroker:
    transient: tuple[type[BaseException], ...] = (*aio_pika.exceptions.CONNECTION_EXCEPTIONS,
                                                  asyncio.TimeoutError)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._queue: AbstractQueue | None = None

    async def connect(self) -> None:
        async def attempt() -> AbstractRobustConnection:
            return await aio_pika.connect_robust(self.settings.queue_url, timeout=5)
        timeout = self.settings.connect_timeout_seconds
        self._connection = await connect_with_backoff("rabbitmq", attempt, timeout)
        channel = await self._connection.channel(publisher_confirms=True)
        assert isinstance(channel, AbstractRobustChannel)
        self._channel = channel
        self._queue = await channel.declare_queue(self.settings.queue_name, durable=True)

    @property
    def channel(self) -> AbstractRobustChannel:
        if self._channel is None:
            raise RuntimeError("RabbitBroker.connect() was not called")
        return self._channel

    async def publish(self, task: Task) -> None:
        message = aio_pika.Message(task.encode(), message_id=str(task.task_id),
                                   content_type="application/json",
                                   delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        await self.channel.default_exchange.publish(message, routing_key=self.settings.queue_name, timeout=5)

    async def consume(self, handler: Handler, stop: asyncio.Event) -> None:
        await self.channel.set_qos(prefetch_count=1)
        queue = await self.channel.declare_queue(self.settings.queue_name, durable=True)
        in_flight: set[asyncio.Task[None]] = set()

        async def on_message(message: AbstractIncomingMessage) -> None:
            current = asyncio.current_task()
            assert current is not None
            in_flight.add(current)
            try:
                await handle_safely(handler, message.body)
                await message.ack()
            except Exception:
                log.exception("task failed; returning it to the queue")
                await asyncio.sleep(1)
                await message.nack(requeue=True)
            finally:
                in_flight.discard(current)

        tag = await queue.consume(on_message)
        await stop.wait()
        await queue.cancel(tag)  # no new deliveries; finish the one in hand, then ack it
        if in_flight:
            await asyncio.wait(in_flight, timeout=self.settings.shutdown_seconds)

    async def depth(self) -> int:
        # The robust channel caches declarations; ask the broker itself for the current count.
        underlay = await self.channel.get_underlay_channel()
        declared = await underlay.queue_declare(self.settings.queue_name, passive=True)
        return declared.message_count or 0

    async def ping(self) -> None:
        await asyncio.wait_for(self.depth(), timeout=2)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
