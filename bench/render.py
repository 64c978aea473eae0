"""Render benchmark: the `full` profile and synthetic catalogs of 100 and 1,000 components, x 3 environments.

`full + overrides` gives every environment its own Helm values and chart version for one component: the
worst case of layout's bases, which then render each environment a second time without what promotion
carries (render/layout.py). `standard, shared cluster` is examples/shared-cluster.yaml (dev and staging as
prefixed namespaces on prod's cluster: each plan also fits the others, the host renders its guests'
tenancies), beside the same environments each on a cluster of its own.

Times planning + rendering every file in memory, and writing the tree atomically, separately.
Targets: `full` x 3 under 1 s, 1,000 components x 3 under 5 s (render + write).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from homelab.catalog.loader import Catalog, load_catalog
from homelab.catalog.synthetic import big_cluster_config, generate
from homelab.config import Config, builtin_text
from homelab.errors import HomelabError
from homelab.render import render_tree, write_tree

TARGETS = {"full": 1.0, "synthetic 1000": 5.0}


def measure(name: str, config: Config, catalog: Catalog, work: Path, table: Table) -> None:
    start = time.perf_counter()
    rendered = render_tree(config, catalog)
    middle = time.perf_counter()
    write_tree(rendered, work / name.replace(" ", "-"))
    end = time.perf_counter()
    total = end - start
    target = TARGETS.get(name)
    verdict = "" if target is None else ("[green]ok[/]" if total < target else "[red]over[/]") + f" (< {target:g} s)"
    components = len(rendered.plans[rendered.envs[-1]].components)
    table.add_row(name, str(components), str(len(rendered.envs)), f"{middle - start:.3f}", f"{end - middle:.3f}",
                  f"{total:.3f}", str(len(rendered.files)), f"{len(rendered.files) / total:,.0f}", verdict)


def main() -> None:
    console = Console(width=120)
    table = Table(title="homelab render (plan + render in memory, then atomic write)")
    for column in ("catalog", "components", "envs", "render s", "write s", "total s", "files", "files/s", "target"):
        table.add_column(column, justify="left" if column in ("catalog", "target") else "right")
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        import yaml

        try:
            body = yaml.safe_load(builtin_text())
            measure("full", Config.model_validate(body), load_catalog(), work, table)
            for env, settings in body["environments"].items():
                settings["overrides"] = {"values": {"grafana": {"podAnnotations": {"env": env}}},
                                         "versions": {"grafana": f"12.4.{len(env)}"}}
            measure("full + overrides", Config.model_validate(body), load_catalog(), work, table)
        except HomelabError as exc:
            notes.append(f"full profile not measured: {exc.summary()}")
        from importlib import resources

        shared = yaml.safe_load(resources.files("homelab").joinpath("examples/shared-cluster.yaml").read_text())
        apart = yaml.safe_load(yaml.safe_dump(shared))
        for i, env in enumerate(("dev", "staging")):
            apart["environments"][env] = {"kube_context": f"homelab-{env}", "cluster": {
                "load_balancer": {"addresses": [f"192.168.{20 + i}.240/28"]}, "network": f"lan-{env}"}}
        measure("standard, own clusters", Config.model_validate(apart), load_catalog(), work, table)
        measure("standard, shared cluster", Config.model_validate(shared), load_catalog(), work, table)
        for size in (100, 1000):
            catalog = load_catalog(generate(work / f"catalog-{size}", size, platform=True))
            body = big_cluster_config(size + 20)
            body["cluster"]["load_balancer"] = {"addresses": ["192.168.10.240/28"]}
            measure(f"synthetic {size}", Config.model_validate(body), catalog, work, table)
    console.print(table)
    for note in notes:
        console.print(f"[yellow]note:[/] {note}")


if __name__ == "__main__":
    main()
