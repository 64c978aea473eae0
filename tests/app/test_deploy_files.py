"""The catalog entry, manifests, Dockerfile and README agree with each other and with the app's settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from homelab import yamlsrc
from homelab.catalog import synthetic
from homelab.catalog.loader import load_catalog
from homelab.catalog.model import Component
from homelab_app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "src/homelab/catalog/data/application/workloads/request-path-app.yaml"
MANIFESTS = ROOT / "src/homelab/manifests/request-path-app"
APP = ROOT / "src/homelab_app"
Objects = list[dict[str, Any]]


@pytest.fixture(scope="module")
def entry() -> Component:
    return Component.model_validate(yamlsrc.read(ENTRY, "catalog file").data)


@pytest.fixture(scope="module")
def objects() -> Objects:
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    docs: list[dict[str, Any]] = []
    for name in kustomization["resources"]:
        docs.extend(doc for doc in yaml.safe_load_all((MANIFESTS / name).read_text()) if doc)
    return docs


def of_kind(objects: Objects, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_entry_is_valid_and_uses_declared_capabilities(entry: Component) -> None:
    assert (entry.source.kind, entry.source.chart) == ("local", MANIFESTS.name)
    assert ENTRY.parent.parts[-2:] == (entry.layer, entry.category)
    declared = yaml.safe_load((ROOT / "src/homelab/catalog/data/capabilities.yaml").read_text())
    for cap in [*entry.provides, *entry.requires, *entry.uses]:
        assert cap in declared, cap
    assert entry.pod_security == "restricted"


def test_entry_loads_with_the_catalog_loader_beside_providers(tmp_path: Path) -> None:
    """The loader's own place and cross-reference checks, with stand-in providers of what it requires
    (the real PostgreSQL, Redis and broker entries come from the data layer's catalog files)."""
    body = yaml.safe_load(ENTRY.read_text())
    providers = [synthetic.entry(f"stand-in-{cap}", provides=[cap]) for cap in body["requires"]]
    capabilities = yaml.safe_load((ROOT / "src/homelab/catalog/data/capabilities.yaml").read_text())
    catalog = load_catalog(synthetic.write_catalog(tmp_path, [body, *providers], {}, capabilities))
    assert catalog.providers["reference-app"] == ["request-path-app"]


def test_pods_are_restricted_with_probes_and_resources(objects: Objects) -> None:
    deployments = of_kind(objects, "Deployment")
    assert set(deployments) == {"request-path-app", "request-path-app-worker"}
    dockerfile_user = re.search(r"^USER (\d+):(\d+)$", (APP / "Dockerfile").read_text(), re.MULTILINE)
    assert dockerfile_user
    for deployment in deployments.values():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == int(dockerfile_user.group(1))
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            assert security["readOnlyRootFilesystem"] is True
            assert {"livenessProbe", "readinessProbe"} <= set(container)
            assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]


def test_credentials_come_only_from_the_entrys_secret(entry: Component, objects: Objects) -> None:
    assert not of_kind(objects, "Secret"), "secrets are rendered as ExternalSecrets by the platform"
    (secret,) = entry.secrets
    config = of_kind(objects, "ConfigMap")["request-path-app-config"]["data"]
    assert not set(secret.keys) & set(config)
    fields = {f"APP_{name.upper()}" for name in Settings.model_fields}
    assert set(secret.keys) <= fields
    assert {k for k in config if k.startswith("APP_")} <= fields
    for deployment in of_kind(objects, "Deployment").values():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            refs = [source.get("secretRef", {}).get("name") for source in container["envFrom"]]
            assert secret.name in refs


def test_endpoint_metrics_and_probe_match_the_services(entry: Component, objects: Objects) -> None:
    services = of_kind(objects, "Service")
    (endpoint,) = entry.endpoints
    assert (endpoint.expose, endpoint.sso) == (True, "none")
    assert endpoint.port in [p["port"] for p in services[endpoint.service]["spec"]["ports"]]
    assert entry.metrics is not None
    scraped = [s for s in services.values()
               if entry.metrics.selector.items() <= s["metadata"]["labels"].items()]
    assert len(scraped) == 2  # web and worker
    for service in scraped:
        assert entry.metrics.port in [p["name"] for p in service["spec"]["ports"]]
    assert entry.probe is not None and entry.probe.path == "/readyz"
    web = of_kind(objects, "Deployment")["request-path-app"]["spec"]["template"]["spec"]["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == entry.probe.path


def test_dockerfile_is_multi_stage_and_pinned() -> None:
    bases = re.findall(r"^FROM (\S+)", (APP / "Dockerfile").read_text(), re.MULTILINE)
    assert len(bases) == 2
    for base in bases:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base), base


def test_readme_documents_every_setting() -> None:
    readme = (APP / "README.md").read_text()
    missing = [f"APP_{name.upper()}" for name in Settings.model_fields if f"APP_{name.upper()}" not in readme]
    assert not missing


def test_manifests_pass_the_platforms_own_validation() -> None:
    """Kubernetes schemas (kubernetes-validate) and the platform's lint rules, as `homelab validate` runs them."""
    from homelab.validate import crds_for, validate_tree

    report = validate_tree(MANIFESTS, "1.31.0", crds_for(None))
    assert report.objects == 5  # ConfigMap, two Deployments, two Services; budgets come with `availability`
    assert report.findings == []
