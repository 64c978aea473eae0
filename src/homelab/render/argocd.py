"""Argo CD: one Application per component, an AppProject per layer, and the root app-of-apps.

Helm sources are pinned to exactly the planned version with values inline; OCI charts use Argo CD's
native `oci://` source (path `.`); git sources sync a folder at a tag or commit; local sources sync the
copy of the packaged kustomization from the user's own GitOps repository, at the revision the
environment's release sets (see `gate`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homelab.catalog.model import Component
from homelab.render.context import Context, Obj
from homelab.render.gate import API, IN_CLUSTER, RELEASE_REVISION, REVISION_LABEL, repo_path, sync_policy
from homelab.render.values import helm_values

MANIFESTS = "manifests"


def project_name(ctx: Context, layer: str) -> str:
    return f"{ctx.platform}-{layer}"


def source(ctx: Context, comp: Component, version: str, values: dict[str, Any]) -> dict[str, Any]:
    src = comp.source
    gitops = ctx.config.gitops
    if src.kind == "helm":
        out: dict[str, Any] = {"repoURL": src.repo, "chart": src.chart, "targetRevision": version}
    elif src.kind == "oci":
        out = {"repoURL": f"{(src.repo or '').rstrip('/')}/{src.chart}", "path": ".", "targetRevision": version}
    elif src.kind == "git":
        return {"repoURL": src.repo, "path": src.path, "targetRevision": version}
    else:  # local: the packaged kustomization, copied into the tree, synced from the user's repository
        return {"repoURL": gitops.repo_url, "path": repo_path(ctx, MANIFESTS, src.chart or comp.name),
                "targetRevision": RELEASE_REVISION}
    if values:
        out["helm"] = {"releaseName": comp.name, "valuesObject": values}
    else:
        out["helm"] = {"releaseName": comp.name}
    return out


def repos_of(comp: Component, ctx: Context) -> list[str]:
    src = comp.source
    if src.kind == "local":
        return [ctx.config.gitops.repo_url]
    if src.kind == "oci":
        return [f"{(src.repo or '').rstrip('/')}/{src.chart}"]
    return [src.repo] if src.repo else []


def applications(ctx: Context, tree: Path | None) -> list[Obj]:
    """One Application per installable component, in the plan's wave."""
    out = []
    ns = ctx.argocd_namespace()
    for planned in ctx.gitops_components():
        comp = planned.component
        spec: dict[str, Any] = {
            "project": project_name(ctx, comp.layer),
            "source": source(ctx, comp, planned.version or comp.source.version or "", helm_values(ctx, comp.name,
                                                                                                  tree)),
            "destination": {"server": IN_CLUSTER, "namespace": comp.namespace},
            "syncPolicy": sync_policy(ctx),
        }
        if comp.gitops and comp.gitops.ignore_differences:
            spec["ignoreDifferences"] = comp.gitops.ignore_differences
        app = ctx.obj(API, "Application", comp.name, owner=comp.name, role="application",
                      group=ctx.group_of(comp), namespace=ns, wave=planned.wave, spec=spec,
                      annotations={"homelab.dev/why": "; ".join(planned.reasons)})
        app.body["metadata"]["finalizers"] = ["resources-finalizer.argocd.argoproj.io"]
        if comp.source.kind == "local":  # the release sets its revision (see gate)
            app.body["metadata"]["labels"][REVISION_LABEL] = RELEASE_REVISION
        out.append(app)
    return out


def projects(ctx: Context) -> list[Obj]:
    """An AppProject per layer: exactly its components' repositories and the namespaces they write into."""
    out = []
    for layer in ctx.catalog.layers:
        members = [p.component for p in ctx.components if p.component.layer == layer]
        if not members:
            continue
        repos = {ctx.config.gitops.repo_url, *(r for c in members for r in repos_of(c, ctx))}
        proxy = ctx.provider("auth-proxy")
        if proxy and any(e.sso == "proxy" for c in members for e in c.endpoints if e.expose):
            repos.update(repos_of(proxy, ctx))  # the OAuth2 Proxy instances in front of this layer's UIs
        # a chart may write beyond its own namespace (kube-prometheus-stack: Services in kube-system)
        namespaces = sorted({c.namespace for c in members} | {x.namespace for c in members for x in c.extra_namespaces})
        spec = {
            "description": f"{ctx.catalog.layers[layer].title} of {ctx.platform}",
            "sourceRepos": sorted(repos),
            "destinations": [{"server": IN_CLUSTER, "namespace": n} for n in namespaces],
            # Charts install CRDs, ClusterRoles and webhooks; namespaced objects are limited by destinations.
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
        }
        out.append(ctx.obj(API, "AppProject", project_name(ctx, layer), owner=ctx.platform, role="project",
                           group="platform/argocd", namespace=ctx.argocd_namespace(), wave=-10, spec=spec))
    return out


def render(ctx: Context, tree: Path | None) -> list[Obj]:
    return [*projects(ctx), *applications(ctx, tree)]
