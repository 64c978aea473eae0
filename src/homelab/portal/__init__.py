"""Portal: the design's architecture diagram, live, in the browser (`homelab serve`)."""

from homelab.portal.app import create_app

__all__ = ["create_app"]
