"""Read kubeconfig the way kubectl does: every file in $KUBECONFIG merged, paths relative to their file.

lightkube (1.0) reads one file and knows neither `tls-server-name`, `proxy-url`, exec plugins of
`client.authentication.k8s.io/v1` nor plugins that return client certificates, so the connection
settings are resolved here and handed to our own transport (cluster/transport.py).

kubectl's merge rules (client-go `ClientConfigLoadingRules`): files are read in order and missing
ones are skipped; for clusters, users and contexts the first file that defines a name wins, and so
does the first `current-context`. Relative file paths are resolved against the file naming them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from homelab.errors import InputError, Problem

# Fields holding a path, resolved against the directory of the file that wrote them.
_CLUSTER_PATHS = ("certificate-authority",)
_USER_PATHS = ("client-certificate", "client-key", "tokenFile")


@dataclass
class Context:
    """Everything needed to reach and authenticate to one cluster (one kube context)."""

    name: str
    server: str
    cluster: dict[str, Any] = field(default_factory=dict)
    user: dict[str, Any] = field(default_factory=dict)
    namespace: str = "default"
    files: list[Path] = field(default_factory=list)

    @property
    def tls_server_name(self) -> str | None:
        return self.cluster.get("tls-server-name") or None

    @property
    def proxy_url(self) -> str | None:
        return self.cluster.get("proxy-url") or None


def kubeconfig_files(explicit: Path | None = None) -> list[Path]:
    """--kubeconfig alone, else every existing file of $KUBECONFIG, else ~/.kube/config."""
    if explicit is not None:
        return [explicit.expanduser()]
    listed = [Path(p).expanduser() for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    if listed:
        return [p for p in dict.fromkeys(listed) if p.is_file()]
    return [Path("~/.kube/config").expanduser()]


def _resolve(entry: dict[str, Any], keys: tuple[str, ...], folder: Path) -> dict[str, Any]:
    out = dict(entry)
    for key in keys:
        value = out.get(key)
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            out[key] = str(folder / value)
    exec_ = out.get("exec")
    if isinstance(exec_, dict) and os.sep in str(exec_.get("command", "")):
        command = Path(str(exec_["command"])).expanduser()
        # client-go: a command with a path separator is relative to the kubeconfig; a bare name uses $PATH
        out["exec"] = {**exec_, "command": str(command if command.is_absolute() else folder / command)}
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InputError([Problem(f"kubeconfig {path} does not exist", field="--kubeconfig",
                                  hint="point --kubeconfig or KUBECONFIG at your cluster's kubeconfig")]) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError([Problem(f"kubeconfig cannot be read: {first}", file=str(path),
                                  hint="fix the file, or point KUBECONFIG at another one")]) from None
    if not isinstance(data, dict):
        raise InputError([Problem("a kubeconfig is a mapping (apiVersion: v1, kind: Config)", file=str(path))])
    return data


def merge(paths: list[Path]) -> dict[str, Any]:
    """One kubeconfig from several: first definition of every name wins, relative paths made absolute."""
    merged: dict[str, Any] = {"clusters": {}, "users": {}, "contexts": {}, "current-context": None}
    for path in paths:
        data = _read(path)
        folder = path.resolve().parent
        for section, inner, keys in (("clusters", "cluster", _CLUSTER_PATHS), ("users", "user", _USER_PATHS),
                                     ("contexts", "context", ())):
            for item in data.get(section) or []:
                if not isinstance(item, dict) or not item.get("name"):
                    raise InputError([Problem(f"every entry of {section} needs a name", file=str(path),
                                              field=section)])
                if item["name"] not in merged[section]:
                    merged[section][item["name"]] = _resolve(dict(item.get(inner) or {}), keys, folder)
        if not merged["current-context"] and data.get("current-context"):
            merged["current-context"] = data["current-context"]
    return merged


def load(context: str | None = None, explicit: Path | None = None) -> Context:
    """The chosen context (or the current one) from the merged kubeconfig files."""
    paths = kubeconfig_files(explicit)
    where = ", ".join(map(str, paths)) or f"$KUBECONFIG ({os.environ.get('KUBECONFIG')}: no such files)"
    merged = merge(paths)
    name = context or merged["current-context"]
    hint = ("set environments.<env>.kube_context to a context in your kubeconfig, or point KUBECONFIG at the "
            "right file")
    if not name:
        raise InputError([Problem(f"kubeconfig {where}: no context given and no current-context set",
                                  field="kube_context", hint=hint)])
    ctx = merged["contexts"].get(name)
    if ctx is None:
        known = ", ".join(sorted(merged["contexts"])) or "none"
        raise InputError([Problem(f"kubeconfig {where}: Context '{name}' not found (contexts: {known})",
                                  field="kube_context", hint=hint)])
    cluster = merged["clusters"].get(ctx.get("cluster"))
    if cluster is None or not cluster.get("server"):
        raise InputError([Problem(f"kubeconfig {where}: context '{name}' names cluster '{ctx.get('cluster')}', "
                                  "which is missing or has no server", field="clusters", hint=hint)])
    user: dict[str, Any] = {}
    if ctx.get("user"):
        if ctx["user"] not in merged["users"]:
            raise InputError([Problem(f"kubeconfig {where}: context '{name}' names user '{ctx['user']}', which is "
                                      "not defined", field="users", hint=hint)])
        user = merged["users"][ctx["user"]]
    return Context(name=name, server=str(cluster["server"]).rstrip("/"), cluster=cluster, user=user,
                   namespace=str(ctx.get("namespace") or "default"), files=paths)
