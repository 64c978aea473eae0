"""HTTP health for UIs and APIs (httpx), and the shared HTTP client the HTTP-API probes use.

The `http` probe asks one URL and checks the status (`expect_status`, default any 2xx)
and optionally that the body contains `expect_body`. `insecure: true` skips
certificate checks for self-signed homelab certificates; TLS is otherwise verified.
"""

from __future__ import annotations

import functools
import ssl
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from homelab.verify.base import Probe, ProbeFailure, expect, register

if TYPE_CHECKING:
    import httpx

    from homelab.verify.base import Step
    from homelab.verify.targets import Target


def client_for(target: Target, timeout: float, base: bool = True, basic_auth: bool = True,
               strip: tuple[str, ...] = (), default_path: str = "") -> httpx.AsyncClient:
    """An httpx client for `target`: credentials from the URL, TLS verified unless `insecure`.

    With `base`, the URL's path is the API prefix, minus a health path the catalog may name
    (`strip`, e.g. Prometheus's `/-/ready`), or `default_path` when the URL has none.
    """
    import httpx

    from homelab.verify.httpcap import CappedTransport

    parts = target.parts
    auth = httpx.BasicAuth(target.username, target.password or "") if target.username and basic_auth else None
    headers: dict[str, str] = dict(target.option("headers", {}) or {})
    if bearer := target.option("token"):
        headers["Authorization"] = f"Bearer {bearer}"
    scheme = "https" if parts.scheme in ("https", "rediss") else "http"
    path = ""
    if base:
        path = parts.path.rstrip("/")
        for suffix in strip:
            path = path.removesuffix(suffix)
        path = path or default_path
    origin = urlunsplit((scheme, parts.netloc.rsplit("@", 1)[-1], path, "", ""))
    transport = CappedTransport(verify=trust() if verified(target) else False)  # bodies capped at 8 MiB
    return httpx.AsyncClient(base_url=origin, auth=auth, headers=headers, timeout=timeout, transport=transport,
                             follow_redirects=False)


def verified(target: Target) -> bool:
    """Check TLS certificates unless the target says `insecure: true` (or `tls_verify: false`)."""
    return not target.flag("insecure") and target.flag("tls_verify", default=True)


@functools.cache
def trust() -> ssl.SSLContext:
    """One TLS context for all HTTP probes: loading the CA bundle takes ~0.5 s of CPU on the loop."""
    return ssl.create_default_context()


def checked(response: httpx.Response, what: str, ok: tuple[int, ...] = ()) -> Any:
    """The JSON body of a successful response, or a one-line failure naming what was asked."""
    good = response.status_code in ok if ok else response.is_success
    if not good:
        text = " ".join(response.text.split())[:120]
        raise ProbeFailure(f"{what}: HTTP {response.status_code} {text}".rstrip())
    try:
        return response.json() if response.content else None
    except ValueError as exc:
        raise ProbeFailure(f"{what}: the answer is not JSON") from exc


HTTP_API_QUERY = frozenset({"token", "insecure", "tls_verify"})  # what client_for reads; TLS is https


class HttpApiProbe(Probe):
    """Base of the probes that speak an HTTP API: httpx loaded and the TLS context built up front."""

    scheme = "http"
    imports = ("httpx",)
    query_keys: ClassVar[frozenset[str] | None] = HTTP_API_QUERY

    @classmethod
    def prepare(cls) -> None:
        super().prepare()
        trust()


@register
class HttpProbe(HttpApiProbe):
    kind = "http"
    query_keys = None  # the query is part of the request the server answers
    aliases = ("https", "health")
    default_port = 80

    async def check(self, target: Target) -> list[Step]:
        url = target.url
        parts = urlsplit(url)
        if parts.username or parts.password:
            url = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]))
        want_status = target.option("expect_status")
        want_body = target.option("expect_body")
        async with client_for(target, self.timeout, base=False) as client:
            with self.step("request"):
                response = await client.get(url)
                self.note(f"HTTP {response.status_code} {response.headers.get('server', '')}".strip())
            with self.step("check answer"):
                if want_status is not None:
                    expect(response.status_code == int(want_status),
                           f"HTTP {response.status_code}, expected {want_status}")
                else:
                    expect(response.is_success, f"HTTP {response.status_code}, expected a 2xx status")
                if want_body:
                    expect(str(want_body) in response.text, f"the body does not contain {want_body!r}")
        return self.steps
