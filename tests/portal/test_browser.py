"""End to end in real headless Chromium: the page a homelab owner keeps open, driven by Playwright."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from homelab.catalog.loader import Catalog
from homelab.portal import create_app
from homelab.verify.report import write_state
from homelab.verify.runner import Result

from .conftest import LiveServer

Shot = Callable[[Any, str], Any]


def test_main_page_draws_every_layer_of_the_design(page: Any, live: Any, catalog: Catalog, screenshot: Shot) -> None:
    page.goto(live.url + "/")
    assert page.locator("h1").count() == 1
    for name, info in catalog.layers.items():
        layer = page.locator(f"#layer-{name}")
        assert layer.is_visible()
        assert layer.locator("h2").inner_text() == info.title
        for title in info.categories.values():
            assert layer.locator("h3", has_text=title).count() == 1
    assert page.locator("#layer-infrastructure article.card").count() == 3
    assert page.locator("article.card").count() == 10
    card = page.locator('article.card[data-name="grafana"]')
    assert card.locator("a.ui").get_attribute("href") == "https://grafana.dev.home.example.net"
    assert "wave" in card.inner_text() and "ns grafana" in card.inner_text()
    assert page.locator('article.card[data-name="minio"] .badge.warning').inner_text() == "archived"
    assert "No status or verify results yet" in page.locator("#attention").inner_text()
    screenshot(page, "overview")
    assert page.console_errors == []


def test_search_then_open_a_component(page: Any, live: Any, screenshot: Shot) -> None:
    page.goto(live.url + "/")
    page.fill("#search", "visualization")
    visible = page.locator("article.card:not([hidden])")
    assert visible.count() == 1 and visible.get_attribute("data-name") == "grafana"
    assert page.locator('article.card[data-name="postgresql"]').is_hidden()
    assert page.locator("#shown").inner_text() == "1 of 10 systems shown"
    page.fill("#search", "vis")  # the start of a word matches
    assert visible.count() == 1
    page.fill("#search", "isualization")  # the middle of a word does not
    assert visible.count() == 0 and page.locator("#no-results").is_visible()
    page.fill("#search", "visualization")
    screenshot(page, "search")
    visible.locator("h4 a").click()
    page.wait_for_url(live.url + "/components/grafana")
    assert page.locator("h1").inner_text().startswith("Grafana")
    assert "metrics from prometheus" in page.locator("#requires").inner_text()
    assert page.locator("#reasons").inner_text() == "in profile small"
    assert page.locator("#reasons code").inner_text() == "small"  # backticks in a reason are code, not text
    assert page.locator("#endpoints a").get_attribute("href") == "https://grafana.dev.home.example.net"
    assert "http probe" in page.locator("#probe").inner_text()
    screenshot(page, "component")
    assert page.console_errors == []


def test_filters_apply_without_reloading_and_counts_follow(page: Any, live: Any, write_state: Callable[..., None],
                                                          screenshot: Shot) -> None:
    write_state(verify=[{"name": "redis", "kind": "redis", "ok": False, "reason": "refused"}])
    page.goto(live.url + "/")
    page.evaluate("() => { window.sameDocument = true; }")
    page.select_option("#state", "failing")
    assert [c.get_attribute("data-name") for c in page.locator("article.card:not([hidden])").all()] == ["redis"]
    assert page.url.endswith("/?state=failing")  # the address follows, so a reload or a link keeps the filter
    assert page.locator("#layer-data [data-count]").inner_text() == "1 system"
    assert page.locator("#layer-application").is_hidden()
    page.select_option("#layer", "application")
    assert page.locator("article.card:not([hidden])").count() == 0 and page.locator("#no-results").is_visible()
    assert page.evaluate("() => window.sameDocument") is True  # no navigation happened
    page.click("#clear")
    assert page.locator("article.card:not([hidden])").count() == 10
    page.goto(live.url + "/components/redis")
    assert "Last verify: failed" in page.locator("#probe").inner_text()
    assert "refused" in page.locator("#probe").inner_text()
    screenshot(page, "failing-component")
    assert page.console_errors == []


def test_table_view_sorts_and_filters(page: Any, live: Any, screenshot: Shot) -> None:
    page.goto(live.url + "/")
    page.click("#show-table")
    assert page.locator("#table-view").is_visible() and page.locator("#cards-view").is_hidden()
    assert page.url.endswith("?view=table")
    rows = page.locator("#systems tbody tr:not([hidden])")
    assert rows.count() == 10
    page.click('th button[data-sort="namespace"]')
    names = [r.get_attribute("data-namespace") for r in rows.all()]
    assert names == sorted(names)
    page.click('th button[data-sort="namespace"]')
    assert [r.get_attribute("data-namespace") for r in rows.all()] == sorted(names, reverse=True)
    assert page.locator('th:has(button[data-sort="namespace"])').get_attribute("aria-sort") == "descending"
    page.fill("#search", "redis")
    assert rows.count() == 1 and rows.first.get_attribute("data-name") == "redis"
    screenshot(page, "table")
    assert page.console_errors == []


def test_a_verify_result_appears_on_the_open_page_without_a_reload(page: Any, live: Any, state_dir: Path,
                                                                   screenshot: Shot) -> None:
    page.goto(live.url + "/")
    page.evaluate("() => { window.sameDocument = true; }")
    assert page.locator("#card-redis").get_attribute("class") == "card state-planned"
    results = [Result("redis", "redis", "tcp://redis.redis:6379", False, 5.0, reason="connection refused"),
               Result("request-path", "request-path", "https://app", False, 1.0, reason="502 from the ingress"),
               Result("postgresql", "postgresql", "tcp://pg:5432", True, 0.01)]
    written = time.monotonic()
    write_state("dev", results, 6.0, root=state_dir)  # exactly what `homelab verify` writes
    page.locator("#card-redis.state-failing").wait_for(timeout=5000)
    seen = time.monotonic() - written
    assert seen < 5, seen
    attention = page.locator("#attention").inner_text()
    assert "connection refused" in attention and "request-path" in attention and "502 from the ingress" in attention
    assert "just now" in attention
    assert page.locator("#attention time").first.get_attribute("title").endswith("UTC")
    assert page.locator("#card-postgresql").get_attribute("class") == "card state-ok"
    assert page.evaluate("() => window.sameDocument") is True
    screenshot(page, "live-update")
    page.goto(live.url + "/diagrams")
    page.evaluate("() => { window.sameDocument = true; }")
    box = page.locator('.drawing[data-name="architecture"] a.cmp[data-name="redis"]')
    assert box.get_attribute("data-state") == "failing"
    write_state("dev", [Result("redis", "redis", "tcp://redis.redis:6379", True, 0.01)], 0.1, root=state_dir)
    page.locator('.drawing[data-name="architecture"] a.cmp[data-name="redis"][data-state="ok"]').wait_for(timeout=5000)
    assert page.evaluate("() => window.sameDocument") is True
    assert page.console_errors == []


def test_diagrams_are_drawn_under_the_strict_policy_and_zoom(page: Any, live: Any, screenshot: Shot) -> None:
    page.goto(live.url + "/diagrams")
    drawing = page.locator('.drawing[data-name="architecture"]')
    assert drawing.get_attribute("data-drawn") == "true"
    size = drawing.locator("svg").evaluate("svg => [svg.getBBox().width, svg.getBBox().height]")
    assert size[0] > 300 and size[1] > 200, size
    box = drawing.locator('a.cmp[data-name="grafana"]')
    assert box.get_attribute("href") == "/components/grafana"
    view = drawing.locator("svg").get_attribute("viewBox")
    page.click('#diagram-architecture button[data-zoom="in"]')
    assert drawing.locator("svg").get_attribute("viewBox") != view
    page.click('#diagram-architecture button[data-zoom="fit"]')
    assert drawing.locator("svg").get_attribute("viewBox").split() == [f"{float(n):.1f}" for n in view.split()]
    drawing.focus()
    page.keyboard.press("+")
    assert drawing.locator("svg").get_attribute("viewBox") != view
    screenshot(page, "diagrams")
    box.click()
    page.wait_for_url(live.url + "/components/grafana")
    assert page.console_errors == []


def test_script_in_a_component_shows_as_text(page: Any, live: Any, evil: str, screenshot: Shot) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(live.url + "/components/evil")
    assert page.locator("h1").inner_text().startswith(f"Evil {evil}")
    assert evil in page.locator(".component .what").inner_text()
    assert page.locator(".component script").count() == 0
    page.goto(live.url + "/?q=evil")
    assert evil in page.locator('article.card[data-name="evil"] h4').inner_text()
    page.goto(live.url + "/diagrams")
    screenshot(page, "escaped")
    assert dialogs == [] and page.evaluate("() => document.querySelectorAll('script:not([src])').length") == 0
    assert page.console_errors == []


SIX = {
    "architecture": 'graph TB\n  K8S[Kubernetes Cluster]\n  subgraph IL["Infrastructure Layer"]\n'
                    '    m["MinIO<br/>archived"]\n  end\n  K8S --> IL\n',
    "interactions": "sequenceDiagram\n  participant User\n  participant Ingress\n  User->>Ingress: Request\n"
                    "  Ingress-->>User: Response\n",
    "security": 'graph TB\n  subgraph S["Security Layer"]\n    Auth[Authentication] --> Authz[Authorization]\n  end\n',
    "monitoring": "graph TB\n  Metrics --> Prometheus --> Grafana\n",
    "deployment": 'graph TB\n  dev["dev: *.dev.example.net<br/>context homelab-dev"] -->|homelab promote| prod\n',
    "data-flow": "graph LR\n  Apps --> Stream --> DB[(Databases)]\n",
}


def test_all_six_diagram_kinds_are_drawn(page: Any, config: Any, catalog: Catalog, state_dir: Any,
                                         screenshot: Shot) -> None:
    app = create_app(config, catalog, "dev", state_root=state_dir, builder=lambda plan, cat, cfg: SIX)
    with LiveServer(app) as server:
        page.goto(server.url + "/diagrams")
        for name in SIX:
            drawing = page.locator(f'.drawing[data-name="{name}"]')
            assert drawing.get_attribute("data-drawn") == "true", name
            width = drawing.locator("svg").evaluate("svg => svg.getBBox().width")
            assert width > 50, (name, width)
        assert page.locator('.drawing[data-name="monitoring"] a.cmp[data-name="prometheus"]').count() == 1
        screenshot(page, "six-diagrams")
        assert page.console_errors == []


def test_a_filtered_page_follows_a_system_out_of_its_filter(page: Any, live: Any, state_dir: Path) -> None:
    write_state("dev", [Result("redis", "redis", "tcp://redis.redis:6379", False, 5.0, reason="refused")], 5.0,
                root=state_dir)
    page.goto(live.url + "/?state=failing")
    assert [c.get_attribute("data-name") for c in page.locator("article.card:not([hidden])").all()] == ["redis"]
    write_state("dev", [Result("redis", "redis", "tcp://redis.redis:6379", True, 0.01)], 0.1, root=state_dir)
    page.locator("#card-redis.state-ok").wait_for(state="attached", timeout=5000)
    assert page.locator("#card-redis").is_hidden()  # no longer failing: the filter now leaves it out
    assert page.locator("#shown").inner_text() == "0 of 10 systems shown"
    assert page.locator("#no-results").is_visible()
    assert page.console_errors == []
