"""A local kustomization's values are patches of its own objects: rendered as Argo CD's kustomize patches,
read back by the platform checks, applied by kustomize itself, and refused in any other shape."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from tests.needs import kustomize
from tests.profiles import config_for
from tests.shared import shared

from homelab.catalog import load_catalog
from homelab.catalog.model import Component
from homelab.render import Rendered, render_tree
from homelab.render.argocd import application_values, kustomize_patches

MANIFESTS = Path(__file__).resolve().parents[2] / "src" / "homelab" / "manifests"


@pytest.fixture(scope="module")
def standard() -> Rendered:
    return render_tree(config_for("standard"), load_catalog(), ["dev"])


def _app(rendered: Rendered, name: str, env: str = "dev") -> dict[str, Any]:
    return next(o.body for o in rendered.objects[env] if o.kind == "Application" and o.name == name)


def test_argo_cd_logs_in_through_a_patch_of_argocd_cm(standard: Rendered) -> None:
    where, values = application_values(_app(standard, "argo-cd"))
    assert where == ["spec", "source", "kustomize", "patches"]
    oidc = values["ConfigMap/argocd-cm"]["data"]["oidc.config"]
    assert "issuer: https://" in oidc and "clientSecret: $argocd-oidc:client-secret" in oidc
    server = values["Deployment/argocd-server"]["spec"]["template"]["spec"]
    assert server["containers"][0]["name"] == "argocd-server"


def test_the_reference_app_gets_its_image_queue_and_issuer(standard: Rendered) -> None:
    values = application_values(_app(standard, "request-path-app"))[1]
    web = values["Deployment/request-path-app"]["spec"]
    # dev's one copy, which the entry's `availability` writes (prod's three are in tests/render/test_availability)
    assert web["replicas"] == 1 and web["template"]["spec"]["containers"][0]["image"].startswith("harbor.")
    data = values["ConfigMap/request-path-app-config"]["data"]
    assert data["APP_QUEUE_NAME"] == "request-path-tasks-dev"
    assert data["APP_OIDC_ISSUER"].startswith("https://") and data["APP_OIDC_AUDIENCE"] == "account"


def test_patches_read_back_to_the_values_they_were_made_from() -> None:
    values = {"ConfigMap/a": {"data": {"k": "v"}, "metadata": {"labels": {"x": "y"}}},
              "Deployment/b": {"spec": {"replicas": 3}}}
    app = {"spec": {"source": {"kustomize": {"patches": kustomize_patches(values)}}}}
    assert application_values(app)[1] == values


def test_kustomize_applies_the_patches_to_the_packaged_manifests(tmp_path: Path, standard: Rendered) -> None:
    command = kustomize()
    shutil.copytree(MANIFESTS / "request-path-app", tmp_path / "app")
    kustomization = tmp_path / "app" / "kustomization.yaml"
    doc = yaml.safe_load(kustomization.read_text())
    doc["patches"] = _app(standard, "request-path-app")["spec"]["source"]["kustomize"]["patches"]
    kustomization.write_text(yaml.safe_dump(doc))
    built = subprocess.run([*command, str(tmp_path / "app")], capture_output=True, text=True, check=True).stdout
    objects = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(built) if o}
    web = objects["Deployment", "request-path-app"]["spec"]["template"]["spec"]["containers"]
    assert web[0]["image"].startswith("harbor.") and web[0]["envFrom"], web  # merged by name, nothing lost
    assert objects["ConfigMap", "request-path-app-config"]["data"]["APP_CACHE_TTL_SECONDS"] == "300"


def test_a_local_entry_with_helm_shaped_values_is_refused() -> None:
    raw = load_catalog().components["request-path-app"].model_dump(exclude_none=True)
    raw["values"] = {"image": {"repository": "x"}}
    with pytest.raises(ValidationError, match="<Kind>/<name>"):
        Component.model_validate(raw)


def test_argo_cd_install_takes_the_patches(tmp_path: Path, standard: Rendered) -> None:
    """Upstream's pinned install manifest (../shared/vendor) with our kustomization's and the Application's
    patches: argocd-server keeps its own container and gains the CA; argocd-cm keeps the health check."""
    command = kustomize()
    install = shared("vendor/argo-cd/v3.5.1/install.yaml")
    folder = tmp_path / "argo-cd"
    shutil.copytree(MANIFESTS / "argo-cd", folder)
    shutil.copy(install, folder / "install.yaml")
    kustomization = folder / "kustomization.yaml"
    doc = yaml.safe_load(kustomization.read_text())
    doc["resources"] = ["install.yaml"]
    doc["patches"] += _app(standard, "argo-cd")["spec"]["source"]["kustomize"]["patches"]
    kustomization.write_text(yaml.safe_dump(doc))
    built = subprocess.run([*command, str(folder)], capture_output=True, text=True, check=True).stdout
    objects = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(built) if o}
    server = objects["Deployment", "argocd-server"]["spec"]["template"]["spec"]
    container = next(c for c in server["containers"] if c["name"] == "argocd-server")
    assert container["args"][0] == "/usr/local/bin/argocd-server"
    assert {"name": "SSL_CERT_DIR", "value": "/etc/ssl/certs:/etc/homelab-ca"} in container["env"]
    assert any(v["name"] == "homelab-ca" for v in server["volumes"])
    data = objects["ConfigMap", "argocd-cm"]["data"]
    assert "oidc.config" in data and "resource.customizations.health.argoproj.io_Application" in data


def test_prod_runs_three_argo_cd_servers_as_kustomize_builds_them(tmp_path: Path) -> None:
    """Argo CD is a local source: its availability facet becomes patches that kustomize applies to upstream's
    install.yaml (the vendored copy stands in for the URL): three API servers, repo servers and ApplicationSet
    controllers (leader election on), keeping the manifest's own spread of the pods; the application controller
    stays one shard. A budget per Deployment selects exactly that Deployment's pods."""
    command = kustomize()
    rendered = render_tree(config_for("full"), load_catalog(), ["prod"])
    app = _app(rendered, "argo-cd", "prod")
    shutil.copytree(MANIFESTS / "argo-cd", tmp_path / "argo-cd")
    kustomization = tmp_path / "argo-cd" / "kustomization.yaml"
    doc = yaml.safe_load(kustomization.read_text())
    shutil.copy(shared("vendor", "argo-cd", "v3.5.1", "install.yaml"), tmp_path / "argo-cd" / "install.yaml")
    doc["resources"] = ["install.yaml"]
    doc["patches"] = [*doc.get("patches", []), *app["spec"]["source"]["kustomize"]["patches"]]
    kustomization.write_text(yaml.safe_dump(doc))
    built = subprocess.run([*command, str(tmp_path / "argo-cd")], capture_output=True, text=True, check=True).stdout
    objects = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(built) if o}
    pdbs = {o.name: o.body for o in rendered.objects["prod"] if o.kind == "PodDisruptionBudget"}
    for name in ("argocd-server", "argocd-repo-server", "argocd-applicationset-controller"):
        spec = objects["Deployment", name]["spec"]
        assert spec["replicas"] == 3, name
        anti = spec["template"]["spec"]["affinity"]["podAntiAffinity"]
        terms = anti["preferredDuringSchedulingIgnoredDuringExecution"]
        assert terms[0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname", name
        assert pdbs[name]["metadata"]["namespace"] == "argocd"
        assert pdbs[name]["spec"]["selector"]["matchLabels"] == spec["selector"]["matchLabels"], name
    server = objects["Deployment", "argocd-server"]["spec"]["template"]["spec"]["affinity"]
    assert server["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"][
        "labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": "argocd-server"}  # the install's own spread
    params = objects["ConfigMap", "argocd-cmd-params-cm"]["data"]
    assert params == {"server.insecure": "true", "applicationsetcontroller.enable.leader.election": "true"}
    controller = objects["StatefulSet", "argocd-application-controller"]["spec"]
    env = {e["name"]: e.get("value") for e in controller["template"]["spec"]["containers"][0]["env"]}
    assert controller["replicas"] == 1 and env["ARGOCD_CONTROLLER_REPLICAS"] == "1"
    for single in ("argocd-dex-server", "argocd-redis", "argocd-notifications-controller"):
        assert "replicas" not in objects["Deployment", single]["spec"] and single not in pdbs, single
