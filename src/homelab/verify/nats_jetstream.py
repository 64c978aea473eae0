"""NATS core request/reply and a JetStream stream round trip (nats-py).

Core NATS proves routing (publish to a subject and receive it); JetStream proves
persistence (a stream stores the message and gives it back). Set option
`jetstream: false` for a server that runs core NATS only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homelab.verify.base import Probe, ProbeFailure, expect, register, token

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


def credentials(target: Target) -> dict[str, Any]:
    """Server URL and credentials for nats.connect: nats-py does not decode a URL's percent-escapes,
    so the user name (or token) and password go decoded as arguments, the URL without them."""
    parts = target.parts
    server = parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]).geturl()
    if target.username is None:
        return {"servers": [server]}
    if target.password is None:
        return {"servers": [server], "token": target.username}
    return {"servers": [server], "user": target.username, "password": target.password}


@register
class NatsProbe(Probe):
    kind = "nats"
    aliases = ("jetstream",)
    default_port = 4222
    scheme = "nats"
    imports = ("nats", "nats.js")
    query_keys = frozenset({"jetstream"})  # TLS is the tls:// scheme

    async def check(self, target: Target) -> list[Step]:
        import nats
        from nats.errors import NoRespondersError, NoServersError
        from nats.js.errors import ServiceUnavailableError

        subject, body = token().replace("-", "."), token().encode()

        seen: list[Exception] = []

        async def failed(exc: Exception) -> None:  # nats-py reports connect errors here, then retries
            seen.append(exc)

        with self.step("connect"):
            try:
                client = await nats.connect(**credentials(target), connect_timeout=self.timeout,
                                            allow_reconnect=False, max_reconnect_attempts=1,
                                            reconnect_time_wait=0.05, error_cb=failed)
            except NoServersError as exc:
                raise (seen[-1] if seen else exc) from None
            version = client.connected_server_version
            self.note(f"nats-server {version.major}.{version.minor}.{version.patch}")
            # nats-py upgrades to TLS only when the server asks; a tls:// URL must not go plain.
            server_info = getattr(client, "_server_info", {})
            if target.parts.scheme == "tls" and not server_info.get("tls_required"):
                await client.close()
                raise ProbeFailure("asked for TLS (tls://) but the server speaks plain NATS on that port")
        try:
            with self.step("publish and receive"):
                sub = await client.subscribe(subject)
                await client.publish(subject, body)
                message = await sub.next_msg(timeout=self.timeout)
                expect(message.data == body, "received a different message than the one published")
                await sub.unsubscribe()
            if not target.flag("jetstream", default=True):
                return self.steps
            js = client.jetstream(timeout=self.timeout)
            stream = token().replace("-", "_")
            with self.step("create stream"):
                try:
                    await js.add_stream(name=stream, subjects=[f"{subject}.js"], max_msgs=10)
                except (NoRespondersError, ServiceUnavailableError) as exc:
                    raise ProbeFailure("JetStream is not enabled on this server "
                                       "(set options.jetstream: false to check core NATS only)") from exc
            try:
                with self.step("store"):
                    ack = await js.publish(f"{subject}.js", body, stream=stream)
                with self.step("read back"):
                    stored = await js.get_msg(stream, ack.seq)
                    expect(stored.data == body, "JetStream gave back a different message than the one stored")
            finally:
                with self.cleanup():
                    await js.delete_stream(stream)
        finally:
            await client.close()
        return self.steps
