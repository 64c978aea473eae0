"""`homelab verify --env dev` for a guest on a shared cluster (`namespace_prefix`): its own components are probed in
its prefixed namespaces, the cluster-wide ones it uses at the host's (the very Services dev's own talk to)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from homelab.verify.catalog_targets import targets_from_plan


def test_guest_targets_are_its_prefixed_services_and_the_hosts_shared_ones(tmp_path: Path) -> None:
    body = yaml.safe_load(resources.files("homelab").joinpath("examples/shared-cluster.yaml").read_text())
    body.update(profile="minimal", choices={})
    (tmp_path / "homelab.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    urls = {}
    for env in ("dev", "prod"):
        name, targets = targets_from_plan(tmp_path / "homelab.yaml", env)
        urls[name] = {t.name: t.url for t in targets}
    assert urls["dev"]["redis"].endswith("@redis.dev-redis.svc.cluster.local:6379")
    assert urls["prod"]["redis"].endswith("@redis.redis.svc.cluster.local:6379")
    assert "nats.dev-nats.svc.cluster.local" in urls["dev"]["nats"]
    assert urls["dev"]["cert-manager"] == urls["prod"]["cert-manager"], "the host's, which dev uses"
    assert urls["dev"]["cert-manager"].startswith("http://cert-manager.cert-manager.svc.cluster.local:")
