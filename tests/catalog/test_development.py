"""Checks specific to the development-and-delivery entries.

They cover serverless, CI/CD, development tools, ML, analytics and cloud emulators.

Each file is validated on its own so these tests do not depend on other areas' providers
(postgresql, object-storage, kafka, ...) being present on this branch.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.shared import shared, vendored

from homelab.catalog.loader import data_root
from homelab.catalog.model import Component

AREA = ("application/serverless", "application/cicd", "development/tools", "development/ml",
        "development/analytics", "development/emulators")
MANIFESTS = Path(__file__).resolve().parents[2] / "src" / "homelab" / "manifests"
PLACEHOLDER = re.compile(r"\$\{([a-z]+)(?::([a-z0-9-]+))?\}")
KNOWN_PLACEHOLDERS = {"domain", "env", "namespace", "host"}
DATASOURCE = {"helm": "helm", "oci": "docker", "git": "github-tags", "local": "docker"}
CLUSTER_SCOPED = {"TektonConfig"}
# The design's headings for this area and the names another helper owns under them.
HEADINGS = ("Serverless Functions", "CI/CD Pipeline", "Development Tools", "ML/AI Tools",
            "Analytics Tools", "Cloud Emulators")
OWNED_ELSEWHERE = {"ClickHouse", "StarRocks"}

FILES = sorted(p for area in AREA for p in (data_root() / area).glob("*.yaml"))


def _component(path: Path) -> Component:
    return Component.model_validate(yaml.safe_load(path.read_text()))


@pytest.fixture(scope="module")
def components() -> dict[str, Component]:
    return {path.stem: _component(path) for path in FILES}


def test_area_has_entries() -> None:
    assert len(FILES) >= 40


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_entry_is_valid_and_filed_where_it_says(path: Path) -> None:
    comp = _component(path)
    assert comp.name == path.stem
    assert (comp.layer, comp.category) == (path.parent.parent.name, path.parent.name)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_source_has_a_renovate_comment_of_the_right_datasource(path: Path) -> None:
    comp = _component(path)
    if comp.source.kind == "none":
        return
    lines = path.read_text().splitlines()
    above = lines[lines.index("source:") - 1]
    assert above.startswith("# renovate: "), f"no renovate comment above source: in {path.name}"
    versioned_repo = comp.source.version is not None and comp.source.version in (comp.source.repo or "")
    expected = "github-tags" if versioned_repo else DATASOURCE[comp.source.kind]
    if comp.source.kind == "local" and _remote(MANIFESTS / str(comp.source.chart)):
        expected = "github-releases"  # a pinned upstream release manifest, not images
    assert f"datasource={expected}" in above, "a repo URL that embeds the version is bumped from Git tags"


def test_declared_secrets_are_wired_into_values_or_resources(components: dict[str, Component]) -> None:
    """A declared secret nobody reads is dead config, or a chart value that still expects plain text."""
    for comp in components.values():
        used = json.dumps([comp.values, comp.resources])
        for secret in comp.secrets:
            assert f'"{secret.name}"' in used, f"{comp.name}: secret {secret.name} is not referenced"


def test_placeholders_are_known_and_hosts_name_exposed_endpoints(components: dict[str, Component]) -> None:
    for comp in components.values():
        exposed = {e.name for e in comp.endpoints if e.expose}
        for kind, arg in PLACEHOLDER.findall(json.dumps([comp.values, comp.resources])):
            assert kind in KNOWN_PLACEHOLDERS, f"{comp.name}: unknown placeholder ${{{kind}}}"
            if kind == "host":
                assert arg in exposed, f"{comp.name}: ${{host:{arg}}} is not an exposed endpoint"


def test_custom_resources_carry_their_namespace(components: dict[str, Component]) -> None:
    for comp in components.values():
        for obj in comp.resources:
            assert obj["apiVersion"] and obj["kind"] and obj["metadata"]["name"]
            if obj["kind"] not in CLUSTER_SCOPED:
                assert obj["metadata"].get("namespace") == comp.namespace, f"{comp.name}: {obj['kind']}"


def test_ui_endpoints_declare_sso_and_probes_use_endpoints(components: dict[str, Component]) -> None:
    for comp in components.values():
        for endpoint in comp.endpoints:
            if endpoint.expose and endpoint.protocol == "http":
                assert endpoint.sso in {"oidc", "proxy", "none"}
        if comp.maturity.installable and comp.probe is not None and comp.probe.endpoint is None:
            pytest.fail(f"{comp.name}: probe names no endpoint")


def _local_components(components: dict[str, Component]) -> list[Component]:
    return [c for c in components.values() if c.source.kind == "local"]


def _remote(folder: Path) -> list[str]:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    return [r for r in kustomization["resources"] if "://" in r]


def test_local_sources_ship_a_complete_kustomization(components: dict[str, Component]) -> None:
    locals_ = _local_components(components)
    assert locals_, "expected local kustomizations in this area"
    for comp in locals_:
        folder = MANIFESTS / str(comp.source.chart)
        kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
        for resource in kustomization["resources"]:
            if "://" in resource:
                assert f"/{comp.source.version}/" in resource, f"{comp.name}: {resource} is not pinned"
                continue
            assert (folder / resource).is_file(), f"{comp.name}: missing {resource}"
        for patch in kustomization.get("patches") or []:
            assert (folder / patch["path"]).is_file(), f"{comp.name}: missing patch {patch['path']}"
        if not _remote(folder):
            tags = {image["newTag"] for image in kustomization["images"]}
            assert tags == {comp.source.version}, f"{comp.name}: image tag {tags} != source.version"


def _vendored(url: str) -> Path:
    found = vendored(url)
    if found is None:
        pytest.fail(f"no copy of {url} under ../shared/vendor to check its pods")
    return found


def _pod_specs(folder: Path) -> list[dict[str, Any]]:
    files = [*sorted(folder.glob("*.yaml")), *(_vendored(url) for url in _remote(folder))]
    docs = [doc for f in files for doc in yaml.safe_load_all(f.read_text()) if doc]
    workloads = [doc for doc in docs if doc.get("kind") in {"Deployment", "StatefulSet"}]
    return [doc["spec"]["template"]["spec"] for doc in workloads]


def test_restricted_local_manifests_meet_the_restricted_profile(components: dict[str, Component]) -> None:
    for comp in _local_components(components):
        if comp.pod_security != "restricted":
            continue
        pods = _pod_specs(MANIFESTS / str(comp.source.chart))
        assert pods, f"{comp.name}: no workload found"
        for pod in pods:
            pod_context = pod.get("securityContext") or {}
            for container in [*pod.get("initContainers", []), *pod["containers"]]:
                context = container["securityContext"]  # Pod Security reads the container's, else the pod's
                assert context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is True
                seccomp = context.get("seccompProfile") or pod_context.get("seccompProfile") or {}
                assert seccomp.get("type") == "RuntimeDefault"
                assert context["allowPrivilegeEscalation"] is False
                assert context["capabilities"]["drop"] == ["ALL"]


def _design_names(text: str) -> dict[str, str]:
    """Bold names under this area's headings in the design's Component Details: name -> heading."""
    names: dict[str, str] = {}
    heading = ""
    for line in text.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif heading in HEADINGS and (match := re.match(r"- \*\*(.+?)\*\*", line)):
            names[match.group(1)] = heading
    return names


def test_every_design_name_in_this_area_has_an_entry(components: dict[str, Component]) -> None:
    names = _design_names(shared("design", "homelab-system-design.md").read_text())
    assert len(names) > 30
    placed = {(p.name, p.category) for c in components.values() for p in c.design}
    missing = [n for n, h in names.items() if n not in OWNED_ELSEWHERE and (n, h) not in placed]
    assert not missing, f"design names without an entry: {missing}"
