"""SQL over the wire: PostgreSQL (psycopg 3, async) and the MySQL protocol (asyncmy).

The MySQL protocol probe covers MySQL, MariaDB, TiDB and Vitess (vtgate). Both probes
create a scratch table, write a row, read it back and drop the table: that proves
login, the database exists, and the user can write, not just that a port is open.
TLS: PostgreSQL takes libpq's own `sslmode` and friends from the URL; the MySQL probe reads
`ssl=true`, `ssl_mode` (DISABLED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY) and `ssl_ca`.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING
from urllib.parse import unquote

from homelab.redact import Redactor
from homelab.verify.base import Probe, expect_same, register, token

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@register
class PostgresProbe(Probe):
    kind = "postgresql"
    query_keys = None  # libpq reads the whole URL; url_problem checks it
    aliases = ("postgres", "cloudnative-pg", "cockroachdb")
    default_port = 5432
    scheme = "postgresql"
    needs_credentials = True
    imports = ("psycopg",)

    @classmethod
    def url_problem(cls, target: Target) -> str | None:
        """libpq's own reading of the URL (unknown query parameters, bad escapes), secrets masked."""
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        try:
            conninfo_to_dict(target.url)
        except psycopg.Error as exc:
            return "libpq cannot read the URL: " + Redactor(target.secrets)(str(exc).strip().splitlines()[0])
        return None

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
    query_keys = frozenset({"ssl", "ssl_mode", "ssl_ca"})
    aliases = ("mariadb", "tidb", "vitess", "percona")
    default_port = 3306
    scheme = "mysql"
    needs_credentials = True
    imports = ("asyncmy",)

    @classmethod
    def url_problem(cls, target: Target) -> str | None:
        return super().url_problem(target) or _tls_mode_problem(target)

    async def check(self, target: Target) -> list[Step]:
        import asyncmy

        table, value = token().replace("-", "_"), token()
        with self.step("connect"):
            conn = await asyncmy.connect(host=target.host, port=target.port(self.default_port),
                                         user=target.username or "root", password=target.password or "",
                                         database=unquote(target.path.strip("/")) or None,
                                         connect_timeout=self.timeout, autocommit=True, ssl=mysql_tls(target))
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


MYSQL_TLS_MODES = ("DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY")


def _tls_mode(target: Target) -> str:
    mode = str(target.option("ssl_mode", "")).upper().replace("-", "_")
    if mode:
        return mode
    if target.option("ssl_ca"):
        return "VERIFY_IDENTITY"
    return "REQUIRED" if target.flag("ssl") else "DISABLED"


def _tls_mode_problem(target: Target) -> str | None:
    mode = _tls_mode(target)
    if mode == "PREFERRED":
        return "ssl_mode PREFERRED would fall back to plain text unnoticed: say REQUIRED or DISABLED"
    if mode not in MYSQL_TLS_MODES:
        return f"ssl_mode '{mode[:30]}' is not one of {', '.join(MYSQL_TLS_MODES)}"
    return None


def mysql_tls(target: Target) -> ssl.SSLContext | None:
    """The TLS the target asks for: REQUIRED encrypts, VERIFY_CA checks the certificate, VERIFY_IDENTITY
    also the host name; a server without TLS then fails the probe instead of passing in plain text."""
    mode = _tls_mode(target)
    if mode == "DISABLED":
        return None
    context = ssl.create_default_context(cafile=target.option("ssl_ca"))
    if mode in ("REQUIRED", "VERIFY_CA"):
        context.check_hostname = False
    if mode == "REQUIRED":
        context.verify_mode = ssl.CERT_NONE
    return context
