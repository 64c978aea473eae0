"""`homelab serve`: the portal, a read-only web page of the platform with live state."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from typing import TYPE_CHECKING, Annotated

import typer

from homelab.cli.common import ConfigOption, EnvOption, check_env, load_config

if TYPE_CHECKING:
    from homelab.portal.auth import OidcSettings

SECRET_ENV = "HOMELAB_PORTAL_OIDC_CLIENT_SECRET"
SESSION_ENV = "HOMELAB_PORTAL_SESSION_SECRET"
MIN_SESSION_SECRET = 32


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


WILDCARDS = {"0.0.0.0", "::", ""}


def allowed_hosts(host: str, public_url: str | None, extra: list[str] | None = None) -> list[str]:
    """Host headers to answer: the bound address, the loopback names, the public URL's host and `extra`.

    Never "any": a portal that answers every Host header can be read by a web page through DNS
    rebinding. On a wildcard address the names browsers use must be given (--public-url, --allowed-host).
    """
    from urllib.parse import urlsplit

    from homelab.errors import InputError, Problem

    names = {"127.0.0.1", "localhost", "::1"} if is_loopback(host) or host in WILDCARDS else set()
    if host not in WILDCARDS:
        names.add(host)
    if public_url:
        names.add(urlsplit(public_url).hostname or host)
    names.update(extra or [])
    if host in WILDCARDS and not (public_url or extra):
        raise InputError([Problem(f"--host {host or '*'} answers on every address, so the portal needs the host "
                                  "names browsers use, or any web page could read it (DNS rebinding)",
                                  field="--allowed-host",
                                  hint="give --allowed-host NAME (repeatable) or --public-url")])
    return sorted(names | {f"[{name}]" for name in names if ":" in name})


def listen(host: str, port: int) -> socket.socket:
    """Bind the port now, so a busy port or a foreign address is one clear line (exit 2) before anything is said."""
    from homelab.errors import InputError, Problem

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise InputError([Problem(f"cannot listen on {host}: {exc.strerror or exc}", field="--host")]) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise InputError([Problem(f"port {port} on {host} is already in use", field="--port",
                                      hint="choose another --port, or stop what listens there")]) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise InputError([Problem(f"{host} is not an address of this machine", field="--host")]) from None
        raise InputError([Problem(f"cannot listen on {host}:{port}: {exc.strerror or exc}", field="--port",
                                  hint="ports below 1024 need privileges" if port < 1024 else None)]) from None
    return sock


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
    if host in WILDCARDS and not public_url:
        raise InputError([Problem(f"OIDC login on --host {host or '*'} needs the portal's URL as browsers reach it",
                                  field="--public-url", hint="e.g. --public-url https://portal.example.net "
                                                             "(the provider redirects there after login)")])
    session = os.environ.get(SESSION_ENV)  # signs the login cookie; random per start when unset
    if session is not None and len(session) < MIN_SESSION_SECRET:
        raise InputError([Problem(f"is {len(session)} characters long; at least {MIN_SESSION_SECRET} are needed",
                                  field=f"${SESSION_ENV}",
                                  hint="e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")])
    shown = f"[{host}]" if ":" in host else host
    return OidcSettings(issuer=issuer, client_id=client_id, client_secret=secret,
                        public_url=public_url or f"http://{shown}:{port}", session_secret=session)


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
        allowed_host: Annotated[list[str] | None, typer.Option(
            "--allowed-host", help="a host name browsers use to reach the portal (repeatable; needed on 0.0.0.0 "
                                   "without --public-url)")] = None,
    ) -> None:
        """Serve the portal: the design's architecture, live, at http://HOST:PORT (read-only)."""
        import uvicorn

        from homelab.catalog import load_catalog
        from homelab.portal import create_app

        oidc = oidc_settings(host, port, oidc_issuer, oidc_client_id, oidc_client_secret_env, public_url,
                             insecure_no_auth)
        hosts = allowed_hosts(host, public_url, allowed_host)
        loaded = load_config(config)
        name = check_env(loaded, env)
        web = create_app(loaded.config, load_catalog(), name, oidc=oidc, allowed_hosts=hosts)  # reads discovery
        sock = listen(host, port)
        shown = f"[{host}]" if ":" in host else host
        typer.echo(f"homelab portal for {name} at http://{shown}:{port}/"
                   + (" (OIDC login)" if oidc else "") + "  (Ctrl-C stops it)", err=True)
        server = uvicorn.Server(uvicorn.Config(web, log_level="warning", server_header=False, proxy_headers=False))
        server.run(sockets=[sock])
