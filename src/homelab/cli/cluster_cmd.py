"""`homelab bootstrap | apply | status | diff | destroy`: the rendered tree on a real cluster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from homelab.cli import cluster_view
from homelab.cli.common import ConfigOption, EnvOption, JsonOption, check_env, console, load_config

if TYPE_CHECKING:
    from homelab.cluster.kube import Kube
    from homelab.config import LoadedConfig

TreeOption = Annotated[Path, typer.Option("--tree", help="the rendered GitOps tree (`homelab render` writes it)")]
KubeconfigOption = Annotated[Path | None, typer.Option("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, "
                                                                            "else ~/.kube/config)")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="seconds to wait for each wave to become ready, "
                                                                "and to keep retrying a failing request")]
ReadTimeoutOption = Annotated[float, typer.Option("--timeout", help="seconds to keep retrying a failing request")]
STATE_DIR = Path(".homelab/state")
WORKERS = 8  # objects applied at once within one kind of one wave
DEFAULT_TREE = Path("rendered")  # the same default as `homelab validate`


def _connect(loaded: LoadedConfig, env: str, kubeconfig: Path | None, timeout: float) -> Kube:
    """The environment's cluster; what we apply there is owned by field manager `homelab-<env>`."""
    from homelab.cluster.kube import Kube, env_field_manager

    return Kube.connect(loaded.config.env(env).kube_context, kubeconfig, field_manager=env_field_manager(env),
                        budget=timeout)


def _env_objects(tree: Path, env: str) -> list[dict[str, Any]]:
    """The rendered objects of `env`; a clear error when the tree (or the render stage) is missing."""
    from homelab.errors import InputError, Problem

    if not tree.is_dir():
        raise InputError([Problem(f"no rendered tree at {tree}", field="--tree",
                                  hint="run `homelab render` first, or point --tree at its output")])
    try:
        from homelab.render import env_objects  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        raise InputError([Problem("this homelab has no render stage to read the tree with",
                                  hint="install a homelab version with `homelab render`")]) from None
    objects: list[dict[str, Any]] = env_objects(tree, env)
    return objects


