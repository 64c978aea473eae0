"""Argo CD's install, built from the same kustomization its own Application syncs (manifests/argo-cd).

One source from the first install on: `homelab bootstrap` builds the rendered tree's kustomization
of the GitOps controller (upstream's pinned install manifest plus our patches) exactly as kustomize
would, and applies that; the Application then syncs the same folder, so Argo CD never meets objects
made from another source. Remote manifests are accepted only with the sha256 that ships here
(read from upstream's git tag), downloaded or read from `--argocd-manifest FILE` (air-gapped).

The builder covers what such a kustomization needs and refuses the rest: `namespace`, `resources`
(pinned URLs or local files) and `patches` whose files are strategic-merge patches of maps only.
"""

from __future__ import annotations

import copy
import hashlib
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from homelab.cluster.kinds import builtin_kind, crd_kind_infos
from homelab.cluster.objects import Obj
from homelab.errors import ExitCode, InputError, Problem, cluster_error
from homelab.yamlsrc import Loader

VERSION = "v3.5.1"
MANIFEST_URL = f"https://raw.githubusercontent.com/argoproj/argo-cd/{VERSION}/manifests/install.yaml"
# sha256 of each remote manifest bootstrap may install. Argo CD v3.5.1: `git show v3.5.1:manifests/install.yaml |
# sha256sum` in argoproj/argo-cd (tag v3.5.1 = commit 109ca7ca71139e514114499d294a492e7910a965).
PINNED: dict[str, str] = {MANIFEST_URL: "795a3a972224da6a7f9d32c3e946445f062b60fb46028476715affeb688236e3"}
_FIELDS = {"apiVersion", "kind", "namespace", "resources", "patches"}

Fetch = Callable[[str], bytes]


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return bytes(response.read())


def remote_manifest(url: str, local: Path | None = None, fetch: Fetch = download) -> bytes:
    """A pinned remote manifest, downloaded or read from `local`, refused unless its sha256 matches the pin."""
    expected = PINNED.get(url)
    if expected is None:
        raise InputError([Problem(f"bootstrap installs only remote manifests whose sha256 ships with homelab; "
                                  f"{url} is not one of them", field="resources",
                                  hint=f"pin one of: {', '.join(PINNED)}")])
    where = str(local) if local else url
    try:
        data = local.read_bytes() if local else fetch(url)
    except OSError as exc:
        raise cluster_error(ExitCode.UNREACHABLE, f"cannot read Argo CD's install manifest from {where}: {exc}",
                            "download it elsewhere and pass it with --argocd-manifest FILE") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise cluster_error(ExitCode.PREFLIGHT, f"Argo CD install manifest checksum mismatch: {where} has sha256 "
                            f"{actual}, the pin for {url} is {expected}",
                            "it is not the file upstream tagged; do not install it (nothing was installed)")
    return data


def _merge(base: Any, patch: Any, where: str) -> Any:
    if isinstance(patch, list):
        raise InputError([Problem("bootstrap merges map-only patches; this one patches a list", file=where,
                                  hint="patch maps (ConfigMap data, labels) or build it with kubectl kustomize")])
    if not isinstance(patch, dict) or not isinstance(base, dict):
        return copy.deepcopy(patch)
    out = dict(base)
    for key, value in patch.items():
        out[key] = _merge(base.get(key), value, where)
    return out


def _namespaced(objects: list[Obj]) -> Callable[[Obj], bool]:
    custom = {(info.group, info.kind): info.namespaced
              for crd in objects if crd.get("kind") == "CustomResourceDefinition" for info in crd_kind_infos(crd)}

    def namespaced(obj: Obj) -> bool:
        api, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
        info = builtin_kind(api, kind)
        return info.namespaced if info else custom.get((api.rpartition("/")[0], kind), True)

    return namespaced


def build(folder: Path, *, manifest: Path | None = None, fetch: Fetch = download) -> list[Obj]:
    """The objects `kubectl kustomize folder` builds, for the kustomizations described above."""
    path = folder / "kustomization.yaml"
    try:
        kust = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError:
        raise InputError([Problem(f"no kustomization at {folder}", file=str(path),
                                  hint="re-run `homelab render`, or point --tree at the rendered tree")]) from None
    unknown = sorted(set(kust) - _FIELDS)
    if unknown:
        raise InputError([Problem(f"bootstrap does not build {', '.join(unknown)}", file=str(path),
                                  hint="keep the GitOps controller's kustomization to namespace, resources and "
                                       "map-only patches")])
    objects: list[Obj] = []
    for entry in kust.get("resources") or []:
        text = remote_manifest(entry, manifest, fetch) if "://" in entry else (folder / entry).read_bytes()
        objects.extend(d for d in yaml.load_all(text, Loader=Loader) if isinstance(d, dict) and d.get("kind"))
    for patch in kust.get("patches") or []:
        where = str(folder / patch["path"])
        body = yaml.safe_load((folder / patch["path"]).read_text(encoding="utf-8"))
        meta = body.get("metadata") or {}
        targets = [o for o in objects if o.get("kind") == body.get("kind")
                   and (o.get("metadata") or {}).get("name") == meta.get("name")]
        if len(targets) != 1:
            raise InputError([Problem(f"the patch matches {len(targets)} objects, not one", file=where,
                                      hint="name exactly one object of the manifest in its kind and metadata.name")])
        merged = _merge(targets[0], {k: v for k, v in body.items() if k not in ("apiVersion", "kind")}, where)
        objects[objects.index(targets[0])] = merged
    if kust.get("namespace"):
        _set_namespace(objects, str(kust["namespace"]))
    return objects


def _set_namespace(objects: list[Obj], namespace: str) -> None:
    """kustomize's namespace transformer: namespaced objects, and ServiceAccount subjects of role bindings
    that name no namespace (or `default`)."""
    namespaced = _namespaced(objects)
    for obj in objects:
        if namespaced(obj):
            obj.setdefault("metadata", {})["namespace"] = namespace
        if obj.get("kind") in ("RoleBinding", "ClusterRoleBinding"):
            for subject in obj.get("subjects") or []:
                if subject.get("kind") == "ServiceAccount" and subject.get("namespace", "default") == "default":
                    subject["namespace"] = namespace
