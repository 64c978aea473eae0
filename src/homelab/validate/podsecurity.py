"""The Pod Security Standards' baseline and restricted rules, checked on the pod specs we write ourselves.

A subset that covers what a manifest can get wrong (kubernetes.io/docs/concepts/security/pod-security-standards):
baseline forbids host namespaces, privileged containers, hostPath volumes, host ports, added
capabilities beyond the default set and an Unconfined seccomp profile; restricted also requires
runAsNonRoot, no privilege escalation, a RuntimeDefault or Localhost seccomp profile, dropping ALL
capabilities (adding back only NET_BIND_SERVICE) and volumes of the listed types only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

LEVELS = ("restricted", "baseline", "privileged")
BASELINE_CAPS = frozenset({"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                           "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
RESTRICTED_VOLUMES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                                "persistentVolumeClaim", "projected", "secret"})


def pod_spec(obj: dict[str, Any]) -> tuple[list[Any], dict[str, Any]] | None:
    spec = obj.get("spec") or {}
    kind = obj.get("kind")
    if kind == "Pod":
        return ["spec"], spec
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return ["spec", "template", "spec"], (spec.get("template") or {}).get("spec") or {}
    if kind == "CronJob":
        tmpl = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        return ["spec", "jobTemplate", "spec", "template", "spec"], tmpl.get("spec") or {}
    return None


def _baseline(base: list[Any], pod: dict[str, Any]) -> Iterator[tuple[list[Any], str]]:
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            yield [*base, field], f"{field}: true"
    for i, volume in enumerate(pod.get("volumes") or []):
        if "hostPath" in volume:
            yield [*base, "volumes", i], f"hostPath volume '{volume.get('name')}'"
    for path, c in _containers(base, pod):
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            yield [*path, "securityContext", "privileged"], f"container '{c.get('name')}' is privileged"
        extra = set((sc.get("capabilities") or {}).get("add") or []) - BASELINE_CAPS
        if extra:
            yield [*path, "securityContext", "capabilities"], f"container '{c.get('name')}' adds {sorted(extra)}"
        if any(p.get("hostPort") for p in c.get("ports") or []):
            yield [*path, "ports"], f"container '{c.get('name')}' uses a hostPort"
        if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
            yield [*path, "securityContext", "seccompProfile"], f"container '{c.get('name')}' is Unconfined"


def _restricted(base: list[Any], pod: dict[str, Any]) -> Iterator[tuple[list[Any], str]]:
    psc = pod.get("securityContext") or {}
    for i, volume in enumerate(pod.get("volumes") or []):
        kinds = set(volume) - {"name"}
        if kinds - RESTRICTED_VOLUMES:
            yield [*base, "volumes", i], f"volume '{volume.get('name')}' of type {sorted(kinds)}"
    for path, c in _containers(base, pod):
        sc, name = c.get("securityContext") or {}, c.get("name")
        if sc.get("allowPrivilegeEscalation") is not False:
            yield [*path, "securityContext"], f"container '{name}' does not set allowPrivilegeEscalation: false"
        if not (sc.get("runAsNonRoot", psc.get("runAsNonRoot"))):
            yield [*path, "securityContext"], f"container '{name}' does not set runAsNonRoot: true"
        if sc.get("runAsUser", psc.get("runAsUser")) == 0:
            yield [*path, "securityContext"], f"container '{name}' runs as user 0"
        seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            yield [*path, "securityContext"], f"container '{name}' has no RuntimeDefault seccomp profile"
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            yield [*path, "securityContext"], f"container '{name}' does not drop ALL capabilities"
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            yield [*path, "securityContext"], f"container '{name}' adds capabilities beyond NET_BIND_SERVICE"


def _containers(base: list[Any], pod: dict[str, Any]) -> Iterator[tuple[list[Any], dict[str, Any]]]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for i, container in enumerate(pod.get(field) or []):
            yield [*base, field, i], container


def violations(obj: dict[str, Any], level: str) -> Iterator[tuple[list[Any], str]]:
    """(path, problem) for every rule of `level` the object's pod spec breaks."""
    found = pod_spec(obj)
    if found is None or level == "privileged":
        return
    base, pod = found
    yield from _baseline(base, pod)
    if level == "restricted":
        yield from _restricted(base, pod)