def register(app: typer.Typer) -> None:
    @app.command()
    def bootstrap(
        config: ConfigOption = None,
        env: EnvOption = None,
        tree: TreeOption = DEFAULT_TREE,
        kubeconfig: KubeconfigOption = None,
        local: Annotated[bool, typer.Option("--local", help="apply the rendered tree directly, no Git server")] = False,
        handover: Annotated[bool, typer.Option("--handover", help="after --local: hand the cluster to Git by "
                                                                  "applying the root Application")] = False,
        argocd_manifest: Annotated[Path | None, typer.Option(
            "--argocd-manifest", help="local copy of Argo CD's pinned install manifest (offline, air-gapped); its "
                                      "sha256 is checked like a download's")] = None,
        force_conflicts: Annotated[bool, typer.Option("--force-conflicts", help="take over the environment's "
                                                      "fields from another field manager (Argo CD's own install "
                                                      "always takes its fields, as upstream installs it)")] = False,
        timeout: TimeoutOption = 900,
    ) -> None:
        """Preflight, Argo CD from the tree's own kustomization, then the AppProjects and the root Application."""
        from homelab.catalog import load_catalog
        from homelab.cluster import argocd
        from homelab.cluster.bootstrap import bootstrap as run
        from homelab.cluster.bootstrap import controller_install, run_preflight
        from homelab.cluster.guest import guest_of, require_host
        from homelab.errors import InputError, Problem
        from homelab.plan import make_plan

        if local and handover:
            raise InputError([Problem("--local and --handover are two separate steps", field="--handover",
                                      hint="run --local first, push the tree to Git, then --handover")])
        loaded = load_config(config)
        name = check_env(loaded, env)
        objects = _env_objects(tree, name)
        plan = make_plan(loaded.config, load_catalog(), name, loaded.source.file)
        guest = guest_of(loaded, name)
        kube = _connect(loaded, name, kubeconfig, timeout)
        out = console(stderr=True)
        try:
            if guest is not None:  # before preflight: a guest without its host cannot start at all
                require_host(kube, loaded.config.platform.name, guest, argocd=True)
            for finding in run_preflight(kube, plan, loaded.config.cluster_for(name).kubernetes.version):
                out.print(f"{'[yellow]![/]' if finding.warning else '[green]ok[/]'} {finding.check}: {finding.message}")
            # after preflight: nothing is downloaded for a cluster that cannot take the plan
            install = None if handover or guest else controller_install(objects, tree, loaded.config.gitops.path,
                                                                          manifest=argocd_manifest)
            if install is not None:
                out.print(f"Argo CD {argocd.VERSION}: {len(install[1])} objects from {tree}, install manifest sha256 "
                          "verified")
            elif guest is not None:
                out.print(f"{name} runs as namespaces {guest.prefix}-* on {guest.host}'s cluster: no second Argo CD; "
                          f"{name}'s AppProjects and Applications go to {guest.host}'s")
            mode = "handover" if handover else "local" if local else "git"
            with cluster_view.RichProgress() as progress:
                result = run(kube, objects, install, platform=loaded.config.platform.name, env=name,
                             repo_url=loaded.config.gitops.repo_url, mode=mode, timeout=timeout, progress=progress,
                             force=force_conflicts, workers=WORKERS)
        finally:
            kube.close()
        applied = len(result.applied.applied) if result.applied else 0
        argo = f"{guest.host}'s Argo CD" if guest else f"Argo CD {len(result.argocd)} objects"
        out.print(f"[green]bootstrapped {name}[/]: {argo}, {applied} of ours applied")
        if result.deferred:
            out.print(f"{len(result.deferred)} Applications sync from {loaded.config.gitops.repo_url} and wait for "
                      "it: push the tree there, then run `homelab bootstrap --handover`")

    @app.command()
    def apply(
        config: ConfigOption = None,
        env: EnvOption = None,
        tree: TreeOption = DEFAULT_TREE,
        kubeconfig: KubeconfigOption = None,
        yes: YesOption = False,
        prune: Annotated[bool, typer.Option("--prune/--no-prune", help="delete our objects gone from the tree")] = True,
        force_conflicts: Annotated[bool, typer.Option("--force-conflicts", help="take over fields owned by "
                                                                                "another field manager")] = False,
        timeout: TimeoutOption = 600,
    ) -> None:
        """Server-side apply of the rendered tree, wave by wave, waiting for readiness; prune what we own."""
        from homelab.cluster.apply import apply_tree
        from homelab.cluster.guest import guest_of, require_host

        loaded = load_config(config)
        name = check_env(loaded, env)
        objects = _env_objects(tree, name)
        guest = guest_of(loaded, name)
        kube = _connect(loaded, name, kubeconfig, timeout)

        def confirm(diffs: list[Any]) -> bool:
            console(stderr=True).print(f"[bold]{len(diffs)} object(s) we own are gone from the tree and would be "
                                       "pruned:[/]")
            cluster_view.print_diffs(diffs)
            return cluster_view.confirm(f"Prune these {len(diffs)} object(s)?", yes)

        try:
            if guest is not None:
                require_host(kube, loaded.config.platform.name, guest)
            with cluster_view.RichProgress() as progress:
                result = apply_tree(kube, objects, loaded.config.platform.name, name, timeout=timeout,
                                    force=force_conflicts, confirm_prune=confirm, progress=progress, prune=prune,
                                    workers=WORKERS)
        finally:
            kube.close()
        console(stderr=True).print(f"[green]applied {len(result.applied)} objects in {result.waves} waves[/]"
                                   + (f", pruned {len(result.pruned)}" if result.pruned else ""))

    @app.command()
    def status(
        config: ConfigOption = None,
        env: EnvOption = None,
        kubeconfig: KubeconfigOption = None,
        json_out: JsonOption = False,
        timeout: ReadTimeoutOption = 60,
    ) -> None:
        """Per component: sync, health, chart version, pods ready, drift and the last verify result."""
        import json

        from homelab.cluster.guest import guest_of, shared_components
        from homelab.cluster.status import read_status

        loaded = load_config(config, quiet=json_out)
        name = check_env(loaded, env)
        guest = guest_of(loaded, name)
        shared = shared_components(loaded, name) if guest else frozenset()
        kube = _connect(loaded, name, kubeconfig, timeout)
        try:
            report = read_status(kube, loaded.config.platform.name, name, STATE_DIR, guest, shared)
        finally:
            kube.close()
        if json_out:
            typer.echo(json.dumps(report, indent=2))
            return
        cluster_view.print_status(report)

    @app.command()
    def diff(
        config: ConfigOption = None,
        env: EnvOption = None,
        tree: TreeOption = DEFAULT_TREE,
        kubeconfig: KubeconfigOption = None,
        exit_code: Annotated[bool, typer.Option("--exit-code", help="exit 1 when there are differences")] = False,
        timeout: ReadTimeoutOption = 60,
    ) -> None:
        """Server-side dry-run diff of the rendered tree against the cluster (a unified diff per object)."""
        from homelab.cluster.drift import diff_tree
        from homelab.errors import ExitCode

        loaded = load_config(config)
        name = check_env(loaded, env)
        objects = _env_objects(tree, name)
        kube = _connect(loaded, name, kubeconfig, timeout)
        try:
            diffs = diff_tree(kube, objects, loaded.config.platform.name, name)
        finally:
            kube.close()
        cluster_view.print_diffs(diffs)
        console(stderr=True).print(f"{len(diffs)} object(s) differ" if diffs else "no differences")
        if diffs and exit_code:
            raise typer.Exit(int(ExitCode.FINDINGS))

    @app.command()
    def destroy(
        config: ConfigOption = None,
        env: EnvOption = None,
        tree: TreeOption = DEFAULT_TREE,
        kubeconfig: KubeconfigOption = None,
        yes: YesOption = False,
        delete_data: Annotated[bool, typer.Option("--delete-data", help="also delete PersistentVolumeClaims "
                                                                        "(and their data)")] = False,
        timeout: TimeoutOption = 600,
    ) -> None:
        """Delete everything we own in the environment, in reverse wave order; claims are kept by default."""
        from homelab.cluster.destroy import DestroyPlan
        from homelab.cluster.destroy import destroy as run
        from homelab.cluster.guest import guest_of, refuse_host_with_guests

        loaded = load_config(config)
        name = check_env(loaded, env)
        objects = _env_objects(tree, name) if tree.is_dir() else []
        guest = guest_of(loaded, name)
        kube = _connect(loaded, name, kubeconfig, timeout)
        out = console(stderr=True)

        def confirm(plan: DestroyPlan) -> bool:
            from homelab.cluster.objects import ref

            out.print(f"[bold]destroy {name}[/] on context {kube.context}: delete {len(plan.delete)} objects")
            for obj in plan.delete:
                out.print(f"  - {ref(obj)}")
            for kept in plan.kept:
                out.print(f"  [green]keep[/] {kept}")
            return cluster_view.confirm(f"Delete these {len(plan.delete)} object(s) from {name}?", yes)

        try:
            refuse_host_with_guests(kube, loaded, name)
            with cluster_view.RichProgress() as progress:
                plan = run(kube, objects, loaded.config.platform.name, name, delete_data=delete_data,
                           confirm=confirm, timeout=timeout, progress=progress, workers=WORKERS,
                           foreign=guest.foreign if guest else lambda obj: None)
        finally:
            kube.close()
        out.print(f"[green]deleted {len(plan.delete)} objects[/]" + (f", kept {len(plan.kept)}" if plan.kept else ""))
