"""Bootstrap steps: what must run before Argo CD can (a CNI), as data applied in order before GitOps.

A component that provides a capability marked `bootstrap` in capabilities.yaml is not an Argo CD
Application: no pod, Argo CD's included, starts before it. Per environment the tree holds
`bootstrap/<env>/steps.yaml`: the ordered Helm installs, each with its values file beside it
(`<component>.values.yaml`), computed by the same code and the same overrides/ files as every
Application's values; and the distribution's server flags that turn off what it bundles and the
plan brings its own of (k3s: `--flannel-backend=none`, `--disable=traefik`, ...), and the entries
Argo CD's `resource.exclusions` must hold for the components' sake (Cilium's CiliumIdentity), for
whoever installs Argo CD (the argo-cd chart's defaults already list it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homelab.catalog.loader import Catalog
from homelab.catalog.model import Bundled
from homelab.plan import Plan
from homelab.render.context import Context
from homelab.render.values import helm_values
from homelab.render.yamlout import dump

FOLDER = "bootstrap"
STEPS = "steps.yaml"
PAGE = "README.md"


def replaced_bundles(catalog: Catalog, distribution: str, plan: Plan) -> list[tuple[Bundled, str]]:
    """What the distribution bundles that the plan brings its own of, with the planned replacement."""
    facts = catalog.distributions.get(distribution)
    out = []
    for item in facts.bundles if facts else []:
        mine = next((p.name for p in plan.components.values() if set(item.provides) & set(p.component.provides)),
                    None)
        if mine and item.disable:
            out.append((item, mine))
    return out


def steps(ctx: Context, tree: Path | None) -> dict[str, Any]:
    """The ordered bootstrap steps of this environment and the server flags, as data."""
    out: list[dict[str, Any]] = []
    for planned in ctx.components:
        comp = planned.component
        if not ctx.is_bootstrap(planned.name) or comp.source.kind != "helm" or not ctx.installs(planned.name):
            continue
        why = "; ".join(str(ctx.catalog.capabilities[c].bootstrap) for c in comp.provides
                        if c in ctx.catalog.capabilities and ctx.catalog.capabilities[c].bootstrap)
        out.append({"name": comp.name, "why": why, "helm": {
            "repo": comp.source.repo, "chart": comp.source.chart, "version": planned.version or comp.source.version,
            "release": comp.name, "namespace": comp.namespace, "values": f"{comp.name}.values.yaml"}})
    distribution = ctx.cluster.kubernetes.distribution
    flags = [{"flag": item.disable, "because": f"the plan installs {mine} in place of the bundled {item.name}"}
             for item, mine in replaced_bundles(ctx.catalog, distribution, ctx.plan) if ctx.installs(mine)]
    exclusions = [x for p in ctx.components if p.component.gitops and ctx.installs(p.name)
                  for x in p.component.gitops.resource_exclusions]
    return {"environment": ctx.env, "distribution": {"name": distribution, "server_flags": flags},
            "steps": out, "argocd": {"resource_exclusions": exclusions}}


def files(ctx: Context, tree: Path | None) -> dict[str, bytes]:
    """`bootstrap/<env>/steps.yaml`, one values file per step, and README.md saying them as commands."""
    data = steps(ctx, tree)
    folder = f"{FOLDER}/{ctx.env}"
    out = {f"{folder}/{STEPS}": dump(data), f"{folder}/{PAGE}": page(ctx.env, data).encode("utf-8")}
    for step in data["steps"]:
        out[f"{folder}/{step['helm']['values']}"] = dump(helm_values(ctx, step["name"], tree))
    return out


def page(env: str, data: dict[str, Any]) -> str:
    """`bootstrap/<env>/README.md`: the environment's steps and server flags as commands a person can run (a
    page per environment, so a promotion into one rewrites only its own)."""
    lines = [f"# Before GitOps: {env}", "", "`homelab bootstrap` runs these before it installs Argo CD; by hand, "
             "from the root of this tree:", ""]
    flags = data["distribution"]["server_flags"]
    if flags:
        lines += [f"Start the {data['distribution']['name']} servers with:", "", "```",
                  " ".join(f["flag"] for f in flags), "```", ""]
        lines += [f"- `{f['flag']}`: {f['because']}" for f in flags] + [""]
    for step in data["steps"]:
        helm = step["helm"]
        lines += [f"{step['name']}: {step['why']}", "", "```",
                  f"helm upgrade --install {helm['release']} {helm['chart']} --repo {helm['repo']} "
                  f"--version {helm['version']} --namespace {helm['namespace']} "
                  f"--values {FOLDER}/{env}/{helm['values']} --wait", "```", ""]
    exclusions = data["argocd"]["resource_exclusions"]
    if exclusions:
        lines += ["Argo CD's `argocd-cm` must keep these in `resource.exclusions` (objects the components "
                  "create that Argo CD must not track or prune):", "", "```yaml",
                  *(f"- {x}" for x in exclusions), "```", ""]
    if not flags and not data["steps"]:
        lines += ["Nothing: the distribution already runs what Argo CD needs.", ""]
    return "\n".join(lines)
