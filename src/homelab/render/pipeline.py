"""The render pipeline: plan each environment, run every concern's renderer, factor, serialise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from homelab import environments
from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.errors import CatalogError, Problem
from homelab.plan import Plan, make_plan
from homelab.render import (
    argocd,
    backup,
    bootstrap,
    edits,
    gate,
    guest,
    ingress,
    layout,
    metallb,
    monitoring,
    namespaces,
    network,
    policy,
    secrets,
    sso,
    writer,
)
from homelab.render import resources as custom
from homelab.render.context import Context, Obj
from homelab.render.yamlout import dump

Renderer = Callable[[Context, Path | None], list[Obj]]
CONCERNS: list[tuple[str, Renderer]] = [
    ("namespaces", lambda ctx, _: namespaces.render(ctx)),
    ("argocd", lambda ctx, tree: argocd.render(ctx, tree)),
    ("secrets", lambda ctx, _: secrets.render(ctx)),
    ("network", lambda ctx, _: network.render(ctx)),
    ("ingress", lambda ctx, _: ingress.render(ctx)),
    ("load-balancer", lambda ctx, _: metallb.render(ctx)),
    ("monitoring", lambda ctx, _: monitoring.render(ctx)),
    ("sso", lambda ctx, _: sso.render(ctx)),
    ("policy", lambda ctx, _: policy.render(ctx)),
    ("backup", lambda ctx, _: backup.render(ctx)),
    ("resources", lambda ctx, _: custom.render(ctx)),
]


@dataclass
class Rendered:
    """Every file of the tree (relative path -> bytes) and what it was made from."""

    files: dict[str, bytes]
    envs: list[str]
    plans: dict[str, Plan]
    objects: dict[str, list[Obj]]
    warnings: list[str] = field(default_factory=list)


def render_env(config: Config, catalog: Catalog, env: str, tree: Path | None = None,
               file: str = "homelab.yaml", own_files: bool = True) -> tuple[Context, list[Obj]]:
    """Plan `env` and render every concern's objects (without the env label and the gate; the tree adds them).
    `own_files=False` leaves out the user's `overrides/<env>/` files."""
    ctx = Context(config, catalog, make_plan(config, catalog, env, file), env, own_files=own_files)
    objects: list[Obj] = []
    for _, renderer in CONCERNS:
        objects.extend(renderer(ctx, tree))
    objects = guest.own_objects(ctx, objects)
    seen: dict[tuple[str, str, str, str], Obj] = {}
    for obj in objects:
        if obj.key() in seen:
            raise CatalogError([Problem(f"two objects named {obj.kind} {obj.namespace or ''}/{obj.name} in {env}",
                                        hint="give one of the catalog entries' resources another name")])
        seen[obj.key()] = obj
    return ctx, objects


def local_manifests(plans: dict[str, Plan]) -> dict[str, bytes]:
    """Copies of the packaged kustomizations that `kind: local` components sync from the user's repo."""
    files: dict[str, bytes] = {}
    root = resources.files("homelab").joinpath("manifests")
    for plan in plans.values():
        for planned in plan.components.values():
            src = planned.component.source
            if src.kind != "local":
                continue
            folder = Path(str(root.joinpath(src.chart or planned.name)))
            if not (folder / layout.KUSTOMIZATION).is_file():
                raise CatalogError([Problem(f"local source '{src.chart}' has no kustomization.yaml in {folder}",
                                            field="source.chart")])
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    files[f"{argocd.MANIFESTS}/{src.chart}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    return files


def render_tree(config: Config, catalog: Catalog, envs: list[str] | None = None, tree: Path | None = None,
                progress: Callable[[str], None] | None = None, file: str = "homelab.yaml") -> Rendered:
    """Render `envs` (default: all configured) into file bytes. `tree` is where overrides/ are read from."""
    from homelab.render import diagrams, handbook, promote, readme, renovate

    names = envs or config.env_names()
    per_env: dict[str, list[Obj]] = {}
    unpromoted: dict[str, list[Obj]] = {}  # the layout's bases are made of these (see layout)
    plans: dict[str, Plan] = {}
    files: dict[str, bytes] = {}
    heard: dict[str, list[str]] = {}  # a warning's text: the environments it was given for
    clients: dict[str, list[dict[str, Any]]] = {}
    for env in names:
        ctx, objects = render_env(config, catalog, env, tree, file)
        clients[env] = sso.clients(ctx)
        files.update(bootstrap.files(ctx, tree))
        files.update((rel, dump(data)) for rel, data in gate.files(ctx).items())
        files[f"{env}/README.md"] = readme.environment(ctx).encode("utf-8")
        per_env[env], plans[env] = objects, ctx.plan
        unpromoted[env] = (render_env(promote.without_carried(config, env), catalog, env, tree, file,
                                      own_files=False)[1] if promote.carries(config, env, tree) else objects)
        for warning in dict.fromkeys([*ctx.plan.warnings, *ctx.warnings]):
            heard.setdefault(warning, []).append(env)
        if progress:
            progress(env)
    warnings = [f"{', '.join(envs)}: {text}" for text, envs in heard.items()]
    shared = [env for env in environments.sharing_current_context(config) if env in names]
    if len(shared) > 1:
        warnings.append(f"{', '.join(shared)} set no kube_context: each deploys to the cluster the current context "
                        "names, and two on one cluster overwrite each other's namespaces")
    for rel, data in layout.factor(per_env, unpromoted).items():
        files[rel] = dump(data)
    files.update(local_manifests(plans))
    last = plans[names[-1]]
    for name, text in diagrams.build(last, catalog, config).items():
        files[f"docs/{name}.md"] = diagrams.page(name, text, last.env).encode("utf-8")
    files["docs/vault.md"] = handbook.vault(per_env).encode("utf-8")
    files["docs/sso.md"] = handbook.sso(clients).encode("utf-8")
    files[renovate.FILE] = renovate.file(config)
    files["README.md"] = readme.render(config, catalog, plans).encode("utf-8")
    if progress:
        progress("files")
    return Rendered(files=dict(sorted(files.items())), envs=names, plans=plans, objects=per_env, warnings=warnings)


def write_tree(rendered: Rendered, out: Path, discard_edits: bool = False) -> None:
    """Write the tree; refused (bad input) where it would lose an edit made to a file the last render wrote,
    unless `discard_edits`."""
    previous = edits.recorded((out / writer.MARKER).read_text(encoding="utf-8")) \
        if (out / writer.MARKER).is_file() else {}
    found = [] if discard_edits else edits.edited(out, previous, rendered.files)
    if found:
        edits.refuse(out, found, rendered.files, rendered.envs)
    writer.write(out, rendered.files)
