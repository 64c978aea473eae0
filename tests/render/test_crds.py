"""Every custom resource we render exists in the upstream CRDs and validates against their schema."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from homelab.render import Rendered

# ../shared/crds beside the repository (as the validate tests look), else the machine's copy.
CRDS = next((p for p in (Path(__file__).resolve().parents[2].parent / "shared" / "crds", Path("/work/shared/crds"))
             if p.is_dir()), Path("/work/shared/crds"))
CORE = {"v1", "apps/v1", "networking.k8s.io/v1"}

pytestmark = pytest.mark.skipif(not CRDS.is_dir(), reason=f"upstream CRDs not present at {CRDS}")


@cache
def schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> openAPIV3Schema of every served version in the CRD folder."""
    found = {}
    for path in sorted([*CRDS.rglob("*.yaml"), *CRDS.rglob("*.yml")]):
        for doc in yaml.load_all(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            for version in spec["versions"]:
                if version.get("served", True):
                    found[(f"{spec['group']}/{version['name']}", spec["names"]["kind"])] = (
                        version["schema"]["openAPIV3Schema"])
    return found


@cache
def validator(api: str, kind: str) -> Any:
    import jsonschema

    schema = schemas().get((api, kind))
    return jsonschema.Draft7Validator(schema) if schema else None


def check(obj: dict[str, Any]) -> list[str]:
    validator_ = validator(obj["apiVersion"], obj["kind"])
    if validator_ is None:
        return [f"{obj['apiVersion']} {obj['kind']} is not served by any CRD in {CRDS}"]
    return [f"{obj['kind']} {obj['metadata']['name']}: {'.'.join(map(str, e.path))}: {e.message}"
            for e in validator_.iter_errors(obj)]


def test_custom_resources_validate_against_upstream_crds(rendered: Rendered) -> None:
    kinds = set()
    problems = []
    for env, objects in rendered.objects.items():
        for obj in objects:
            if obj.body["apiVersion"] in CORE:
                continue
            kinds.add(obj.kind)
            problems += [f"{env}: {p}" for p in check(obj.body)]
    assert not problems, "\n".join(problems[:20])
    assert {"Application", "AppProject", "ExternalSecret", "ClusterSecretStore", "Certificate", "ClusterIssuer",
            "ServiceMonitor", "IPAddressPool", "L2Advertisement", "ClusterPolicy", "Schedule", "ScheduledBackup",
            "KeycloakRealmImport", "Cluster", "Keycloak"} <= kinds


def test_the_check_catches_a_broken_object(rendered: Rendered) -> None:
    app = next(o.body for o in rendered.objects["dev"] if o.kind == "Application")
    broken = {**app, "spec": {**app["spec"], "syncPolicy": {"retry": {"limit": "five"}}}}
    assert any("limit" in p for p in check(broken))
    assert check({**app, "apiVersion": "argoproj.io/v9"})
