"""The real-control-plane half of bench/cluster.py: `homelab bootstrap --local` to all-ready next to
`kubectl apply --server-side` of the same objects in one run, per profile (see bench/cluster.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests/ holds the workspace helper and the Argo CD test double

from tests.e2e.argocd_double import ArgoCDControllerDouble, crds_in  # noqa: E402
from tests.e2e.workspace import Workspace, cluster_nodes, current_context, terminating  # noqa: E402
from tests.shared import shared, vendored  # noqa: E402

from homelab.cluster import argocd  # noqa: E402
from homelab.cluster import objects as o  # noqa: E402
from homelab.cluster.bootstrap import is_root  # noqa: E402
from homelab.cluster.kinds import established  # noqa: E402
from homelab.cluster.kube import Kube  # noqa: E402


def wait(what: str, check: object, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(1)
    raise SystemExit(f"bench: {what} did not happen within {timeout:.0f}s")


def install_chart_crds(kube: Kube) -> None:
    """Every CRD a chart would bring, so neither run waits for one."""
    found = [crd for folder in sorted(p for p in shared("crds").iterdir() if p.is_dir()) for crd in crds_in(folder)]
    for crd in found:
        kube.apply(crd, force=True)
    names = {crd["metadata"]["name"] for crd in found}
    wait("every CRD Established", lambda: names <= {
        c["metadata"]["name"] for c in kube.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        if established(c)})


def clean(workspace: Workspace, kube: Kube) -> None:
    done = workspace.homelab("destroy", "--yes", "--delete-data", "--timeout", "600", timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"bench: destroy failed: {done.stderr[-2000:]}")
    wait("nothing Terminating", lambda: terminating(kube) == [])


def kubectl_run(workspace: Workspace, objects: list[dict[str, object]]) -> float:
    path = workspace.root / "all.yaml"
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    # under our own field manager, so no foreign owner stays behind on what destroy keeps (Argo CD's objects)
    command = [shutil.which("kubectl") or "kubectl", "--kubeconfig", str(workspace.kubeconfig), "apply",
               "--server-side", "--force-conflicts", "--field-manager=homelab-dev", "-f", str(path)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bench: kubectl apply failed: {done.stderr[-2000:]}")
    return seconds


def homelab_run(workspace: Workspace) -> float:
    manifest = vendored(argocd.MANIFEST_URL)
    started = time.perf_counter()
    done = workspace.homelab("bootstrap", "--local", "--argocd-manifest", str(manifest), "--timeout", "600",
                             timeout=900)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bench: bootstrap --local failed: {done.stderr[-2000:]}")
    return seconds


def compare(kubeconfig: Path, profiles: list[str]) -> Table:
    table = Table(title="bootstrap --local to all-ready vs kubectl apply --server-side (one run each)")
    for column in ("profile", "objects", "kubectl s", "kubectl obj/s", "homelab s", "homelab obj/s", "ratio"):
        table.add_column(column, justify="left" if column == "profile" else "right")
    context = current_context(kubeconfig)
    kube = Kube.connect(context, kubeconfig, field_manager="bench")
    install_chart_crds(kube)
    for profile in profiles:
        with tempfile.TemporaryDirectory(prefix=f"bench-{profile}-") as scratch:
            workspace = Workspace(Path(scratch), kubeconfig, context)
            workspace.configure(profile, cluster_nodes(kube), **({"choices": {}} if profile == "minimal" else {}))
            tree = [obj for obj in workspace.render() if not is_root(obj)]
            install = argocd.build(workspace.tree / "manifests" / "argo-cd", manifest=vendored(argocd.MANIFEST_URL))
            everything = o.apply_order([*install, *tree])
            with ArgoCDControllerDouble(kubeconfig, workspace.tree, shared("crds"), every=0.1):
                clean(workspace, kube)
                kubectl_seconds = kubectl_run(workspace, everything)
                clean(workspace, kube)
                homelab_seconds = homelab_run(workspace)
                clean(workspace, kube)
            count = len(everything)
            table.add_row(profile, f"{count:,}", f"{kubectl_seconds:.1f}", f"{count / kubectl_seconds:,.0f}",
                          f"{homelab_seconds:.1f}", f"{count / homelab_seconds:,.0f}",
                          f"{homelab_seconds / kubectl_seconds:.2f}x")
    kube.close()
    return table
