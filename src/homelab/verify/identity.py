"""OIDC providers (Keycloak, Dex, Authentik, Zitadel) over HTTP: discovery document, signing
keys, and, when a client is configured, a client-credentials token.

URL: the issuer (`https://sso.example.net/realms/homelab`, `https://dex.example.net/dex`), or
its discovery document's URL. Option `issuer` is the issuer clients expect (it differs from an
in-cluster address); `client_id` and `client_secret` (as `${ENV}` references) add the token step:
a client-credentials grant, or the password grant when `username` and `password` are set too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homelab.verify.base import expect, register
from homelab.verify.web import HTTP_API_QUERY, HttpApiProbe, checked, client_for

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


WELL_KNOWN = "/.well-known/openid-configuration"


@register
class OidcProbe(HttpApiProbe):
    kind = "oidc"
    query_keys = HTTP_API_QUERY | {"issuer", "client_id", "client_secret"}
    aliases = ("keycloak", "dex", "authentik", "zitadel")
    default_port = 443

    async def check(self, target: Target) -> list[Step]:
        base = target.url.rstrip("/").removesuffix(WELL_KNOWN).rstrip("/")
        async with client_for(target, self.timeout, basic_auth=False) as client:
            with self.step("discovery"):
                doc = checked(await client.get(base + WELL_KNOWN), "discovery")
                self.note(f"issuer {doc.get('issuer')}")
                if want := target.option("issuer"):
                    expect(str(doc.get("issuer", "")).rstrip("/") == str(want).rstrip("/"),
                           f"discovery says issuer {doc.get('issuer')!r}, not {want!r}")
                expect(bool(doc.get("token_endpoint") and doc.get("jwks_uri")),
                       "discovery document lacks token_endpoint or jwks_uri")
            with self.step("signing keys"):
                keys = checked(await client.get(doc["jwks_uri"]), "jwks").get("keys", [])
                expect(bool(keys), "the JWKS has no signing keys")
                self.note(f"{len(keys)} key(s)")
            client_id = target.option("client_id")
            if client_id:
                secret = str(target.option("client_secret", ""))
                # With a user, the password grant (Dex has no client-credentials grant); else client credentials.
                user = target.option("username")
                grant = {"grant_type": "password", "username": user, "password": str(target.option("password", "")),
                         "scope": "openid"} if user else {"grant_type": "client_credentials"}
                with self.step(f"{'password' if user else 'client-credentials'} token"):
                    answer = await client.post(doc["token_endpoint"], auth=(client_id, secret), data=grant)
                    granted = checked(answer, "token")
                    expect(bool(granted.get("access_token")), "the token answer has no access_token")
        return self.steps
