"""Console scripts: `homelab-app` (web service) and `homelab-app-worker`; both read only the environment."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from homelab_app.settings import Settings


def _settings() -> Settings:
    """The settings, or one line per bad variable and exit status 2 (no traceback for bad input)."""
    from pydantic import ValidationError

    from homelab_app.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = "APP_" + "_".join(str(part) for part in error["loc"]).upper()
            print(f"homelab-app: {name}: {error['msg']}", file=sys.stderr)
        raise SystemExit(2) from None


def web() -> None:
    """Serve the API with uvicorn; SIGTERM stops accepting, drains in-flight requests, then closes."""
    import uvicorn

    from homelab_app.logs import configure_logging
    from homelab_app.web import create_app

    settings = _settings()
    configure_logging(settings.log_level)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None,
                timeout_graceful_shutdown=int(settings.shutdown_seconds), proxy_headers=True)


def worker() -> None:
    """Run the task worker until SIGTERM."""
    from homelab_app.logs import configure_logging
    from homelab_app.worker import serve

    settings = _settings()
    configure_logging(settings.log_level)
    asyncio.run(serve(settings))
