"""Console scripts: `homelab-app` (web service) and `homelab-app-worker`; both read only the environment."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from homelab_app.settings import Settings


# Modules only the `app` extra installs (homelab itself does not need them).
EXTRA_MODULES = ("pydantic_settings", "psycopg_pool", "tenacity", "prometheus_client", "pythonjsonlogger",
                 "aio_pika", "nats", "opentelemetry.sdk", "joserfc")
INSTALL_HINT = "pip install 'homelab[app]' (from a checkout: pip install -e '.[app]')"


def missing_extra() -> list[str]:
    """The app's modules that are not installed, found without importing anything."""
    from importlib.util import find_spec

    def absent(name: str) -> bool:
        try:
            return find_spec(name) is None
        except (ModuleNotFoundError, ValueError):  # a missing parent package, or a module set to None
            return True
    return [name for name in EXTRA_MODULES if absent(name)]


def _settings() -> Settings:
    """The settings, or one line per bad variable and exit status 2 (no traceback for bad input)."""
    from pydantic import ValidationError

    if missing := missing_extra():
        print(f"homelab-app: {', '.join(missing)} not installed: {INSTALL_HINT}", file=sys.stderr)
        raise SystemExit(2)
    from homelab_app.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = "APP_" + "_".join(str(part) for part in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            print(f"homelab-app: {name + ': ' if error['loc'] else ''}{message}", file=sys.stderr)
        raise SystemExit(2) from None


def web() -> None:
    """Serve the API with uvicorn; SIGTERM stops accepting, drains in-flight requests, then closes."""
    import uvicorn

    from homelab_app.logs import configure_logging
    from homelab_app.web import create_app

    settings = _settings()
    configure_logging(settings.log_level)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None,
                timeout_graceful_shutdown=int(settings.shutdown_seconds), proxy_headers=True,
                limit_concurrency=settings.max_connections, timeout_keep_alive=5,
                h11_max_incomplete_event_size=16 * 1024)


def worker() -> None:
    """Run the task worker until SIGTERM."""
    from homelab_app.logs import configure_logging
    from homelab_app.worker import serve

    settings = _settings()
    configure_logging(settings.log_level)
    asyncio.run(serve(settings))
