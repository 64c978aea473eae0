"""End to end in real headless Chromium: the page a homelab owner keeps open, driven by Playwright."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homelab.catalog import load_catalog
from homelab.catalog.loader import Catalog
from homelab.config import load
from homelab.portal import create_app

from .conftest import LiveServer

Shot = Callable[[Any, str], Any]


def _csp_errors(tab: Any) -> list[str]:
    return [e for e in tab.console_errors if "Content Security Policy" in e]


def test_main_page_draws_every_layer_of_the_design(page: Any, live: Any, catalog: Catalog, screenshot: Shot) -> None:
    page.goto(live.url + "/")
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
    screenshot(page, "overview")
    assert page.console_errors == []


def test_search_then_open_a_component(page: Any, live: Any, screenshot: Shot) -> None:
    page.goto(live.url + "/")
    page.fill("#search", "visualization")
    visible = page.locator("article.card:not([hidden])")
    assert visible.count() == 1 and visible.get_attribute("data-name") == "grafana"
    assert page.locator('article.card[data-name="postgresql"]').is_hidden()
    screenshot(page, "search")
    visible.locator("h4 a").click()
    page.wait_for_url(live.url + "/components/grafana")
    assert page.locator("h1").inner_text().startswith("Grafana")
    assert "metrics from prometheus" in page.locator("#requires").inner_text()
    assert page.locator("#reasons").inner_text() == "in profile `small`"
    assert page.locator("#endpoints a").get_attribute("href") == "https://grafana.dev.home.example.net"
    assert "http probe" in page.locator("#probe").inner_text()
    screenshot(page, "component")
    assert page.console_errors == []


def test_layer_and_state_filters_reload_the_page(page: Any, live: Any, write_state: Callable[..., None],
                                                 screenshot: Shot) -> None:
    write_state(verify=[{"name": "redis", "kind": "redis", "ok": False, "reason": "refused"}])
    page.goto(live.url + "/")
    page.select_option("#state", "failing")
    page.wait_for_url("**/?*state=failing*")
    assert [c.get_attribute("data-name") for c in page.locator("article.card").all()] == ["redis"]
    assert page.locator(".layer").count() == 5  # every layer is still drawn
    page.select_option("#layer", "application")
    page.wait_for_url("**layer=application**")
    assert page.locator("article.card").count() == 0
    page.goto(live.url + "/components/redis")
    assert "Last verify: failed" in page.locator("#probe").inner_text()
    assert "refused" in page.locator("#probe").inner_text()
    screenshot(page, "failing-component")


def test_architecture_diagram_is_drawn(page: Any, live: Any, screenshot: Shot) -> None:
    page.goto(live.url + "/diagrams")
    drawing = page.locator('.drawing[data-name="architecture"]')
    drawing.locator("img.diagram-image").wait_for(timeout=30_000)
    assert drawing.get_attribute("data-drawn") == "true"
    size = drawing.locator("img").evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size[0] > 300 and size[1] > 200, size
    screenshot(page, "diagrams")
    # mermaid measures text in the page, where the CSP blocks its <style>; no script is ever blocked
    assert not [e for e in _csp_errors(page) if "directive 'script-src" in e]


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
    page.locator('.drawing[data-name="architecture"] img').wait_for(timeout=30_000)
    screenshot(page, "escaped")
    assert dialogs == [] and page.evaluate("() => document.querySelectorAll('script:not([src])').length") == 0


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
        page.wait_for_function("() => [...document.querySelectorAll('.drawing')].every(d => d.dataset.drawn)",
                               timeout=60_000)
        for name in SIX:
            drawing = page.locator(f'.drawing[data-name="{name}"]')
            assert drawing.get_attribute("data-drawn") == "true", name
            width = drawing.locator("img").evaluate("img => img.complete && img.naturalWidth")
            assert width > 50, (name, width)
        screenshot(page, "six-diagrams")


def test_builtin_design_in_the_browser(page: Any, screenshot: Shot) -> None:
    """The built-in example on the real catalog: the whole design, as a new user first sees it."""
    real = load_catalog()
    app = create_app(load().config, real, "dev")
    with LiveServer(app) as server:
        page.goto(server.url + "/")
        for name, info in real.layers.items():
            assert page.locator(f"#layer-{name} h2").inner_text() == info.title
        assert page.locator("article.card").count() == len(app.state.portal.views) > 50
        screenshot(page, "builtin-overview")
        page.goto(server.url + "/diagrams")
        page.wait_for_function("() => [...document.querySelectorAll('.drawing')].every(d => d.dataset.drawn)",
                               timeout=60_000)
        assert page.locator('.drawing[data-drawn="true"]').count() == page.locator(".drawing").count() >= 1
        screenshot(page, "builtin-diagrams")
