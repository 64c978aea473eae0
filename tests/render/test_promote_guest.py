"""`homelab promote` from a guest on a shared cluster (`namespace_prefix`): the guest's own components carry over,
the cluster-wide ones it uses from its host never do (they are the host's: a guest's override of one has no effect
where the guest runs, and would change the host's install where it lands)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ruamel.yaml import YAML

from homelab.catalog import load_catalog
from homelab.config import load
from homelab.render import promote

SHA = "89abcdef0123456789abcdef0123456789abcdef"


def test_a_guest_promotes_its_own_components_and_never_the_hosts(tmp_path: Path) -> None:
    yaml = YAML()
    doc = yaml.load(resources.files("homelab").joinpath("examples/shared-cluster.yaml").read_text())
    doc["profile"], doc["choices"] = "minimal", {}
    doc["environments"]["dev"]["overrides"] = {
        "versions": {"redis": "0.10.0", "cert-manager": "v1.20.0"},  # its own, and one prod installs for everyone
        "values": {"redis": {"podLabels": {"tier": "tested"}}, "cert-manager": {"podLabels": {"tier": "tested"}}}}
    with (tmp_path / "homelab.yaml").open("w") as out:
        yaml.dump(doc, out)
    overrides = tmp_path / "rendered" / "overrides" / "dev"
    overrides.mkdir(parents=True)
    for name in ("redis", "cert-manager"):
        (overrides / f"{name}.yaml").write_text("podAnnotations: {from: dev}\n")
    loaded = load(tmp_path / "homelab.yaml")
    catalog = load_catalog()
    for dst in ("staging", "prod"):  # to another guest, and to the host
        done = promote.plan(loaded, catalog, "dev", dst, tmp_path / "rendered", given=SHA)
        config_change, *files = done.changes
        after = YAML(typ="safe").load(config_change.after)["environments"][dst]
        assert after["revision"] == SHA
        assert after["overrides"] == {"versions": {"redis": "0.10.0"},
                                      "values": {"redis": {"podLabels": {"tier": "tested"}}}}, dst
        assert [f.path.name for f in files] == ["redis.yaml"], dst
