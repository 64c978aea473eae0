"""What upstream publishes: the versions in a Helm repository, an OCI repository or a Git repository.

Each is read the way the tools that install from it read it: a Helm repository's `index.yaml`, an OCI
registry's tag list through the distribution API (with the anonymous bearer-token handshake registries
such as ghcr.io and Docker Hub require), and a Git repository's tags from the smart-HTTP ref
advertisement (`info/refs?service=git-upload-pack`, what `git ls-remote` reads). Answers are cached
on disk for `ttl` seconds; failures are never cached and come back as one-line `UpstreamError`s.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


class UpstreamError(Exception):
    """A source that could not be read; the message is one line naming the URL and the reason."""


@dataclass(frozen=True)
class Feed:
    """One upstream list of versions: kind is helm (index.yaml URL), oci (registry + repository) or git."""

    kind: str
    url: str  # Helm repository URL, registry base URL, or Git repository URL
    name: str = ""  # chart name in a Helm index, repository path in an OCI registry


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "homelab" / "upstream"


def oci_parts(repo: str, chart: str) -> tuple[str, str]:
    """('https://registry', 'path/chart') for oci://registry/path; Docker Hub's API host is registry-1."""
    registry, _, path = repo.removeprefix("oci://").partition("/")
    host = "registry-1.docker.io" if registry == "docker.io" else registry
    scheme = "http" if host.split(":")[0] in LOCAL_HOSTS else "https"
    return f"{scheme}://{host}", "/".join(p for p in (path.strip("/"), chart) if p)


@dataclass
class Upstream:
    """Reads feeds over one HTTP client, with an on-disk cache."""

    client: httpx.Client
    ttl: float = 3600.0
    refresh: bool = False
    cache: Path | None = None
    _locks: dict[Feed, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def versions(self, feed: Feed) -> list[str]:
        """The versions a feed lists. Charts of one Helm repository share one read of its index."""
        if feed.kind == "helm":
            return self._listing(Feed("helm", feed.url)).get(feed.name, [])
        return self._listing(feed)[""]

    def _listing(self, feed: Feed) -> dict[str, list[str]]:
        with self._guard:
            lock = self._locks.setdefault(feed, threading.Lock())
        with lock:  # one request per feed, even when several threads want it
            cached = self._cached(feed)
            if cached is not None:
                return cached
            listing = self._helm(feed) if feed.kind == "helm" else {"": self._oci(feed) if feed.kind == "oci"
                                                                     else self._git(feed)}
            self._store(feed, listing)
            return listing

    def _get(self, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
        try:
            response = self.client.get(url, headers=headers, follow_redirects=True)
        except httpx.TimeoutException:
            raise UpstreamError(f"{url}: timed out") from None
        except httpx.HTTPError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UpstreamError(f"{url}: unreachable ({reason})") from None
        return response

    def _ok(self, response: httpx.Response) -> httpx.Response:
        if response.status_code != 200:
            raise UpstreamError(f"{response.request.url}: HTTP {response.status_code}")
        return response

    def _helm(self, feed: Feed) -> dict[str, list[str]]:
        url = feed.url.rstrip("/") + "/index.yaml"
        text = self._ok(self._get(url)).text
        try:
            index = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            raise UpstreamError(f"{url}: not a Helm repository index (invalid YAML)") from None
        if not isinstance(index, dict) or not isinstance(index.get("entries"), dict):
            raise UpstreamError(f"{url}: not a Helm repository index (no entries)")
        return {str(chart): [str(e["version"]) for e in entries or [] if isinstance(e, dict) and "version" in e]
                for chart, entries in index["entries"].items()}

    def _oci(self, feed: Feed) -> list[str]:
        base, repository = feed.url, feed.name
        url: str | None = f"{base}/v2/{repository}/tags/list?n=1000"
        headers: dict[str, str] = {}
        tags: list[str] = []
        while url:
            response = self._get(url, headers)
            if response.status_code == 401 and not headers:
                headers = {"Authorization": f"Bearer {self._token(response, repository)}"}
                continue
            body = self._ok(response).json()
            tags += [tag.replace("_", "+") for tag in body.get("tags") or []]  # Helm stores + as _ in OCI tags
            url = _next_link(response, base)
        return tags

    def _token(self, challenge: httpx.Response, repository: str) -> str:
        """The anonymous pull token a registry's WWW-Authenticate: Bearer challenge points at."""
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge.headers.get("www-authenticate", "")))
        if "realm" not in params:
            raise UpstreamError(f"{challenge.request.url}: HTTP 401 without a bearer challenge")
        query = {"service": params.get("service", ""), "scope": params.get("scope", f"repository:{repository}:pull")}
        body = self._ok(self._get(str(httpx.URL(params["realm"], params=query)))).json()
        token = body.get("token") or body.get("access_token")
        if not token:
            raise UpstreamError(f"{params['realm']}: no token in the answer")
        return str(token)

    def _git(self, feed: Feed) -> list[str]:
        url = feed.url.rstrip("/") + "/info/refs?service=git-upload-pack"
        data = self._ok(self._get(url)).content
        tags = set()
        for line in _pkt_lines(data, url):
            ref = line.split(b"\0")[0].rstrip(b"\n").split(b" ", 1)[-1].decode(errors="replace")
            if ref.startswith("refs/tags/"):
                tags.add(ref.removeprefix("refs/tags/").removesuffix("^{}"))
        return sorted(tags)

    def _key(self, feed: Feed) -> Path:
        folder = self.cache if self.cache is not None else cache_dir()
        return folder / f"{hashlib.sha256(json.dumps([feed.kind, feed.url, feed.name]).encode()).hexdigest()[:32]}.json"

    def _cached(self, feed: Feed) -> dict[str, list[str]] | None:
        path = self._key(feed)
        if self.refresh or not path.is_file():
            return None
        try:
            body: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if time.time() - float(body.get("fetched", 0)) > self.ttl:
            return None
        listing = body.get("versions")
        return {str(k): [str(v) for v in vs] for k, vs in listing.items()} if isinstance(listing, dict) else None

    def _store(self, feed: Feed, listing: dict[str, list[str]]) -> None:
        path = self._key(feed)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"fetched": time.time(), "feed": feed.__dict__, "versions": listing}))
            tmp.replace(path)
        except OSError:
            pass  # a read-only cache only costs time


def _next_link(response: httpx.Response, base: str) -> str | None:
    """The distribution API's pagination: Link: </v2/...?last=x&n=1000>; rel="next"."""
    match = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', response.headers.get("link", ""))
    return None if match is None else (match[1] if match[1].startswith("http") else base + match[1])


def _pkt_lines(data: bytes, url: str) -> list[bytes]:
    """Git pkt-line framing: 4 hex digits of length (including themselves), 0000 flushes."""
    lines, at = [], 0
    while at + 4 <= len(data):
        try:
            size = int(data[at:at + 4], 16)
        except ValueError:
            raise UpstreamError(f"{url}: not a Git smart-HTTP ref advertisement") from None
        if size == 0:
            at += 4
            continue
        lines.append(data[at + 4:at + size])
        at += size
    if not lines or not lines[0].startswith(b"# service="):
        raise UpstreamError(f"{url}: not a Git smart-HTTP ref advertisement")
    return lines[1:]
