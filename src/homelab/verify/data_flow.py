"""Scenario `data-flow`: the design's data path, stream -> processing -> database + object storage.

Produce a few events to the stream (Kafka protocol or NATS JetStream), consume them back,
store them in PostgreSQL and as one JSON-lines object in S3, then query both stores and
compare with what was produced; each step timed, every scratch object removed at the end.

URL: the stream (`kafka://host:9092` or `nats://host:4222`); options `database`
(a PostgreSQL URL) and `objects` (an S3 URL, `s3://key:secret@host:port[/bucket]`).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from homelab.verify.base import Probe, ProbeFailure, expect, expect_same, register, token
from homelab.verify.kafka import client_config
from homelab.verify.nats_jetstream import credentials
from homelab.verify.objectstore import s3_client
from homelab.verify.targets import Target

if TYPE_CHECKING:
    from homelab.verify.base import Step

EVENTS = 3


@register
class DataFlowScenario(Probe):
    kind = "data-flow"
    query_keys = frozenset({"database", "objects", "sasl_mechanism"})
    default_port = 9092
    scheme = "kafka"
    imports = ("psycopg", "nats", "confluent_kafka", "boto3")

    async def check(self, target: Target) -> list[Step]:
        import psycopg

        database, objects = target.option("database"), target.option("objects")
        if not database or not objects:
            raise ProbeFailure("data-flow needs options 'database' (PostgreSQL URL) and 'objects' (S3 URL)")
        run = token()
        events = [{"run": run, "seq": i, "reading": round(i * 1.5, 1)} for i in range(EVENTS)]
        name = run.replace("-", "_")
        with self.step("stream: produce and consume events"):
            consumed = await self._stream(target, name, [json.dumps(e).encode() for e in events])
            got = [json.loads(body) for body in consumed]
            expect_same(got, events, "consumed")
        store = Target(name=f"{target.name}-objects", kind="s3", url=str(objects))
        bucket, key = store.path.strip("/") or name.replace("_", "-"), f"{run}.jsonl"
        s3 = s3_client(store, self.timeout)
        async with await psycopg.AsyncConnection.connect(str(database), autocommit=True,
                                                         connect_timeout=max(1, int(self.timeout))) as db:
            try:
                with self.step("store in database"):
                    await db.execute(f'create table "{name}" (run text, seq int, reading float8)')
                    async with db.cursor() as cur:
                        await cur.executemany(f'insert into "{name}" values (%s, %s, %s)',
                                              [(e["run"], e["seq"], e["reading"]) for e in got])
                with self.step("store in object storage"):
                    lines = "".join(json.dumps(e) + "\n" for e in got).encode()
                    if not store.path.strip("/"):
                        await self.thread(s3.create_bucket, Bucket=bucket)
                    await self.thread(s3.put_object, Bucket=bucket, Key=key, Body=lines)
                with self.step("query database"):
                    cur = await db.execute(f'select run, seq, reading from "{name}" order by seq')
                    rows = [{"run": r[0], "seq": r[1], "reading": r[2]} for r in await cur.fetchall()]
                    expect_same(rows, events, "database gave back")
                with self.step("query object storage"):
                    body = await self.thread(lambda: s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                    expect_same([json.loads(line) for line in body.splitlines()], events, "object storage gave back")
            finally:
                with self.cleanup():
                    await db.execute(f'drop table if exists "{name}"')
                    await self.thread(self._drop_objects, s3, bucket, key, not store.path.strip("/"))
        return self.steps

    async def _stream(self, target: Target, name: str, bodies: list[bytes]) -> list[bytes]:
        """Produce `bodies` to a scratch topic/stream and read them back; the scratch is deleted."""
        if target.parts.scheme in ("nats", "tls"):
            return await self._jetstream(target, name, bodies)
        return await self.thread(self._kafka, target, name.replace("_", "-"), bodies)

    async def _jetstream(self, target: Target, name: str, bodies: list[bytes]) -> list[bytes]:
        import nats

        client = await nats.connect(**credentials(target), connect_timeout=self.timeout, allow_reconnect=False,
                                    max_reconnect_attempts=1, reconnect_time_wait=0.05)
        try:
            js = client.jetstream(timeout=self.timeout)
            await js.add_stream(name=name, subjects=[f"{name}.events"])
            try:
                for body in bodies:
                    await js.publish(f"{name}.events", body, stream=name)
                sub = await js.pull_subscribe(f"{name}.events", stream=name)
                messages = await sub.fetch(len(bodies), timeout=self.timeout)
                for message in messages:
                    await message.ack()
                return [m.data for m in messages]
            finally:
                await js.delete_stream(name)
        finally:
            await client.close()

    def _kafka(self, target: Target, topic: str, bodies: list[bytes]) -> list[bytes]:
        from confluent_kafka import Consumer, Producer, TopicPartition
        from confluent_kafka.admin import AdminClient, NewTopic

        config = client_config(target, self.timeout)
        admin = AdminClient(config)
        admin.create_topics([NewTopic(topic, 1, 1)], operation_timeout=self.timeout)[topic].result(self.timeout)
        try:
            producer = Producer(config)
            for body in bodies:
                producer.produce(topic, body)
            expect(producer.flush(self.timeout) == 0, "the broker did not acknowledge every event")
            consumer = Consumer({**config, "group.id": topic, "enable.auto.commit": False})
            try:
                consumer.assign([TopicPartition(topic, 0, 0)])
                got: list[bytes] = []
                deadline = time.monotonic() + self.timeout
                while len(got) < len(bodies) and time.monotonic() < deadline:
                    message = consumer.poll(0.2)
                    if message is not None and message.error() is None and (value := message.value()):
                        got.append(value)
                return got
            finally:
                consumer.close()
        finally:
            admin.delete_topics([topic], operation_timeout=self.timeout)[topic].result(self.timeout)

    @staticmethod
    def _drop_objects(s3: Any, bucket: str, key: str, own_bucket: bool) -> None:
        s3.delete_object(Bucket=bucket, Key=key)
        if own_bucket:
            s3.delete_bucket(Bucket=bucket)
