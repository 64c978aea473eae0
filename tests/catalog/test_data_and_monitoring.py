"""Checks specific to the data-layer and monitoring entries: their custom resources, metrics Services,
local kustomizations, Renovate markers and credentials. The generic catalog tests live elsewhere."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from tests.shared import crd_schemas

from homelab.catalog import load_catalog
from homelab.catalog.loader import data_root
from homelab.catalog.model import Component

ENTRIES = {
    "cloudnative-pg", "postgresql", "pxc-operator", "mysql", "mongodb-operator", "mongodb", "neo4j", "redis",
    "eck-operator", "elasticsearch", "rabbitmq-cluster-operator", "rabbitmq", "dgraph", "qdrant",
    "solr-operator", "solr", "tidb-operator-crds", "tidb-operator", "tidb", "vitess-operator", "vitess",
    "memcached", "strimzi", "kafka", "nats", "clickhouse-operator", "clickhouse", "starrocks-operator",
    "starrocks", "prometheus", "grafana", "kibana", "logstash", "fluentd", "fluent-bit", "jaeger", "zipkin",
    "opentelemetry", "datadog", "new-relic",
}
MANIFESTS = Path(__file__).resolve().parents[2] / "src" / "homelab" / "manifests"
CREDENTIAL_KEYS = {"password", "apikey", "api_key", "appkey", "licensekey", "license_key", "token", "secretkey",
                   "accesskey", "rootpassword", "adminpassword"}


def _mine() -> list[Component]:
    catalog = load_catalog()
    return [catalog.components[name] for name in sorted(ENTRIES)]


def test_every_assigned_entry_is_in_the_catalog() -> None:
    assert set(load_catalog().components) >= ENTRIES


def test_entries_name_the_renovate_datasource_right_above_source() -> None:
    catalog = load_catalog()
    for name in ENTRIES:
        lines = Path(catalog.files[name]).read_text().splitlines()
        at = lines.index("source:")
        assert lines[at - 1].startswith("# renovate: datasource="), f"{name}: no renovate marker above source"


def test_custom_resources_live_in_the_entry_namespace() -> None:
    for comp in _mine():
        for obj in comp.resources:
            assert obj["metadata"]["namespace"] == comp.namespace, f"{comp.name}: {obj['kind']} elsewhere"


def test_custom_resources_match_the_served_upstream_crd_schema() -> None:
    """Every entry's custom resources: a kind upstream serves at the group/version it serves, matching it."""
    schemas = crd_schemas()
    served_kinds = {kind: api for api, kind in schemas}
    checked = 0
    for comp in load_catalog().components.values():
        for obj in comp.resources:
            schema = schemas.get((obj["apiVersion"], obj["kind"]))
            if schema is None:
                assert obj["kind"] not in served_kinds, (
                    f"{comp.name}: {obj['apiVersion']} {obj['kind']} is not served upstream; "
                    f"the CRD serves it as {served_kinds.get(obj['kind'])}")
                continue  # no upstream copy of this kind (e.g. KafkaNodePool)
            jsonschema.validate(obj, schema)
            checked += 1
    assert checked >= 2, "expected at least the CloudNativePG Cluster and the Strimzi Kafka to be checked"


def test_metrics_services_made_here_carry_the_selected_labels_and_port() -> None:
    for comp in _mine():
        if comp.metrics is None:
            continue
        services = {o["metadata"]["name"]: o for o in comp.resources if o["kind"] == "Service"}
        service = services.get(comp.metrics.service)
        if service is None:
            continue  # the chart creates it
        labels = service["metadata"].get("labels", {})
        assert comp.metrics.selector.items() <= labels.items(), comp.name
        ports = {p.get("name") for p in service["spec"]["ports"]} | {p["port"] for p in service["spec"]["ports"]}
        assert comp.metrics.port in ports, comp.name


def test_local_kustomizations_pin_the_source_version() -> None:
    local = [c for c in _mine() if c.source.kind == "local"]
    assert local, "expected local sources (memcached, rabbitmq-cluster-operator, tidb-operator-crds)"
    for comp in local:
        folder = MANIFESTS / str(comp.source.chart)
        kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
        version = str(comp.source.version)
        pinned = False
        for entry in kustomization["resources"]:
            if entry.startswith("https://"):
                pinned |= version in entry
                continue
            images = re.findall(r"image:\s*(\S+)", (folder / entry).read_text())
            pinned |= any(image.endswith(f":{version}") for image in images)
        assert pinned, f"{comp.name}: no resource or image carries version {version}"


def test_operator_capabilities_are_provided_by_operator_entries() -> None:
    catalog = load_catalog()
    for comp in _mine():
        for cap in comp.requires:
            if cap.endswith("-operator"):
                providers = [catalog.components[n] for n in catalog.providers[cap]]
                assert providers and all(p.operator for p in providers), f"{comp.name} requires {cap}"


def _literal_credentials(values: Any, path: str = "") -> list[str]:
    if isinstance(values, dict):
        found = []
        for key, value in values.items():
            if isinstance(value, str) and value and str(key).lower().replace("-", "") in CREDENTIAL_KEYS:
                found.append(f"{path}{key}")
            found.extend(_literal_credentials(value, f"{path}{key}."))
        return found
    if isinstance(values, list):
        return [hit for item in values for hit in _literal_credentials(item, path)]
    return []


def test_no_credential_is_written_into_values_or_resources() -> None:
    for comp in _mine():
        assert _literal_credentials(comp.values) == [], comp.name
        assert _literal_credentials(comp.resources) == [], comp.name
        assert not [o for o in comp.resources if o["kind"] == "Secret"], f"{comp.name} ships a Secret"


def test_saas_agents_are_marked_and_take_their_key_from_a_secret() -> None:
    catalog = load_catalog()
    for name in ("datadog", "new-relic"):
        comp = catalog.components[name]
        assert comp.maturity.status == "saas" and comp.maturity.replacement in catalog.components
        assert comp.secrets, f"{name} needs its API/license key as a secret"


def test_data_root_holds_the_files() -> None:
    catalog = load_catalog()
    for name in ENTRIES:
        assert Path(catalog.files[name]).is_relative_to(data_root())
