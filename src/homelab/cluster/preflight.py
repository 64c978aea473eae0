"""Preflight: does this cluster meet the plan? Pure checks over objects read from the API.

Inputs are the `/version` answer, Nodes, StorageClasses and kube-system DaemonSets as
the API returns them, plus the plan. Each check yields a Finding; any `fail` stops
bootstrap with exit code 8 before anything is written to the cluster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from homelab.cluster.objects import Obj, annotations_of, labels
from homelab.plan.model import Plan
from homelab.quantity import format_bytes, format_cpu, parse_bytes, parse_cpu

MIN_VERSION = (1, 30)  # oldest Kubernetes that Argo CD v3.x and our schemas are tested against
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
_CNI_DAEMONSETS = ("cilium", "calico-node", "kube-flannel", "canal", "weave-net", "kindnet", "antrea-agent",
                   "kube-router")


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    message: str
    warning: bool = False  # ok=True with something worth reading


def server_version(info: dict[str, Any]) -> tuple[int, int]:
    """(major, minor) from `/version`; managed clusters report minors such as "30+"."""
    major = int(re.sub(r"\D", "", str(info.get("major", "0"))) or 0)
    minor = int(re.sub(r"\D", "", str(info.get("minor", "0"))) or 0)
    return major, minor


def check_version(info: dict[str, Any], planned: str) -> Finding:
    have = server_version(info)
    text = str(info.get("gitVersion") or f"{have[0]}.{have[1]}")
    if have < MIN_VERSION:
        return Finding("version", False, f"Kubernetes {text} is older than the supported "
                                         f"{MIN_VERSION[0]}.{MIN_VERSION[1]}; upgrade the cluster")
    want = tuple(int(x) for x in planned.split(".")[:2])
    if have[:2] != want:
        return Finding("version", True, f"Kubernetes {text} runs, homelab.yaml says {planned} (schemas are checked "
                                        f"against {planned}; set cluster.kubernetes.version to match)", warning=True)
    return Finding("version", True, f"Kubernetes {text}")


def _node_arch(node: Obj) -> str:
    info = ((node.get("status") or {}).get("nodeInfo") or {})
    return str(info.get("architecture") or labels(node).get("kubernetes.io/arch", "unknown"))


def _allocatable(node: Obj) -> tuple[int, int]:
    alloc = ((node.get("status") or {}).get("allocatable") or {})
    return parse_cpu(alloc.get("cpu", "0")), parse_bytes(alloc.get("memory", "0"))


def _node_ready(node: Obj) -> tuple[bool, str]:
    for c in (node.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return str(c.get("status")) == "True", str(c.get("message", ""))
    return False, "no Ready condition"


def check_nodes(nodes: list[Obj], plan: Plan) -> list[Finding]:
    """Architectures the plan placed work on must exist; planned requests must fit what the nodes offer."""
    if not nodes:
        return [Finding("nodes", False, "the cluster has no nodes")]
    out = []
    archs = {_node_arch(n) for n in nodes}
    for fit in plan.nodes:
        if fit.components() and fit.arch not in archs:
            out.append(Finding("arch", False, f"the plan places {len(fit.components())} components on {fit.arch} "
                                              f"node {fit.name}, but the cluster has only {', '.join(sorted(archs))}"))
    by_name = {str((n.get("metadata") or {}).get("name")): n for n in nodes}
    cpu_have = sum(_allocatable(n)[0] for n in nodes)
    mem_have = sum(_allocatable(n)[1] for n in nodes)
    cpu_need = sum(f.cpu_used for f in plan.nodes)
    mem_need = sum(f.memory_used for f in plan.nodes)
    for fit in plan.nodes:
        node = by_name.get(fit.name)
        if node is not None:
            cpu, mem = _allocatable(node)
            if fit.cpu_used > cpu or fit.memory_used > mem:
                out.append(Finding("capacity", False, f"node {fit.name} offers cpu {format_cpu(cpu)}, memory "
                                   f"{format_bytes(mem)}; the plan places cpu {format_cpu(fit.cpu_used)}, memory "
                                   f"{format_bytes(fit.memory_used)} on it"))
    if cpu_need > cpu_have or mem_need > mem_have:
        out.append(Finding("capacity", False, f"the plan requests cpu {format_cpu(cpu_need)}, memory "
                           f"{format_bytes(mem_need)}; the {len(nodes)} nodes offer cpu {format_cpu(cpu_have)}, "
                           f"memory {format_bytes(mem_have)}"))
    if not any(f.check == "capacity" for f in out):
        out.append(Finding("capacity", True, f"{len(nodes)} nodes offer cpu {format_cpu(cpu_have)}, memory "
                           f"{format_bytes(mem_have)}; the plan requests cpu {format_cpu(cpu_need)}, memory "
                           f"{format_bytes(mem_need)}"))
    if len(nodes) != len(plan.nodes):
        out.append(Finding("nodes", True, f"homelab.yaml describes {len(plan.nodes)} nodes, the cluster has "
                           f"{len(nodes)}", warning=True))
    return out


def check_storage(classes: list[Obj], plan: Plan) -> Finding:
    defaults = [str((c.get("metadata") or {}).get("name")) for c in classes
                if annotations_of(c).get(DEFAULT_CLASS) == "true"]
    if defaults:
        return Finding("storage", True, f"default StorageClass {', '.join(defaults)}")
    provider = plan.provider_of("storage-class")
    if provider:
        return Finding("storage", True, f"no default StorageClass yet; {provider} provides it", warning=True)
    return Finding("storage", False, "no default StorageClass and none planned (mark one with the "
                   f"{DEFAULT_CLASS} annotation, or add a storage-class provider such as local-path or longhorn)")


def running_cni(nodes: list[Obj], daemonsets: list[Obj]) -> str | None:
    """Name of the CNI already installed, if we recognise it."""
    for ds in daemonsets:
        name = str((ds.get("metadata") or {}).get("name", ""))
        for known in _CNI_DAEMONSETS:
            if name.startswith(known):
                return known
    if any("flannel.alpha.coreos.com/backend-type" in annotations_of(n) for n in nodes):
        return "flannel"
    return None


def check_cni(nodes: list[Obj], daemonsets: list[Obj], plan: Plan) -> Finding:
    planned = plan.provider_of("cni")
    found = running_cni(nodes, daemonsets)
    not_ready = [msg for ready, msg in map(_node_ready, nodes) if not ready]
    if found and planned and found != planned:
        return Finding("cni", True, f"{found} already runs and the plan installs {planned}; two CNIs on one "
                                    "cluster break pod networking (remove one)", warning=True)
    if found or (nodes and not not_ready):
        return Finding("cni", True, f"CNI {found or 'present'} (all nodes Ready)")
    if planned:
        return Finding("cni", True, f"no CNI yet; {planned} is planned", warning=True)
    return Finding("cni", False, "no CNI runs and none is planned" +
                   (f" (node says: {not_ready[0]})" if not_ready else ""))


@dataclass(frozen=True)
class Replaced:
    """Something the distribution bundles that the plan brings its own of (render/bootstrap.replaced_bundles)."""

    name: str  # e.g. "traefik", "flannel"
    flag: str  # the server flag that turns it off
    detect: str | None  # name prefix of its kube-system DaemonSet or Deployment


def check_replaced(nodes: list[Obj], workloads: list[Obj], replaced: list[Replaced]) -> list[Finding]:
    """What the plan replaces must be off: two ingress controllers or two CNIs fight over the same job."""
    names = [str((w.get("metadata") or {}).get("name", "")) for w in workloads]
    out = []
    for item in replaced:
        if item.detect:
            running = next((n for n in names if n.startswith(item.detect)), None)
        else:
            running = item.name if running_cni(nodes, workloads) == item.name else None
        if running:
            out.append(Finding("distribution", False, f"the cluster still runs its bundled {item.name} ({running}), "
                                                      f"which the plan replaces: start the servers with {item.flag}"))
    return out


def run(info: dict[str, Any], nodes: list[Obj], classes: list[Obj], daemonsets: list[Obj], plan: Plan,
        planned_version: str, replaced: list[Replaced] | None = None,
        deployments: list[Obj] | None = None) -> list[Finding]:
    """Every check; `replaced` (with kube-system `deployments`) also checks the distribution's flags."""
    return [check_version(info, planned_version), *check_nodes(nodes, plan), check_storage(classes, plan),
            check_cni(nodes, daemonsets, plan),
            *check_replaced(nodes, [*daemonsets, *(deployments or [])], replaced or [])]
