"""Kyverno baseline policies: Audit in dev, Enforce in every later environment.

Pods meet the Pod Security baseline (namespaces the plan marks privileged are exempt, with the
catalog's reason), set CPU and memory requests, and pin their images (no `latest`, no bare names).
"""

from __future__ import annotations

from typing import Any

from homelab.render.context import SYSTEM_NAMESPACES, Context, Obj

API = "kyverno.io/v1"
AUDIT_ENVS = frozenset({"dev"})


def action(ctx: Context) -> str:
    return "Audit" if ctx.env in AUDIT_ENVS else "Enforce"


def _rule(name: str, validate: dict[str, Any], exclude: list[str]) -> dict[str, Any]:
    rule: dict[str, Any] = {"name": name, "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                            "validate": validate}
    if exclude:
        rule["exclude"] = {"any": [{"resources": {"namespaces": exclude}}]}
    return rule


def render(ctx: Context) -> list[Obj]:
    engine = ctx.provider("policy-engine")
    if engine is None:
        ctx.warnings.append("no policy-engine (Kyverno) in the plan: no baseline policies rendered")
        return []
    mode = action(ctx)
    system = sorted(SYSTEM_NAMESPACES)
    privileged = sorted({p.component.namespace for p in ctx.components if p.component.pod_security == "privileged"}
                        | set(system))
    policies = {
        "baseline-pod-security": ("Pods meet the Kubernetes Pod Security baseline profile",
                                  {"failureAction": mode, "podSecurity": {"level": "baseline", "version": "latest"}},
                                  privileged),
        "require-requests": ("Containers set CPU and memory requests", {
            "failureAction": mode, "message": "set resources.requests.cpu and resources.requests.memory",
            "pattern": {"spec": {"containers": [{"resources": {"requests": {"cpu": "?*", "memory": "?*"}}}]}}},
            system),
        "pin-images": ("Images name a tag or digest other than latest", {
            "failureAction": mode, "message": "pin the image to a version tag or digest, not latest",
            "pattern": {"spec": {"containers": [{"image": "*:* | *@*"}],
                                 "=(initContainers)": [{"image": "*:* | *@*"}]}}}, system),
    }
    out = []
    for name, (title, validate, exclude) in policies.items():
        spec = {"background": True, "rules": [_rule(name, validate, exclude)]}
        out.append(ctx.obj(API, "ClusterPolicy", f"{ctx.platform}-{name}", owner=engine.name, role="policy",
                           group="platform/policy", wave=ctx.wave_of(engine.name), spec=spec,
                           annotations={"policies.kyverno.io/title": title,
                                        "policies.kyverno.io/category": "Pod Security Standards (Baseline)",
                                        "homelab.dev/failure-action": mode}))
    return out
