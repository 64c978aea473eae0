"""LDAP (OpenLDAP, 389-ds, FreeIPA, Samba AD) with ldap3: bind, search, optionally write.

URL: `ldap://host:389/<base DN>` (or `ldaps://`); the bind DN comes from option
`bind_dn` (or the URL's user name), the password from the URL or option `password`.
With `write: true` the probe also adds a scratch `device` entry under the base, reads
it back and deletes it, which proves the directory accepts changes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING
from urllib.parse import unquote

from homelab.verify.base import Probe, ProbeFailure, expect, register, token

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@register
class LdapProbe(Probe):
    kind = "ldap"
    query_keys = frozenset({"bind_dn", "password", "write"})  # TLS is ldaps://
    aliases = ("ldaps", "openldap", "389ds", "freeipa")
    default_port = 389
    scheme = "ldap"
    needs_credentials = True
    imports = ("ldap3",)

    async def check(self, target: Target) -> list[Step]:
        import ldap3

        tls = target.parts.scheme == "ldaps"
        server = ldap3.Server(target.host, port=target.port(636 if tls else self.default_port), use_ssl=tls,
                              connect_timeout=self.timeout, get_info=ldap3.NONE)
        base = unquote(target.path.lstrip("/"))
        conn = ldap3.Connection(server, user=target.option("bind_dn", target.username),
                                password=target.option("password", target.password),
                                receive_timeout=math.ceil(self.timeout), raise_exceptions=False)
        try:
            with self.step("bind"):
                if not await self.thread(conn.bind):
                    raise ProbeFailure(f"bind refused: {conn.result.get('description')} "
                                       f"{conn.result.get('message') or ''}".strip())
            with self.step("search"):
                found = await self.thread(conn.search, base, "(objectClass=*)", search_scope=ldap3.BASE,
                                          attributes=["objectClass"])
                expect(found and len(conn.entries) == 1,
                       f"base '{base}' not found: {conn.result.get('description')}")
            if target.flag("write"):
                await self._round_trip(conn, base)
        finally:
            await self.thread(conn.unbind)
        return self.steps

    async def _round_trip(self, conn: object, base: str) -> None:
        import ldap3

        assert isinstance(conn, ldap3.Connection)
        name = token()
        dn = f"cn={name},{base}"
        with self.step("write"):
            added = await self.thread(conn.add, dn, ["device"], {"description": name})
            expect(added, f"add refused: {conn.result.get('description')} {conn.result.get('message') or ''}")
        try:
            with self.step("read back"):
                await self.thread(conn.search, dn, "(objectClass=device)", search_scope=ldap3.BASE,
                                  attributes=["description"])
                values = [str(e.description) for e in conn.entries]
                expect(values == [name], f"read back {values!r}, not the entry written")
        finally:
            with self.cleanup():
                await self.thread(conn.delete, dn)
