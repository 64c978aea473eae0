"""Each failure gives one clear message and its own exit code, from recorded API responses."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
import yaml

from homelab.cluster.apply import apply_tree
from homelab.cluster.kube import Kube
from homelab.errors import ExitCode, HomelabError, InputError

from .fakeapi import KUBECONFIG, FakeAPI, status_response
from .helpers import FakeClock, load


def test_unreachable_api_server(tmp_path: Path) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("[Errno 111] Connection refused", request=request)

    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(KUBECONFIG))
    kube = Kube.connect("lab", path, transport=httpx2.MockTransport(refuse))
    with pytest.raises(HomelabError) as err:
        kube.version()
    with pytest.raises(HomelabError) as listing:
        kube.list("v1", "Node")
    assert listing.value.exit_code == ExitCode.UNREACHABLE
    assert err.value.exit_code == ExitCode.UNREACHABLE
    assert "cannot reach the Kubernetes API server https://lab.test:6443 (context lab)" in str(err.value)


def test_expired_credentials(api: FakeAPI, tmp_path: Path) -> None:
    api.fail(lambda r: True, httpx2.Response(401, json={"kind": "Status", "apiVersion": "v1", "metadata": {},
                                                        "status": "Failure", "message": "Unauthorized",
                                                        "reason": "Unauthorized", "code": 401}))
    with pytest.raises(HomelabError) as err:
        api.kube(tmp_path).list("v1", "Node")
    assert err.value.exit_code == ExitCode.UNAUTHORIZED
    assert "rejected the credentials of context lab" in str(err.value) and "expired" in str(err.value)


def test_missing_rbac(api: FakeAPI, tmp_path: Path) -> None:
    message = ('customresourcedefinitions.apiextensions.k8s.io "widgets.example.com" is forbidden: User '
               '"system:serviceaccount:ci:deployer" cannot patch resource "customresourcedefinitions" in API group '
               '"apiextensions.k8s.io" at the cluster scope')
    api.fail(lambda r: r.method == "PATCH", status_response(403, "Forbidden", message))
    crd = next(x for x in load("tree.yaml") if x["kind"] == "CustomResourceDefinition")
    with pytest.raises(HomelabError) as err:
        api.kube(tmp_path).apply(crd)
    assert err.value.exit_code == ExitCode.FORBIDDEN
    assert "cannot patch resource" in str(err.value) and "RBAC" in str(err.value)


def test_conflict_with_another_field_manager(api: FakeAPI, tmp_path: Path) -> None:
    message = ('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: '
               '.spec.replicas')
    api.fail(lambda r: r.method == "PATCH", status_response(409, "Conflict", message))
    deployment = next(x for x in load("tree.yaml") if x["kind"] == "Deployment")
    with pytest.raises(HomelabError) as err:
        api.kube(tmp_path).apply(deployment)
    assert err.value.exit_code == ExitCode.CONFLICT
    assert 'conflict with "kubectl-client-side-apply"' in str(err.value) and "--force-conflicts" in str(err.value)
    assert "force" not in api.requests[-1].url.params, "conflicts surface: homelab never forces by default"


def test_crd_never_established(api: FakeAPI, tmp_path: Path) -> None:
    api.auto_ready = False
    api.script("CustomResourceDefinition", "widgets.example.com",
               [{"conditions": [{"type": "Established", "status": "False", "reason": "Installing"}]}])
    tree = [x for x in load("tree.yaml") if x["kind"] in ("CustomResourceDefinition", "Widget")]
    clock = FakeClock()
    with pytest.raises(HomelabError) as err:
        apply_tree(api.kube(tmp_path), tree, "homelab", "dev", timeout=60, clock=clock, prune=False)
    assert err.value.exit_code == ExitCode.TIMEOUT
    assert "waiting for 1 object(s) to become established" in str(err.value)
    assert "CustomResourceDefinition/widgets.example.com: not established yet" in str(err.value)
    assert clock.t >= 60
    assert "blue" not in api.applied_names(), "no custom resource is applied before its CRD is established"


def test_timeout_waiting_for_health(api: FakeAPI, tmp_path: Path) -> None:
    api.script("Deployment", "web", [{"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
                                      "readyReplicas": 0, "availableReplicas": 0}])
    tree = [x for x in load("tree.yaml") if x["kind"] in ("Namespace", "Deployment")]
    with pytest.raises(HomelabError) as err:
        apply_tree(api.kube(tmp_path), tree, "homelab", "dev", timeout=30, clock=FakeClock(), prune=False)
    assert err.value.exit_code == ExitCode.TIMEOUT
    assert "Deployment/demo/web: 0 of 2 updated replicas available" in str(err.value)
    assert "kubectl -n demo describe deployment web" in str(err.value)


def test_unknown_context_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    with pytest.raises(InputError) as err:
        Kube.connect("homelab-dev", path)
    assert err.value.exit_code == ExitCode.BAD_INPUT
    assert "Context 'homelab-dev' not found" in str(err.value)


def test_applications_without_argo_cd_name_the_fix(api: FakeAPI, tmp_path: Path) -> None:
    app = next(x for x in load("tree.yaml") if x["kind"] == "Application")
    clock = FakeClock()
    with pytest.raises(HomelabError) as err:
        apply_tree(api.kube(tmp_path), [app], "homelab", "dev", timeout=600, clock=clock, prune=False)
    assert err.value.exit_code == ExitCode.PREFLIGHT
    assert "does not serve Application (argoproj.io/v1alpha1) and Argo CD" in str(err.value)
    assert "homelab bootstrap" in str(err.value)
    assert clock.t == 0, "nothing can bring that CRD: no point waiting out the timeout"


def test_a_crd_that_exists_but_is_not_established_is_awaited(api: FakeAPI, tmp_path: Path) -> None:
    """A chart's CRD that the API server has not Established yet: its custom resources wait for it."""
    tree = load("tree.yaml")
    crd = next(x for x in tree if x["kind"] == "CustomResourceDefinition")
    api.add(*load("argocd-crds.yaml"), crd)  # created by some chart, status not (yet) Established
    api.script("CustomResourceDefinition", "widgets.example.com",
               [{"conditions": [{"type": "Established", "status": "False"}]}] * 3 +
               [{"conditions": [{"type": "Established", "status": "True"}]}])
    widget = next(x for x in tree if x["kind"] == "Widget")
    clock = FakeClock()
    apply_tree(api.kube(tmp_path), [widget], "homelab", "dev", timeout=600, clock=clock, prune=False)
    assert clock.t > 0, "the custom resource waited for Established"
    assert api.applied_names().count("blue") == 1


def test_other_refusals_quote_the_server(api: FakeAPI, tmp_path: Path) -> None:
    api.fail(lambda r: r.method == "PATCH", status_response(
        422, "Invalid", 'Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value'))
    deployment = next(x for x in load("tree.yaml") if x["kind"] == "Deployment")
    with pytest.raises(HomelabError) as err:
        api.kube(tmp_path).apply(deployment)
    assert err.value.exit_code == ExitCode.FINDINGS
    assert "refused applying Deployment/demo/web (422: Deployment.apps \"web\" is invalid" in str(err.value)


def test_kubeconfig_list_uses_the_first_existing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "real"
    path.write_text(yaml.safe_dump(KUBECONFIG))
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'absent'}:{path}")
    assert Kube.connect("lab").server == "https://lab.test:6443"
