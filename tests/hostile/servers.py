"""Test doubles for hostile servers on loopback, each replacing a real server that misbehaves.

Each listens on its own port and answers every connection the same way; `ports()` hands the
ports to a targets file as HOSTILE_<NAME>_PORT environment variables.

- echo-redis: speaks just enough Redis protocol to answer every command with the error real
  Redis gives for an unknown command, which quotes the arguments (an AUTH password included).
- reflect-http: answers every request 500 with the request (request line, headers) as the body,
  as debugging proxies and some frameworks' error pages do; the body also carries Rich markup.
- endless-http: answers 200 with a chunked body that never ends.
- drip-http: sends a status line, then one byte every 0.3 s, never finishing the headers.
- garbage: sends 4 KiB of random bytes and closes, whatever the protocol.
- black-hole: accepts and never answers (the kernel completes the handshake).
- closed: a port where nothing listens (bound once, then released).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable

Handler = Callable[[socket.socket], None]


def _echo_redis(conn: socket.socket) -> None:
    while data := conn.recv(65536):
        words = [w for w in data.decode("latin-1").split("\r\n") if w and w[0] not in "*$"]
        if words:
            args = " ".join(f"'{w}'" for w in words[1:])
            conn.sendall(f"-ERR unknown command '{words[0]}', with args beginning with: {args}\r\n".encode("latin-1"))


def _reflect_http(conn: socket.socket) -> None:
    request = conn.recv(65536)
    body = b"[/][bold red]not found[/] you asked:\n" + request
    conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)


def _endless_http(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n" % 65536 + b"x" * 65536 + b"\r\n"
    while True:
        conn.sendall(chunk)


def _drip_http(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while True:
        time.sleep(0.3)
        conn.sendall(b"X")


def _garbage(conn: socket.socket) -> None:
    conn.sendall(os.urandom(4096))


def _black_hole(_conn: socket.socket) -> None:
    time.sleep(3600)


BEHAVIOURS: dict[str, Handler] = {"echo-redis": _echo_redis, "reflect-http": _reflect_http,
                                  "endless-http": _endless_http, "drip-http": _drip_http, "garbage": _garbage,
                                  "black-hole": _black_hole}


class HostileServer:
    def __init__(self, handler: Handler) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.handler = handler
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # the client gave up: that is the point
            self.handler(conn)

    def close(self) -> None:
        self.sock.close()


def closed_port() -> socket.socket:
    """A loopback port held bound but never listening: a connection is refused, and while it is held no other
    socket takes the port (released at once, a later server could, or a client's own ephemeral port: a probe
    connecting to it then connects to itself, TCP's self-connect, and reads its own request back)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def start_all() -> tuple[dict[str, str], list[HostileServer | socket.socket]]:
    """Start one server per behaviour; HOSTILE_<NAME>_PORT for each, and HOSTILE_CLOSED_PORT (all closed after)."""
    servers = {name: HostileServer(handler) for name, handler in BEHAVIOURS.items()}
    env = {f"HOSTILE_{name.upper().replace('-', '_')}_PORT": str(server.port) for name, server in servers.items()}
    held = closed_port()
    env["HOSTILE_CLOSED_PORT"] = str(held.getsockname()[1])
    return env, [*servers.values(), held]
