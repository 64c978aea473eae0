"""Kubeconfig as kubectl reads it: $KUBECONFIG merged, paths relative to their file, contexts checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from homelab.cluster import kubeconfig
from homelab.errors import ExitCode, InputError


def write(path: Path, clusters: dict[str, Any], users: dict[str, Any], contexts: dict[str, Any],
          current: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", **({"current-context": current} if current else {}),
        "clusters": [{"name": n, "cluster": c} for n, c in clusters.items()],
        "users": [{"name": n, "user": u} for n, u in users.items()],
        "contexts": [{"name": n, "context": c} for n, c in contexts.items()]}))
    return path


def test_kubeconfig_list_is_merged_first_definition_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = write(tmp_path / "a" / "config", {"lab": {"server": "https://first:6443"}}, {"me": {"token": "one"}},
                  {"lab": {"cluster": "lab", "user": "me"}})
    second = write(tmp_path / "b" / "config", {"lab": {"server": "https://second:6443"},
                                               "prod": {"server": "https://prod:6443"}},
                   {"me": {"token": "two"}, "ops": {"token": "three"}},
                   {"lab": {"cluster": "prod", "user": "ops"}, "prod": {"cluster": "prod", "user": "ops"}},
                   current="prod")
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'absent'}:{first}:{second}")
    current = kubeconfig.load()
    assert current.name == "prod", "the current-context comes from the first file that sets one"
    assert current.server == "https://prod:6443" and current.user == {"token": "three"}
    lab = kubeconfig.load("lab")
    assert lab.server == "https://first:6443" and lab.user == {"token": "one"}, "the first file's lab wins"
    assert lab.files == [first, second], "files that do not exist are skipped, like kubectl"


def test_relative_paths_resolve_against_the_file_that_names_them(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    first = write(tmp_path / "a" / "config", {}, {}, {"lab": {"cluster": "lab", "user": "me"}}, current="lab")
    cluster = {"server": "https://lab:6443", "certificate-authority": "ca.pem"}
    second = write(tmp_path / "b" / "config", {"lab": cluster},
                   {"me": {"client-certificate": "me.crt", "client-key": "/abs/me.key", "tokenFile": "../tok",
                           "exec": {"command": "./bin/plugin", "apiVersion": "client.authentication.k8s.io/v1"}}},
                   {})
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    ctx = kubeconfig.load()
    b = (tmp_path / "b").resolve()
    assert ctx.cluster["certificate-authority"] == str(b / "ca.pem")
    assert ctx.user["client-certificate"] == str(b / "me.crt") and ctx.user["client-key"] == "/abs/me.key"
    assert ctx.user["tokenFile"] == str(b / "../tok")
    assert ctx.user["exec"]["command"] == str(b / "bin/plugin"), "a plugin path with a separator is file-relative"


def test_bare_plugin_name_stays_on_path_and_tls_settings_are_read(tmp_path: Path) -> None:
    path = write(tmp_path / "config", {"lab": {"server": "https://10.0.0.5:6443/", "tls-server-name": "kube.lab",
                                               "proxy-url": "socks5://127.0.0.1:1080"}},
                 {"me": {"exec": {"command": "kubelogin", "apiVersion": "client.authentication.k8s.io/v1"}}},
                 {"lab": {"cluster": "lab", "user": "me", "namespace": "tools"}})
    ctx = kubeconfig.load("lab", path)
    assert ctx.user["exec"]["command"] == "kubelogin"
    assert (ctx.server, ctx.tls_server_name, ctx.proxy_url, ctx.namespace) == (
        "https://10.0.0.5:6443", "kube.lab", "socks5://127.0.0.1:1080", "tools")


@pytest.mark.parametrize(("contexts", "current", "context", "says"), [
    ({"lab": {"cluster": "lab", "user": "me"}}, None, "other", "Context 'other' not found (contexts: lab)"),
    ({"lab": {"cluster": "lab", "user": "me"}}, None, None, "no context given and no current-context set"),
    ({"lab": {"cluster": "gone", "user": "me"}}, "lab", None, "names cluster 'gone', which is missing"),
    ({"lab": {"cluster": "lab", "user": "gone"}}, "lab", None, "names user 'gone', which is not defined"),
])
def test_broken_kubeconfig_is_one_line_of_bad_input(tmp_path: Path, contexts: dict[str, Any], current: str | None,
                                                    context: str | None, says: str) -> None:
    path = write(tmp_path / "config", {"lab": {"server": "https://lab:6443"}}, {"me": {"token": "t"}}, contexts,
                 current)
    with pytest.raises(InputError) as err:
        kubeconfig.load(context, path)
    assert err.value.exit_code == ExitCode.BAD_INPUT and says in str(err.value)
    assert len(err.value.problems) == 1


def test_unreadable_kubeconfig_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("clusters: [\n")
    with pytest.raises(InputError) as err:
        kubeconfig.load(None, path)
    assert str(path) in str(err.value) and "cannot be read" in str(err.value)
