"""Transient failures are retried with backoff within the --timeout budget; lasting ones are not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest

from homelab.cluster.apply import apply_tree
from homelab.cluster.objects import Ref
from homelab.errors import ExitCode, HomelabError

from .fakeapi import FakeAPI, status_response
from .helpers import FakeClock, load


def flaky(times: int) -> tuple[list[int], Callable[[httpx2.Request], bool]]:
    """A predicate that fails the first `times` non-/version requests; `count` records how many it saw."""
    count = [0]

    def when(request: httpx2.Request) -> bool:
        if request.url.path == "/version":
            return False
        count[0] += 1
        return count[0] <= times

    return count, when


def test_429_honours_retry_after(api: FakeAPI, tmp_path: Path) -> None:
    count, when = flaky(2)
    api.fail(when, httpx2.Response(429, headers={"Retry-After": "3"}, json={"kind": "Status", "code": 429}))
    kube = api.kube(tmp_path)
    assert kube.get(Ref("v1", "Namespace", "", "demo")) is None
    assert kube.transport.policy.waits == [3.0, 3.0] and count[0] == 3


def test_5xx_backs_off_and_gives_up_at_the_budget(api: FakeAPI, tmp_path: Path) -> None:
    api.fail(lambda r: r.url.path != "/version", status_response(503, "ServiceUnavailable", "etcd is down"))
    kube = api.kube(tmp_path, policy=api.retry_policy(budget=30))
    with pytest.raises(HomelabError) as err:
        kube.list("v1", "Node")
    waits = kube.transport.policy.waits
    assert err.value.exit_code == ExitCode.UNREACHABLE
    assert "kept answering 503 while listing Node for 30s: etcd is down" in str(err.value)
    assert waits[0] < waits[1] < waits[2], "exponential backoff"
    assert max(waits) <= 8 * 1.2 and sum(waits) == pytest.approx(30), "bounded by the budget, no longer"


def test_the_500_that_refuses_an_objects_shape_is_final_at_once(api: FakeAPI, tmp_path: Path) -> None:
    """The API server answers a server-side apply whose object does not fit the schema with a 500 (kubernetes
    issue 139253): the same request gets the same answer, so it is reported at once as refused, not retried for
    the whole --timeout and then blamed on an overloaded server (the e2e suite once waited 60 s on it)."""
    message = ("failed to create typed patch object (demo/self; cert-manager.io/v1, Kind=Issuer): "
               ".spec.selfSigned: expected map, got &{yes [] }")
    api.fail(lambda r: r.method == "PATCH", httpx2.Response(500, json={
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "code": 500}))
    kube = api.kube(tmp_path, policy=api.retry_policy(budget=30))
    with pytest.raises(HomelabError) as err:
        kube.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "self", "namespace": "demo"}})
    assert kube.transport.policy.waits == []
    assert err.value.exit_code == ExitCode.FINDINGS
    assert f"the API server refused applying ConfigMap/demo/self (500: {message})" in str(err.value)


def test_connection_reset_after_first_contact_is_retried(api: FakeAPI, tmp_path: Path) -> None:
    resets = [0]

    def reset(request: httpx2.Request) -> httpx2.Response:
        if request.url.path != "/version" and resets[0] < 2:
            resets[0] += 1
            raise httpx2.ReadError("Connection reset by peer", request=request)
        return api.handle(request)

    kube = api.kube(tmp_path)
    kube.transport._inner = httpx2.MockTransport(reset)
    assert kube.list("v1", "Node") == [] and resets[0] == 2 and len(kube.transport.policy.waits) == 2


def test_a_failed_handshake_after_first_contact_is_retried_and_named_past_the_budget(api: FakeAPI,
                                                                                     tmp_path: Path) -> None:
    """The certificate was good a moment ago: a handshake the server breaks off is retried like a reset; one
    that keeps failing is reported as the TLS failure it is once the budget is spent."""
    import ssl

    failures = [0]

    def handshake(request: httpx2.Request) -> httpx2.Response:
        if request.url.path != "/version" and failures[0] < limit[0]:
            failures[0] += 1
            error = httpx2.ConnectError("handshake", request=request)
            error.__cause__ = ssl.SSLError(1, "[SSL: TLSV1_ALERT_DECODE_ERROR] tlsv1 alert decode error")
            raise error
        return api.handle(request)

    limit = [2]
    kube = api.kube(tmp_path)
    kube.version()
    kube.transport._inner = httpx2.MockTransport(handshake)
    assert kube.list("v1", "Node") == [] and failures[0] == 2 and len(kube.transport.policy.waits) == 2
    limit[0] = 10**6
    kube = api.kube(tmp_path, policy=api.retry_policy(budget=20))
    kube.version()
    kube.transport._inner = httpx2.MockTransport(handshake)
    with pytest.raises(HomelabError) as err:
        kube.list("v1", "Node")
    assert "TLS handshake failed" in str(err.value) and sum(kube.transport.policy.waits) == pytest.approx(20)


def test_first_contact_failure_is_not_retried(tmp_path: Path, api: FakeAPI) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("[Errno 111] Connection refused", request=request)

    kube = api.kube(tmp_path)
    kube.transport._inner = httpx2.MockTransport(refuse)
    with pytest.raises(HomelabError) as err:
        kube.version()
    assert err.value.exit_code == ExitCode.UNREACHABLE and kube.transport.policy.waits == []
    assert "retrying" not in str(err.value), "a wrong address fails at once"


def test_polling_survives_a_server_restart(api: FakeAPI, tmp_path: Path) -> None:
    """A wave's readiness polling keeps going through 503s and resets instead of failing the run."""
    gets = [0]

    def when_get(request: httpx2.Request) -> bool:
        if request.method == "GET" and "/deployments/" in request.url.path:
            gets[0] += 1
            return gets[0] in (1, 2)
        return False

    api.fail(when_get, status_response(503, "ServiceUnavailable", "restarting"))
    api.script("Deployment", "web", [{"observedGeneration": 1, "replicas": 2, "updatedReplicas": 0},
                                     {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
                                      "availableReplicas": 2}])
    tree = [x for x in load("tree.yaml") if x["kind"] in ("Namespace", "Deployment")]
    result = apply_tree(api.kube(tmp_path), tree, "homelab", "dev", clock=FakeClock(), prune=False)
    assert "Deployment/demo/web" in result.applied and gets[0] >= 3


