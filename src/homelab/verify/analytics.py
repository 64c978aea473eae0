"""SQL engines with HTTP APIs: ClickHouse (HTTP interface: create, insert, select, drop) and
Trino/Presto (the statement protocol: submit, follow `nextUri`, read the rows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homelab.verify.base import ProbeFailure, expect_same, register, token
from homelab.verify.web import HTTP_API_QUERY, HttpApiProbe, checked, client_for

if TYPE_CHECKING:
    import httpx

    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@register
class ClickHouseProbe(HttpApiProbe):
    """`http://user:pass@host:8123`; option `database` (default `default`)."""

    kind = "clickhouse"
    query_keys = HTTP_API_QUERY | {"database"}
    default_port = 8123

    async def check(self, target: Target) -> list[Step]:
        table = f"{target.option('database', 'default')}.{token().replace('-', '_')}"
        value = token()
        async with client_for(target, self.timeout) as client:

            async def sql(query: str, what: str) -> str:
                response = await client.post("/", content=query)
                if not response.is_success:
                    checked(response, what)  # raises with the status and ClickHouse's message
                return response.text.strip()

            with self.step("connect"):
                self.note(f"clickhouse {await sql('SELECT version()', 'version')}")
            with self.step("create table"):
                await sql(f"CREATE TABLE {table} (k String, v String) ENGINE = Memory", "create table")
            try:
                with self.step("write"):
                    await sql(f"INSERT INTO {table} VALUES ('probe', '{value}')", "insert")
                with self.step("read back"):
                    expect_same(await sql(f"SELECT v FROM {table} WHERE k = 'probe' FORMAT TabSeparated",
                                          "select"), value)
            finally:
                with self.cleanup():
                    await sql(f"DROP TABLE IF EXISTS {table}", "drop table")
        return self.steps


@register
class TrinoProbe(HttpApiProbe):
    """`http://user@host:8080`; with option `catalog` (e.g. `memory`) and `schema`, a write round trip."""

    kind = "trino"
    query_keys = HTTP_API_QUERY | {"catalog", "schema"}
    aliases = ("presto",)
    default_port = 8080

    async def check(self, target: Target) -> list[Step]:
        user = target.username or "homelab-verify"
        async with client_for(target, self.timeout) as client:
            client.headers.update({"X-Trino-User": user, "X-Presto-User": user})
            with self.step("query"):
                rows = await self._run(client, "SELECT 1")
                expect_same(rows, [[1]], "SELECT 1 returned")
            catalog = target.option("catalog")
            if catalog:
                schema, value = target.option("schema", "default"), token()
                table = f"{catalog}.{schema}.{token().replace('-', '_')}"
                with self.step("create table"):
                    await self._run(client, f"CREATE TABLE {table} (k varchar, v varchar)")
                try:
                    with self.step("write"):
                        await self._run(client, f"INSERT INTO {table} VALUES ('probe', '{value}')")
                    with self.step("read back"):
                        rows = await self._run(client, f"SELECT v FROM {table} WHERE k = 'probe'")
                        expect_same(rows, [[value]])
                finally:
                    with self.cleanup():
                        await self._run(client, f"DROP TABLE IF EXISTS {table}")
        return self.steps

    async def _run(self, client: httpx.AsyncClient, statement: str) -> list[list[Any]]:
        """Submit a statement and follow nextUri until the server says it is finished."""
        page = checked(await client.post("/v1/statement", content=statement), "statement")
        rows: list[list[Any]] = []
        while True:
            if page.get("error"):
                raise ProbeFailure(f"query failed: {page['error'].get('message', page['error'])}")
            rows.extend(page.get("data") or [])
            if not page.get("nextUri"):
                return rows
            page = checked(await client.get(page["nextUri"]), "statement page")
