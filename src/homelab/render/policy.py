"""Kyverno baseline policies: Audit in dev, Enforce in every later environment, admitting the platform itself.

On a shared cluster the host's policies hold in its guests' namespaces too, except a guest's whose action
differs (a dev guest's Audit under a prod host's Enforce): the host's exclude those namespaces, and the guest
writes its own set (`<prefix>-<platform>-<name>`, a guest's names in the host's space) that matches only them.

Pods meet the Pod Security baseline (namespaces the plan marks privileged are exempt, with the
catalog's reason), set CPU and memory requests, and pin their images (a tag or digest, never `latest`).

Charts start pods the tree never shows (their hook Jobs, Harbor's components without requests), so
the requests rule is kept satisfiable for them: every namespace we create has a LimitRange whose
default requests the API server fills into a container that sets none, and the rule checks Pods only
(Kyverno's autogen is off for it), which the LimitRange has completed before admission webhooks run.
A workload's own requests still win; namespaces we do not create keep the rule as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homelab.render.context import SYSTEM_NAMESPACES, Context, Obj

API = "kyverno.io/v1"
AUDIT_ENVS = frozenset({"dev"})
AUTOGEN = "pod-policies.kyverno.io/autogen-controllers"
DEFAULT_REQUESTS = {"cpu": "50m", "memory": "64Mi"}


def action(env: str) -> str:
    return "Audit" if env in AUDIT_ENVS else "Enforce"


@dataclass(frozen=True)
class Scope:
    """Where one set of ClusterPolicies holds: everywhere but `exclude`, or (a guest whose action differs from its
    host's) only in `only`, its own namespaces."""

    mode: str
    exclude: list[str]
    only: list[str] | None = None


def _rule(name: str, validate: dict[str, Any], scope: Scope, exempt: list[str]) -> dict[str, Any]:
    match: dict[str, Any] = {"kinds": ["Pod"], **({"namespaces": scope.only} if scope.only is not None else {})}
    rule: dict[str, Any] = {"name": name, "match": {"any": [{"resources": match}]}, "validate": validate}
    exclude = set(scope.exclude) | set(exempt)
    if scope.only is not None:
        exclude &= set(scope.only)  # a set matching only a guest's namespaces exempts only among them
    if exclude:
        rule["exclude"] = {"any": [{"resources": {"namespaces": sorted(exclude)}}]}
    return rule


def _images(pattern: str) -> dict[str, Any]:
    return {"spec": {"containers": [{"image": pattern}], "=(initContainers)": [{"image": pattern}],
                     "=(ephemeralContainers)": [{"image": pattern}]}}


def scope(ctx: Context) -> Scope | None:
    """Where this environment's ClusterPolicies hold. One Kyverno serves a shared cluster: the host's policies
    hold in its guests' namespaces too, except a guest's whose action differs (dev's Audit beside prod's
    Enforce): that guest writes its own set, holding only in its own namespaces. None: the host's cover it."""
    if ctx.prefix is None:
        apart = [p.component.namespace for guest, plan in ctx.guests().items() if action(guest) != action(ctx.env)
                 for name, p in plan.components.items() if name not in plan.hosted]
        return Scope(action(ctx.env), apart)
    host = ctx.config.host_of(ctx.env)
    if host is not None and action(host) == action(ctx.env):
        return None
    own = {p.component.namespace for p in ctx.components if ctx.installs(p.name)}
    return Scope(action(ctx.env), [], sorted(own - SYSTEM_NAMESPACES))


def policies(ctx: Context, where: Scope) -> dict[str, tuple[str, list[dict[str, Any]], dict[str, str]]]:
    """name -> (title, rules, extra annotations)."""
    mode = where.mode
    system = sorted(SYSTEM_NAMESPACES)
    # the host's policies hold for its guests' namespaces too: their privileged components are exempt as well
    privileged = sorted({p.component.namespace for p in [*ctx.components, *ctx.guest_components()]
                         if p.component.pod_security == "privileged"} | set(system))
    return {
        "baseline-pod-security": ("Pods meet the Kubernetes Pod Security baseline profile", [_rule(
            "baseline-pod-security", {"failureAction": mode, "podSecurity": {"level": "baseline", "version": "latest"}},
            where, privileged)], {}),
        "require-requests": ("Containers set CPU and memory requests", [_rule("require-requests", {
            "failureAction": mode, "message": "set resources.requests.cpu and resources.requests.memory",
            "pattern": {"spec": {"containers": [{"resources": {"requests": {"cpu": "?*", "memory": "?*"}}}]}}},
            where, system)], {AUTOGEN: "none"}),
        "pin-images": ("Images name a tag or digest other than latest", [
            _rule("require-tag-or-digest", {"failureAction": mode, "message": "give the image a tag or a digest",
                                            "pattern": _images("*:* | *@*")}, where, system),
            _rule("no-latest", {"failureAction": mode, "message": "pin the image to a version tag or digest, not "
                                                                   "latest", "pattern": _images("!*:latest")},
                  where, system)], {}),
    }


def default_requests(ctx: Context) -> list[Obj]:
    """A LimitRange in every namespace we create: requests for containers that set none."""
    out = []
    for ns in ctx.owned_namespaces():
        spec = {"limits": [{"type": "Container", "defaultRequest": dict(DEFAULT_REQUESTS)}]}
        out.append(ctx.obj("v1", "LimitRange", f"{ctx.platform}-default-requests", owner=ctx.platform,
                           role="policy", group=ctx.namespace_group(ns), namespace=ns, wave=ctx.namespace_wave(ns),
                           spec=spec, annotations={"homelab.dev/reason": "charts start containers without requests "
                                                   "(hook Jobs, sidecars): the require-requests policy admits them "
                                                   "with these"}))
    return out


def render(ctx: Context) -> list[Obj]:
    engine = ctx.provider("policy-engine")
    if engine is None:
        ctx.warnings.append("no policy-engine (Kyverno) in the plan: no baseline policies rendered")
        return []
    out = default_requests(ctx)
    where = scope(ctx)
    if where is None:
        return out
    for name, (title, rules, notes) in policies(ctx, where).items():
        obj = ctx.obj(API, "ClusterPolicy", "-".join(p for p in (ctx.prefix, ctx.platform, name) if p),
                      owner=engine.name, role="policy", group="platform/policy", wave=ctx.wave_of(engine.name),
                      spec={"background": True, "rules": rules},
                      annotations={"policies.kyverno.io/title": title,
                                   "policies.kyverno.io/category": "Pod Security Standards (Baseline)",
                                   "homelab.dev/failure-action": where.mode, **notes})
        obj.own = ctx.prefix is not None  # a guest's own set, beside its host's (render/guest keeps it)
        out.append(obj)
    return out
