"""A local stand-in for raw.githubusercontent.com (test double), serving ../shared/crds.

It answers GET /raw.githubusercontent.com/<owner>/<repo>/<tag>/<path> (the place `HOMELAB_CRDS_BASE_URL`
maps https://raw.githubusercontent.com/... to) from the shared copies, found through shared/crds/SOURCES.md:
by repository and path, else, for a kubebuilder file name `<group>_<plural>.yaml`, by the CRD it names in
that repository (upstream renamed tektoncd/operator's file between tags). It holds one version of each file,
so the tag in the URL is recorded but not matched: tests check the catalog's tags separately.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml
from tests.shared import shared


@dataclass
class RawServer:
    port: int = 0
    served: list[tuple[str, str, Path]] = field(default_factory=list)  # (repo, tag, shared file)
    missing: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@cache
def shared_files() -> dict[tuple[str, str], Path]:
    """(owner/repo, upstream path) -> the shared copy, from the table in shared/crds/SOURCES.md."""
    root = shared("crds")
    files = {}
    for line in (root / "SOURCES.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and (root / cells[0]).is_file() and "/" in cells[1]:
            files[(cells[1], cells[2])] = root / cells[0]
    return files


@cache
def _by_crd_name() -> dict[tuple[str, str], Path]:
    """(owner/repo, CRD metadata.name) -> file, for files holding exactly one CRD."""
    out = {}
    for (repo, _), path in shared_files().items():
        docs = [d for d in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader) if isinstance(d, dict)]
        if len(docs) == 1:
            out[(repo, docs[0]["metadata"]["name"])] = path
    return out


@contextmanager
def serve() -> Iterator[RawServer]:
    state = RawServer()
    files = shared_files()
    # read before serving: parsed on a first request instead, every concurrent request parsed all the CRDs at
    # once (functools.cache does not wait for a call under way) and a loaded machine timed the fetch out
    by_name = _by_crd_name()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            parts = self.path.lstrip("/").split("/")
            found = None
            if len(parts) > 4 and parts[0] == "raw.githubusercontent.com":
                repo, tag, path = f"{parts[1]}/{parts[2]}", parts[3], "/".join(parts[4:])
                found = files.get((repo, path))
                group, _, plural = parts[-1].removesuffix(".yaml").partition("_")
                found = found or by_name.get((repo, f"{plural}.{group}"))
            if found is None:
                state.missing.append(self.path)
                self.send_response(404)
                self.end_headers()
                return
            state.served.append((repo, tag, found))
            body = found.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
