"""Synthetic catalogs of any size, for benchmarks and planner tests.

They are written as real data files (same folders, same loader) so that a
benchmark measures loading and planning exactly as the real catalog does.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

from homelab.catalog.loader import data_root

CATEGORIES = [("infrastructure", "storage"), ("data", "databases"), ("application", "monitoring"),
              ("development", "tools"), ("backup", "backup")]


def entry(name: str, layer: str = "data", category: str = "databases", **facets: Any) -> dict[str, Any]:
    """A minimal valid catalog entry; `facets` override any field."""
    body: dict[str, Any] = {
        "name": name, "title": name.title(), "summary": f"synthetic component {name}", "layer": layer,
        "categories": [category], "license": "Apache-2.0", "namespace": name, "pod_security": "restricted",
        "source": {"kind": "helm", "repo": "https://charts.example.invalid", "chart": name, "version": "1.0.0",
                   "confirmed": "synthetic"},
        "footprint": {"cpu": "100m", "memory": "128Mi"},
    }
    body.update(facets)
    return body


def write_catalog(root: Path, entries: list[dict[str, Any]], profiles: dict[str, dict[str, Any]],
                  capabilities: dict[str, dict[str, Any]]) -> Path:
    """Write entries, profiles and the capability vocabulary as a catalog tree under `root`."""
    (root / "profiles").mkdir(parents=True, exist_ok=True)
    (root / "layers.yaml").write_text((data_root() / "layers.yaml").read_text())
    (root / "capabilities.yaml").write_text(yaml.safe_dump(capabilities, sort_keys=True))
    for body in entries:
        folder = root / body["layer"] / body["categories"][0]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{body['name']}.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    for name, profile in profiles.items():
        (root / "profiles" / f"{name}.yaml").write_text(yaml.safe_dump({"name": name, **profile}, sort_keys=False))
    return root


def generate(root: Path, size: int, seed: int = 7) -> Path:
    """A DAG of `size` components; each requires up to three capabilities of earlier ones."""
    rng = random.Random(seed)
    entries = []
    for i in range(size):
        layer, category = CATEGORIES[i % len(CATEGORIES)]
        requires = sorted({f"cap-{rng.randrange(i)}" for _ in range(min(i, 3))}) if i else []
        entries.append(entry(f"c{i:05d}", layer, category, provides=[f"cap-{i}"], requires=requires,
                             footprint={"cpu": f"{rng.choice([10, 20, 50])}m",
                                        "memory": f"{rng.choice([16, 32, 64])}Mi"}))
    capabilities = {f"cap-{i}": {"summary": f"capability {i}"} for i in range(size)}
    profiles = {"full": {"summary": "everything", "hardware": "synthetic",
                         "nodes": [{"name": "n1", "cpu": 64, "memory": "256Gi", "storage": "4Ti"}],
                         "components": [e["name"] for e in entries]}}
    return write_catalog(root, entries, profiles, capabilities)


def big_cluster_config(size: int) -> dict[str, Any]:
    """A config whose nodes hold `size` synthetic components with room to spare."""
    nodes = max(3, size // 150)
    return {
        "platform": {"name": "synthetic", "domain": "synthetic.example.net"},
        "cluster": {"nodes": [{"name": f"n{i}", "cpu": 64, "memory": "256Gi", "storage": "4Ti"}
                              for i in range(nodes)]},
        "profile": "full",
        "gitops": {"repo_url": "https://git.example.net/homelab.git"},
    }
