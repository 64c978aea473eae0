"""Fixtures: a small catalog shaped like the design, the portal app on it, a live server, and Chromium."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from homelab.catalog.loader import Catalog, load_catalog
from homelab.catalog.synthetic import entry, write_catalog
from homelab.config import Config
from homelab.portal import create_app
from tests.needs import missing, module
from tests.ports import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "portal"
EVIL = '<script>alert("xss")</script>'

CAPS = {c: {"summary": c} for c in ("object-storage", "ingress", "sso", "sql", "cache", "metrics", "backup")}


def _http(name: str, port: int = 80, **extra: Any) -> dict[str, Any]:
    return {"name": name, "service": name, "port": port, **extra}


ENTRIES = [
    entry("minio", "infrastructure", "storage", title="MinIO", summary="Object storage system",
          provides=["object-storage"], endpoints=[_http("console", 9001, expose=True, sso="oidc", ui="/")],
          probe={"kind": "s3", "endpoint": "console"},
          maturity={"status": "archived", "reason": "upstream stopped publishing images",
                    "replacement": "seaweedfs"}),
    entry("seaweedfs", "infrastructure", "storage", title="SeaweedFS", summary="Object storage",
          provides=["object-storage"]),
    entry("ingress-nginx", "infrastructure", "networking", title="NGINX Ingress", summary="Ingress controller",
          provides=["ingress"]),
    entry("keycloak", "infrastructure", "security", title="Keycloak", summary="Identity management",
          provides=["sso"], requires=["sql", "ingress"],
          endpoints=[_http("http", 8080, expose=True, host="sso", ui="/")], probe={"kind": "http", "endpoint": "http"}),
    entry("postgresql", "data", "databases", title="PostgreSQL", summary="Relational database",
          provides=["sql"], endpoints=[_http("pg", 5432, protocol="tcp")], probe={"kind": "postgresql"}),
    entry("redis", "data", "caching", title="Redis", summary="In-memory data store", provides=["cache"],
          endpoints=[_http("redis", 6379, protocol="tcp")], probe={"kind": "redis"}),
    entry("grafana", "application", "monitoring", title="Grafana", summary="Visualization platform",
          requires=["metrics", "sso"], uses=["sql"], endpoints=[_http("http", 3000, expose=True, sso="oidc", ui="/")],
          probe={"kind": "http", "endpoint": "http", "path": "/api/health"}),
    entry("prometheus", "application", "monitoring", title="Prometheus", summary="Monitoring system",
          provides=["metrics"]),
    entry("jupyter", "development", "tools", title="Jupyter", summary="Interactive computing",
          endpoints=[_http("http", 8888, expose=True, sso="proxy", ui="/")]),
    entry("velero", "backup", "backup", title="Velero", summary="Backup and restore", provides=["backup"],
          requires=["object-storage"]),
    entry("evil", "development", "tools", title=f"Evil {EVIL}", summary=f"summary {EVIL} & <b>bold</b>"),
]
PROFILE = ["minio", "ingress-nginx", "keycloak", "postgresql", "redis", "grafana", "prometheus", "jupyter",
           "velero", "evil"]


@pytest.fixture(scope="session")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    root = tmp_path_factory.mktemp("catalog")
    profiles = {"small": {"summary": "test", "hardware": "one node", "components": PROFILE,
                          "nodes": [{"name": "n1", "cpu": 16, "memory": "64Gi", "storage": "1Ti"}],
                          "defaults": {"object-storage": "minio"}}}
    return load_catalog(write_catalog(root / "data", ENTRIES, profiles, CAPS))


def make_config(**extra: Any) -> Config:
    return Config.model_validate({
        "platform": {"name": "lab", "domain": "home.example.net"},
        "cluster": {"nodes": [{"name": "n1", "cpu": 16, "memory": "64Gi"}]},
        "profile": "small", "allow": ["minio"],
        "environments": {"dev": {}, "prod": {"subdomain": ""}},
        "gitops": {"repo_url": "https://git.example.net/x.git"},
    } | extra)


@pytest.fixture
def config() -> Config:
    return make_config()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    (tmp_path / ".homelab" / "state").mkdir(parents=True)
    return tmp_path


@pytest.fixture
def write_state(state_dir: Path) -> Callable[..., None]:
    """Write status and/or verify state files as `homelab status` and `homelab verify` would."""

    def write(status: Any = None, verify: Any = None, env: str = "dev") -> None:
        base = state_dir / ".homelab" / "state"
        if status is not None:
            (base / f"status-{env}.json").write_text(json.dumps(status))
        if verify is not None:
            (base / f"verify-{env}.json").write_text(json.dumps(verify))

    return write


@pytest.fixture
def evil() -> str:
    """The markup a hostile or careless catalog entry carries in its title and summary."""
    return EVIL


@pytest.fixture
def app(config: Config, catalog: Catalog, state_dir: Path) -> FastAPI:
    return create_app(config, catalog, "dev", state_root=state_dir)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)



class LiveServer:
    """A real uvicorn server on loopback in a thread, stopped by flag (not by signal)."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 10 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright; skipped (failed under CI) when absent.

    One a module, not a session: Playwright's sync API keeps an asyncio loop running in this thread while it is
    open, and a test module that runs after it in the same worker (tests/app calls asyncio.run) would fail."""
    if not (os.path.exists(CHROMIUM) and shutil.which(CHROMIUM)):
        missing(f"chromium not installed at {CHROMIUM} (apt-get install chromium; .ci/apt.d/portal.txt)")
    playwright_api = module("playwright.sync_api", "pip install -e '.[test]'")
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that records console errors and CSP violations for the test to check."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.console_errors = []
    tab.on("console", lambda msg: tab.console_errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: tab.console_errors.append(f"page error: {exc}"))
    yield tab
    context.close()


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """Save a full-page screenshot under test-artifacts/portal/ (kept by CI as an artifact)."""

    def take(tab: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return take
