"""Development tools with HTTP APIs: MLflow (create, read, delete an experiment) and Jupyter
Server (API status, then write, read and delete a file through the contents API).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homelab.verify.base import expect, expect_same, register, token
from homelab.verify.web import HttpApiProbe, checked, client_for

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@register
class MlflowProbe(HttpApiProbe):
    kind = "mlflow"
    default_port = 5000

    async def check(self, target: Target) -> list[Step]:
        name = token()
        api = "/api/2.0/mlflow/experiments"
        async with client_for(target, self.timeout, strip=("/health",)) as client:
            with self.step("create experiment"):
                created = await client.post(f"{api}/create", json={"name": name})
                experiment_id = checked(created, "create experiment")["experiment_id"]
            try:
                with self.step("read back"):
                    got = checked(await client.get(f"{api}/get-by-name", params={"experiment_name": name}),
                                  "get experiment")
                    expect_same(got["experiment"]["experiment_id"], experiment_id)
            finally:
                with self.cleanup():
                    checked(await client.post(f"{api}/delete", json={"experiment_id": experiment_id}),
                            "delete experiment")
        return self.steps


@register
class JupyterProbe(HttpApiProbe):
    """`http://host:8888/?token=...` (or option `token`).

    A URL ending in `/hub/api` is a JupyterHub: without a user's token only the Hub's API
    answers, so the probe checks that (version) instead of writing through a user server.
    """

    kind = "jupyter"
    aliases = ("jupyterhub",)
    default_port = 8888

    async def check(self, target: Target) -> list[Step]:
        name, text = f"{token()}.txt", token()
        async with client_for(target, self.timeout) as client:
            if secret := target.option("token"):
                client.headers["Authorization"] = f"token {secret}"
            if target.path.rstrip("/").endswith("/hub/api"):
                with self.step("hub api"):
                    hub = checked(await client.get(""), "hub api")
                    expect("version" in hub, "the answer lacks 'version': is this a JupyterHub?")
                    self.note(f"jupyterhub {hub['version']}")
                return self.steps
            with self.step("api status"):
                version = checked(await client.get("/api"), "api")
                status = checked(await client.get("/api/status"), "api status")
                expect("started" in status, "the API status lacks 'started': is this a Jupyter Server?")
                self.note(f"jupyter-server {version.get('version', '?')}")
            with self.step("write"):
                checked(await client.put(f"/api/contents/{name}", json={
                    "type": "file", "format": "text", "content": text}), "write file")
            try:
                with self.step("read back"):
                    got = checked(await client.get(f"/api/contents/{name}", params={"content": 1}),
                                  "read file")
                    expect_same(got.get("content"), text)
            finally:
                with self.cleanup():
                    checked(await client.delete(f"/api/contents/{name}"), "delete file", ok=(204,))
        return self.steps
