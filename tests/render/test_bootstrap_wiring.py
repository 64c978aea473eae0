"""Issue 13 items in the rendered tree of the built-in example's hardware: the CNI is a bootstrap step with
the distribution's flags, the chart values GitOps needs are set, consumers are wired only to what exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.profiles import PROFILES, config_for

from homelab.catalog import load_catalog
from homelab.plan import make_plan
from homelab.render import env_objects


def app_values(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    app = next(o for o in objects if o["kind"] == "Application" and o["metadata"]["name"] == name)
    return app["spec"]["source"]["helm"].get("valuesObject") or {}


@pytest.mark.parametrize("profile", PROFILES)
def test_the_cni_is_a_bootstrap_step_not_an_application(trees: dict[str, Path], profile: str) -> None:
    tree = trees[profile]
    for env in ("dev", "staging", "prod"):
        objects = env_objects(tree, env)
        assert "cilium" not in {o["metadata"]["name"] for o in objects if o["kind"] == "Application"}
        steps = yaml.safe_load((tree / "bootstrap" / env / "steps.yaml").read_text())
        assert [s["name"] for s in steps["steps"]] == ["cilium"]
        values = yaml.safe_load((tree / "bootstrap" / env / steps["steps"][0]["helm"]["values"]).read_text())
        assert values["policyCIDRMatchMode"] == ["nodes"] and values["hubble"]["enabled"] is True
        flags = [f["flag"] for f in steps["distribution"]["server_flags"]]
        assert flags[:2] == ["--flannel-backend=none", "--disable-network-policy"]
        assert "--disable=traefik" in flags and "--disable=servicelb" in flags
        assert {"apiGroups": ["cilium.io"], "kinds": ["CiliumIdentity"], "clusters": ["*"]} in (
            steps["argocd"]["resource_exclusions"])
        page = (tree / "bootstrap" / env / "README.md").read_text()  # one page per environment
        assert "--flannel-backend=none --disable-network-policy" in page
        assert "helm upgrade --install cilium cilium --repo https://helm.cilium.io" in page
        assert f"--values bootstrap/{env}/{steps['steps'][0]['helm']['values']}" in page


def test_minimal_from_the_starter_file_gets_the_chosen_cni() -> None:
    """`homelab init` writes `choices: {cni: cilium}`; with profile minimal that used to leave no CNI at all."""
    plan = make_plan(config_for("minimal"), load_catalog(), "dev")
    assert "cilium" in plan.components and "flannel" not in plan.components
    assert "in place of flannel" in plan.components["cilium"].reasons[0]


def test_gitops_values_and_wiring(trees: dict[str, Path]) -> None:
    standard = env_objects(trees["standard"], "dev")
    assert app_values(standard, "longhorn")["preUpgradeChecker"] == {"jobEnabled": False}
    outputs = app_values(standard, "fluent-bit")["config"]["outputs"]
    assert "fluentd" not in outputs and "Name stdout" in outputs  # no fluentd in standard
    assert "auth.generic_oauth" in app_values(standard, "grafana")["grafana.ini"]  # Keycloak is there
    full = env_objects(trees["full"], "dev")
    assert "Host fluentd.fluentd.svc" in app_values(full, "fluent-bit")["config"]["outputs"]
    minimal = env_objects(trees["minimal"], "dev")
    grafana = app_values(minimal, "grafana")
    assert "auth.generic_oauth" not in grafana["grafana.ini"] and "envFromSecret" not in grafana
    project = next(o for o in full if o["kind"] == "AppProject" and o["metadata"]["name"] == "homelab-application")
    assert "kube-system" in {d["namespace"] for d in project["spec"]["destinations"]}


def test_pod_security_labels_are_the_confirmed_levels(trees: dict[str, Path]) -> None:
    objects = env_objects(trees["full"], "dev")
    level = {o["metadata"]["name"]: o["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
             for o in objects if o["kind"] == "Namespace"}
    assert level["gitea"] == "baseline" and level["kafka"] == "restricted"
    strimzi = app_values(objects, "strimzi")
    assert {"name": "STRIMZI_POD_SECURITY_PROVIDER_CLASS", "value": "restricted"} in strimzi["extraEnvs"]
