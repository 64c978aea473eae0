"""Kafka protocol (Apache Kafka, Redpanda, Strimzi, Tansu) with confluent-kafka: produce, consume.

The probe creates its own one-partition topic (or uses option `topic`), produces one
message, reads it back by assigning the partition at the produced offset (no consumer
group join, which can take many seconds), and deletes the topic it created.
`kafka://user:pass@host:9092` uses SASL (option `sasl_mechanism`, default PLAIN);
`kafkas://` turns on TLS.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from homelab.verify.base import Probe, ProbeFailure, expect, expect_same, register, token

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


def client_config(target: Target, timeout: float) -> dict[str, Any]:
    tls = target.parts.scheme == "kafkas"
    config: dict[str, Any] = {
        "bootstrap.servers": f"{target.host}:{target.port(9093 if tls else 9092)}",
        "socket.timeout.ms": int(timeout * 1000),
        "socket.connection.setup.timeout.ms": int(timeout * 1000),
        "reconnect.backoff.max.ms": 500,
        "security.protocol": ("SASL_SSL" if tls else "SASL_PLAINTEXT") if target.username else
                             ("SSL" if tls else "PLAINTEXT"),
        "log_level": 0,
    }
    if target.username:
        config.update({"sasl.mechanism": target.option("sasl_mechanism", "PLAIN"),
                       "sasl.username": target.username, "sasl.password": target.password or ""})
    return config


@register
class KafkaProbe(Probe):
    kind = "kafka"
    aliases = ("kafkas", "redpanda", "strimzi")
    default_port = 9092
    scheme = "kafka"
    imports = ("confluent_kafka", "confluent_kafka.admin")
    query_keys = frozenset({"sasl_mechanism", "topic"})  # TLS is the kafkas:// scheme

    async def check(self, target: Target) -> list[Step]:
        return await self.thread(self._round_trip, target)

    def _round_trip(self, target: Target) -> list[Step]:
        from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
        from confluent_kafka.admin import AdminClient, NewTopic

        config = client_config(target, self.timeout)
        admin = AdminClient(config)
        own_topic = target.option("topic") is None
        topic, body = target.option("topic") or token(), token().encode()
        with self.step("connect"):
            try:
                meta = admin.list_topics(timeout=self.timeout)
            except KafkaException as exc:
                raise ProbeFailure(f"no broker answered: {exc.args[0].str()}") from None
            self.note(f"{len(meta.brokers)} broker(s)")
        if own_topic:
            with self.step("create topic"):
                admin.create_topics([NewTopic(topic, 1, 1)], operation_timeout=self.timeout)[topic].result(
                    self.timeout)
        try:
            with self.step("produce"):
                delivered: list[Any] = []
                producer = Producer(config)
                producer.produce(topic, body, on_delivery=lambda err, msg: delivered.append((err, msg)))
                producer.flush(self.timeout)
                expect(bool(delivered), "the broker never acknowledged the message")
                error, message = delivered[0]
                expect(error is None, f"produce failed: {error}")
            with self.step("consume"):
                consumer = Consumer({**config, "group.id": token(), "enable.auto.commit": False})
                try:
                    consumer.assign([TopicPartition(topic, message.partition(), message.offset())])
                    got = None
                    deadline = time.monotonic() + self.timeout
                    while got is None and time.monotonic() < deadline:
                        polled = consumer.poll(0.2)
                        if polled is not None and polled.error() is None:
                            got = polled.value()
                    expect(got is not None, "the produced message never came back to a consumer")
                    expect_same(got, body)
                finally:
                    consumer.close()
        finally:
            if own_topic:
                with self.cleanup():
                    admin.delete_topics([topic], operation_timeout=self.timeout)[topic].result(self.timeout)
        return self.steps