def test_namespace_being_deleted_is_not_reported_as_rbac(api: FakeAPI, tmp_path: Path) -> None:
    terminating = status_response(403, "Forbidden", 'configmaps "web-config" is forbidden: unable to create new '
                                  "content in namespace demo because it is being terminated")
    body = terminating.json()
    body["details"] = {"name": "web-config", "kind": "configmaps",
                       "causes": [{"reason": "NamespaceTerminating", "message": "namespace demo is being terminated",
                                   "field": "metadata.namespace"}]}
    api.fail(lambda r: r.method == "PATCH", httpx2.Response(403, json=body))
    config = next(x for x in load("tree.yaml") if x["kind"] == "ConfigMap")
    with pytest.raises(HomelabError) as err:
        api.kube(tmp_path).apply(config)
    assert err.value.exit_code == ExitCode.TIMEOUT
    assert "namespace is being deleted" in str(err.value) and "not RBAC" in str(err.value)


def test_a_namespace_still_terminating_is_awaited_and_created_again(api: FakeAPI, tmp_path: Path) -> None:
    """apply right after destroy: the Namespace is still Terminating, so it is awaited and made anew."""
    tree = [x for x in load("tree.yaml") if x["kind"] in ("Namespace", "ConfigMap")]
    namespace = next(x for x in tree if x["kind"] == "Namespace")
    api.add({**namespace, "metadata": {**namespace["metadata"], "deletionTimestamp": "2026-11-26T12:00:00Z"},
             "status": {"phase": "Terminating"}})
    api.finalizing["demo"] = 2
    apply_tree(api.kube(tmp_path), tree, "homelab", "dev", clock=FakeClock(), prune=False)
    assert api.applied_names().count("demo") == 2
    live = api.objects[("", "namespaces", "", "demo")]
    assert "deletionTimestamp" not in live["metadata"] and live["status"]["phase"] == "Active"
