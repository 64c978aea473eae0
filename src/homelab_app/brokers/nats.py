"""NATS JetStream: a work-queue stream, one durable pull consumer shared by all workers.

A message stays in the stream until a worker acks it; if the worker dies, JetStream redelivers it
after `ack_wait`. A long task keeps its claim by sending in-progress heartbeats while it works.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StreamConfig
from nats.js.errors import BadRequestError

from homelab_app.brokers import Handler, handle_safely
from homelab_app.resilience import connect_with_backoff
from homelab_app.settings import Settings
from homelab_app.tasks import Task

log = logging.getLogger("homelab_app.nats")
DURABLE = "workers"


class NatsBroker:
    transient: tuple[type[BaseException], ...] = (nats.errors.Error, ConnectionError, TimeoutError)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stream = settings.queue_name
        self.subject = f"{settings.queue_name}.tasks"
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None

    async def connect(self) -> None:
        async def attempt() -> Client:
            return await nats.connect(self.settings.queue_url, connect_timeout=5, allow_reconnect=True,
                                      max_reconnect_attempts=-1, reconnect_time_wait=1)
        self._nc = await connect_with_backoff("nats", attempt, self.settings.connect_timeout_seconds)
        self._js = self._nc.jetstream(timeout=5)
        config = StreamConfig(name=self.stream, subjects=[self.subject], retention=RetentionPolicy.WORK_QUEUE)
        try:
            await self._js.add_stream(config)
        except BadRequestError:  # exists with another config (e.g. an operator's limits): use it as it is
            log.info("using the existing stream", extra={"stream": self.stream})

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("NatsBroker.connect() was not called")
        return self._js

    async def publish(self, task: Task) -> None:
        await self.js.publish(self.subject, task.encode(), stream=self.stream,
                              headers={"Nats-Msg-Id": str(task.task_id)})

    async def consume(self, handler: Handler, stop: asyncio.Event) -> None:
        config = ConsumerConfig(durable_name=DURABLE, ack_policy=AckPolicy.EXPLICIT,
                                ack_wait=self.settings.ack_wait_seconds, max_ack_pending=100)
        subscription = await self.js.pull_subscribe(self.subject, durable=DURABLE, stream=self.stream,
                                                    config=config)
        while not stop.is_set():
            try:
                messages = await subscription.fetch(1, timeout=1)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            except nats.errors.Error as exc:  # reconnecting: the client retries underneath
                log.warning("fetch failed", extra={"error": repr(exc)})
                await asyncio.sleep(1)
                continue
            for message in messages:
                await self._handle(handler, message)

    async def _handle(self, handler: Handler, message: Msg) -> None:
        heartbeat = asyncio.create_task(self._keep_claim(message))
        try:
            await handle_safely(handler, message.data)
        except Exception:
            log.exception("task failed; asking for redelivery")
            await message.nak(delay=1)
            return
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        await message.ack_sync(timeout=5)

    async def _keep_claim(self, message: Msg) -> None:
        while True:
            await asyncio.sleep(self.settings.ack_wait_seconds / 3)
            await message.in_progress()

    async def depth(self) -> int:
        info = await self.js.stream_info(self.stream)
        return info.state.messages

    async def ping(self) -> None:
        if self._nc is None or not self._nc.is_connected:
            raise ConnectionError("not connected to NATS")
        await self._nc.flush(timeout=2)

    async def close(self) -> None:
        if self._nc is not None:
            await self._nc.close()
