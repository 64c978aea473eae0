"""Console scripts: `homelab-app` (web service) and `homelab-app-worker`; both read only the environment."""

from __future__ import annotations

import asyncio


def web() -> None:
    """Serve the API with uvicorn; SIGTERM stops accepting, drains in-flight requests, then closes."""
    import uvicorn

    from homelab_app.logs import configure_logging
    from homelab_app.settings import Settings
    from homelab_app.web import create_app

    settings = Settings()
    configure_logging(settings.log_level)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None,
                timeout_graceful_shutdown=int(settings.shutdown_seconds), proxy_headers=True)


def worker() -> None:
    """Run the task worker until SIGTERM."""
    from homelab_app.logs import configure_logging
    from homelab_app.settings import Settings
    from homelab_app.worker import serve

    settings = Settings()
    configure_logging(settings.log_level)
    asyncio.run(serve(settings))
