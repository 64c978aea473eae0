"""Namespaces with Pod Security Admission labels, one per namespace the plan uses.

Several components may share a namespace; it gets the most permissive level any of them needs,
and the annotation names who needs it and why.
"""

from __future__ import annotations

from homelab.render.context import Context, Obj

LEVELS = ("restricted", "baseline", "privileged")
PSA = "pod-security.kubernetes.io"


def render(ctx: Context) -> list[Obj]:
    out = []
    for ns in ctx.owned_namespaces():
        members = ctx.namespace_members()[ns]
        level = max((p.component.pod_security for p in members), key=LEVELS.index)
        reasons = [f"{p.name}: {p.component.pod_security_reason}" for p in members
                   if p.component.pod_security == level and p.component.pod_security_reason]
        wave = min(p.wave for p in members)
        owner = members[0].name if len(members) == 1 else ctx.platform
        obj = ctx.obj("v1", "Namespace", ns, owner=owner, role="namespace", group=ctx.namespace_group(ns),
                      wave=wave, annotations={"homelab.dev/pod-security-reason": "; ".join(reasons) or
                                              "every component here runs under the restricted profile"})
        labels = obj.body["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            labels[f"{PSA}/{mode}"] = level
        out.append(obj)
    return out
