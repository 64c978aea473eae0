"""MQTT (Mosquitto, EMQX, VerneMQ) with aiomqtt: subscribe, publish at QoS 1, receive.

The topic is unique per run and nothing is retained, so the broker keeps no trace.
`mqtts://` turns on TLS with the system's trust store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homelab.verify.base import Probe, ProbeFailure, expect, register, token

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@register
class MqttProbe(Probe):
    kind = "mqtt"
    aliases = ("mqtts", "mosquitto", "emqx", "vernemq")
    default_port = 1883
    scheme = "mqtt"
    imports = ("aiomqtt",)

    async def check(self, target: Target) -> list[Step]:
        import contextlib
        import logging
        import ssl

        import aiomqtt

        topic, body = f"homelab/verify/{token()}", token().encode()
        tls = ssl.create_default_context() if target.parts.scheme == "mqtts" else None
        port = target.port(8883 if tls else self.default_port)
        client = aiomqtt.Client(target.host, port, username=target.username, password=target.password,
                                identifier=token(), timeout=self.timeout, tls_context=tls,
                                logger=logging.getLogger(__name__))
        async with contextlib.AsyncExitStack() as stack:
            with self.step("connect"):
                try:
                    await stack.enter_async_context(client)
                except aiomqtt.MqttError as exc:
                    if tls and "reset" in str(exc).lower():
                        raise ProbeFailure("TLS handshake failed: the server reset the connection "
                                           "(plain MQTT on that port?)") from exc
                    raise
            with self.step("subscribe"):
                await client.subscribe(topic, qos=1)
            with self.step("publish and receive"):
                await client.publish(topic, body, qos=1)
                async for message in client.messages:
                    expect(message.payload == body, "received a different message than the one published")
                    break
        return self.steps
