"""Environments deploying to one cluster must not write the same object (`homelab validate`).

On a cluster several environments share (`namespace_prefix`), each object is one thing: two
environments writing one (kind, namespace, name), or one cluster-scoped (kind, name), overwrite each
other under Argo CD (two Applications fighting over it). So do two ExternalSecrets filling one
Secret, and two Helm releases of one name in one namespace. Render keeps them apart (render/guest);
this check is what proves it on the tree as written, hand edits included.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from homelab.config import Config
from homelab.validate.findings import Finding
from homelab.validate.locate import Locator

Identity = tuple[str, str, str]  # (what, namespace or "" when cluster-scoped, name)
RULE = "one-cluster-names"


def identities(obj: dict[str, Any]) -> Iterator[Identity]:
    """What `obj` takes on its cluster: itself, and the Secret an ExternalSecret writes or the Helm release an
    Application installs."""
    meta = obj.get("metadata") or {}
    ns, name, spec = str(meta.get("namespace") or ""), str(meta.get("name", "")), obj.get("spec") or {}
    yield str(obj.get("kind", "")), ns, name
    if obj.get("kind") == "ExternalSecret":
        yield "Secret", ns, str((spec.get("target") or {}).get("name") or name)
    if obj.get("kind") == "Application":
        helm = (spec.get("source") or {}).get("helm") or {}
        if helm.get("releaseName"):
            yield "Helm release", str((spec.get("destination") or {}).get("namespace", "")), str(helm["releaseName"])


def clusters(config: Config) -> list[list[str]]:
    """The groups of environments that deploy to one cluster: a host and its guests."""
    return [group for env in config.env_names() if len(group := config.on_cluster_of(env)) > 1 and group[0] == env]


def check(config: Config, objects: dict[str, list[dict[str, Any]]], locator: Locator) -> list[Finding]:
    """A finding for every identity two environments on one cluster both take (objects: each environment's
    own, as built from its folder)."""
    found = []
    for group in clusters(config):
        taken: dict[Identity, str] = {}
        for env in (e for e in group if e in objects):
            for obj in objects[env]:
                for what, ns, name in identities(obj):
                    first = taken.setdefault((what, ns, name), env)
                    if first == env:
                        continue
                    meta = obj.get("metadata") or {}
                    key = (str(obj.get("kind", "")), str(meta.get("namespace", "")), str(meta.get("name", "")))
                    file, index = locator.place(env, *key)
                    place = f"{ns}/{name}" if ns else f"{name} (cluster-scoped)"
                    found.append(Finding(
                        RULE, file, index, "$.metadata.name",
                        f"{env}: {what} {place} is also {first}'s, on the cluster {', '.join(group)} share",
                        f"render {env} again (a guest's objects are named <prefix>-<name>), or rename it", key[0],
                        key[2]))
    return found
