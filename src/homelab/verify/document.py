"""MongoDB (and FerretDB) with PyMongo's async client: insert, find, drop a scratch collection.

URL: a MongoDB connection string (`mongodb://user:pass@host:27017/db?authSource=admin`);
the database is the URL's path, `homelab_verify` when none is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homelab.redact import Redactor
from homelab.verify.base import Probe, expect_same, register, token

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@register
class MongoProbe(Probe):
    kind = "mongodb"
    query_keys = None  # PyMongo reads the whole URI; url_problem checks its options
    aliases = ("ferretdb",)
    default_port = 27017
    scheme = "mongodb"
    needs_credentials = True
    imports = ("pymongo",)

    @classmethod
    def url_problem(cls, target: Target) -> str | None:
        """PyMongo's own check of the URI's options (it would only warn about an unknown one)."""
        if target.parts.scheme != "mongodb":
            return None  # mongodb+srv: reading it needs DNS; PyMongo checks it when connecting
        from pymongo import uri_parser

        try:
            uri_parser.parse_uri(target.url, validate=True, warn=False)
        except Exception as exc:
            return "PyMongo cannot read the URL: " + Redactor(target.secrets)(str(exc).splitlines()[0])
        return None

    async def check(self, target: Target) -> list[Step]:
        from pymongo import AsyncMongoClient

        ms = int(self.timeout * 1000)
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            target.url, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms)
        collection = client[target.path.strip("/") or "homelab_verify"][token()]
        value = token()
        try:
            with self.step("connect"):
                info = await client.server_info()
                ferret = info.get("ferretdbVersion")  # FerretDB answers as the MongoDB version it speaks
                self.note(f"ferretdb {ferret}, mongodb {info.get('version', '?')} protocol" if ferret
                          else f"mongodb {info.get('version', '?')}")
            try:
                with self.step("write"):
                    await collection.insert_one({"_id": "probe", "value": value})
                with self.step("read back"):
                    found = await collection.find_one({"_id": "probe"})
                    expect_same(found and found.get("value"), value)
            finally:
                with self.cleanup():
                    await collection.drop()
        finally:
            await client.close()
        return self.steps
