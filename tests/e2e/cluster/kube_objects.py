"""The objects `kube up` creates: the built-in example's nodes for kwok to play, the viewer binding.

The nodes are read from `homelab.config.builtin_text()`, so they cannot drift from the example.
"""

from __future__ import annotations

from homelab import yamlsrc
from homelab.config import builtin_text, parse_config

Obj = dict[str, object]
# Required in a Node's status.nodeInfo; kwok fills in the empty ones with its own version.
NODE_INFO = ("machineID", "systemUUID", "bootID", "kernelVersion", "osImage", "containerRuntimeVersion",
             "kubeletVersion", "kubeProxyVersion")


def example_nodes() -> list[Obj]:
    """One Node per node of the built-in example: its name, CPU, memory, storage, arch and roles.

    kwok manages nodes carrying its annotation and keeps the status they were created with, so
    the capacity set here is what the scheduler and our preflight see.
    """
    config = parse_config(yamlsrc.parse(builtin_text(), "<built-in example homelab.yaml>"))
    nodes: list[Obj] = []
    for node in config.cluster.nodes:
        resources = {"cpu": f"{node.cpu}m", "memory": str(node.memory), "ephemeral-storage": str(node.storage),
                     "pods": "110"}
        labels = {"kubernetes.io/arch": node.arch, "kubernetes.io/os": "linux", "kubernetes.io/hostname": node.name,
                  "type": "kwok", **{f"node-role.kubernetes.io/{role}": "" for role in node.roles}}
        nodes.append({"apiVersion": "v1", "kind": "Node",
                      "metadata": {"name": node.name, "labels": labels,
                                   "annotations": {"kwok.x-k8s.io/node": "fake"}},
                      "status": {"capacity": resources, "allocatable": resources,
                                 "nodeInfo": {**dict.fromkeys(NODE_INFO, ""), "architecture": node.arch,
                                              "operatingSystem": "linux"}}})
    return nodes


def viewer_binding() -> Obj:
    """The group in viewer.kubeconfig's certificate may read (ClusterRole `view`) and write nothing."""
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "homelab:viewers"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "homelab:viewers"}]}
