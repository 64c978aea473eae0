"""Two environments as prefixed namespaces of one cluster (`namespace_prefix`), applied side by side to a real
API server: each under its own field manager, neither overwrites the other, and a guest written with the
other's prefix is refused as a conflict (what one-cluster-names in `homelab validate` catches before)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from homelab.catalog import load_catalog
from homelab.cluster import objects as o
from homelab.cluster.apply import apply_tree
from homelab.cluster.destroy import destroy
from homelab.cluster.kube import Kube, env_field_manager
from homelab.config import Config
from homelab.errors import ExitCode, HomelabError
from homelab.render import env_objects, render_tree, write_tree

pytestmark = pytest.mark.e2e
# what the API server takes without the platform's CRDs or controllers
CORE = {"Namespace", "NetworkPolicy", "ConfigMap", "LimitRange", "ResourceQuota", "Service", "ServiceAccount",
        "PodDisruptionBudget"}


def guests(run_id: str, tmp_path: Path) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    """The shared-cluster example with this run's prefixes: each guest's core objects in its own namespaces."""
    body = yaml.safe_load(resources.files("homelab").joinpath("examples/shared-cluster.yaml").read_text())
    body["platform"]["name"] = run_id
    body["environments"]["dev"]["namespace_prefix"] = f"{run_id}d"
    body["environments"]["staging"]["namespace_prefix"] = f"{run_id}s"
    config = Config.model_validate(body)
    tree = tmp_path / "tree"
    write_tree(render_tree(config, load_catalog()), tree)
    out = {}
    for env in ("dev", "staging"):
        prefix = f"{config.prefix_of(env)}-"
        out[env] = [obj for obj in env_objects(tree, env) if obj["kind"] in CORE
                    and (obj["metadata"]["name"] if obj["kind"] == "Namespace"
                         else obj["metadata"].get("namespace", "")).startswith(prefix)]
    return run_id, out


def test_two_guests_side_by_side_and_one_written_over_the_other(kube: Kube, run_id: str, tmp_path: Path) -> None:
    platform, objects = guests(run_id, tmp_path)
    assert all(objects.values()) and not {o.ref(x) for x in objects["dev"]} & {o.ref(x) for x in objects["staging"]}
    try:
        for env in ("dev", "staging"):
            with kube.managed_as(env_field_manager(env)):
                apply_tree(kube, objects[env], platform, env, timeout=300)
        for env in ("dev", "staging"):
            for obj in objects[env]:
                live = kube.get(o.ref(obj))
                assert live is not None and live["metadata"]["labels"][o.ENV_LABEL] == env, o.ref(obj)
        # staging rendered with dev's prefix writes dev's objects: the API server refuses to hand them over
        prefix, other = f"{run_id}s-", f"{run_id}d-"
        taken = yaml.safe_load(yaml.safe_dump(objects["staging"]).replace(prefix, other))
        with kube.managed_as(env_field_manager("staging")), pytest.raises(HomelabError) as err:
            apply_tree(kube, taken, platform, "staging", timeout=300, prune=False)
        assert err.value.exit_code == ExitCode.CONFLICT
        assert all((kube.get(o.ref(x)) or {})["metadata"]["labels"][o.ENV_LABEL] == "dev" for x in objects["dev"])
    finally:
        for env in ("dev", "staging"):
            with kube.managed_as(env_field_manager(env)):
                destroy(kube, objects[env], platform, env, delete_data=True, timeout=300)
