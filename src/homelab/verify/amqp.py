"""AMQP 0-9-1 (RabbitMQ, LavinMQ) with aio-pika: publish to a private queue and get it back.

The queue is exclusive and auto-delete, named per run, and deleted at the end, so the
probe never touches the broker's real queues.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homelab.verify.base import Probe, expect, register, token

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@register
class AmqpProbe(Probe):
    kind = "rabbitmq"
    aliases = ("amqp", "amqps", "lavinmq")
    default_port = 5672
    scheme = "amqp"
    needs_credentials = True
    imports = ("aio_pika",)
    # aiormq reads these from the URL; its TLS settings only take effect on amqps://
    query_keys = frozenset({"auth", "heartbeat", "name", "timeout"})
    tls_schemes = frozenset({"amqps"})
    tls_query_keys = frozenset({"cafile", "capath", "cadata", "certfile", "keyfile", "no_verify_ssl"})

    async def check(self, target: Target) -> list[Step]:
        import aio_pika

        name, body = token(), token().encode()
        with self.step("connect"):
            connection = await aio_pika.connect(target.url, timeout=self.timeout)
            props = connection.transport.connection.server_properties if connection.transport else {}
            product, version = props.get("product", b"?"), props.get("version", b"?")
            self.note(f"{_text(product)} {_text(version)}")
        async with connection:
            channel = await connection.channel()
            with self.step("declare queue"):
                queue = await channel.declare_queue(name, exclusive=True, auto_delete=True)
            try:
                with self.step("publish"):
                    await channel.default_exchange.publish(aio_pika.Message(body), routing_key=name,
                                                           mandatory=True)
                with self.step("consume"):
                    message = await queue.get(timeout=self.timeout, fail=False)
                    expect(message is not None, "the published message never arrived in the queue")
                    assert message is not None
                    await message.ack()
                    expect(message.body == body, "the consumed message differs from the one published")
            finally:
                with self.cleanup():
                    await queue.delete(if_unused=False, if_empty=False)
        return self.steps


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
