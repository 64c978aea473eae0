"""Apply order: waves, then kind (CRDs, Namespaces, RBAC, config, workloads, custom resources); delete reversed."""

from __future__ import annotations

from homelab.cluster import objects as o

from .helpers import load


def kinds(objects: list[dict]) -> list[str]:
    return [str(o.ref(x)) for x in objects]


def test_apply_order_of_a_rendered_tree() -> None:
    ordered = o.apply_order(load("tree.yaml"))
    assert kinds(ordered) == [
        "AppProject/argocd/homelab-data",            # wave -10
        "CustomResourceDefinition/widgets.example.com",  # wave 0 from here
        "Namespace/demo",
        "ServiceAccount/demo/web",
        "Role/demo/web",
        "RoleBinding/demo/web",
        "ConfigMap/demo/web-config",
        "Deployment/demo/web",
        "Application/argocd/widgets",                # wave 1: custom resources last
        "Widget/demo/blue",
    ]


def test_delete_order_is_the_exact_reverse() -> None:
    tree = load("tree.yaml")
    assert kinds(o.delete_order(tree)) == list(reversed(kinds(o.apply_order(tree))))


def test_waves_split_crds_from_the_rest() -> None:
    stages = o.waves(load("tree.yaml"))
    assert [s.number for s in stages] == [-10, 0, 1]
    assert kinds(stages[1].crds) == ["CustomResourceDefinition/widgets.example.com"]
    assert "CustomResourceDefinition" not in {x["kind"] for x in stages[1].rest}
    assert kinds(stages[2].objects) == ["Application/argocd/widgets", "Widget/demo/blue"]


def test_malformed_wave_counts_as_zero_like_argo_cd() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "annotations": {o.SYNC_WAVE: "soon"}}}
    assert o.wave(obj) == 0


def test_custom_resource_before_its_crd_is_reported() -> None:
    tree = load("tree.yaml")
    widget = next(x for x in tree if x["kind"] == "Widget")
    widget["metadata"]["annotations"][o.SYNC_WAVE] = "-1"
    assert o.misordered_custom_resources(tree) == [
        "Widget/demo/blue is in wave -1 but its CRD widgets.example.com is in wave 0"]
    assert o.misordered_custom_resources(load("tree.yaml")) == []


def test_unknown_builtin_kinds_sit_with_workloads_and_custom_kinds_last() -> None:
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "a"}}
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "a"}}
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"}}
    assert o.kind_rank(deployment) < o.kind_rank(lease) < o.kind_rank(route)


def test_a_namespace_syncs_with_the_earliest_object_inside_it() -> None:
    """AppProjects are wave -10 in argocd; Namespace/argocd is wave 0: apply used to 404 on the project."""
    argocd = {"apiVersion": "v1", "kind": "Namespace",
              "metadata": {"name": "argocd", "annotations": {o.SYNC_WAVE: "0"}}}
    tree = [argocd, *load("tree.yaml")]
    ordered = kinds(o.apply_order(tree))
    assert ordered[:2] == ["Namespace/argocd", "AppProject/argocd/homelab-data"]
    assert o.waves(tree)[0].number == -10
    assert kinds(o.delete_order(tree))[-2:] == ["AppProject/argocd/homelab-data", "Namespace/argocd"]


def test_an_application_goes_before_the_custom_resources_of_its_wave() -> None:
    """Its chart may bring their CRD (Envoy Gateway's GatewayClass), so it must be applied first."""
    app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
           "metadata": {"name": "envoy-gateway", "namespace": "argocd"}}
    gatewayclass = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                    "metadata": {"name": "envoy-gateway"}}
    assert kinds(o.apply_order([gatewayclass, app])) == ["Application/argocd/envoy-gateway",
                                                        "GatewayClass/envoy-gateway"]
