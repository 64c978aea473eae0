"""`homelab catalog outdated`: does every pin exist upstream, and what is the newest stable release?

Every helm, oci and git source is asked at its own upstream (see `upstream`), each distinct feed once,
several at a time. A pin upstream does not have is `missing` (what a cluster would fail to pull); a
source that cannot be read is `error` with one line saying why; local and none sources have nothing
upstream to ask and are `skipped`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace

import httpx

from homelab.catalog import versions
from homelab.catalog.model import Component, Source
from homelab.catalog.upstream import Feed, Upstream, UpstreamError, oci_parts

STATUSES = ("missing", "error", "outdated", "current", "skipped")


@dataclass(frozen=True)
class Row:
    name: str
    kind: str
    source: str
    pinned: str
    newest: str | None
    status: str
    note: str = ""

    def to_json(self) -> dict[str, str | None]:
        return asdict(self)


def feed_for(source: Source) -> Feed | None:
    if source.kind == "helm" and source.repo and source.chart:
        return Feed("helm", source.repo, source.chart)
    if source.kind == "oci" and source.repo and source.chart:
        base, repository = oci_parts(source.repo, source.chart)
        return Feed("oci", base, repository)
    if source.kind == "git" and source.repo:
        return Feed("git", source.repo)
    return None


def _where(source: Source) -> str:
    if source.kind in ("helm", "oci"):
        return f"{source.repo} {source.chart}"
    return f"{source.repo or ''} {source.path or source.chart or ''}".strip() or "-"


def judge(comp: Component, available: list[str] | UpstreamError) -> Row:
    """The row for one component, given what its feed lists (or why it could not be read)."""
    src = comp.source
    pinned = src.version or ""
    row = Row(comp.name, src.kind, _where(src), pinned, None, "error")
    if isinstance(available, UpstreamError):
        return replace(row, note=str(available))
    newest = versions.newest_stable(pinned, available)
    found = versions.find(pinned, available)
    if found is None:
        return replace(row, newest=newest, status="missing",
                       note=f"upstream lists {len(available)} versions, not {pinned}")
    note = f"upstream spells it {found}" if found != pinned else ""
    if newest is not None and versions.is_newer(newest, pinned):
        return replace(row, newest=newest, status="outdated", note=note)
    return replace(row, newest=newest or found, status="current", note=note)


def check(components: Iterable[Component], upstream: Upstream, workers: int = 8) -> list[Row]:
    """One row per component, in name order; each distinct feed is read once, `workers` at a time."""
    comps = sorted(components, key=lambda c: c.name)
    feeds = {c.name: feed_for(c.source) for c in comps}
    distinct = sorted({f for f in feeds.values() if f is not None}, key=lambda f: (f.kind, f.url, f.name))

    def read(feed: Feed) -> list[str] | UpstreamError:
        try:
            return upstream.versions(feed)
        except UpstreamError as exc:
            return exc
        except (httpx.HTTPError, ValueError) as exc:  # e.g. a body that is not the JSON it should be
            return UpstreamError(f"{feed.url}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        answers = dict(zip(distinct, pool.map(read, distinct), strict=True))
    rows = []
    for comp in comps:
        feed = feeds[comp.name]
        if feed is None:
            reason = {"local": "shipped in this package", "none": "nothing to install"}.get(comp.source.kind, "")
            rows.append(Row(comp.name, comp.source.kind, _where(comp.source), comp.source.version or "-", None,
                            "skipped", reason))
        elif re.fullmatch(r"[0-9a-f]{40}", comp.source.version or ""):
            rows.append(Row(comp.name, "git", _where(comp.source), comp.source.version or "", None, "skipped",
                            "pinned to a commit, which a ref advertisement does not list"))
        else:
            rows.append(judge(comp, answers[feed]))
    return rows


def client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
                        headers={"User-Agent": "homelab-catalog-outdated"})


def failed(rows: list[Row]) -> bool:
    """Exit 1 when a pin is missing upstream or a source could not be checked."""
    return any(row.status in ("missing", "error") for row in rows)
