"""`homelab serve`: the portal, a read-only web page of the platform with live state."""

from __future__ import annotations

import ipaddress
import os
from typing import TYPE_CHECKING, Annotated

import typer

from homelab.cli.common import ConfigOption, EnvOption, check_env, load_config

if TYPE_CHECKING:
    from homelab.portal.auth import OidcSettings

SECRET_ENV = "HOMELAB_PORTAL_OIDC_CLIENT_SECRET"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, public_url: str | None) -> list[str]:
    """Host headers to answer: the loopback names, the bound address, and the public URL's host."""
    from urllib.parse import urlsplit

    loopback = {"127.0.0.1", "localhost", "::1", "[::1]"}
    if public_url:
        return sorted({*loopback, urlsplit(public_url).hostname or host, host})
    if host in {"0.0.0.0", "::"}:
        return ["*"]  # every address of the machine, and no public URL to say which name browsers use
    return sorted(loopback if is_loopback(host) else {host, f"[{host}]"})


def oidc_settings(host: str, port: int, issuer: str | None, client_id: str | None, secret_env: str,
                  public_url: str | None, insecure_no_auth: bool) -> OidcSettings | None:
    """Login is required beyond loopback unless --insecure-no-auth says otherwise, explicitly."""
    from homelab.errors import InputError, Problem
    from homelab.portal.auth import OidcSettings

    if issuer is None:
        if is_loopback(host) or insecure_no_auth:
            return None
        raise InputError([Problem(f"--host {host} is reachable beyond this machine, so the portal needs a login",
                                  field="--oidc-issuer",
                                  hint="give --oidc-issuer and --oidc-client-id (the platform's Keycloak or Dex), "
                                       "or --insecure-no-auth if you really want an open portal")])
    secret = os.environ.get(secret_env, "")
    if not client_id or not secret:
        raise InputError([Problem("OIDC login needs a client id and a client secret", field="--oidc-client-id",
                                  hint=f"give --oidc-client-id and export the secret in ${secret_env}")])
    shown = f"[{host}]" if ":" in host else host
    session = os.environ.get("HOMELAB_PORTAL_SESSION_SECRET")  # keeps logins across restarts when set
    return OidcSettings(issuer=issuer, client_id=client_id, client_secret=secret,
                        public_url=public_url or f"http://{shown}:{port}",
                        **({"session_secret": session} if session else {}))


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        config: ConfigOption = None,
        env: EnvOption = None,
        host: Annotated[str, typer.Option(help="address to listen on (loopback unless you mean it)")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8080,
        oidc_issuer: Annotated[str | None, typer.Option(
            envvar="HOMELAB_PORTAL_OIDC_ISSUER", help="OIDC issuer URL of the platform's Keycloak or Dex")] = None,
        oidc_client_id: Annotated[str | None, typer.Option(
            envvar="HOMELAB_PORTAL_OIDC_CLIENT_ID", help="OIDC client id registered for the portal")] = None,
        oidc_client_secret_env: Annotated[str, typer.Option(
            help="name of the environment variable that holds the OIDC client secret")] = SECRET_ENV,
        public_url: Annotated[str | None, typer.Option(
            envvar="HOMELAB_PORTAL_PUBLIC_URL", help="the portal's URL as browsers see it (login redirect)")] = None,
        insecure_no_auth: Annotated[bool, typer.Option(
            "--insecure-no-auth", help="serve beyond loopback without any login (anyone can read it)")] = False,
    ) -> None:
        """Serve the portal: the design's architecture, live, at http://HOST:PORT (read-only)."""
        import uvicorn

        from homelab.catalog import load_catalog
        from homelab.portal import create_app

        oidc = oidc_settings(host, port, oidc_issuer, oidc_client_id, oidc_client_secret_env, public_url,
                             insecure_no_auth)
        loaded = load_config(config)
        name = check_env(loaded, env)
        web = create_app(loaded.config, load_catalog(), name, oidc=oidc,
                         allowed_hosts=allowed_hosts(host, public_url))
        typer.echo(f"homelab portal for {name} at http://{host}:{port}/"
                   + (" (OIDC login)" if oidc else "") + "  (Ctrl-C stops it)", err=True)
        uvicorn.run(web, host=host, port=port, log_level="warning", server_header=False, proxy_headers=False)
