"""Real local HTTP(S) servers for the connection tests: loopback sockets, real TLS, scripted answers.

`answer(handler)` decides each reply; the server records every request line and header it saw.
These stand in for what sits at a kubeconfig's address (an API server's /version, a web server,
a proxy), so the transport is tested over real sockets rather than a mock.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VERSION = {"major": "1", "minor": "34", "gitVersion": "v1.34.0", "platform": "linux/amd64"}


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def kube_version(seen: Seen) -> Reply:
    """What kube-apiserver answers on /version."""
    return Reply(body=json.dumps(VERSION).encode())


def json_reply(data: Any, status: int = 200) -> Reply:
    return Reply(status=status, body=json.dumps(data).encode())


@dataclass
class Server:
    url: str
    seen: list[Seen]


@contextmanager
def serve(answer: Callable[[Seen], Reply], tls: ssl.SSLContext | None = None) -> Iterator[Server]:
    """A threaded HTTP server on 127.0.0.1 (TLS when `tls` is given) until the block ends."""
    seen: list[Seen] = []

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            request = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
            seen.append(request)
            reply = answer(request)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_PATCH = do_DELETE = do_POST = _any

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls else "http"
    try:
        yield Server(f"{scheme}://127.0.0.1:{server.server_address[1]}", seen)
    finally:
        server.shutdown()
        server.server_close()
