"""Kafka with confluent-kafka (librdkafka): one topic, one consumer group, offsets committed by hand.

The worker commits a task's offset only after the handler returned, so a worker that dies mid-task
leaves the offset behind and the group's next member reads the task again. librdkafka's calls block,
so each runs in a thread; one consumer is only ever called from one task at a time.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from homelab_app.brokers import Handler, handle_safely
from homelab_app.resilience import connect_with_backoff
from homelab_app.settings import Settings
from homelab_app.tasks import Task

log = logging.getLogger("homelab_app.kafka")
GROUP = "request-path-workers"


class KafkaBroker:
    transient: tuple[type[BaseException], ...] = (KafkaException,)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topic = settings.queue_name
        self._base: dict[str, Any] = {"bootstrap.servers": settings.queue_url}
        self._producer: Producer | None = None
        self._offsets: Consumer | None = None  # never subscribes: only reads the group's committed offsets

    async def connect(self) -> None:
        async def attempt() -> None:
            await asyncio.to_thread(self._setup)
        await connect_with_backoff("kafka", attempt, self.settings.connect_timeout_seconds)

    def _setup(self) -> None:
        admin = AdminClient(self._base)
        wanted = NewTopic(self.topic, num_partitions=1, replication_factor=1)
        for future in admin.create_topics([wanted]).values():
            try:
                future.result(10)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise
        self._producer = Producer({**self._base, "acks": "all", "linger.ms": 0})
        self._producer.list_topics(self.topic, timeout=5)
        self._offsets = Consumer({**self._base, "group.id": GROUP, "enable.auto.commit": False})

    @property
    def producer(self) -> Producer:
        if self._producer is None:
            raise RuntimeError("KafkaBroker.connect() was not called")
        return self._producer

    async def publish(self, task: Task) -> None:
        await asyncio.to_thread(self._produce, task)

    def _produce(self, task: Task) -> None:
        failures: list[KafkaError] = []

        def delivered(error: KafkaError | None, _: Message) -> None:
            if error is not None:
                failures.append(error)

        self.producer.produce(self.topic, task.encode(), key=task.key.encode(), on_delivery=delivered)
        if self.producer.flush(10) or failures:
            raise KafkaException(failures[0] if failures else "delivery timed out")

    async def consume(self, handler: Handler, stop: asyncio.Event) -> None:
        consumer = Consumer({**self._base, "group.id": GROUP, "enable.auto.commit": False,
                             "auto.offset.reset": "earliest", "session.timeout.ms": 10000,
                             "heartbeat.interval.ms": 1000})
        consumer.subscribe([self.topic])
        try:
            while not stop.is_set():
                message = await asyncio.to_thread(consumer.poll, 1.0)
                if message is None:
                    continue
                if message.error():
                    log.warning("consume error", extra={"error": str(message.error())})
                    continue
                try:
                    await handle_safely(handler, message.value() or b"")
                except Exception:
                    log.exception("task failed; reading it again")
                    partition, offset = message.partition(), message.offset()
                    assert partition is not None and offset is not None
                    consumer.seek(TopicPartition(self.topic, partition, offset))
                    await asyncio.sleep(1)
                    continue
                await asyncio.to_thread(consumer.commit, message=message, asynchronous=False)
        finally:
            await asyncio.to_thread(consumer.close)  # leaves the group at once, so others take over

    async def depth(self) -> int:
        return await asyncio.to_thread(self._depth)

    def _depth(self) -> int:
        assert self._offsets is not None
        topic = self.producer.list_topics(self.topic, timeout=2).topics[self.topic]
        partitions = [TopicPartition(self.topic, p) for p in topic.partitions]
        waiting = 0
        for committed in self._offsets.committed(partitions, timeout=2):
            low, high = self._offsets.get_watermark_offsets(committed, timeout=2)
            waiting += high - (committed.offset if committed.offset >= 0 else low)
        return waiting

    async def ping(self) -> None:
        await asyncio.to_thread(self.producer.list_topics, self.topic, timeout=2)

    async def close(self) -> None:
        if self._producer is not None:
            await asyncio.to_thread(self._producer.flush, 5)
            self._producer = None  # librdkafka stops its threads when the handle is freed
        if self._offsets is not None:
            await asyncio.to_thread(self._offsets.close)
            self._offsets = None
