"""Argo CD's pinned upstream install manifest: fetched once, checked against a verified sha256.

The pin matches the CRDs kept under shared/crds/argo-cd (v3.5.1). No digest is shipped
because none could be obtained from a trusted source while writing this: the user gives
one (`--argocd-sha256`, computed from the signed v3.5.1 tag as docs/cluster.md shows), or
opts into trust-on-first-use, which records the digest of the first download and checks
every later download against it. Without either, bootstrap refuses.
"""

from __future__ import annotations

import hashlib
import urllib.request
from collections.abc import Callable
from pathlib import Path

import yaml

from homelab.cluster.objects import Obj
from homelab.errors import ExitCode, InputError, Problem, cluster_error

VERSION = "v3.5.1"
MANIFEST_URL = f"https://raw.githubusercontent.com/argoproj/argo-cd/{VERSION}/manifests/install.yaml"
NAMESPACE = "argocd"
# Verified digest of MANIFEST_URL; None until someone fills it from a trusted checkout (see docs/cluster.md).
PINNED_SHA256: str | None = None

Fetch = Callable[[str], bytes]


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return bytes(response.read())


def digest_file(state_dir: Path) -> Path:
    return state_dir / f"argocd-{VERSION}-install.sha256"


def fetch_manifest(state_dir: Path, *, expected: str | None = None, trust_on_first_use: bool = False,
                   source: Path | None = None, fetch: Fetch = _download) -> tuple[bytes, str]:
    """The manifest bytes and a line saying how they were verified. Refuses unverifiable bytes.

    `source` reads a local copy (air-gapped installs) instead of downloading; it is checked the same way.
    """
    recorded = digest_file(state_dir)
    known = expected or PINNED_SHA256 or (recorded.read_text().split()[0] if recorded.exists() else None)
    if known is None and not trust_on_first_use:
        raise InputError([Problem(
            f"no verified sha256 for Argo CD {VERSION}'s install manifest, so it will not be installed",
            field="--argocd-sha256",
            hint="pass --argocd-sha256 with the digest computed from the signed tag (docs/cluster.md), "
                 "or --trust-on-first-use to record the first download's digest")])
    try:
        data = source.read_bytes() if source else fetch(MANIFEST_URL)
    except OSError as exc:
        raise cluster_error(ExitCode.UNREACHABLE, f"cannot read Argo CD's manifest from {source or MANIFEST_URL}: "
                            f"{exc}", "use --argocd-manifest FILE with a local copy") from None
    actual = hashlib.sha256(data).hexdigest()
    if known is not None:
        if actual != known.lower():
            raise cluster_error(ExitCode.PREFLIGHT, f"Argo CD manifest checksum mismatch: expected {known}, "
                                f"got {actual} ({source or MANIFEST_URL})",
                                "the download was altered or the pin is wrong; do not install it")
        return data, f"sha256 {actual} verified"
    state_dir.mkdir(parents=True, exist_ok=True)
    recorded.write_text(f"{actual}  {MANIFEST_URL}\n", encoding="utf-8")
    return data, f"sha256 {actual} trusted on first use and recorded in {recorded}"


def manifest_objects(data: bytes, namespaced: Callable[[Obj], bool]) -> list[Obj]:
    """The manifest's objects, namespaced ones placed in the argocd namespace (as upstream expects)."""
    out: list[Obj] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}]
    for doc in yaml.safe_load_all(data):
        if not isinstance(doc, dict) or not doc.get("kind"):
            continue
        if namespaced(doc):
            doc.setdefault("metadata", {}).setdefault("namespace", NAMESPACE)
        out.append(doc)
    return out
