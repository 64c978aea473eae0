"""SQL over the wire: PostgreSQL (psycopg 3, async) and the MySQL protocol (asyncmy).

The MySQL protocol probe covers MySQL, MariaDB, TiDB and Vitess (vtgate). Both probes
create a scratch table, write a row, read it back and drop the table: that proves
login, the database exists, and the user can write, not just that a port is open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homelab.verify.base import Probe, expect_same, register, token

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@register
class PostgresProbe(Probe):
    kind = "postgresql"
    aliases = ("postgres", "cloudnative-pg", "cockroachdb")
    default_port = 5432
    scheme = "postgresql"
    needs_credentials = True
    imports = ("psycopg",)

    async def check(self, target: Target) -> list[Step]:
        import psycopg

        table, value = token().replace("-", "_"), token()
        with self.step("connect"):
            conn = await psycopg.AsyncConnection.connect(target.url, autocommit=True,
                                                         connect_timeout=max(1, int(self.timeout)))
            self.note(f"PostgreSQL {conn.info.parameter_status('server_version') or '?'}")
        async with conn:
            with self.step("create table"):
                await conn.execute(f'create table "{table}" (k text primary key, v text not null)')
            try:
                with self.step("write"):
                    await conn.execute(f'insert into "{table}" values (%s, %s)', ("probe", value))
                with self.step("read back"):
                    cur = await conn.execute(f'select v from "{table}" where k = %s', ("probe",))
                    row = await cur.fetchone()
                    expect_same(row and row[0], value)
            finally:
                with self.cleanup():
                    await conn.execute(f'drop table if exists "{table}"')
        return self.steps


@register
class MysqlProbe(Probe):
    kind = "mysql"
    aliases = ("mariadb", "tidb", "vitess", "percona")
    default_port = 3306
    scheme = "mysql"
    needs_credentials = True
    imports = ("asyncmy",)

    async def check(self, target: Target) -> list[Step]:
        import asyncmy

        table, value = token().replace("-", "_"), token()
        with self.step("connect"):
            conn = await asyncmy.connect(host=target.host, port=target.port(self.default_port),
                                         user=target.username or "root", password=target.password or "",
                                         database=target.path.strip("/") or None,
                                         connect_timeout=self.timeout, autocommit=True)
            self.note(f"MySQL protocol {conn.get_server_info()}")
        try:
            async with conn.cursor() as cur:
                with self.step("create table"):
                    await cur.execute(f"create table `{table}` (k varchar(16) primary key, v text not null)")
                try:
                    with self.step("write"):
                        await cur.execute(f"insert into `{table}` values (%s, %s)", ("probe", value))
                    with self.step("read back"):
                        await cur.execute(f"select v from `{table}` where k = %s", ("probe",))
                        row = await cur.fetchone()
                        expect_same(row and row[0], value)
                finally:
                    with self.cleanup():
                        await cur.execute(f"drop table if exists `{table}`")
        finally:
            conn.close()
        return self.steps
