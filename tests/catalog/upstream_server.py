"""A local stand-in for upstream (test double): it replaces the public Helm repositories, OCI registries and
Git servers `homelab catalog outdated` asks, serving fixture answers on 127.0.0.1 in their real formats.

- GET /helm/index.yaml            a Helm repository index (chart `app`: 1.0.0, 1.1.0, 1.2.0-rc.1)
- GET /v2/charts/<name>/tags/list an OCI registry behind the anonymous bearer-token handshake, paginated
- GET /token                      the token endpoint the 401 challenge names
- GET /git/<repo>/info/refs       a Git smart-HTTP ref advertisement (pkt-lines, peeled tags)
- GET /broken/index.yaml (500), /garbage/index.yaml (not YAML)
It counts requests and the most that were in flight at once, and can be slowed down.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import yaml

HELM_INDEX = {"apiVersion": "v1", "entries": {
    "app": [{"name": "app", "version": v} for v in ("1.2.0-rc.1", "1.1.0", "1.0.0", "0.9.0")],
    "knative": [{"name": "knative", "version": v} for v in ("v1.21.0", "v1.20.0")],
}}
OCI_TAGS = {"charts/app": ["0.9.0", "1.0.0", "1.1.0", "2.0.0-beta.1", "2.0.0_build.7", "latest"]}
GIT_REFS = {"owner/repo": [("HEAD", ""), ("refs/heads/main", ""), ("refs/tags/v1.0.0", ""),
                           ("refs/tags/v1.1.0", ""), ("refs/tags/v1.1.0^{}", ""), ("refs/tags/v2.0.0-rc.1", ""),
                           ("refs/tags/helm-chart-9.9.9", "")]}
TOKEN = "fixture-token"


def pkt(line: bytes) -> bytes:
    return f"{len(line) + 4:04x}".encode() + line


def advertisement(refs: list[tuple[str, str]]) -> bytes:
    body = pkt(b"# service=git-upload-pack\n") + b"0000"
    for i, (ref, _) in enumerate(refs):
        caps = b"\0multi_ack side-band-64k ofs-delta" if i == 0 else b""
        body += pkt(b"1" * 40 + b" " + ref.encode() + caps + b"\n")
    return body + b"0000"


@dataclass
class Upstream:
    port: int = 0
    delay: float = 0.0
    requests: list[str] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _handler(state: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def send(self, status: int, body: bytes, ctype: str = "application/json", **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            with state.lock:
                state.requests.append(self.path)
                state.in_flight += 1
                state.most_in_flight = max(state.most_in_flight, state.in_flight)
            try:
                time.sleep(state.delay)
                self.route()
            finally:
                with state.lock:
                    state.in_flight -= 1

        def route(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            if url.path.startswith("/helm") and url.path.endswith("/index.yaml"):  # /helm, /helm2, ... alike
                self.send(200, yaml.safe_dump(HELM_INDEX).encode(), "application/x-yaml")
            elif url.path == "/broken/index.yaml":
                self.send(500, b"boom", "text/plain")
            elif url.path == "/garbage/index.yaml":
                self.send(200, b"{{{ not: yaml", "text/plain")
            elif url.path == "/token":
                scope = query.get("scope", [""])[0]
                ok = scope.startswith("repository:charts/") and scope.endswith(":pull")
                self.send(200 if ok else 400, json.dumps({"token": TOKEN}).encode())
            elif url.path.startswith("/v2/") and url.path.endswith("/tags/list"):
                self.tags(url.path.removeprefix("/v2/").removesuffix("/tags/list"), query)
            elif url.path.startswith("/git/") and url.path.endswith("/info/refs"):
                repo = url.path.removeprefix("/git/").removesuffix("/info/refs")
                if query.get("service") != ["git-upload-pack"] or repo not in GIT_REFS:
                    self.send(404, b"not found", "text/plain")
                else:
                    self.send(200, advertisement(GIT_REFS[repo]), "application/x-git-upload-pack-advertisement")
            else:
                self.send(404, b"not found", "text/plain")

        def tags(self, name: str, query: dict[str, list[str]]) -> None:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                challenge = (f'Bearer realm="{state.url("/token")}",service="fixture",'
                             f'scope="repository:{name}:pull"')
                self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', WWW_Authenticate=challenge)
                return
            if name not in OCI_TAGS:
                self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}')
                return
            tags, after = OCI_TAGS[name], query.get("last", [""])[0]
            page = [t for t in tags if t > after][:3]  # three a page, to make the client follow Link
            headers = {}
            if page and page[-1] != max(tags):
                headers["Link"] = f'</v2/{name}/tags/list?n=3&last={page[-1]}>; rel="next"'
            self.send(200, json.dumps({"name": name, "tags": page}).encode(), **headers)

    return Handler


@contextmanager
def serve(delay: float = 0.0) -> Iterator[Upstream]:
    state = Upstream(delay=delay)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
