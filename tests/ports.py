"""Loopback ports for servers a test starts: chosen by the kernel, distinct within one call."""

from __future__ import annotations

import contextlib
import socket


def free_ports(count: int) -> list[int]:
    """`count` distinct ports nothing listens on now. All are held bound until all are chosen: released one at a
    time, the kernel may hand the same port out twice (the reference app's web server and its worker's metrics
    server once shared one, and `/readyz` answered with metrics text)."""
    with contextlib.ExitStack() as held:
        socks = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def free_port() -> int:
    """One port nothing listens on now, for a server the caller starts at once."""
    return free_ports(1)[0]
