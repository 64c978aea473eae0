"""The promotion gate of one environment: a root Application on the branch, a release Application at a commit.

The root follows `gitops.branch` and syncs `<env>/gate` (itself and the release), so moving an
environment is a commit on the branch. The release syncs `<env>` at the environment's revision:
the branch for the first environment in promotion order (dev), and for the others the commit
`homelab promote` wrote into `environments.<env>.revision`; without one there is no release and
Argo CD deploys nothing there yet. Applications that sync from the GitOps repository carry the
placeholder `RELEASE_REVISION`; the release's kustomize patch sets them to its own revision, so the
environment reads the repository at one commit.
"""

from __future__ import annotations

from typing import Any

from homelab.render.context import ENV_LABEL, Context, Obj
from homelab.render.layout import KUSTOMIZATION, kustomization
from homelab.render.yamlout import dump_text

API = "argoproj.io/v1alpha1"
IN_CLUSTER = "https://kubernetes.default.svc"
FOLDER = "gate"
RELEASE_REVISION = "release-revision"
REVISION_LABEL = "homelab.dev/revision"


def repo_path(ctx: Context, *parts: str) -> str:
    return "/".join(p.strip("/") for p in (ctx.config.gitops.path, *parts) if p.strip("/"))


def follows_branch(ctx: Context) -> bool:
    """The first environment in promotion order follows the branch unless a revision pins it."""
    return ctx.env == ctx.config.env_names()[0] and not ctx.config.env(ctx.env).revision


def revision(ctx: Context) -> str | None:
    """What the environment's content is synced at: the branch, a commit, or None before its first promotion."""
    return ctx.config.gitops.branch if follows_branch(ctx) else ctx.config.env(ctx.env).revision


def sync_policy(ctx: Context) -> dict[str, Any]:
    sync = ctx.config.sync
    policy: dict[str, Any] = {
        "syncOptions": ["CreateNamespace=false", "ServerSideApply=true"],
        "retry": {"limit": sync.retries, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
    }
    if sync.automated:
        policy["automated"] = {"enabled": True, "prune": sync.prune, "selfHeal": sync.self_heal}
    return policy


def _application(ctx: Context, name: str, role: str, source: dict[str, Any]) -> Obj:
    spec = {"project": "default", "source": {"repoURL": ctx.config.gitops.repo_url, **source},
            "destination": {"server": IN_CLUSTER, "namespace": ctx.argocd_namespace()},
            "syncPolicy": sync_policy(ctx)}
    return ctx.obj(API, "Application", name, owner=ctx.platform, role=role, group=f"{ctx.env}/{FOLDER}",
                   namespace=ctx.argocd_namespace(), wave=0, spec=spec)


def root(ctx: Context) -> Obj:
    """The app-of-apps `homelab bootstrap` applies: it follows the branch and syncs only the gate."""
    return _application(ctx, f"{ctx.platform}-{ctx.env}", "root-application",
                        {"path": repo_path(ctx, ctx.env, FOLDER), "targetRevision": ctx.config.gitops.branch})


def release(ctx: Context, at: str) -> Obj:
    """Syncs the environment's content at `at`, and pins every repository-sourced Application to it."""
    ops = [{"op": "replace", "path": "/spec/source/targetRevision", "value": at}]
    patch = {"target": {"group": "argoproj.io", "kind": "Application",
                        "labelSelector": f"{REVISION_LABEL}={RELEASE_REVISION}"},
             "patch": dump_text(ops, blocks=False)}
    return _application(ctx, f"{ctx.platform}-{ctx.env}-release", "release-application",
                        {"path": repo_path(ctx, ctx.env), "targetRevision": at, "kustomize": {"patches": [patch]}})


def files(ctx: Context) -> dict[str, Any]:
    """`<env>/gate/`: root.yaml, release.yaml once there is a revision, and their kustomization."""
    folder = f"{ctx.env}/{FOLDER}"
    out: dict[str, Any] = {f"{folder}/root.yaml": root(ctx).body}
    at = revision(ctx)
    if at:
        out[f"{folder}/release.yaml"] = release(ctx, at).body
    out[f"{folder}/{KUSTOMIZATION}"] = kustomization(
        labels=[{"pairs": {ENV_LABEL: ctx.env}, "includeSelectors": False}],
        resources=[name.rsplit("/", 1)[1] for name in out])
    return out
