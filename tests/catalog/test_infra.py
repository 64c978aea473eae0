"""Checks specific to the infrastructure and backup catalog entries (issue 3).

The entries are validated one file at a time, so these tests do not depend on the
other areas' entries being present in this branch.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from tests.needs import tool
from tests.shared import shared

from homelab import yamlsrc
from homelab.catalog.loader import data_root
from homelab.catalog.model import Component

MANIFESTS = Path(__file__).resolve().parents[2] / "src" / "homelab" / "manifests"

AREA = {
    "infrastructure/storage": ["minio", "seaweedfs", "rook-ceph", "rook-ceph-csi", "ceph", "openstack-swift",
                               "local-path-provisioner", "longhorn"],
    "infrastructure/networking": ["gateway-api", "istio-base", "istio", "cilium", "calico", "flannel",
                                  "metallb", "ingress-nginx", "traefik", "haproxy", "kong", "envoy-gateway",
                                  "emissary-crds", "ambassador", "linkerd-crds", "linkerd"],
    "infrastructure/security": ["cert-manager", "external-secrets", "vault", "openbao", "keycloak-operator",
                                "keycloak", "kyverno", "openfga", "oauth2-proxy", "dex", "openldap"],
    "application/monitoring": ["metrics-server"],
    "backup/backup": ["velero", "kasten-k10", "stash", "percona-xtrabackup", "barman"],
}
FILES = [data_root() / folder / f"{name}.yaml" for folder, names in AREA.items() for name in names]


def _entry(path: Path) -> Component:
    return Component.model_validate(yamlsrc.read(path, "catalog file").data)


@pytest.fixture(scope="module")
def entries() -> dict[str, Component]:
    return {path.stem: _entry(path) for path in FILES}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_entry_is_valid_and_confirmed(path: Path) -> None:
    comp = _entry(path)
    assert comp.name == path.stem
    assert len(comp.source.confirmed) > 40, "confirmed must say where the pin was checked"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_renovate_comment_matches_source(path: Path) -> None:
    """The comment right above `source:` lets Renovate bump exactly the coordinates the entry pins."""
    lines = path.read_text().splitlines()
    comment = lines[lines.index("source:") - 1]
    assert comment.startswith("# renovate: datasource="), comment
    fields = dict(item.split("=", 1) for item in comment.removeprefix("# renovate: ").split())
    source = _entry(path).source
    if source.kind == "helm":
        assert fields["datasource"] == "helm"
        assert fields["registryUrl"].rstrip("/") == (source.repo or "").rstrip("/")
        assert fields["depName"] == source.chart
    elif source.kind == "oci":
        assert fields["datasource"] == "docker"
        assert fields["depName"].endswith(f"/{source.chart}")
    elif source.kind == "git":
        assert fields["datasource"] == "github-tags"
        assert (source.repo or "").endswith(fields["depName"])
    else:
        assert fields["datasource"] in {"docker", "github-tags", "helm"}


def test_exclusive_choices(entries: dict[str, Component]) -> None:
    def providers(cap: str) -> set[str]:
        return {name for name, comp in entries.items() if cap in comp.provides}

    assert providers("cni") == {"cilium", "calico", "flannel"}
    assert providers("storage-class") == {"local-path-provisioner", "longhorn"}
    assert providers("service-mesh") == {"istio", "linkerd"}
    assert providers("load-balancer") == {"metallb"}
    assert {"network-policy"} <= set(entries["cilium"].provides)


def test_maturity_of_retired_and_restricted_systems(entries: dict[str, Component]) -> None:
    expected = {"minio": "archived", "ingress-nginx": "archived", "vault": "license-restricted",
                "kasten-k10": "commercial", "stash": "license-restricted", "linkerd": "beta"}
    for name, status in expected.items():
        assert entries[name].maturity.status == status, name
        assert entries[name].maturity.reason
    for comp in entries.values():
        if comp.maturity.replacement:
            assert comp.maturity.replacement in entries, comp.name
            assert comp.maturity.replacement != comp.name


def _shared_tags() -> dict[str, str]:
    """Folder in /work/shared/crds -> upstream tag, read from its SOURCES.md table."""
    sources = shared("crds", "SOURCES.md")
    tags = {}
    for row in sources.read_text().splitlines():
        cells = [c.strip() for c in row.split("|")]
        if len(cells) > 5 and "/" in cells[1] and "@" in cells[4]:
            tags[cells[1].split("/")[0]] = cells[4].split("@")[0].strip()
    return tags


@pytest.mark.parametrize(("name", "folder"), [
    ("gateway-api", "gateway-api"), ("cert-manager", "cert-manager"),
    ("external-secrets", "external-secrets"), ("metallb", "metallb"), ("istio-base", "istio"),
    ("istio", "istio"), ("kyverno", "kyverno"), ("velero", "velero")])
def test_pins_match_the_shared_crd_oracle(entries: dict[str, Component], name: str, folder: str) -> None:
    tag = _shared_tags()[folder]
    assert (entries[name].source.app_version or "").lstrip("v") == tag.lstrip("v")


def test_keycloak_resource_matches_crd(entries: dict[str, Component]) -> None:
    crd_file = shared("crds", "keycloak", "keycloaks.k8s.keycloak.org-v1.yml")
    crd = yaml.safe_load(crd_file.read_text())
    served = {v["name"]: v for v in crd["spec"]["versions"] if v.get("served")}
    (resource,) = [r for r in entries["keycloak"].resources if r["kind"] == "Keycloak"]
    group, version = resource["apiVersion"].split("/")
    assert group == crd["spec"]["group"] and version in served
    assert resource["metadata"]["namespace"] == entries["keycloak"].namespace
    schema = served[version]["schema"]["openAPIV3Schema"]
    jsonschema.validate(resource, schema)


def _kustomize(folder: Path) -> list[dict[str, Any]]:
    kubectl = tool("kubectl", "needed for `kubectl kustomize`; .ci/run puts it on PATH")
    out = subprocess.run([kubectl, "kustomize", str(folder)], check=True, capture_output=True, text=True,
                         timeout=60).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def test_openldap_local_manifests(entries: dict[str, Component]) -> None:
    comp = entries["openldap"]
    assert comp.source.kind == "local"
    docs = _kustomize(MANIFESTS / (comp.source.chart or ""))
    kinds = {d["kind"]: d for d in docs}
    assert set(kinds) == {"Service", "StatefulSet"}
    pod = kinds["StatefulSet"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == f"symas/openldap:{comp.source.version}"
    # the entry claims the restricted Pod Security profile: check the fields it requires
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    # no credential in the manifests: passwords come from the Secret the entry declares
    secret_names = {s.name for s in comp.secrets}
    env = {e["name"]: e for e in container["env"]}
    assert "LDAP_ADMIN_PASSWORD" not in env
    assert env["LDAP_PASSWORDS"]["valueFrom"]["secretKeyRef"]["name"] in secret_names
    endpoint = comp.endpoints[0]
    ports = {p["port"] for p in kinds["Service"]["spec"]["ports"]}
    assert kinds["Service"]["metadata"]["name"] == endpoint.service and endpoint.port in ports


def test_no_plain_secrets_in_values(entries: dict[str, Component]) -> None:
    pattern = re.compile(r"(password|secret|token|apikey|api_key)\s*[:=]\s*\S", re.IGNORECASE)
    for comp in entries.values():
        for key, value in _walk(comp.values):
            if isinstance(value, str) and re.search(r"password|token|secretkey", key, re.IGNORECASE):
                pytest.fail(f"{comp.name}: values key '{key}' carries a literal credential")
            if isinstance(value, str):
                assert not pattern.search(value), f"{comp.name}: '{key}' looks like an inline credential"


def _walk(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [item for k, v in node.items() for item in _walk(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(node, list):
        return [item for i, v in enumerate(node) for item in _walk(v, f"{prefix}[{i}]")]
    return [(prefix, node)]
