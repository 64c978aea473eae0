"""The test control plane itself (tests/e2e/cluster/kube): is it the real thing the e2e suite needs?

Nodes shaped like the built-in example and kept Ready by kwok, the scheduler and controllers at
work, Pod Security admission, CRDs from ../shared, service-account tokens, RBAC, namespace deletion.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from homelab import yamlsrc
from homelab.cluster.kube import Kube
from homelab.cluster.objects import Ref
from homelab.cluster.preflight import server_version
from homelab.config import Cluster, builtin_text, parse_config
from homelab.errors import ExitCode, HomelabError
from homelab.quantity import parse_bytes, parse_cpu
from tests.shared import shared

pytestmark = pytest.mark.e2e
Obj = dict[str, Any]
RESTRICTED = "pod-security.kubernetes.io/enforce"


def eventually(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    """Poll until CHECK returns something true, and return it."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f}s"
        time.sleep(0.25)
    return result


def condition(obj: Obj | None, kind: str) -> str | None:
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == kind:
            return str(c.get("status"))
    return None


def namespace(name: str, labels: dict[str, str] | None = None) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def pod_spec(privileged: bool = False) -> Obj:
    """A pause container; compliant with the `restricted` Pod Security level unless `privileged`."""
    container: Obj = {"name": "pause", "image": "registry.k8s.io/pause:3.10",
                      "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}
    if privileged:
        container["securityContext"] = {"privileged": True}
    return {"securityContext": {"runAsNonRoot": True, "runAsUser": 65532,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [container]}


@pytest.fixture
def ns(kube: Kube) -> Iterator[str]:
    """A fresh namespace, deleted afterwards."""
    name = "smoke-" + uuid.uuid4().hex[:6]
    kube.apply(namespace(name, {RESTRICTED: "restricted"}))
    yield name
    kube.delete(Ref("v1", "Namespace", "", name))


def example() -> Cluster:
    return parse_config(yamlsrc.parse(builtin_text(), "<built-in example>")).cluster


def test_the_server_is_the_examples_kubernetes_or_newer(kube: Kube) -> None:
    info = kube.version()
    wanted = tuple(int(x) for x in example().kubernetes.version.split(".")[:2])
    assert server_version(info) >= wanted, info["gitVersion"]
    assert info["gitVersion"].startswith(f"v{info['major']}.{info['minor']}.")


def test_nodes_are_the_examples_and_stay_ready(kube: Kube) -> None:
    example_nodes = example().nodes
    nodes = {n["metadata"]["name"]: n for n in kube.list("v1", "Node")}
    assert sorted(nodes) == sorted(n.name for n in example_nodes)
    for want in example_nodes:
        node = nodes[want.name]
        for offered in (node["status"]["capacity"], node["status"]["allocatable"]):
            assert (parse_cpu(offered["cpu"]), parse_bytes(offered["memory"]),
                    parse_bytes(offered["ephemeral-storage"])) == (want.cpu, want.memory, want.storage), want.name
        assert node["metadata"]["labels"]["kubernetes.io/arch"] == want.arch
        assert node["status"]["nodeInfo"]["architecture"] == want.arch
        assert condition(node, "Ready") == "True", want.name
        taints = {t["key"] for t in node["spec"].get("taints") or []}
        assert not taints & {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}, want.name
        # kwok renews each node's lease, so the node lifecycle controller never marks it NotReady.
        lease = kube.get(Ref("coordination.k8s.io/v1", "Lease", "kube-node-lease", want.name))
        assert lease is not None, want.name
        renewed = datetime.fromisoformat(lease["spec"]["renewTime"])
        assert datetime.now(UTC) - renewed < timedelta(seconds=lease["spec"]["leaseDurationSeconds"]), want.name


def test_a_deployment_is_scheduled_and_runs(kube: Kube, ns: str) -> None:
    eventually(lambda: kube.get(Ref("v1", "ServiceAccount", ns, "default")), "the default ServiceAccount")
    labels = {"app": "pause"}
    kube.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "pause", "namespace": ns},
                "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                         "template": {"metadata": {"labels": labels}, "spec": pod_spec()}}})
    pods = eventually(lambda: [p for p in kube.list("v1", "Pod", namespace=ns)
                               if (p.get("status") or {}).get("phase") == "Running"], "a Running pod")
    assert pods[0]["spec"]["nodeName"] in {n["metadata"]["name"] for n in kube.list("v1", "Node")}
    eventually(lambda: ((kube.get(Ref("apps/v1", "Deployment", ns, "pause")) or {}).get("status") or {})
               .get("availableReplicas") == 1, "the Deployment available")


def test_a_claim_of_the_default_storage_class_is_bound(kube: Kube, ns: str) -> None:
    """kwok's fake provisioner serves the default StorageClass, so workloads with claims can start."""
    default = [c["metadata"]["name"] for c in kube.list("storage.k8s.io/v1", "StorageClass")
               if c["metadata"].get("annotations", {}).get("storageclass.kubernetes.io/is-default-class") == "true"]
    assert default == ["kwok-volume"]
    kube.apply({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": ns},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    claim = eventually(lambda: (c := kube.get(Ref("v1", "PersistentVolumeClaim", ns, "data")))
                       and c["status"].get("phase") == "Bound" and c, "the claim Bound")
    volume = kube.get(Ref("v1", "PersistentVolume", "", claim["spec"]["volumeName"]))
    assert volume is not None and volume["spec"]["claimRef"]["name"] == "data"


def test_pod_security_rejects_a_privileged_pod(kube: Kube, ns: str) -> None:
    def pod(name: str, privileged: bool) -> Obj:
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
                "spec": pod_spec(privileged)}

    eventually(lambda: kube.get(Ref("v1", "ServiceAccount", ns, "default")), "the default ServiceAccount")
    with pytest.raises(HomelabError) as rejected:
        kube.apply(pod("privileged", privileged=True))
    assert 'violates PodSecurity "restricted:latest"' in str(rejected.value)
    assert kube.apply(pod("compliant", privileged=False))["metadata"]["name"] == "compliant"


def test_a_shared_crd_is_established_and_its_resources_validated(kube: Kube, ns: str) -> None:
    crd = yaml.safe_load(shared("crds", "cert-manager", "cert-manager.io_issuers.yaml").read_text())
    kube.apply(crd)
    name = crd["metadata"]["name"]
    eventually(lambda: condition(kube.get(Ref("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", name)),
                                 "Established") == "True", f"CRD {name} Established")
    kube.learn([crd])
    issuer = {"apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": {"name": "self", "namespace": ns},
              "spec": {"selfSigned": {}}}
    assert kube.apply(issuer)["spec"] == {"selfSigned": {}}
    with pytest.raises(HomelabError) as invalid:  # the CRD's schema is enforced, not merely stored
        kube.apply({**issuer, "spec": {"selfSigned": "yes"}})
    assert "spec.selfSigned" in str(invalid.value)


def test_a_namespace_delete_finishes(kube: Kube) -> None:
    name = "smoke-gone-" + uuid.uuid4().hex[:6]
    kube.apply(namespace(name))
    kube.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "content", "namespace": name},
                "data": {"a": "1"}})
    assert kube.delete(Ref("v1", "Namespace", "", name))
    eventually(lambda: kube.get(Ref("v1", "Namespace", "", name)) is None, f"namespace {name} gone")


