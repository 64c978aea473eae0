"""Vector search: Qdrant with qdrant-client (async). Create a small collection, upsert three
points, search with one point's vector, expect that point first, drop the collection.

`http://host:6333` talks to a server (option `api_key`); `file:///path` runs Qdrant's local
mode in-process on that folder (what the tests use: no Qdrant server runs here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homelab.verify.base import Probe, expect, register, token

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target

POINTS = {1: [1.0, 0.0, 0.0, 0.0], 2: [0.0, 1.0, 0.0, 0.0], 3: [0.0, 0.0, 1.0, 0.0]}


@register
class QdrantProbe(Probe):
    kind = "qdrant"
    query_keys = frozenset({"api_key"})
    default_port = 6333
    scheme = "http"
    imports = ("qdrant_client",)

    async def check(self, target: Target) -> list[Step]:
        from qdrant_client import AsyncQdrantClient, models

        if target.parts.scheme == "file":
            client = AsyncQdrantClient(path=target.path)
        else:
            base = target.url.replace(target.parts.netloc, target.parts.netloc.rsplit("@", 1)[-1], 1)
            client = AsyncQdrantClient(url=base, api_key=target.option("api_key", target.password),
                                       timeout=max(1, int(self.timeout)), check_compatibility=False)
        name = token()
        try:
            with self.step("create collection"):
                await client.create_collection(name, vectors_config=models.VectorParams(
                    size=4, distance=models.Distance.COSINE))
            try:
                with self.step("upsert"):
                    await client.upsert(name, points=[models.PointStruct(id=i, vector=v, payload={"probe": i})
                                                      for i, v in POINTS.items()], wait=True)
                with self.step("search"):
                    found = await client.query_points(name, query=POINTS[2], limit=1)
                    ids = [p.id for p in found.points]
                    expect(ids == [2], f"nearest neighbour was {ids}, expected [2]")
            finally:
                with self.cleanup():
                    await client.delete_collection(name)
        finally:
            await client.close()
        return self.steps
