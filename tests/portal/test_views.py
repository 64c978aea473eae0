"""What the overview derives from the catalog and the plan: folding, search words, notices, units, attention."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from homelab.catalog import load_catalog
from homelab.config import load
from homelab.plan import make_plan
from homelab.portal import attention, search, view
from homelab.portal.fold import hosts
from homelab.portal.state import ComponentStatus, LiveState, ProbeResult


@pytest.fixture(scope="module")
def design() -> tuple[list[view.ComponentView], dict[str, str]]:
    """The built-in example (profile `full`): every system of the design, as the portal shows it."""
    config, catalog = load().config, load_catalog()
    plan = make_plan(config, catalog, "dev")
    views = view.plan_views(plan, catalog, config)
    return views, {v.name: view.search_words(plan, v) for v in views}


def test_operators_and_crds_fold_into_the_system_they_serve() -> None:
    catalog, config = load_catalog(), load().config
    folded = hosts(make_plan(config, catalog, "dev"))
    assert folded["cloudnative-pg"] == "postgresql"
    assert folded["tidb-operator-crds"] == "tidb" and folded["tidb-operator"] == "tidb"  # a chain, to its end
    assert folded["istio-base"] == "istio"
    assert "cert-manager" not in folded  # serves Barman and Flink alike: a system of its own
    assert "prometheus" not in folded  # an operator the design names as a system
    assert all(catalog.components[name].operator for name in folded)
    assert not set(folded.values()) & set(folded)  # a host is never itself folded


def test_search_matches_the_start_of_words_aliases_and_capabilities(design: tuple) -> None:
    views, words = design

    def found(query: str) -> set[str]:
        return {v.name for v in views if view.matches(v, None, None, search.words(query), words[v.name])}

    assert {"postgresql", "cloudnative-pg", "barman"} <= found("postgres")
    assert "postgresql" in found("pg")  # CloudNativePG's name is folded into PostgreSQL's words
    assert all(any(w.startswith("pg") for w in words[name].split()) for name in found("pg"))
    assert any("upgrades" in words[name] for name in words)  # the design has the word "pg" must not match
    assert "argo-cd" in found("argocd")  # the design writes ArgoCD
    assert found("Object Storage") == found("object storage")
    assert search.matches(["pg"], "cnpg upgrades") is False
    assert search.matches(["pg", "oper"], "cloudnative pg operator") is True


def test_open_ui_links_only_to_ui_endpoints_and_shared_hosts_are_flagged(design: tuple) -> None:
    by_name = {v.name: v for v in design[0]}
    assert by_name["minio"].url == "https://minio.dev.home.example.net"  # the console, not the S3 API
    assert by_name["vault"].url == "https://vault.dev.home.example.net/ui/"
    assert by_name["dex"].url is None  # an OpenID provider: no UI to open
    assert by_name["openstack-swift"].url is None
    assert [n for n in by_name["minio"].notices if "s3.dev.home.example.net" in n and "seaweedfs" in n]
    assert [n for n in by_name["seaweedfs"].notices if "minio" in n]
    assert not by_name["grafana"].notices


def test_no_version_is_explained(design: tuple) -> None:
    by_name = {v.name: v for v in design[0]}
    assert by_name["postgresql"].version is None
    assert "CloudNativePG" in by_name["postgresql"].version_note
    assert "no version pinned" in by_name["rabbitmq"].version_note
    assert by_name["grafana"].version_note == ""


def test_cpu_in_cores_with_one_unit() -> None:
    assert view.cores(57865) == "57.9" and view.cores(96000) == "96" and view.cores(500) == "0.5"


def test_attention_lists_failing_degraded_drifted_unverified_and_scenarios(design: tuple) -> None:
    views = design[0]
    live = LiveState(
        status={"grafana": ComponentStatus(sync="OutOfSync", health="Healthy", drift=("Deployment/grafana",)),
                "kafka": ComponentStatus(sync="Synced", health="Degraded", pods="0/3")},
        verify={"redis": ProbeResult("redis", "redis", False, reason="connection refused"),
                "request-path": ProbeResult("request-path", "request-path", False, reason="502"),
                "postgresql": ProbeResult("postgresql", "postgresql", True)},
        status_at="2026-11-26T12:00:00+00:00", verify_at="2026-11-26T12:01:00+00:00")
    merged = [view.with_live(v, live.status.get(v.name), live.verify.get(v.name)) for v in views]
    items = attention.items(merged, live)
    kinds = {(i.kind, i.name): i for i in items}
    assert kinds[("failing", "redis")].reason == "connection refused"
    assert kinds[("failing", "request-path")].component is False  # a scenario, not dropped
    assert kinds[("degraded", "kafka")].reason == "health Degraded, pods 0/3"
    assert kinds[("drifted", "grafana")].reason == "out of sync: Deployment/grafana"
    assert ("unverified", "mysql") in kinds and ("unverified", "postgresql") not in kinds
    assert [i.kind for i in items] == sorted((i.kind for i in items), key=view.KINDS.index)
    assert [c.name for c in attention.checks(merged, live)] == ["request-path"]


def test_ages_and_exact_times() -> None:
    now = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
    assert attention.ago("2026-11-26T11:59:30+00:00", now) == "just now"
    assert attention.ago("2026-11-26T11:55:00+00:00", now) == "5 min ago"
    assert attention.ago("2026-11-26T09:00:00+00:00", now) == "3 h ago"
    assert attention.ago("2026-11-24T12:00:00+00:00", now) == "2 days ago"
    assert attention.exact("2026-11-26T13:00:00+01:00") == "2026-11-26 12:00:00 UTC"
    assert attention.ago("not a time", now) == "not a time"
