"""The single sign-on rule of issue 14: each UI logs in through the one provider, trusts its CA and reaches it.
Every case puts back what the platform rendered before (no OIDC of the UI's own, JupyterHub's dummy
authenticator, no CA given to clients, no flow to the issuer), and fails."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.profiles import config_for
from tests.tree import edit_component
from tests.validate.test_platform import _copy, _doc, _values, findings

from homelab.catalog import load_catalog
from homelab.plan import make_plan

Docs = list[dict[str, Any]]


def _no_argocd_oidc(docs: Docs) -> None:
    """Argo CD is a local kustomization: its OIDC login is the argocd-cm patch of its Application."""
    patches = _doc(docs, "Application", "argo-cd")["spec"]["source"]["kustomize"]["patches"]
    patches[:] = [p for p in patches if p["target"] != {"kind": "ConfigMap", "name": "argocd-cm"}]


def _dummy_authenticator(values: dict[str, Any]) -> None:
    values["hub"]["config"]["JupyterHub"]["authenticator_class"] = "dummy"


def _no_ca_for_grafana(values: dict[str, Any]) -> None:
    del values["grafana.ini"]["auth.generic_oauth"]["tls_client_ca"]


def _no_harbor_client(docs: Docs) -> None:
    docs.remove(_doc(docs, "ExternalSecret", "harbor-oidc"))


def _no_ca_certificate(docs: Docs) -> None:
    docs.remove(_doc(docs, "Certificate", "homelab-ca-trust"))


def _no_issuer_flow(docs: Docs) -> None:
    """Before: nothing let a client's namespace out to the ingress controller."""
    spec = _doc(docs, "NetworkPolicy", "allow")["spec"]
    spec["egress"] = [r for r in spec["egress"] if "traefik" not in str(r.get("to"))]


def _around_the_proxy(docs: Docs) -> None:
    rule = _doc(docs, "Ingress", "mlflow-mlflow")["spec"]["rules"][0]
    rule["http"]["paths"][0]["backend"]["service"] = {"name": "mlflow", "port": {"number": 5000}}


def _proxy_without_ca(values: dict[str, Any]) -> None:
    del values["extraArgs"]["provider-ca-file"]


# case -> (component, change, words of the finding)
BROKEN: dict[str, tuple[str, Callable[[Docs], None], str]] = {
    "Argo CD without its OIDC config": ("argo-cd", _no_argocd_oidc,
                                        "argo-cd's values do not configure its OIDC login"),
    "JupyterHub on the default authenticator": ("jupyterhub",
                                                _values("jupyterhub", _dummy_authenticator),
                                                "jupyterhub's values do not configure its OIDC login"),
    "Grafana does not trust the CA": ("grafana", _values("grafana", _no_ca_for_grafana),
                                      "trust the internal CA"),
    "Harbor has no client Secret": ("harbor", _no_harbor_client,
                                    "harbor reads its OIDC client from no Secret"),
    "no CA in Gitea's namespace": ("gitea", _no_ca_certificate,
                                   "nothing in gitea holds the internal CA"),
    "Grafana cannot reach the issuer": ("grafana", _no_issuer_flow,
                                        "grafana's login cannot reach the issuer"),
    "a proxied UI routed around its proxy": ("mlflow", _around_the_proxy,
                                             "routed around its OAuth2 Proxy"),
    "the proxy does not trust the CA": ("mlflow",
                                        _values("mlflow-mlflow-oauth2-proxy", _proxy_without_ca),
                                        "does not trust the internal CA"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_the_sso_rule_catches_the_old_wiring(trees: dict[str, Path], tmp_path: Path, case: str) -> None:
    component, change, words = BROKEN[case]
    tree = _copy(trees["standard"], tmp_path)
    edit_component(tree, component, change)
    found = [f for f in findings(tree, "standard", ["dev"]) if f.rule == "sso-configured"]
    assert any(words in f.message for f in found), [f.message for f in found]
    assert all(f.fix and f.file for f in found)


def test_full_exposes_no_ui_without_a_login(trees: dict[str, Path]) -> None:
    """Every exposed endpoint of full either logs in by itself, sits behind its proxy, or is an API / the provider."""
    plan = make_plan(config_for("full"), load_catalog(), "dev")
    kinds = {(p.name, e.name): e.sso for p in plan.components.values() for e in p.component.endpoints if e.expose}
    own = {name for (name, _), how in kinds.items() if how == "oidc"}
    assert own >= {"argo-cd", "harbor", "jupyterhub", "gitea", "grafana"}
    assert all(plan.components[name].component.oidc for name in own)
    assert not [f for f in findings(trees["full"], "full", ["dev"]) if f.rule == "sso-configured"]
