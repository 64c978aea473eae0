"""OpenFGA over HTTP: create a scratch store and model, write a tuple, check it is allowed,
check an unrelated user is not, delete the store. Option `token` for a preshared key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homelab.verify.base import expect, register, token
from homelab.verify.web import HttpApiProbe, checked, client_for

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target

MODEL: dict[str, Any] = {
    "schema_version": "1.1",
    "type_definitions": [
        {"type": "user"},
        {"type": "document", "relations": {"reader": {"this": {}}},
         "metadata": {"relations": {"reader": {"directly_related_user_types": [{"type": "user"}]}}}},
    ],
}


@register
class OpenFgaProbe(HttpApiProbe):
    kind = "openfga"
    default_port = 8080

    async def check(self, target: Target) -> list[Step]:
        document = f"document:{token()}"
        allowed = {"user": "user:probe", "relation": "reader", "object": document}
        async with client_for(target, self.timeout) as client:
            with self.step("create store"):
                store = checked(await client.post("/stores", json={"name": token()}), "create store")["id"]
            try:
                with self.step("write model"):
                    model = checked(await client.post(f"/stores/{store}/authorization-models", json=MODEL),
                                    "write model")["authorization_model_id"]
                with self.step("write tuple"):
                    checked(await client.post(f"/stores/{store}/write", json={
                        "writes": {"tuple_keys": [allowed]}, "authorization_model_id": model}), "write tuple")
                with self.step("check"):
                    yes = checked(await client.post(f"/stores/{store}/check", json={
                        "tuple_key": allowed, "authorization_model_id": model}), "check")
                    no = checked(await client.post(f"/stores/{store}/check", json={
                        "tuple_key": {**allowed, "user": "user:stranger"}, "authorization_model_id": model}),
                        "check")
                    expect(yes.get("allowed") is True, "the written tuple is not allowed")
                    expect(no.get("allowed") is False, "an unrelated user is allowed")
            finally:
                with self.cleanup():
                    checked(await client.delete(f"/stores/{store}"), "delete store", ok=(204,))
        return self.steps
