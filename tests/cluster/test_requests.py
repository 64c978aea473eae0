"""The exact requests the I/O layer sends: path, fieldManager, dryRun, force and the apply-patch content type."""

from __future__ import annotations

import json
from pathlib import Path

from homelab.cluster.kube import learn_tree
from homelab.cluster.objects import Ref

from .fakeapi import FakeAPI, ready_status
from .helpers import load

APPLY_PATCH = "application/apply-patch+yaml"


def test_server_side_apply_request_shape(api: FakeAPI, tmp_path: Path) -> None:
    kube = api.kube(tmp_path)
    deployment = next(x for x in load("tree.yaml") if x["kind"] == "Deployment")
    stored = kube.apply(deployment)
    request = api.requests[-1]
    assert request.method == "PATCH"
    assert request.url.path == "/apis/apps/v1/namespaces/demo/deployments/web"
    assert dict(request.url.params) == {"fieldManager": "homelab"}
    assert request.headers["content-type"] == APPLY_PATCH
    assert request.headers["authorization"] == "Bearer test-token"
    assert json.loads(request.content) == deployment
    assert stored["metadata"]["managedFields"][0]["manager"] == "homelab"


def test_dry_run_and_force_flags(api: FakeAPI, tmp_path: Path) -> None:
    kube = api.kube(tmp_path)
    namespace = next(x for x in load("tree.yaml") if x["kind"] == "Namespace")
    kube.apply(namespace, dry_run=True)
    assert api.requests[-1].url.path == "/api/v1/namespaces/demo"
    assert dict(api.requests[-1].url.params) == {"fieldManager": "homelab", "dryRun": "All"}
    assert api.objects == {}, "a dry run stores nothing"
    kube.apply(namespace, force=True)
    assert dict(api.requests[-1].url.params) == {"fieldManager": "homelab", "force": "true"}


def test_custom_resources_use_the_plural_and_scope_of_their_crd(api: FakeAPI, tmp_path: Path) -> None:
    kube = api.kube(tmp_path)
    tree = load("tree.yaml")
    learn_tree(kube, tree)
    kube.apply(next(x for x in tree if x["kind"] == "Widget"))
    assert api.requests[-1].url.path == "/apis/example.com/v1/namespaces/demo/widgets/blue"
    assert api.requests[-1].headers["content-type"] == APPLY_PATCH
    kube.apply(next(x for x in tree if x["kind"] == "CustomResourceDefinition"))
    assert api.requests[-1].url.path == ("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                                         "widgets.example.com")


def test_unknown_kind_is_looked_up_in_api_discovery(api: FakeAPI, tmp_path: Path) -> None:
    crd = next(x for x in load("tree.yaml") if x["kind"] == "CustomResourceDefinition")
    api.add(crd)
    kube = api.kube(tmp_path)
    assert kube.kind("example.com/v1", "Widget") is None, "a CRD that exists but is not Established serves nothing"
    assert api.requests[-1].url.path == "/apis/example.com/v1"
    assert not kube.served("example.com/v1", "Widget")
    api.add({**crd, "status": ready_status(crd)})
    kube.refresh_crds()
    info = kube.kind("example.com/v1", "Widget")
    assert info is not None and info.plural == "widgets" and info.namespaced
    assert kube.served("example.com/v1", "Widget") and not kube.served("example.com/v2", "Widget")


def test_list_get_and_delete(api: FakeAPI, tmp_path: Path) -> None:
    api.add(*[x for x in load("tree.yaml") if x["kind"] in ("ConfigMap", "Namespace")])
    kube = api.kube(tmp_path)
    found = kube.list("v1", "ConfigMap", labels={"homelab.dev/platform": "homelab", "homelab.dev/env": "dev"})
    assert [x["metadata"]["name"] for x in found] == ["web-config"]
    assert found[0]["kind"] == "ConfigMap" and found[0]["apiVersion"] == "v1"
    request = api.requests[-1]
    assert request.url.path == "/api/v1/configmaps"
    assert request.url.params["labelSelector"] == "homelab.dev/platform=homelab,homelab.dev/env=dev"
    assert kube.get(Ref("v1", "ConfigMap", "demo", "missing")) is None
    ref = Ref("v1", "ConfigMap", "demo", "web-config")
    assert kube.delete(ref, dry_run=True)
    assert dict(api.requests[-1].url.params) == {"propagationPolicy": "Background", "dryRun": "All"}
    assert kube.get(ref) is not None
    assert kube.delete(ref) and kube.get(ref) is None
    assert not kube.delete(ref), "deleting what is gone is not an error"
