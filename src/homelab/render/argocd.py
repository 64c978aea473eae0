"""Argo CD: one Application per component, an AppProject per layer, and the root app-of-apps.

Helm sources are pinned to exactly the planned version with values inline; OCI charts use Argo CD's
native `oci://` source (path `.`); git sources sync a folder at a tag or commit; local sources sync the
copy of the packaged kustomization from the user's own GitOps repository, at the revision the
environment's release sets (see `gate`), their values (keyed `<Kind>/<name>`) as Argo CD's kustomize
patches of those objects. A git folder with values is a chart and gets them like a Helm source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from homelab.catalog.model import Component
from homelab.render.context import Context, Obj
from homelab.render.gate import API, IN_CLUSTER, RELEASE_REVISION, REVISION_LABEL, repo_path, sync_policy
from homelab.render.values import helm_values
from homelab.render.yamlout import dump_text

MANIFESTS = "manifests"


def project_name(ctx: Context, layer: str) -> str:
    """`<platform>-<layer>`; `<platform>-<prefix>-<layer>` for an environment on its host's cluster."""
    return "-".join(p for p in (ctx.platform, ctx.prefix, layer) if p)


def source(ctx: Context, comp: Component, version: str, values: dict[str, Any]) -> dict[str, Any]:
    src = comp.source
    gitops = ctx.config.gitops
    if src.kind == "helm":
        out: dict[str, Any] = {"repoURL": src.repo, "chart": src.chart, "targetRevision": version}
    elif src.kind == "oci":
        out = {"repoURL": f"{(src.repo or '').rstrip('/')}/{src.chart}", "path": ".", "targetRevision": version}
    elif src.kind == "git":
        # a chart in a Git folder takes its values like any chart (Argo CD renders it with Helm); a plain
        # folder of manifests has no values and must not be forced into Helm
        out = {"repoURL": src.repo, "path": src.path, "targetRevision": version}
        if not values:
            return out
    else:  # local: the packaged kustomization, copied into the tree, synced from the user's repository
        out = {"repoURL": gitops.repo_url, "path": repo_path(ctx, MANIFESTS, src.chart or comp.name),
               "targetRevision": RELEASE_REVISION}
        if values:
            out["kustomize"] = {"patches": kustomize_patches(values)}
        return out
    if values:
        out["helm"] = {"releaseName": comp.name, "valuesObject": values}
    else:
        out["helm"] = {"releaseName": comp.name}
    return out


def kustomize_patches(values: dict[str, Any]) -> list[dict[str, Any]]:
    """A local source's values as strategic-merge patches: `<Kind>/<name>` selects the object (kustomize
    merges lists of containers, env and volumes by name, as `kubectl patch` does)."""
    out = []
    for key, body in values.items():
        kind, name = key.split("/", 1)
        patch = {**body, "kind": kind, "metadata": {**(body.get("metadata") or {}), "name": name}}
        out.append({"target": {"kind": kind, "name": name}, "patch": dump_text(patch)})
    return out


def application_values(app: dict[str, Any] | None) -> tuple[list[str], dict[str, Any]]:
    """The values an Application carries, and where: Helm's `valuesObject`, or a local source's kustomize
    patches read back into `<Kind>/<name>` keys (so checks compare them with the catalog's values)."""
    src = ((app or {}).get("spec") or {}).get("source") or {}
    if "kustomize" in src:
        found: dict[str, Any] = {}
        for patch in (src["kustomize"] or {}).get("patches") or []:
            body = yaml.safe_load(patch["patch"]) or {}
            if "name" not in patch["target"] or not isinstance(body, dict):
                continue  # not a value: the gate's release pins revisions by label with a JSON patch
            body.pop("kind", None)
            meta = {k: v for k, v in (body.pop("metadata", None) or {}).items() if k != "name"}
            target = patch["target"]
            found[f"{target['kind']}/{target['name']}"] = {**body, **({"metadata": meta} if meta else {})}
        return ["spec", "source", "kustomize", "patches"], found
    return ["spec", "source", "helm", "valuesObject"], (src.get("helm") or {}).get("valuesObject") or {}


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
        if not ctx.installs(planned.name):
            continue  # the host's
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
        members = [p.component for p in ctx.components if p.component.layer == layer and ctx.installs(p.name)]
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
