"""Object storage: S3 (MinIO, Ceph RGW, SeaweedFS, Swift s3api) with boto3, the Swift API with
python-swiftclient, and Azure Blob (Azurite) with azure-storage-blob; all blocking clients,
run in threads.

Each probe creates its own bucket/container (or uses option `bucket`/`container`), puts
an object, reads it back, and deletes what it created.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from homelab.verify.base import Probe, expect_same, register, token

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


_BOTO_LOCK = threading.Lock()  # boto3's default session is not safe to create clients from concurrently
_BOTO_READY = False


def _endpoint(target: Target, default_port: int) -> str:
    """`s3://key:secret@host:port` -> http://host:port; `s3s://` or `https://` -> https."""
    secure = target.parts.scheme in ("s3s", "https", "swifts", "azure-blobs")
    return f"{'https' if secure else 'http'}://{target.host}:{target.port(443 if secure else default_port)}"


def s3_client(target: Target, timeout: float) -> Any:
    """A boto3 S3 client for `s3://key:secret@host:port` (path-style, one attempt, bounded waits)."""
    import boto3
    from botocore.config import Config

    S3Probe.prepare()
    config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1},
                    s3={"addressing_style": "path"})
    with _BOTO_LOCK:
        return boto3.client("s3", endpoint_url=_endpoint(target, S3Probe.default_port), config=config,
                            aws_access_key_id=target.username, aws_secret_access_key=target.password,
                            region_name=target.option("region", "us-east-1"))


@register
class S3Probe(Probe):
    kind = "s3"
    query_keys = frozenset({"region", "bucket"})
    aliases = ("s3s", "minio", "ceph-rgw", "seaweedfs", "garage")
    default_port = 9000
    scheme = "s3"
    needs_credentials = True

    @classmethod
    def prepare(cls) -> None:
        """Load botocore's S3 service model once (seconds of JSON parsing, not network time)."""
        with _BOTO_LOCK:
            global _BOTO_READY
            if not _BOTO_READY:
                import boto3

                boto3.client("s3", region_name="us-east-1", aws_access_key_id="-", aws_secret_access_key="-")
                _BOTO_READY = True

    async def check(self, target: Target) -> list[Step]:
        return await self.thread(self._round_trip, target)

    def _round_trip(self, target: Target) -> list[Step]:
        s3 = s3_client(target, self.timeout)
        given = target.path.strip("/") or target.option("bucket")
        bucket, key, body = given or token(), token(), token().encode()
        with self.step("create bucket" if not given else "connect"):
            if given:
                s3.head_bucket(Bucket=bucket)
            else:
                s3.create_bucket(Bucket=bucket)
        try:
            with self.step("write"):
                s3.put_object(Bucket=bucket, Key=key, Body=body)
            with self.step("read back"):
                expect_same(s3.get_object(Bucket=bucket, Key=key)["Body"].read(), body)
        finally:
            with self.cleanup():
                s3.delete_object(Bucket=bucket, Key=key)
                if not given:
                    s3.delete_bucket(Bucket=bucket)
        return self.steps


@register
class SwiftProbe(Probe):
    """`swift://user:key@host:port/auth/v1.0` (tempauth, v1); option `auth_version: 3` for Keystone."""

    kind = "swift"
    query_keys = frozenset({"auth_version", "container"})
    aliases = ("swifts",)
    default_port = 8080
    scheme = "swift"
    needs_credentials = True
    imports = ("swiftclient.client",)

    async def check(self, target: Target) -> list[Step]:
        return await self.thread(self._round_trip, target)

    def _round_trip(self, target: Target) -> list[Step]:
        from swiftclient.client import Connection

        authurl = _endpoint(target, self.default_port) + (target.path or "/auth/v1.0")
        conn = Connection(authurl=authurl, user=target.username, key=target.password, retries=0,
                          timeout=self.timeout, auth_version=str(target.option("auth_version", "1")),
                          os_options=target.option("os_options", {}))
        container, name, body = target.option("container") or token(), token(), token().encode()
        with self.step("authenticate"):
            conn.get_auth()
        with self.step("create container"):
            conn.put_container(container)
        try:
            with self.step("write"):
                conn.put_object(container, name, contents=body)
            with self.step("read back"):
                expect_same(conn.get_object(container, name)[1], body)
        finally:
            with self.cleanup():
                conn.delete_object(container, name)
                if not target.option("container"):
                    conn.delete_container(container)
        conn.close()
        return self.steps


@register
class AzureBlobProbe(Probe):
    """`azure-blob://account:key@host:port` (Azurite: path-style account URL); the key may be an option."""

    kind = "azure-blob"
    query_keys = frozenset({"account", "account_key"})
    aliases = ("azure-blobs", "azurite")
    default_port = 10000
    scheme = "azure-blob"
    needs_credentials = True
    imports = ("azure.storage.blob",)

    async def check(self, target: Target) -> list[Step]:
        return await self.thread(self._round_trip, target)

    def _round_trip(self, target: Target) -> list[Step]:
        from azure.storage.blob import BlobServiceClient

        account = target.username or target.option("account")
        key = target.option("account_key", target.password)
        account_url = f"{_endpoint(target, self.default_port)}/{account}"
        service = BlobServiceClient(account_url, credential={"account_name": account, "account_key": key},
                                    connection_timeout=self.timeout, read_timeout=self.timeout,
                                    retry_total=0)
        container, name, body = token(), token(), token().encode()
        with self.step("create container"):
            client = service.create_container(container)
        try:
            with self.step("write"):
                client.upload_blob(name, body)
            with self.step("read back"):
                expect_same(client.download_blob(name).readall(), body)
        finally:
            with self.cleanup():
                client.delete_container()
        return self.steps
