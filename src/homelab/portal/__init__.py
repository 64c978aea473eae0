"""Portal: the platform as the design draws it, live, in the browser (`homelab serve`)."""

from homelab.portal.app import create_app

__all__ = ["create_app"]
