"""Kyverno's validate rules evaluated in Python on the pods our manifests make, as the API server admits them.

Kyverno cannot run without a cluster, so the rules are applied here the way admission would: the
pod a workload makes (its template, in the workload's namespace), completed by the namespace's
LimitRange defaults (the LimitRanger admission plugin mutates before webhooks validate), then matched
against each rule of each ClusterPolicy: `pattern` (wildcards `*` `?`, `|` alternatives, `!` negation,
`?*` non-empty, `=(key)` only-if-present anchors, one list element applying to every element) and
`podSecurity` (the level's rules from podsecurity). A rule that matches Pods also applies, by Kyverno's
autogen, to the workload object itself unless the policy turns autogen off.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from homelab.validate.podsecurity import pod_spec, violations

AUTOGEN = "pod-policies.kyverno.io/autogen-controllers"


def _scalar(value: Any, pattern: str) -> bool:
    if "|" in pattern:
        return any(_scalar(value, alternative.strip()) for alternative in pattern.split("|"))
    if pattern.startswith("!"):
        return value is not None and not _scalar(value, pattern[1:])
    if pattern == "?*":
        return value not in (None, "")
    return value is not None and fnmatch.fnmatchcase(str(value), pattern)


def matches(value: Any, pattern: Any) -> bool:
    """Does `value` satisfy Kyverno `pattern`?"""
    if isinstance(pattern, dict):
        if not isinstance(value, dict):
            return False
        for key, want in pattern.items():
            if key.startswith("=(") and key.endswith(")"):
                name = key[2:-1]
                if name in value and not matches(value[name], want):
                    return False
            elif not matches(value.get(key), want):
                return False
        return True
    if isinstance(pattern, list):
        return isinstance(value, list) and all(any(matches(v, p) for p in pattern) for v in value)
    if isinstance(pattern, str):
        return _scalar(value, pattern)
    return bool(value == pattern)


@dataclass(frozen=True)
class Rejection:
    policy: str
    rule: str
    action: str
    message: str


def admitted_pod(obj: dict[str, Any], defaults: dict[str, str] | None) -> dict[str, Any] | None:
    """The Pod a workload makes, with the LimitRange's default requests filled in where a container has none."""
    found = pod_spec(obj)
    if found is None:
        return None
    spec = {**found[1]}
    if defaults:
        spec["containers"] = [_with_defaults(c, defaults) for c in spec.get("containers") or []]
        spec["initContainers"] = [_with_defaults(c, defaults) for c in spec.get("initContainers") or []]
    namespace = (obj.get("metadata") or {}).get("namespace", "")
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": namespace}, "spec": spec}


def _with_defaults(container: dict[str, Any], defaults: dict[str, str]) -> dict[str, Any]:
    resources = dict(container.get("resources") or {})
    resources["requests"] = {**defaults, **(resources.get("requests") or {})}
    return {**container, "resources": resources}


def _matches_pods_in(rule: dict[str, Any], namespace: str) -> bool:
    """A `match.any` clause selects Pods, in every namespace or in a list naming `namespace`."""
    for clause in ((rule.get("match") or {}).get("any") or []):
        resources = clause.get("resources") or {}
        if "Pod" in resources.get("kinds", []) and namespace in resources.get("namespaces", [namespace]):
            return True
    return False


def _excluded(rule: dict[str, Any], namespace: str) -> bool:
    for clause in ((rule.get("exclude") or {}).get("any") or []):
        if namespace in ((clause.get("resources") or {}).get("namespaces") or []):
            return True
    return False


def _failures(rule: dict[str, Any], pod: dict[str, Any]) -> Iterator[str]:
    validate = rule.get("validate") or {}
    if "pattern" in validate and not matches(pod, validate["pattern"]):
        yield validate.get("message") or f"does not match rule {rule.get('name')}"
    if "podSecurity" in validate:
        level = validate["podSecurity"].get("level", "baseline")
        for _, problem in violations(pod, level):
            yield f"Pod Security {level}: {problem}"


def rejections(policy: dict[str, Any], obj: dict[str, Any], defaults: dict[str, str] | None) -> Iterator[Rejection]:
    """Why `policy` would refuse `obj` (a workload or a Pod) or the Pods it makes."""
    namespace = (obj.get("metadata") or {}).get("namespace", "")
    autogen = ((policy.get("metadata") or {}).get("annotations") or {}).get(AUTOGEN) != "none"
    candidates: list[dict[str, Any]] = []
    pod = admitted_pod(obj, defaults)
    if pod is not None:
        candidates.append(pod)
    if autogen and obj.get("kind") != "Pod" and pod is not None:
        candidates.append(admitted_pod(obj, None) or {})  # the workload itself, before any LimitRange applies
    name = policy["metadata"]["name"]
    for rule in (policy.get("spec") or {}).get("rules") or []:
        if not _matches_pods_in(rule, namespace) or _excluded(rule, namespace):
            continue
        action = (rule.get("validate") or {}).get("failureAction", "Audit")
        for candidate in candidates:
            for message in _failures(rule, candidate):
                yield Rejection(name, str(rule.get("name")), action, message)
                break


def limit_defaults(objects: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Namespace -> the default requests its LimitRange gives containers."""
    out: dict[str, dict[str, str]] = {}
    for obj in objects:
        if obj.get("kind") == "LimitRange":
            for limit in (obj.get("spec") or {}).get("limits") or []:
                if limit.get("type") == "Container" and limit.get("defaultRequest"):
                    out.setdefault(obj["metadata"].get("namespace", ""), {}).update(limit["defaultRequest"])
    return out
