"""Graph databases: Bolt (Neo4j, Memgraph) with the neo4j async driver, and Dgraph over HTTP.

Both create one node carrying a unique value, read it back by that value, and delete it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homelab.verify.base import Probe, expect, expect_same, register, token
from homelab.verify.web import HttpApiProbe, checked, client_for

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@register
class BoltProbe(Probe):
    """`bolt://user:pass@host:7687` (or `neo4j://`, `bolt+s://`); option `database`."""

    kind = "neo4j"
    query_keys = frozenset({"database"})  # TLS is bolt+s:// or neo4j+s://
    aliases = ("bolt", "memgraph")
    default_port = 7687
    scheme = "bolt"
    needs_credentials = True
    imports = ("neo4j",)

    async def check(self, target: Target) -> list[Step]:
        from neo4j import AsyncGraphDatabase

        value = token()
        uri = target.url.replace(target.parts.netloc, target.parts.netloc.rsplit("@", 1)[-1], 1)
        auth = (target.username or "", target.password or "") if target.username else None
        driver = AsyncGraphDatabase.driver(uri, auth=auth, connection_timeout=self.timeout,
                                           max_transaction_retry_time=0)
        database = target.option("database")
        try:
            with self.step("connect"):
                info = await driver.get_server_info()
                self.note(f"{info.agent}")
            with self.step("write"):
                await driver.execute_query("CREATE (:HomelabVerify {probe: $v})", v=value, database_=database)
            try:
                with self.step("read back"):
                    records, _, _ = await driver.execute_query(
                        "MATCH (n:HomelabVerify {probe: $v}) RETURN n.probe AS probe", v=value,
                        database_=database)
                    expect_same([r["probe"] for r in records], [value])
            finally:
                with self.cleanup():
                    await driver.execute_query("MATCH (n:HomelabVerify {probe: $v}) DETACH DELETE n", v=value,
                                               database_=database)
        finally:
            await driver.close()
        return self.steps


@register
class DgraphProbe(HttpApiProbe):
    """`http://host:8080` (Dgraph Alpha HTTP); option `token` for an ACL/API token."""

    kind = "dgraph"
    default_port = 8080

    async def check(self, target: Target) -> list[Step]:
        value = token()
        async with client_for(target, self.timeout) as client:
            with self.step("write"):
                done = checked(await client.post("/mutate", params={"commitNow": "true"},
                                                  json={"set": [{"homelab_verify": value}]}), "mutate")
                uids = list((done.get("data") or {}).get("uids", {}).values())
                expect(len(uids) == 1, f"mutation returned {len(uids)} uids, expected 1")
            try:
                with self.step("read back"):
                    query = f"{{ q(func: uid({uids[0]})) {{ homelab_verify }} }}"
                    got = checked(await client.post("/query", content=query,
                                                     headers={"Content-Type": "application/dql"}), "query")
                    nodes = (got.get("data") or {}).get("q", [])
                    expect_same([n.get("homelab_verify") for n in nodes], [value])
            finally:
                with self.cleanup():
                    checked(await client.post("/mutate", params={"commitNow": "true"},
                                              json={"delete": [{"uid": uids[0]}]}), "delete")
        return self.steps
