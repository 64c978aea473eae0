"""The JSON API and the pages, through FastAPI's TestClient: layout, live state, filters, escaping."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.portal import create_app, diagrams

WriteState = Callable[..., Any]
STATUS = {"env": "dev", "finished_at": "2026-11-26T12:00:00+00:00", "components": [
    {"name": "postgresql", "sync": "Synced", "health": "Healthy", "version": "16.4.0",
     "pods": {"ready": 1, "total": 1}},
    {"name": "grafana", "sync": "OutOfSync", "health": "Healthy", "version": "10.1.4", "pods": "1/1"},
    {"name": "keycloak", "sync": "Synced", "health": "Progressing"},
]}
VERIFY = {"env": "dev", "finished_at": "2026-11-26T12:01:00+00:00", "ok": False, "results": [
    {"name": "postgresql", "kind": "postgresql", "url": "tcp://x", "ok": True, "seconds": 0.0123, "reason": "",
     "steps": [{"name": "write", "seconds": 0.01, "ok": True, "detail": "1 row"}]},
    {"name": "redis", "kind": "redis", "url": "tcp://y", "ok": False, "seconds": 5.0,
     "reason": "connection refused", "steps": []},
]}


def test_overview_has_every_layer_and_category_in_design_order(client: TestClient, catalog: Catalog) -> None:
    body = client.get("/api/overview").json()
    assert [layer["name"] for layer in body["layers"]] == list(catalog.layers)
    assert [layer["title"] for layer in body["layers"]][:2] == ["Infrastructure Layer", "Data Layer"]
    infra = body["layers"][0]
    assert [c["slug"] for c in infra["categories"]] == list(catalog.layers["infrastructure"].categories)
    storage = infra["categories"][0]
    assert [c["name"] for c in storage["components"]] == ["minio"]
    assert body["counts"] == {"ok": 0, "failing": 0, "pending": 0, "planned": 10, "warning": 1, "total": 10}
    assert body["status_at"] is None and body["verify_at"] is None


def test_plan_view_without_any_state(client: TestClient) -> None:
    grafana = client.get("/api/components/grafana").json()
    assert grafana["state"] == "planned" and grafana["status"] is None and grafana["verify"] is None
    assert grafana["url"] == "https://grafana.dev.home.example.net"
    assert [(link["capability"], link["component"]) for link in grafana["requires"]] == [
        ("metrics", "prometheus"), ("sso", "keycloak")]
    assert [(link["capability"], link["component"]) for link in grafana["uses"]] == [("sql", "postgresql")]
    assert grafana["probe"] == {"kind": "http", "endpoint": "http", "path": "/api/health"}
    postgres = client.get("/api/components/postgresql").json()
    assert {link["component"] for link in postgres["required_by"]} == {"keycloak", "grafana"}
    assert any("required by keycloak" in reason for reason in postgres["reasons"])


def test_ingress_host_label_and_prod_without_env_label(config: Config, catalog: Catalog, state_dir: Path) -> None:
    dev = TestClient(create_app(config, catalog, "dev", state_root=state_dir))
    assert dev.get("/api/components/keycloak").json()["url"] == "https://sso.dev.home.example.net"
    prod = TestClient(create_app(config, catalog, "prod", state_root=state_dir))
    assert prod.get("/api/components/keycloak").json()["url"] == "https://sso.home.example.net"
    assert prod.get("/api/components/jupyter").json()["endpoints"][0]["url"] == "https://jupyter.home.example.net"
    assert prod.get("/api/components/redis").json()["url"] is None  # not exposed


def test_live_state_from_status_and_verify_files(client: TestClient, write_state: WriteState) -> None:
    write_state(STATUS, VERIFY)
    states = {c["name"]: c["state"] for c in client.get("/api/components").json()}
    assert states["postgresql"] == "ok"  # healthy and verify passed
    assert states["grafana"] == "failing"  # out of sync
    assert states["keycloak"] == "pending"  # progressing
    assert states["redis"] == "failing"  # verify failed, no status
    assert states["velero"] == "planned"
    pg = client.get("/api/components/postgresql").json()
    assert pg["status"]["pods"] == "1/1" and pg["status"]["version"] == "16.4.0"
    assert pg["verify"]["ok"] is True and pg["verify"]["steps"][0]["detail"] == "1 row"
    overview = client.get("/api/overview").json()
    assert overview["verify_at"] == "2026-11-26T12:01:00+00:00"
    assert overview["counts"]["failing"] == 2


def test_state_file_change_is_picked_up_and_bad_file_is_reported(client: TestClient, state_dir: Path,
                                                                 write_state: WriteState) -> None:
    write_state(verify=[{"name": "redis", "kind": "redis", "ok": True}])
    assert client.get("/api/components/redis").json()["state"] == "ok"
    (state_dir / ".homelab/state/status-dev.json").write_text("{not json")
    body = client.get("/api/overview").json()
    assert len(body["problems"]) == 1 and "status-dev.json: unreadable" in body["problems"][0]
    assert "unreadable" in client.get("/").text


def test_filters_by_layer_state_and_text(client: TestClient, write_state: WriteState) -> None:
    write_state(STATUS, VERIFY)
    names = lambda **q: [c["name"] for c in client.get("/api/components", params=q).json()]  # noqa: E731
    assert names(layer="data") == ["postgresql", "redis"]
    assert set(names(state="failing")) == {"grafana", "redis"}
    assert names(state="warning") == ["minio"]
    assert names(q="VISUALIZATION") == ["grafana"]
    assert names(q="object storage") == ["minio", "velero"]  # every word must match; velero requires it
    assert names(q="object storage system") == ["minio"]
    assert names(q="nothing-matches-this") == []
    html = client.get("/", params={"q": "redis"}).text
    assert '<article class="card state-failing" id="card-redis"' in html
    assert '<article hidden class="card state-failing" id="card-grafana"' in html  # there for the page's script
    assert "Backup &amp; Recovery" in html  # every layer is still drawn


def test_unknown_component_is_404_in_api_and_page(client: TestClient) -> None:
    response = client.get("/api/components/nope")
    assert response.status_code == 404 and "nope" in response.json()["detail"]
    assert client.get("/components/nope").status_code == 404


def test_script_in_catalog_strings_is_text_everywhere(client: TestClient, evil: str) -> None:
    api = client.get("/api/components/evil").json()
    assert api["title"] == f"Evil {evil}"  # JSON keeps the exact text; the content type is not HTML
    assert client.get("/api/components/evil").headers["content-type"] == "application/json"
    for path in ("/", "/components/evil", "/?q=evil"):
        html = client.get(path).text
        assert "<script>alert" not in html and "<b>bold</b>" not in html
        assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html


def test_query_strings_are_escaped(client: TestClient) -> None:
    # what the user typed is echoed back into the search box, escaped
    html = client.get("/", params={"q": '"><script>x()</script>'}).text
    assert "<script>x()" not in html and "&#34;&gt;&lt;script&gt;x()" in html


def test_plan_only_architecture_diagram(config: Config, catalog: Catalog, state_dir: Path, evil: str) -> None:
    client = TestClient(create_app(config, catalog, "dev", state_root=state_dir, builder=diagrams.architecture))
    arch = client.get("/api/diagrams").json()["architecture"]
    assert arch["title"] == "System architecture"
    assert arch["mermaid"].startswith("graph TB")
    for title in ("Infrastructure Layer", "Data Layer", "Application Layer", "Development Layer", "Backup & Recovery"):
        assert f'["{title}"]' in arch["mermaid"]
    assert '["Grafana"]' in arch["mermaid"] and evil not in arch["mermaid"]
    assert '<a href="/components/grafana" class="cmp" data-name="grafana"' in arch["svg"]
    html = client.get("/diagrams").text
    assert 'id="diagram-architecture"' in html and "mermaid.min.js" not in html
    assert 'data-name="grafana" data-state="planned"' in html  # coloured by live state on the page


def test_render_stage_builder_is_used_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType(diagrams.RENDER_MODULE)
    module.build = lambda plan, catalog, config: {"data-flow": "graph LR\n  A --> B\n"}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, diagrams.RENDER_MODULE, module)
    assert diagrams.builder() is module.build  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, diagrams.RENDER_MODULE, None)  # importing it now raises ModuleNotFoundError
    assert diagrams.builder() is diagrams.architecture


def test_openapi_documents_the_api_and_docs_page_is_offline(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/overview", "/api/components", "/api/components/{name}", "/api/diagrams"} <= set(spec["paths"])
    assert all(set(item) == {"get"} for item in spec["paths"].values())
    assert "ComponentView" in spec["components"]["schemas"]
    html = client.get("/api").text
    assert "GET /api/components/{name}" in html and "cdn" not in html.lower()
    assert client.get("/docs").status_code == 404  # swagger would load from a CDN: it is off


def test_static_files_are_compressed_and_cached(client: TestClient) -> None:
    page = client.get("/", headers={"accept-encoding": "gzip, br"})
    url = next(u for u in page.text.split('"') if u.startswith("/static/portal.js?v="))
    js = client.get(url, headers={"accept-encoding": "br, gzip"})
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert js.headers["content-encoding"] == "br" and js.headers["cache-control"].endswith("immutable")
    assert client.get(url, headers={"accept-encoding": "gzip"}).headers["content-encoding"] == "gzip"
    plain = client.get("/static/portal.js", headers={"accept-encoding": "identity"})
    assert plain.headers["cache-control"] == "no-cache" and "content-encoding" not in plain.headers
    again = client.get("/static/portal.js", headers={"if-none-match": plain.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert page.headers["content-encoding"] == "gzip"  # pages are compressed on the fly
    assert client.get("/static/no-such.js").status_code == 404


def test_only_changed_components_are_redrawn(client: TestClient, write_state: WriteState) -> None:
    portal = client.app.state.portal  # type: ignore[attr-defined]
    write_state(verify=[{"name": "redis", "kind": "redis", "ok": True}])
    before = portal.current().cards
    assert 'data-name="redis"' in before["redis"] and "verify passed" in before["redis"]
    write_state(verify=[{"name": "redis", "kind": "redis", "ok": False, "reason": "timeout"}])
    after = portal.current().cards
    assert "verify failed" in after["redis"] and "state-failing" in after["redis"]
    assert after["grafana"] is before["grafana"]  # unchanged live data: the same rendered card is reused
    assert '<article class="card state-failing" id="card-redis"' in client.get("/").text


def test_reads_the_report_homelab_status_writes(client: TestClient, write_state: WriteState) -> None:
    report = {"env": "dev", "context": "homelab-dev", "read_at": 1795000000, "argocd": True, "components": [
        {"name": "grafana", "namespace": "grafana", "wave": 2, "sync": "OutOfSync", "health": "Healthy",
         "chart": "grafana", "version": "10.1.4", "revision": "abc", "pods_ready": 1, "pods_total": 2,
         "drift": ["Deployment/grafana", "ConfigMap/grafana"], "verify": None}]}
    write_state(report)
    grafana = client.get("/api/components/grafana").json()
    assert grafana["status"] == {"sync": "OutOfSync", "health": "Healthy", "version": "10.1.4", "pods": "1/2",
                                 "drift": ["Deployment/grafana", "ConfigMap/grafana"]}
    assert grafana["state"] == "failing"
    assert client.get("/api/overview").json()["status_at"] == "2026-11-18T11:06:40+00:00"
    page = client.get("/components/grafana").text
    assert "pods 1/2; drifted: Deployment/grafana, ConfigMap/grafana" in page


def test_cluster_fit_and_state_filter_validation(client: TestClient) -> None:
    overview = client.get("/api/overview").json()
    assert overview["cluster"].startswith("1 node; requests cpu ") and "of 16" in overview["cluster"]
    assert "Kubernetes cluster" in client.get("/").text
    bad = client.get("/api/components", params={"state": "bogus"})
    assert bad.status_code == 422
    spec = client.get("/openapi.json").json()
    state = next(p for p in spec["paths"]["/api/components"]["get"]["parameters"] if p["name"] == "state")
    assert "warning" in str(state["schema"])


def test_unknown_filter_values_are_422_everywhere(client: TestClient) -> None:
    for params in ({"layer": "bogus"}, {"state": "bogus"}):
        api = client.get("/api/components", params=params)
        assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["query", next(iter(params))]
        assert client.get("/api/overview", params=params).status_code == 422
        page = client.get("/", params=params, headers={"accept": "text/html"})
        assert page.status_code == 422 and "text/html" in page.headers["content-type"]
        assert "Not a valid filter" in page.text and "bogus" in page.text
    assert client.get("/api/components", params={"layer": "data"}).status_code == 200


def test_errors_are_pages_for_browsers_and_json_for_the_api(client: TestClient) -> None:
    browser = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = client.get("/no/such/page", headers=browser)
    assert page.status_code == 404 and "<h1>Not found</h1>" in page.text and "/no/such/page" in page.text
    assert client.get("/components/nope", headers=browser).headers["content-type"].startswith("text/html")
    api = client.get("/api/components/nope", headers=browser)  # the API answers JSON whatever is asked
    assert api.status_code == 404 and api.json()["detail"] == "no component named 'nope' in the dev plan"
    script = client.get("/no/such/page", headers={"accept": "application/json"})
    assert script.status_code == 404 and script.json() == {"detail": "Not Found"}


def test_pages_answer_304_until_the_state_changes(client: TestClient, write_state: WriteState) -> None:
    first = client.get("/")
    tag = first.headers["etag"]
    assert client.get("/", headers={"if-none-match": tag}).status_code == 304
    assert client.get("/?q=redis").headers["etag"] != tag  # another address, another page
    write_state(verify=[{"name": "redis", "kind": "redis", "ok": False, "reason": "timeout"}])
    again = client.get("/", headers={"if-none-match": tag})
    assert again.status_code == 200 and "timeout" in again.text and again.headers["etag"] != tag


def test_attention_and_scenarios_in_the_api(client: TestClient, write_state: WriteState) -> None:
    write_state(STATUS, {**VERIFY, "results": [*VERIFY["results"], {"name": "request-path", "kind": "request-path",
                                                                    "ok": False, "reason": "502"}]})
    body = client.get("/api/overview").json()
    assert {(i["kind"], i["name"]) for i in body["attention"]} >= {("failing", "redis"), ("drifted", "grafana"),
                                                                  ("failing", "request-path")}
    assert body["checks"] == [{"name": "request-path", "kind": "request-path", "ok": False, "reason": "502"}]
    html = client.get("/").text
    assert "Needs attention" in html and "(verify scenario)" in html


def test_reasons_with_backticks_are_code(client: TestClient) -> None:
    html = client.get("/components/grafana").text
    assert "<li>in profile <code>small</code></li>" in html and "`small`" not in html
