"""The built-in example on the real catalog (profile `full`, the whole design) in Chromium, as a new user
sees it: every page without console errors, accessible by axe-core's rules, usable by keyboard, and the
overview short enough to take in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from homelab.catalog import load_catalog
from homelab.config import load
from homelab.portal import create_app
from tests.needs import missing

from .conftest import LiveServer

Shot = Callable[[Any, str], Any]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ["/", "/?view=table", "/components/postgresql", "/components/cloudnative-pg", "/diagrams", "/api",
         "/no/such/page"]
SCREEN = (1440, 900)


@pytest.fixture(scope="module")
def design() -> Iterator[LiveServer]:
    app = create_app(load().config, load_catalog(), "dev")
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        missing(f"{AXE} missing: run `npm install` (package.json pins axe-core)")
    return AXE.read_text(encoding="utf-8")


def _serious(tab: Any, axe_source: str) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now (injected over DevTools, which
    the page's Content-Security-Policy does not govern; the portal never serves axe)."""
    tab.evaluate(axe_source)
    result = tab.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in result["violations"] if v["impact"] in {"serious", "critical"}]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_is_clean_and_accessible(browser: Any, design: LiveServer, axe_source: str, scheme: str,
                                            screenshot: Shot) -> None:
    context = browser.new_context(viewport={"width": SCREEN[0], "height": SCREEN[1]}, color_scheme=scheme)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(f"{tab.url}: {msg.text}") if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(f"{tab.url}: {exc}"))
    try:
        for path in PAGES:
            tab.goto(design.url + path)
            assert tab.locator("h1").count() == 1, path
            assert tab.locator("a.skip").get_attribute("href") == "#main"
            assert _serious(tab, axe_source) == [], path
        tab.goto(design.url + "/")
        tab.locator("#layer-data > summary").click()  # a layer folds away
        assert _serious(tab, axe_source) == []
        screenshot(tab, f"design-overview-{scheme}")
        tab.goto(design.url + "/diagrams")
        screenshot(tab, f"design-diagrams-{scheme}")
    finally:
        context.close()
    # 404 pages log the failed load itself; nothing else may be logged
    assert [e for e in errors if "/no/such/page" not in e] == []


def test_overview_in_the_table_fits_three_screens(browser: Any, design: LiveServer, screenshot: Shot) -> None:
    context = browser.new_context(viewport={"width": SCREEN[0], "height": SCREEN[1]})
    tab = context.new_page()
    try:
        tab.goto(design.url + "/?view=table")
        rows = tab.locator("#systems tbody tr")
        systems = rows.count()
        height = tab.evaluate("() => document.documentElement.scrollHeight")
        screenshot(tab, "design-table")
        assert height <= 3 * SCREEN[1], f"{systems} systems take {height} px: {height / SCREEN[1]:.1f} screens"
        assert tab.locator('#row-postgresql').count() == 1 and tab.locator('#row-cloudnative-pg').count() == 0
        assert "+1" in tab.locator("#row-postgresql").inner_text()  # its operator rides along
    finally:
        context.close()


def test_keyboard_reaches_everything_from_the_top(browser: Any, design: LiveServer) -> None:
    context = browser.new_context(viewport={"width": SCREEN[0], "height": SCREEN[1]})
    tab = context.new_page()
    try:
        tab.goto(design.url + "/")
        tab.keyboard.press("Tab")
        assert tab.evaluate("() => document.activeElement.className") == "skip"
        tab.keyboard.press("Enter")
        assert tab.evaluate("() => document.activeElement.id") == "main"
        tab.locator("#search").focus()
        tab.keyboard.type("postgres")
        shown = {c.get_attribute("data-name") for c in tab.locator("article.card:not([hidden])").all()}
        assert {"postgresql", "barman"} <= shown  # CloudNativePG is folded into PostgreSQL
        assert "upgrades" not in tab.locator("article.card:not([hidden])").all_inner_texts()
        tab.locator("#search").fill("pg")
        pg = {c.get_attribute("data-name") for c in tab.locator("article.card:not([hidden])").all()}
        assert "postgresql" in pg
        tab.locator("#layer-data > summary").focus()
        tab.keyboard.press("Enter")  # folds the layer
        assert tab.locator("#layer-data").get_attribute("open") is None
        tab.locator("#show-table").focus()
        tab.keyboard.press("Enter")
        assert tab.locator("#table-view").is_visible()
        tab.locator('th button[data-sort="wave"]').focus()
        tab.keyboard.press("Enter")
        waves = [int(r.get_attribute("data-wave")) for r in tab.locator("#systems tbody tr:not([hidden])").all()]
        assert waves == sorted(waves)
    finally:
        context.close()
