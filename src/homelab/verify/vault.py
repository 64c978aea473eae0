"""Vault and OpenBao with hvac (blocking, in a thread): unsealed and initialised, token valid,
then a KV write, read back and delete under a scratch path.

URL: `http://host:8200` (or https); the token from option `token` or the URL's password;
option `mount` (default `secret`) and `kv_version` (default 2). Option `refs`, a list of
`path#property` (as an ExternalSecret's remoteRef key and property), adds a step that reads each as
External Secrets would and fails naming any that is missing or empty; values are never shown. (Not
named `secrets`: options with secret-like names are masked in every message, and these are names.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homelab.verify.base import Probe, expect, expect_same, register, token
from homelab.verify.web import verified

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@register
class VaultProbe(Probe):
    kind = "vault"
    query_keys = frozenset({"token", "mount", "kv_version"})
    aliases = ("openbao",)
    default_port = 8200
    scheme = "http"
    imports = ("hvac",)

    async def check(self, target: Target) -> list[Step]:
        return await self.thread(self._round_trip, target)

    def _round_trip(self, target: Target) -> list[Step]:
        import hvac

        base = target.url.replace(target.parts.netloc, target.parts.netloc.rsplit("@", 1)[-1], 1).rstrip("/")
        client = hvac.Client(url=base, token=target.option("token", target.password), timeout=self.timeout,
                             verify=verified(target))
        mount, path, value = target.option("mount", "secret"), token(), token()
        v2 = int(target.option("kv_version", 2)) == 2
        kv = client.secrets.kv.v2 if v2 else client.secrets.kv.v1
        with self.step("health"):
            expect(client.sys.is_initialized(), "not initialised")
            expect(not client.sys.is_sealed(), "sealed")
        with self.step("authenticate"):
            expect(client.is_authenticated(), "the token is not valid")
        with self.step("write"):
            kv.create_or_update_secret(path=path, secret={"probe": value}, mount_point=mount)
        try:
            with self.step("read back"):
                if v2:
                    data = kv.read_secret_version(path=path, mount_point=mount,
                                                  raise_on_deleted_version=True)["data"]["data"]
                else:
                    data = kv.read_secret(path=path, mount_point=mount)["data"]
                expect_same(data.get("probe"), value)
        finally:
            with self.cleanup():
                if v2:
                    kv.delete_metadata_and_all_versions(path=path, mount_point=mount)
                else:
                    kv.delete_secret(path=path, mount_point=mount)
        if wanted := target.option("refs"):
            with self.step("read secrets"):
                missing = [ref for ref in wanted if not self._property(kv, v2, mount, ref)]
                expect(not missing, f"missing or empty: {', '.join(missing)}")
                self.note(f"{len(wanted)} secret(s) present")
        return self.steps

    @staticmethod
    def _property(kv: Any, v2: bool, mount: str, ref: str) -> bool:
        """Whether `path#property` holds a non-empty value (a path without `#property`: any data)."""
        import hvac

        path, _, prop = ref.partition("#")
        try:
            data = (kv.read_secret_version(path=path, mount_point=mount, raise_on_deleted_version=True)["data"]["data"]
                    if v2 else kv.read_secret(path=path, mount_point=mount)["data"])
        except hvac.exceptions.InvalidPath:
            return False
        return bool(data.get(prop)) if prop else bool(data)
