"""Reaching the API server over real sockets: exec credentials, TLS server name, proxy, plain-HTTP addresses."""

from __future__ import annotations

import json
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml

from homelab.cluster.kube import Kube
from homelab.errors import ExitCode, HomelabError

from .servers import Reply, Seen, json_reply, kube_version, serve

V1 = "client.authentication.k8s.io/v1"
V1BETA1 = "client.authentication.k8s.io/v1beta1"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    """A server certificate for kube.test only (not 127.0.0.1), asking for a client certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("kube.test").configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_OPTIONAL
    return context


def kubeconfig(tmp_path: Path, server: str, user: dict[str, Any], **cluster: Any) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "lab",
        "clusters": [{"name": "lab", "cluster": {"server": server, **cluster}}],
        "users": [{"name": "me", "user": user}],
        "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "me"}}]}))
    return path


def plugin(tmp_path: Path, api: str, status: dict[str, Any], **exec_: Any) -> dict[str, Any]:
    """An exec credential plugin (a Python script) that records KUBERNETES_EXEC_INFO and prints `status`."""
    script = tmp_path / "plugin.py"
    script.write_text(
        "import json, os, sys\n"
        f"open({str(tmp_path / 'exec-info.json')!r}, 'a').write(os.environ['KUBERNETES_EXEC_INFO'] + '\\n')\n"
        f"print(json.dumps({{'apiVersion': {api!r}, 'kind': 'ExecCredential', 'status': {status!r}}}))\n")
    return {"apiVersion": api, "command": sys.executable, "args": [str(script)], **exec_}


def exec_infos(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp_path / "exec-info.json").read_text().splitlines()]


@pytest.fixture
def version_server() -> Iterator[Any]:
    with serve(kube_version) as server:
        yield server


def test_exec_plugin_v1_token_is_sent(tmp_path: Path, version_server: Any) -> None:
    exec_ = plugin(tmp_path, V1, {"token": "from-plugin"}, interactiveMode="Never", provideClusterInfo=True)
    kube = Kube.connect(None, kubeconfig(tmp_path, version_server.url, {"exec": exec_}))
    assert kube.version()["gitVersion"] == "v1.34.0"
    assert version_server.seen[-1].headers["authorization"] == "Bearer from-plugin"
    info = exec_infos(tmp_path)[0]
    assert info["apiVersion"] == V1 and info["spec"]["interactive"] is False
    assert info["spec"]["cluster"]["server"] == version_server.url


def test_exec_plugin_client_certificate_over_tls_with_tls_server_name(tmp_path: Path, ca: trustme.CA,
                                                                       server_tls: ssl.SSLContext) -> None:
    client = ca.issue_cert("alice")
    status = {"clientCertificateData": client.cert_chain_pems[0].bytes().decode(),
              "clientKeyData": client.private_key_pem.bytes().decode()}
    exec_ = plugin(tmp_path, V1BETA1, status)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    peers: list[Any] = []

    def answer(seen: Seen) -> Reply:
        return kube_version(seen)

    server_tls.set_servername_callback(lambda sock, name, _: peers.append(name))
    with serve(answer, tls=server_tls) as server:
        path = kubeconfig(tmp_path, server.url, {"exec": exec_}, **{"certificate-authority": "ca.pem",
                                                                    "tls-server-name": "kube.test"})
        assert Kube.connect(None, path).version()["major"] == "1"
        assert peers == ["kube.test"], "the TLS handshake named kube.test, not 127.0.0.1"
        assert "authorization" not in server.seen[-1].headers, "a certificate plugin sends no bearer token"
        plain = kubeconfig(tmp_path, server.url, {"exec": exec_}, **{"certificate-authority": "ca.pem"})
        with pytest.raises(HomelabError) as err:
            Kube.connect(None, plain).version()
    assert err.value.exit_code == ExitCode.UNREACHABLE
    assert "certificate is not trusted" in str(err.value), "without tls-server-name the name does not match"


def test_interactive_plugin_without_a_terminal_is_refused_clearly(tmp_path: Path) -> None:
    exec_ = plugin(tmp_path, V1, {"token": "x"}, interactiveMode="Always")
    with pytest.raises(HomelabError) as err:
        Kube.connect(None, kubeconfig(tmp_path, "https://127.0.0.1:9", {"exec": exec_}))
    assert err.value.exit_code == ExitCode.UNAUTHORIZED
    assert "needs to prompt (interactiveMode: Always), but standard input is not a terminal" in str(err.value)
    assert not (tmp_path / "exec-info.json").exists(), "the plugin is not even started"


def test_missing_plugin_shows_its_install_hint(tmp_path: Path) -> None:
    exec_ = {"apiVersion": V1, "command": "no-such-login-plugin", "interactiveMode": "Never",
             "installHint": "install it with: brew install no-such-login-plugin"}
    with pytest.raises(HomelabError) as err:
        Kube.connect(None, kubeconfig(tmp_path, "https://127.0.0.1:9", {"exec": exec_}))
    assert err.value.exit_code == ExitCode.UNAUTHORIZED
    assert "no-such-login-plugin is not installed" in str(err.value) and "brew install" in str(err.value)


def test_v1alpha1_plugins_are_refused_with_the_reason(tmp_path: Path) -> None:
    exec_ = plugin(tmp_path, "client.authentication.k8s.io/v1alpha1", {"token": "x"})
    with pytest.raises(HomelabError) as err:
        Kube.connect(None, kubeconfig(tmp_path, "https://127.0.0.1:9", {"exec": exec_}))
    assert "removed in Kubernetes 1.24" in str(err.value)


def test_a_401_runs_the_plugin_again_once(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("old\nnew\n")
    script = tmp_path / "rotating.py"
    script.write_text(
        "import json\n"
        f"lines = open({str(tokens)!r}).read().split()\n"
        f"open({str(tokens)!r}, 'w').write('\\n'.join(lines[1:]))\n"
        f"print(json.dumps({{'apiVersion': {V1!r}, 'kind': 'ExecCredential', 'status': {{'token': lines[0]}}}}))\n")

    def answer(seen: Seen) -> Reply:
        if seen.headers.get("authorization") != "Bearer new":
            return json_reply({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 401,
                               "reason": "Unauthorized", "message": "Unauthorized"}, 401)
        return kube_version(seen)

    exec_ = {"apiVersion": V1, "command": sys.executable, "args": [str(script)], "interactiveMode": "Never"}
    with serve(answer) as server:
        assert Kube.connect(None, kubeconfig(tmp_path, server.url, {"exec": exec_})).version()
        assert [s.headers["authorization"] for s in server.seen] == ["Bearer old", "Bearer new"]


def test_proxy_url_carries_the_requests(tmp_path: Path) -> None:
    with serve(kube_version) as proxy:
        path = kubeconfig(tmp_path, "http://kube.internal:6443", {"token": "t"}, **{"proxy-url": proxy.url})
        assert Kube.connect(None, path).version()["gitVersion"] == "v1.34.0"
    assert proxy.seen[0].path == "http://kube.internal:6443/version", "the proxy got the absolute URL"


def test_a_web_server_is_not_an_api_server(tmp_path: Path) -> None:
    page = Reply(status=404, body=b"<html><body>Not Found</body></html>", content_type="text/html")
    with serve(lambda seen: page) as server:
        kube = Kube.connect(None, kubeconfig(tmp_path, server.url, {"token": "t"}))
        with pytest.raises(HomelabError) as err:
            kube.list("v1", "Node")
    assert err.value.exit_code == ExitCode.UNREACHABLE
    assert f"{server.url} (context lab) is not a Kubernetes API server: GET /version answered HTTP 404 " \
           "(text/html)" in str(err.value)


def test_json_that_is_not_kubernetes_is_not_an_api_server(tmp_path: Path) -> None:
    with serve(lambda seen: json_reply({"ok": True})) as server, pytest.raises(HomelabError) as err:
        Kube.connect(None, kubeconfig(tmp_path, server.url, {"token": "t"})).version()
    assert err.value.exit_code == ExitCode.UNREACHABLE and "did not answer with a Kubernetes version" in str(err.value)


def test_https_to_a_plain_http_port_says_so(tmp_path: Path) -> None:
    with serve(kube_version) as server:
        url = server.url.replace("http://", "https://")
        with pytest.raises(HomelabError) as err:
            Kube.connect(None, kubeconfig(tmp_path, url, {"token": "t"})).version()
    assert err.value.exit_code == ExitCode.UNREACHABLE
    assert "does not speak TLS there" in str(err.value)
