"""The portal's own files (stylesheet, scripts, icons), compressed once and cached by browsers.

Every file is read, hashed and compressed (brotli and gzip) when the app starts, so a request
only picks bytes. Pages link each file as `/static/<path>?v=<hash>`: with the current hash the
answer may be kept a year (`immutable`), because a changed file gets a new URL; without it the
browser must revalidate (`no-cache`, with an ETag that turns a repeat into a bodiless 304).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from importlib.resources.abc import Traversable

import brotli
from starlette.requests import Request
from starlette.responses import Response

FOREVER = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = ("text/", "application/javascript", "image/svg+xml", "application/json")


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzip: bytes | None
    brotli: bytes | None
    media_type: str
    version: str

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def _load(path: str, data: bytes) -> Asset:
    media = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if media.startswith("text/") or media == "application/javascript":
        media += "; charset=utf-8"
    squeeze = media.startswith(COMPRESSIBLE) and len(data) > 256
    return Asset(data, gzip.compress(data, 9, mtime=0) if squeeze else None,
                 brotli.compress(data, quality=11) if squeeze else None, media,
                 hashlib.sha256(data).hexdigest()[:12])


class StaticFiles:
    """Read-only, in-memory file server for one folder of the package."""

    def __init__(self, root: Traversable) -> None:
        self.assets: dict[str, Asset] = {}

        def walk(folder: Traversable, prefix: str) -> None:
            for item in folder.iterdir():
                if item.is_dir():
                    walk(item, f"{prefix}{item.name}/")
                else:
                    self.assets[prefix + item.name] = _load(item.name, item.read_bytes())

        walk(root, "")

    def url(self, path: str) -> str:
        """The URL a page links: with the file's hash, so it can be cached for good."""
        return f"/static/{path}?v={self.assets[path].version}"

    def response(self, request: Request, path: str) -> Response:
        asset = self.assets.get(path)
        if asset is None:
            return Response(b"not found", status_code=404, media_type="text/plain")
        cache = FOREVER if request.query_params.get("v") == asset.version else REVALIDATE
        headers = {"etag": asset.etag, "cache-control": cache, "vary": "accept-encoding"}
        if request.headers.get("if-none-match") == asset.etag:
            return Response(status_code=304, headers=headers)
        accepted = {part.split(";")[0].strip() for part in request.headers.get("accept-encoding", "").split(",")}
        body = asset.body
        if asset.brotli is not None and "br" in accepted:
            body, headers["content-encoding"] = asset.brotli, "br"
        elif asset.gzip is not None and "gzip" in accepted:
            body, headers["content-encoding"] = asset.gzip, "gzip"
        return Response(body, media_type=asset.media_type, headers=headers)
