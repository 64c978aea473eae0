"""The HTTP transport under lightkube: identity, TLS server name, proxy, and retries within a budget.

Retried, with exponential backoff and the server's `Retry-After`: 429, every 5xx (but the 500 that refuses
an applied object which does not fit its schema: SCHEMA_MISFIT), connection
resets, refused connections and timeouts, for as long as the request has been failing for less
than `budget` seconds (the command's `--timeout`). The very first contact with a server fails at
once, because waiting cannot fix it: a wrong address or port is not a blip, nor is a TLS failure then
(a wrong certificate, or a server that answers plain HTTP). Once the server has answered, a handshake
that fails on a new connection is a blip like a reset (a loaded API server once answered one with
TLSV1_ALERT_DECODE_ERROR in the e2e suite) and is retried; past the budget it is reported as a TLS failure. A 401 from a
refreshable identity (exec plugin, token file) reads the credentials once more and resends.
"""

from __future__ import annotations

import random
import ssl
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx2

from homelab.cluster.credentials import Credentials, Identity, tls_context

RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})
# The start of the 500 the API server answers a server-side apply whose object does not fit the kind's schema
# (a field of the wrong type, a duplicate list key): the request's own fault, so the same answer every time
# (kubernetes/kubernetes issue 139253, open: it should be a 400).
SCHEMA_MISFIT = "failed to create typed patch object"
_FIRST_WAIT, _MAX_WAIT = 0.5, 8.0


@dataclass
class RetryPolicy:
    """How long one request may keep failing before the failure is final; tests pass their own clock."""

    budget: float = 60.0
    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    waits: list[float] = field(default_factory=list)  # every pause taken, for tests and messages


class TLSFailure(httpx2.ConnectError):
    """The TLS handshake failed: retrying will not help."""


def retry_after(response: httpx2.Response) -> float | None:
    """Seconds the server asked us to wait (delta-seconds or an HTTP date), if it said so."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def retried(response: httpx2.Response) -> bool:
    """Whether an answer is a failure worth retrying: RETRIED_STATUS, but not the 500 that refuses the applied
    object's shape (SCHEMA_MISFIT), which is the request's own fault and comes back the same every time."""
    if response.status_code not in RETRIED_STATUS:
        return False
    if response.status_code != 500:
        return True
    response.read()
    try:
        return not str(response.json().get("message", "")).startswith(SCHEMA_MISFIT)
    except (ValueError, AttributeError):
        return True


def env_proxy(server: str) -> str | None:
    """HTTPS_PROXY / HTTP_PROXY for the server unless NO_PROXY excludes it (what kubectl honours)."""
    parts = urlsplit(server)
    proxies = urllib.request.getproxies()
    if not proxies or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxies.get(parts.scheme)


class KubeTransport(httpx2.BaseTransport):
    """Adds who we are and where TLS should point, and retries what is worth retrying."""

    def __init__(self, credentials: Credentials, policy: RetryPolicy | None = None,
                 inner: httpx2.BaseTransport | None = None) -> None:
        self.credentials, self.policy = credentials, policy or RetryPolicy()
        self._fixed_inner = inner  # a test transport stands in for the network
        self._identity = credentials.identity()
        self._inner = inner or self._network(self._identity)
        self.contacted = False  # set by the first answer from the server

    def _network(self, identity: Identity) -> httpx2.BaseTransport:
        ctx = self.credentials.ctx
        proxy = ctx.proxy_url or env_proxy(ctx.server)
        verify = tls_context(ctx, identity) if ctx.server.startswith("https") else True
        return httpx2.HTTPTransport(verify=verify, proxy=proxy)

    def _use(self, identity: Identity) -> None:
        if identity.cert_pem != self._identity.cert_pem and self._fixed_inner is None:
            self._inner.close()
            self._inner = self._network(identity)
        self._identity = identity

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        ctx = self.credentials.ctx
        if ctx.tls_server_name:
            request.extensions = {**request.extensions, "sni_hostname": ctx.tls_server_name}
        impersonate = ctx.user.get("as")
        if impersonate:
            request.headers["Impersonate-User"] = str(impersonate)
        started, attempt, refreshed = self.policy.now(), 0, False
        while True:
            self._use(self.credentials.identity())
            if self._identity.authorization:
                request.headers["Authorization"] = self._identity.authorization
            try:
                response = self._inner.handle_request(request)
            except httpx2.TransportError as exc:
                if self.contacted and self._wait(started, attempt, None):
                    attempt += 1
                    continue
                if (cause := _ssl_cause(exc)) is not None:
                    raise TLSFailure(describe_tls(cause), request=request) from exc
                raise
            self.contacted = True
            if response.status_code == 401 and self.credentials.refreshable and not refreshed:
                response.close()
                self._use(self.credentials.refresh())
                refreshed = True
                continue
            if retried(response) and self._wait(started, attempt, retry_after(response)):
                response.read()
                response.close()
                attempt += 1
                continue
            return response

    def _wait(self, started: float, attempt: int, asked: float | None) -> bool:
        """Sleep before the next try; False when the budget would be spent."""
        pause = asked if asked is not None else min(_MAX_WAIT, _FIRST_WAIT * 2 ** attempt) * random.uniform(0.8, 1.2)
        left = self.policy.budget - (self.policy.now() - started)
        if left <= 0:
            return False
        pause = min(pause, left)
        self.policy.waits.append(pause)
        self.policy.sleep(pause)
        return True

    def close(self) -> None:
        self._inner.close()


def describe_tls(error: ssl.SSLError) -> str:
    """One line for a failed TLS handshake, naming the likely cause."""
    reason = str(getattr(error, "reason", "") or error)
    if reason in ("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE") or "wrong version" in reason.lower():
        return ("the server does not speak TLS there (it answered like plain HTTP): the address or port is "
                "probably not the Kubernetes API server's")
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"the server's certificate is not trusted: {error.verify_message or reason}"
    return f"TLS handshake failed: {reason}"
