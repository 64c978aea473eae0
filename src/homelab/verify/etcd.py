"""etcd v3 through its JSON gateway (httpx): put a key, read it back, delete it.

The gateway ships in every etcd v3 server (`/v3/kv/...`, base64 keys and values), so no
gRPC stack is needed. With a user name in the URL the probe authenticates first.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from homelab.verify.base import expect_same, register, token
from homelab.verify.web import HttpApiProbe, checked, client_for

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@register
class EtcdProbe(HttpApiProbe):
    kind = "etcd"
    default_port = 2379

    async def check(self, target: Target) -> list[Step]:
        key, value = f"/homelab-verify/{token()}", token()
        # etcd wants a token from /v3/auth/authenticate, not basic auth.
        async with client_for(target, self.timeout, basic_auth=False) as client:
            with self.step("connect"):
                version = checked(await client.get("/version"), "version")
                self.note(f"etcd {version.get('etcdserver', '?')}")
                if target.username:
                    login = checked(await client.post("/v3/auth/authenticate", json={
                        "name": target.username, "password": target.password or ""}), "authenticate")
                    client.headers["Authorization"] = login["token"]
            with self.step("write"):
                checked(await client.post("/v3/kv/put", json={"key": _b64(key), "value": _b64(value)}), "put")
            try:
                with self.step("read back"):
                    got = checked(await client.post("/v3/kv/range", json={"key": _b64(key)}), "range")
                    kvs = got.get("kvs") or [{}]
                    expect_same(base64.b64decode(kvs[0].get("value", "")).decode(), value)
            finally:
                with self.cleanup():
                    checked(await client.post("/v3/kv/deleterange", json={"key": _b64(key)}), "delete")
        return self.steps
