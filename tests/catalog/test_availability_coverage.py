"""Nobody skips high availability silently: every component the built-in example runs whose pinned chart offers a
PodDisruptionBudget (or a replica count with leader election) either says how it runs more copies
(`availability`) or why it stays at one (`single_copy`); every operator-run store's member count points at a
field its CRD really has. The oracles are the charts' values.yaml and the CRDs under ../shared."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.profiles import config_for
from tests.shared import crd_schemas, shared

from homelab.catalog import load_catalog
from homelab.catalog.model import Component
from homelab.plan import make_plan

CATALOG = load_catalog()
FULL = sorted(make_plan(config_for("full"), CATALOG, "prod").components)

# keys at the start of a line, so a key that is only in a comment does not count
BUDGET = re.compile(r"^\s*(podDisruptionBudget|PodDisruptionBudget|pdb)\s*:", re.M)
REPLICAS = re.compile(r"^\s*(replicaCount|replicas)\s*:", re.M)
LEADER = re.compile(r"^\s*(leaderElect\w*|leaderElection|leaderElector|enableLeaderElection)\s*:", re.M)


def offers_copies(values_yaml: str) -> bool:
    """The chart can run more than one copy: it has a budget key, or a replica count and a leader election key."""
    return bool(BUDGET.search(values_yaml) or (REPLICAS.search(values_yaml) and LEADER.search(values_yaml)))


def chart_text(comp: Component) -> str | None:
    src = comp.source
    path = shared("charts") / str(src.chart) / str(src.version) / "values.yaml"
    return path.read_text() if src.chart and path.is_file() else None


def test_every_chart_that_offers_copies_says_how_or_why_not() -> None:
    shared("charts")
    silent = []
    checked = 0
    for name in FULL:
        comp = CATALOG.components[name]
        text = chart_text(comp)
        if text is None or comp.footprint.per_node:  # a DaemonSet runs one copy per node by definition
            continue
        checked += 1
        if offers_copies(text) and not (comp.availability or comp.single_copy):
            silent.append(f"{name} ({comp.source.chart} {comp.source.version})")
    assert checked >= 40, checked
    assert not silent, (f"charts offering a PodDisruptionBudget or leader election without `availability` or "
                        f"`single_copy`: {', '.join(silent)}")


def test_the_rule_bites() -> None:
    """A budget key counts, a replica count alone does not, a commented-out key does not."""
    assert offers_copies("podDisruptionBudget:\n  enabled: false\n")
    assert offers_copies("controller:\n  PodDisruptionBudget:\n    enable: false\n")
    assert offers_copies("replicaCount: 1\nleaderElection:\n  enable: true\n")
    assert not offers_copies("replicaCount: 1\n")
    assert not offers_copies("replicaCount: 1\n# podDisruptionBudget:\n#   enabled: true\n")


def test_the_built_in_example_runs_the_facets_that_matter() -> None:
    """The components issue 15 names carry the facet; those that cannot run two copies say why."""
    has = {n for n in FULL if CATALOG.components[n].availability}
    assert {"kyverno", "harbor", "cloudnative-pg", "istio", "strimzi", "eck-operator", "traefik", "argo-cd"} <= has
    assert {"grafana", "dex", "vault", "jenkins"} <= {n for n in FULL if CATALOG.components[n].single_copy}
    # read upstream at their pins (no chart data under ../shared): copies where the chart offers them, else why not
    assert {"actions-runner-controller", "akhq", "ceph", "envoy-gateway", "datadog"} <= has
    assert {"github-actions-runner", "rook-ceph", "clickhouse-operator", "doris-operator"} <= {
        n for n in FULL if CATALOG.components[n].single_copy}
    assert {"postgresql", "keycloak", "rabbitmq", "kafka"} <= {n for n in FULL if CATALOG.components[n].instances}


def _schema_at(schema: dict[str, Any], steps: list[str]) -> dict[str, Any] | None:
    """The schema node a path of object keys and list indices leads to (None: the CRD has no such field)."""
    node = schema
    for step in steps:
        if node.get("x-kubernetes-preserve-unknown-fields") and "properties" not in node:
            return node
        if step.isdigit():
            node = node.get("items") or {}
            continue
        props = node.get("properties") or {}
        additional = node.get("additionalProperties")
        if step in props:
            node = props[step]
        elif isinstance(additional, dict):
            node = additional
        else:
            return None
    return node


def _leaf_paths(value: Any, prefix: list[str]) -> list[list[str]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaf_paths(v, [*prefix, k])]
    return [prefix]


STORES = sorted(n for n, c in CATALOG.components.items() if c.instances)


@pytest.mark.parametrize("name", STORES)
def test_member_counts_and_replication_are_fields_of_the_crd(name: str) -> None:
    comp = CATALOG.components[name]
    schemas = crd_schemas()
    for facet in comp.instances:
        api = next(r["apiVersion"] for r in comp.resources if r["kind"] == facet.kind)
        schema = schemas.get((api, facet.kind))
        assert schema is not None, f"{name}: no CRD for {api} {facet.kind} under ../shared/crds"
        for pointer in facet.count:
            node = _schema_at(schema, pointer.split("/")[1:])
            assert node is not None and node.get("type") == "integer", f"{name}: {facet.kind} has no count {pointer}"
        for path in _leaf_paths(facet.replicated, []):
            assert _schema_at(schema, path) is not None, f"{name}: {facet.kind} has no field {'.'.join(path)}"


def test_the_crd_oracle_bites() -> None:
    schema = crd_schemas()[("postgresql.cnpg.io/v1", "Cluster")]
    assert _schema_at(schema, ["spec", "instances"]) is not None
    assert _schema_at(schema, ["spec", "postgresql", "synchronous", "number"]) is not None
    assert _schema_at(schema, ["spec", "instancez"]) is None
    assert _schema_at(schema, ["spec", "postgresql", "synchronous", "numbr"]) is None


def test_contradictions_in_an_entry_are_refused() -> None:
    """Both facets at once, a budget both ways or none, a store facet for a kind the entry does not declare."""
    from pydantic import ValidationError

    base = CATALOG.components["cloudnative-pg"].model_dump(mode="json", exclude_none=True)
    facet = base["availability"]
    with pytest.raises(ValidationError, match="contradict"):
        Component.model_validate({**base, "single_copy": {"reason": "x" * 20, "confirmed": "y"}})
    with pytest.raises(ValidationError, match="exactly one"):
        Component.model_validate({**base, "availability": {**facet, "disruption_budget": {"pdb": {"enabled": True}}}})
    with pytest.raises(ValidationError, match="exactly one"):
        Component.model_validate({**base, "availability": {**facet, "budget_pods": {}}})
    with pytest.raises(ValidationError, match="not among the entry's resources"):
        Component.model_validate({**base, "instances": [{"kind": "Cluster", "count": ["/spec/instances"],
                                                         "confirmed": "y"}]})


def _has_chart_data(comp: Component) -> bool:
    src = comp.source
    return bool(src.chart and (shared("charts") / str(src.chart) / str(src.version) / "values.yaml").is_file())


def _named_keys(values: dict[str, Any], prefix: str = "") -> list[str]:
    """The dotted keys a facet sets, down to an affinity (its inside is Kubernetes', not the chart's)."""
    out = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and not key.endswith("ffinity"):
            out += _named_keys(value, f"{path}.")
        else:
            out.append(path)
    return out


def test_charts_the_oracle_cannot_read_cite_every_key_they_set() -> None:
    """Without the chart under ../shared/charts no oracle checks these keys: the evidence must name each one (or
    the map that holds it) and the pinned chart version, so a key added without reading the chart stands out."""
    from homelab.render import availability

    unread = {n: c for n, c in CATALOG.components.items()
              if c.source.kind in ("helm", "oci") and (c.availability or c.single_copy) and not _has_chart_data(c)}
    assert {"prometheus", "cilium", "ingress-nginx", "metrics-server", "velero", "gitea", "minio",
            "actions-runner-controller", "akhq", "ceph", "envoy-gateway", "rook-ceph", "mlflow", "opentelemetry",
            "tekton-operator", "starrocks-operator", "starrocks", "openstack-swift", "redis", "neo4j",
            "datadog"} <= set(unread)
    for name, comp in unread.items():
        facet = comp.availability or comp.single_copy
        assert facet is not None
        assert str(comp.source.version) in facet.confirmed, f"{name}: evidence without the pinned version"
        if comp.availability:
            for key in _named_keys(availability.values(comp.availability, 2)):
                parent = key.rpartition(".")[0]
                assert key in facet.confirmed or (parent and parent in facet.confirmed), \
                    f"{name}: the evidence does not name {key}"


def test_the_key_citation_rule_bites() -> None:
    assert _named_keys({"controller": {"replicaCount": 2, "affinity": {"podAntiAffinity": {}}}}) == [
        "controller.replicaCount", "controller.affinity"]


BUDGET_FIELDS = {"podDisruptionBudget", "enablePDB"}


def _has_budget_field(schema: Any) -> bool:
    """Whether a CRD schema has a field for the operator's own PodDisruptionBudget anywhere below it."""
    if isinstance(schema, dict):
        props = schema.get("properties") or {}
        return bool(BUDGET_FIELDS & set(props)) or any(_has_budget_field(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_has_budget_field(v) for v in schema)
    return False


@pytest.mark.parametrize("name", STORES)
def test_a_store_gets_one_budget_its_operators_or_ours(name: str) -> None:
    """An operator whose custom resource has a budget field writes its own (CloudNativePG's enablePDB, ECK's
    Elasticsearch, Strimzi's Kafka template); for the others (Keycloak, RabbitMQ, MongoDB, Kibana) the entry names
    the members' pod labels so homelab writes one. Never both, never neither."""
    comp = CATALOG.components[name]
    schemas = crd_schemas()
    own = any(_has_budget_field(schemas.get((r["apiVersion"], r["kind"]))) for r in comp.resources)
    ours = any(facet.budget_pods for facet in comp.instances)
    assert own != ours, (f"{name}: the operator's CRD {'has' if own else 'has no'} a budget field, and the entry "
                         f"{'names' if ours else 'does not name'} budget_pods")


def test_the_budget_field_rule_bites() -> None:
    schemas = crd_schemas()
    assert _has_budget_field(schemas[("postgresql.cnpg.io/v1", "Cluster")])
    assert not _has_budget_field(schemas[("rabbitmq.com/v1beta1", "RabbitmqCluster")])
