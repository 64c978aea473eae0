"""Every custom resource we render exists in the upstream CRDs and validates against their schema."""

from __future__ import annotations

from functools import cache
from typing import Any

from tests.shared import crd_schemas

from homelab.render import Rendered

CORE = {"v1", "apps/v1", "networking.k8s.io/v1"}


@cache
def validator(api: str, kind: str) -> Any:
    import jsonschema

    schema = crd_schemas().get((api, kind))
    return jsonschema.Draft7Validator(schema) if schema else None


def check(obj: dict[str, Any]) -> list[str]:
    validator_ = validator(obj["apiVersion"], obj["kind"])
    if validator_ is None:
        return [f"{obj['apiVersion']} {obj['kind']} is not served by any CRD in ../shared/crds"]
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
            "KeycloakRealmImport", "Cluster", "Keycloak", "Database", "ObjectStore", "BackupStorageLocation"} <= kinds


def test_the_check_catches_a_broken_object(rendered: Rendered) -> None:
    app = next(o.body for o in rendered.objects["dev"] if o.kind == "Application")
    broken = {**app, "spec": {**app["spec"], "syncPolicy": {"retry": {"limit": "five"}}}}
    assert any("limit" in p for p in check(broken))
    assert check({**app, "apiVersion": "argoproj.io/v9"})
