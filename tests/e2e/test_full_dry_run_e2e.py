"""The built-in `full` render of all three environments, server-side dry run against the real API server with
every CRD of ../shared/crds installed: removed API versions, immutable fields, CEL rules in CRDs and Pod
Security show here. Namespaces are created for real (a dry run cannot create what is inside them) and
deleted afterwards, along with the CRDs this module installed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import yaml

from homelab.catalog import load_catalog
from homelab.cluster import objects as o
from homelab.cluster.bootstrap import is_root
from homelab.cluster.kinds import established
from homelab.cluster.kube import Kube
from homelab.config import Config, builtin_text
from homelab.errors import HomelabError
from homelab.render import render_tree
from tests.shared import shared

from .argocd_double import crds_in
from .workspace import current_context, e2e_kubeconfig, wait_until

pytestmark = pytest.mark.e2e
MANAGER = "homelab-e2e-dry-run"


@pytest.fixture(scope="module")
def kube() -> Iterator[Kube]:
    kubeconfig = e2e_kubeconfig()
    client = Kube.connect(current_context(kubeconfig), kubeconfig, field_manager=MANAGER)
    yield client
    client.close()


@pytest.fixture(scope="module")
def made(kube: Kube) -> Iterator[list[o.Ref]]:
    """The namespaces the dry run creates, deleted after the CRDs (the crds fixture depends on this one, so its
    teardown runs first): the namespace controller sweeps every served kind in every namespace, and without
    the 75 CRDs it needs half the time (50 namespaces here: 26 s with them, 12 s without)."""
    created: list[o.Ref] = []
    yield created
    for ref in created:
        kube.delete(ref)
    wait_until("the namespaces made for the dry run deleted", lambda: not any(kube.get(ref) for ref in created),
               timeout=180)


@pytest.fixture(scope="module")
def crds(kube: Kube, made: list[o.Ref]) -> Iterator[list[dict]]:
    """Every CRD under ../shared/crds, Established (the ones already there are left as they were)."""
    found = [crd for folder in sorted(p for p in shared("crds").iterdir() if p.is_dir()) for crd in crds_in(folder)]
    existed = {c["metadata"]["name"] for c in kube.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")}
    for crd in found:
        kube.apply(crd, force=True)
    names = {crd["metadata"]["name"] for crd in found}
    wait_until("every CRD Established", lambda: names <= {
        c["metadata"]["name"] for c in kube.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        if established(c)}, timeout=120, every=2)
    kube.refresh_crds()
    yield found
    for crd in found:
        if crd["metadata"]["name"] not in existed:
            kube.delete(o.ref(crd))


def test_full_render_of_every_environment_passes_a_server_side_dry_run(kube: Kube, crds: list[dict],
                                                                       made: list[o.Ref]) -> None:
    config = Config.model_validate(yaml.safe_load(builtin_text()))
    rendered = render_tree(config, load_catalog())
    refused: list[str] = []
    checked: set[str] = set()  # an object equal in two environments gets the same answer: it is sent once
    covered = dict.fromkeys(rendered.envs, 0)
    for env in rendered.envs:
        objects = [obj.body for obj in rendered.objects[env]]
        for namespace in (x for x in objects if x["kind"] == "Namespace"):
            if kube.get(o.ref(namespace)) is None:
                kube.apply(namespace)
                made.append(o.ref(namespace))
        for obj in o.apply_order(objects):
            if is_root(obj):
                continue
            covered[env] += 1
            key = json.dumps(obj, sort_keys=True)
            if key in checked:
                continue
            try:  # forced: ownership is not what this checks (objects kept by an earlier destroy are live)
                kube.apply(obj, dry_run=True, force=True)
                checked.add(key)
            except HomelabError as exc:
                refused.append(f"{env}: {exc.summary()}")
    assert refused == [], "\n".join(refused[:30])
    assert all(count >= 600 for count in covered.values()), f"every object of full in each environment: {covered}"
    assert len(checked) > max(covered.values()), "the environments' own objects were sent besides the shared ones"
