"""Who we are to the API server: a token, a token file, basic auth, a client certificate, or an exec plugin.

Exec plugins follow client-go's protocol (`client.authentication.k8s.io/v1` and `v1beta1`): the
plugin gets `KUBERNETES_EXEC_INFO` (an ExecCredential whose spec says whether it may prompt, and
the cluster when `provideClusterInfo` is set) and prints an ExecCredential whose status holds a
token or a PEM client certificate and key, optionally with `expirationTimestamp`. A plugin that
must prompt (`interactiveMode: Always`) is refused with one clear line when stdin is not a
terminal. Every failure here is exit 4: the credentials cannot be obtained.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from homelab.cluster.kubeconfig import Context
from homelab.errors import ExitCode, HomelabError, cluster_error

EXEC_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
_EARLY = 30.0  # refresh an expiring credential this many seconds before it expires


@dataclass
class Identity:
    """What one request carries: a header value, and the client certificate PEMs for the TLS handshake."""

    authorization: str | None = None
    cert_pem: bytes | None = None
    key_pem: bytes | None = None
    expires: float | None = None  # epoch seconds; None when it does not expire


def _fail(ctx: Context, message: str, hint: str) -> HomelabError:
    return cluster_error(ExitCode.UNAUTHORIZED, f"context {ctx.name}: {message}", hint)


def _data(value: str) -> bytes:
    return base64.b64decode(value)


def _read(ctx: Context, path: str, what: str) -> bytes:
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise _fail(ctx, f"cannot read the {what} {path}: {exc.strerror or exc}",
                    "fix the path in your kubeconfig (relative paths are relative to that file)") from None


def _expiry(status: dict[str, Any]) -> float | None:
    stamp = status.get("expirationTimestamp")
    if not stamp:
        return None
    return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()


def run_exec(ctx: Context, spec: dict[str, Any],
             run: Callable[..., subprocess.CompletedProcess[bytes]] = subprocess.run) -> Identity:
    """Run a client-go exec credential plugin once and return what it printed."""
    api = str(spec.get("apiVersion", ""))
    command = str(spec.get("command", ""))
    if api not in EXEC_VERSIONS:
        raise _fail(ctx, f"exec plugin {command or '?'} speaks {api or 'no apiVersion'}",
                    f"use one of {', '.join(EXEC_VERSIONS)} (v1alpha1 was removed in Kubernetes 1.24)")
    mode = spec.get("interactiveMode") or ("IfAvailable" if api.endswith("v1beta1") else None)
    if mode not in ("Never", "IfAvailable", "Always"):
        raise _fail(ctx, f"exec plugin {command}: interactiveMode must be Never, IfAvailable or Always, not {mode}",
                    "client.authentication.k8s.io/v1 requires interactiveMode in the kubeconfig's exec entry")
    terminal = sys.stdin.isatty()
    if mode == "Always" and not terminal:
        raise _fail(ctx, f"exec plugin {command} needs to prompt (interactiveMode: Always), but standard input is "
                         "not a terminal", "run homelab from a terminal, or log in once with the plugin "
                         "(e.g. `kubectl get ns`) and use a non-interactive credential")
    prompting = terminal and mode != "Never"
    request: dict[str, Any] = {"apiVersion": api, "kind": "ExecCredential", "spec": {"interactive": prompting}}
    if spec.get("provideClusterInfo"):
        request["spec"]["cluster"] = {k: v for k, v in {
            "server": ctx.server, "tls-server-name": ctx.tls_server_name, "proxy-url": ctx.proxy_url,
            "insecure-skip-tls-verify": ctx.cluster.get("insecure-skip-tls-verify"),
            "certificate-authority-data": ctx.cluster.get("certificate-authority-data"),
            "config": (ctx.cluster.get("extensions") or {}) or None}.items() if v}
    env = {**os.environ, **{str(e["name"]): str(e["value"]) for e in spec.get("env") or []},
           "KUBERNETES_EXEC_INFO": json.dumps(request)}
    argv = [command, *(str(a) for a in spec.get("args") or [])]
    try:
        done = run(argv, env=env, stdin=None if prompting else subprocess.DEVNULL, stdout=subprocess.PIPE,
                   stderr=None if prompting else subprocess.PIPE, timeout=None if prompting else 60)
    except FileNotFoundError:
        raise _fail(ctx, f"exec plugin {command} is not installed or not on PATH",
                    str(spec.get("installHint") or "install the plugin your kubeconfig names").strip()) from None
    except subprocess.TimeoutExpired:
        raise _fail(ctx, f"exec plugin {command} did not answer within 60 s",
                    "it may be waiting for input; run it once from a terminal") from None
    if done.returncode != 0:
        said = (done.stderr or b"").decode(errors="replace").strip().splitlines()
        raise _fail(ctx, f"exec plugin {command} failed with exit code {done.returncode}"
                    + (f": {said[-1]}" if said else ""), "log in again with the plugin, then re-run")
    try:
        answer = json.loads(done.stdout)
        status = answer.get("status") or {}
        expires = _expiry(status)
    except (ValueError, AttributeError) as exc:
        raise _fail(ctx, f"exec plugin {command} printed something other than an ExecCredential ({exc})",
                    "check the plugin's version against the kubeconfig's apiVersion") from None
    if answer.get("apiVersion") != api:
        raise _fail(ctx, f"exec plugin {command} answered {answer.get('apiVersion')}, the kubeconfig asked for {api}",
                    "set the exec apiVersion the plugin speaks")
    cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
    if bool(cert) != bool(key):
        raise _fail(ctx, f"exec plugin {command} returned a client certificate without its key (or a key alone)",
                    "the plugin must return both clientCertificateData and clientKeyData")
    if not status.get("token") and not cert:
        raise _fail(ctx, f"exec plugin {command} returned neither a token nor a client certificate",
                    "log in again with the plugin, then re-run")
    return Identity(authorization=f"Bearer {status['token']}" if status.get("token") else None,
                    cert_pem=str(cert).encode() if cert else None, key_pem=str(key).encode() if key else None,
                    expires=expires)


class Credentials:
    """The identity of one context; exec plugins and token files are read again when they go stale."""

    def __init__(self, ctx: Context, run: Callable[..., subprocess.CompletedProcess[bytes]] = subprocess.run,
                 now: Callable[[], float] = time.time) -> None:
        self.ctx, self._run, self._now = ctx, run, now
        self._current: Identity | None = None
        self._lock = threading.Lock()  # requests run from several threads; a plugin runs once at a time

    @property
    def refreshable(self) -> bool:
        """Whether asking again can give other credentials (a plugin, a rotated token file)."""
        return bool(self.ctx.user.get("exec") or self.ctx.user.get("tokenFile"))

    def identity(self) -> Identity:
        with self._lock:
            current = self._current
            if current is None or (current.expires is not None and self._now() > current.expires - _EARLY):
                self._current = current = self._load()
            return current

    def refresh(self) -> Identity:
        """After a 401: read the credentials again."""
        with self._lock:
            self._current = self._load()
            return self._current

    def _load(self) -> Identity:
        user, ctx = self.ctx.user, self.ctx
        if user.get("auth-provider"):
            name = (user["auth-provider"] or {}).get("name", "?")
            raise _fail(ctx, f"the '{name}' auth-provider was removed from kubectl in 1.26 and is not supported",
                        "use the provider's exec credential plugin (e.g. kubelogin, gke-gcloud-auth-plugin)")
        cert = user.get("client-certificate-data")
        key = user.get("client-key-data")
        out = Identity(cert_pem=_data(cert) if cert else None, key_pem=_data(key) if key else None)
        if user.get("client-certificate") and not cert:
            out.cert_pem = _read(ctx, user["client-certificate"], "client certificate")
        if user.get("client-key") and not key:
            out.key_pem = _read(ctx, user["client-key"], "client key")
        if user.get("token"):
            out.authorization = f"Bearer {user['token']}"
        elif user.get("tokenFile"):
            out.authorization = f"Bearer {_read(ctx, user['tokenFile'], 'token file').decode().strip()}"
        elif user.get("username") and user.get("password"):
            pair = f"{user['username']}:{user['password']}".encode()
            out.authorization = f"Basic {base64.b64encode(pair).decode()}"
        elif user.get("exec"):
            found = run_exec(ctx, user["exec"], run=self._run)
            if found.cert_pem:
                out.cert_pem, out.key_pem = found.cert_pem, found.key_pem
            out.authorization, out.expires = found.authorization, found.expires
        return out


def tls_context(ctx: Context, identity: Identity) -> ssl.SSLContext:
    """Server verification from the cluster entry, plus the client certificate if there is one."""
    cluster = ctx.cluster
    if cluster.get("insecure-skip-tls-verify"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif cluster.get("certificate-authority-data"):
        context = ssl.create_default_context(cadata=_data(cluster["certificate-authority-data"]).decode())
    elif cluster.get("certificate-authority"):
        context = ssl.create_default_context(cadata=_read(ctx, cluster["certificate-authority"],
                                                          "certificate authority").decode())
    else:
        context = ssl.create_default_context()
    if identity.cert_pem and identity.key_pem:
        # ssl loads a client certificate only from files: a private folder that lives for the load alone.
        with tempfile.TemporaryDirectory(prefix="homelab-tls-") as folder:
            cert, key = Path(folder) / "cert.pem", Path(folder) / "key.pem"
            cert.write_bytes(identity.cert_pem)
            key.touch(mode=0o600)
            key.write_bytes(identity.key_pem)
            try:
                context.load_cert_chain(cert, key)
            except ssl.SSLError as exc:
                raise _fail(ctx, f"the client certificate or key cannot be used: {exc.reason or exc}",
                            "refresh the kubeconfig from your cluster") from None
    return context