def as_user(kubeconfig: Path, user: Obj) -> Kube:
    """A client for the same cluster with other credentials (a kubeconfig of its own, read as homelab reads one)."""
    config = yaml.safe_load(kubeconfig.read_text())
    context = next(c for c in config["contexts"] if c["name"] == config["current-context"])
    config["users"] = [{"name": context["context"]["user"], "user": user}]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kubeconfig"
        path.write_text(yaml.safe_dump(config))
        return Kube.connect(None, path)


def test_service_account_tokens_authenticate_and_rbac_limits_them(kube: Kube, kubeconfig: Path, ns: str) -> None:
    eventually(lambda: kube.get(Ref("v1", "ServiceAccount", ns, "default")), "the default ServiceAccount")
    issued = kube.http.post(f"/api/v1/namespaces/{ns}/serviceaccounts/default/token",
                            json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                  "spec": {"expirationSeconds": 600}})
    issued.raise_for_status()
    robot = as_user(kubeconfig, {"token": issued.json()["status"]["token"]})
    forged = as_user(kubeconfig, {"token": issued.json()["status"]["token"][:-4] + "AAAA"})
    try:
        review = robot.http.post("/apis/authentication.k8s.io/v1/selfsubjectreviews",
                                 json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
        assert review.json()["status"]["userInfo"]["username"] == f"system:serviceaccount:{ns}:default"
        with pytest.raises(HomelabError) as forbidden:
            robot.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": ns}})
        assert forbidden.value.exit_code == ExitCode.FORBIDDEN
        with pytest.raises(HomelabError) as rejected:
            forged.list("v1", "ConfigMap", namespace=ns)
        assert rejected.value.exit_code == ExitCode.UNAUTHORIZED
    finally:
        robot.close()
        forged.close()


def test_the_viewer_kubeconfig_reads_but_cannot_write(kubeconfig: Path, ns: str) -> None:
    viewer = Kube.connect(None, kubeconfig.with_name("viewer.kubeconfig"))
    try:
        assert viewer.list("v1", "ServiceAccount", namespace=ns) is not None
        with pytest.raises(HomelabError) as forbidden:
            viewer.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": ns}})
        assert forbidden.value.exit_code == ExitCode.FORBIDDEN
    finally:
        viewer.close()
