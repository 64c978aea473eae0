"""Argo CD from one source, protected from destroy, and custom resources after whatever installs their CRD."""

from __future__ import annotations

import pytest
import yaml

from homelab.catalog.loader import load_catalog
from homelab.config import Config, builtin_text
from homelab.render import Rendered, render_tree
from homelab.render.context import PROTECTED, WAVE


@pytest.fixture(scope="module")
def full() -> Rendered:
    return render_tree(Config.model_validate(yaml.safe_load(builtin_text())), load_catalog())


def wave(body: dict) -> int:
    return int(body["metadata"]["annotations"][WAVE])


def test_custom_resources_sync_after_every_component_whose_source_installs_their_crd(full: Rendered) -> None:
    """GatewayClass used to share Envoy Gateway's wave, so bootstrap --local waited for a CRD nothing created."""
    checked = 0
    for env, objects in full.objects.items():
        apps = {o.name: wave(o.body) for o in objects if o.kind == "Application"}
        for planned in full.plans[env].components.values():
            crds = planned.component.crds
            if crds is None or planned.name not in apps or "gitops" in planned.component.provides:
                continue  # bootstrap installs Argo CD before the root Application: its kinds exist in every wave
            for obj in objects:
                if obj.body["apiVersion"].rpartition("/")[0] in crds.groups:
                    assert wave(obj.body) > apps[planned.name], f"{env}: {obj.kind}/{obj.name} vs {planned.name}"
                    checked += 1
    assert checked, "the built-in example has custom resources of an installing component (GatewayClass)"
    gatewayclass = next(o for o in full.objects["dev"] if o.kind == "GatewayClass")
    assert min(wave(o.body) for o in full.objects["dev"] if o.kind == "Application") == 0
    assert wave(gatewayclass.body) == next(wave(o.body) for o in full.objects["dev"]
                                           if o.kind == "Application" and o.name == "envoy-gateway") + 1


def test_argo_cd_is_installed_and_synced_from_one_kustomization(full: Rendered) -> None:
    app = next(o.body for o in full.objects["dev"] if o.kind == "Application" and o.name == "argo-cd")
    assert app["spec"]["source"]["path"].endswith("manifests/argo-cd")
    kustomization = yaml.safe_load(full.files["manifests/argo-cd/kustomization.yaml"])
    assert kustomization["resources"] == [
        "https://raw.githubusercontent.com/argoproj/argo-cd/v3.5.1/manifests/install.yaml"]
    assert kustomization["namespace"] == "argocd"
    patches = [yaml.safe_load(full.files[f"manifests/argo-cd/{p['path']}"]) for p in kustomization["patches"]]
    health = next(p for p in patches if p["metadata"]["name"] == "argocd-cm")["data"]
    assert "obj.status.health.status" in health["resource.customizations.health.argoproj.io_Application"]


def test_only_what_runs_argo_cd_is_protected(full: Rendered) -> None:
    for objects in full.objects.values():
        protected = {(o.kind, o.name) for o in objects if PROTECTED in o.body["metadata"]["annotations"]}
        assert {("Application", "argo-cd"), ("Namespace", "argocd")} <= protected
        owners = {o.body["metadata"]["labels"]["app.kubernetes.io/name"] for o in objects
                  if PROTECTED in o.body["metadata"]["annotations"]}
        assert owners == {"argo-cd"}
