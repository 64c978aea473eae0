"""`homelab serve` as a user runs it: the built-in default shows the whole design with no cluster."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from homelab.catalog import load_catalog
from tests.needs import missing

from .conftest import free_port


def _homelab(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "homelab", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "200"})


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    if not load_catalog().profiles:
        missing("the packaged catalog has no profiles, so the built-in example cannot be planned")
    port = free_port()
    proc = _homelab("serve", "--port", str(port), cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/api/overview", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"homelab serve did not come up: {proc.communicate()[1]}") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_builtin_default_shows_every_layer(served: str) -> None:
    overview = httpx.get(served + "/api/overview").json()
    catalog = load_catalog()
    assert [layer["title"] for layer in overview["layers"]] == [info.title for info in catalog.layers.values()]
    assert overview["counts"]["total"] > 20 and overview["counts"]["planned"] == overview["counts"]["total"]
    html = httpx.get(served + "/").text
    for info in catalog.layers.values():
        assert info.title.replace("&", "&amp;") in html
    assert httpx.get(served + "/diagrams").status_code == 200


def test_refuses_to_serve_beyond_loopback_without_login(tmp_path: Path) -> None:
    proc = _homelab("serve", "--host", "0.0.0.0", "--port", str(free_port()), cwd=tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "needs a login" in err and "--insecure-no-auth" in err and "Traceback" not in err + out


def test_busy_port_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = _homelab("serve", "--port", str(port), cwd=tmp_path)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert lines == [f"error: --port: port {port} on 127.0.0.1 is already in use (choose another --port, or stop "
                     "what listens there)"], err
    assert "at http" not in err  # no "portal at ..." before the failure


def test_open_portal_on_every_address_needs_an_allow_list(tmp_path: Path) -> None:
    proc = _homelab("serve", "--host", "0.0.0.0", "--insecure-no-auth", "--port", str(free_port()), cwd=tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "DNS rebinding" in err and "--allowed-host" in err and "Traceback" not in err + out


def test_unreachable_oidc_issuer_fails_at_start(tmp_path: Path) -> None:
    issuer = f"http://127.0.0.1:{free_port()}/realms/lab"
    env = {**os.environ, "HOMELAB_PORTAL_OIDC_CLIENT_SECRET": "x"}
    proc = subprocess.Popen([sys.executable, "-m", "homelab", "serve", "--port", str(free_port()), "--oidc-issuer",
                             issuer, "--oidc-client-id", "portal"], cwd=tmp_path, text=True, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "cannot read the OIDC discovery document" in err and "at http" not in err and "Traceback" not in err


def test_an_ipv6_address_is_printed_as_a_url(tmp_path: Path) -> None:
    port = free_port()
    proc = _homelab("serve", "--host", "::1", "--port", str(port), cwd=tmp_path)
    try:
        assert proc.stderr is not None
        line = ""
        while "homelab portal" not in line and proc.poll() is None:
            line = proc.stderr.readline()
        assert f"at http://[::1]:{port}/ " in line, line  # brackets, or the address is not a URL
        answer = httpx.get(f"http://[::1]:{port}/api/overview", timeout=30)
        assert answer.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
