"""`homelab catalog outdated` against a local stand-in for upstream (tests/catalog/upstream_server.py):
Helm index, OCI tag list behind a bearer-token challenge, Git ref advertisement. Never the internet."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from tests.catalog.upstream_server import serve
from typer.testing import CliRunner

from homelab.catalog import versions
from homelab.catalog.model import Component
from homelab.catalog.outdated import check, client, failed
from homelab.catalog.synthetic import entry
from homelab.catalog.upstream import Upstream


def comp(name: str, **source: Any) -> Component:
    return Component.model_validate(entry(name, source={"confirmed": "fixture", **source}))


def helm(name: str, repo: str, chart: str, version: str) -> Component:
    return comp(name, kind="helm", repo=repo, chart=chart, version=version)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rows_by_name(components: list[Component], tmp_path: Path, **kw: Any) -> dict[str, Any]:
    with client(2.0) as http:
        return {r.name: r for r in check(components, Upstream(http, cache=tmp_path / "cache", **kw))}


def test_versions_read_prefixes_prereleases_and_build_metadata() -> None:
    tags = ["v1.0.0", "v1.10.0", "v1.9.3", "v2.0.0-rc.1", "helm-chart-9.0.0", "latest"]
    assert versions.newest_stable("v1.0.0", tags) == "v1.10.0"
    assert versions.newest_stable("1.0.0", tags) == "v1.10.0"  # a leading v does not make another family
    assert versions.newest_stable("helm-chart-4.15.1", tags) == "helm-chart-9.0.0"
    assert versions.find("2026.1.0", ["2026.1.3+c665eed", "2026.1.0+c665eed"]) == "2026.1.0+c665eed"
    assert versions.find("1.9.3", tags) == "v1.9.3"
    assert versions.find("2.0.0", tags) is None  # a pre-release is not the release
    assert not versions.is_newer("v1.9.3", "1.10.0")


def test_finds_a_missing_pin_and_a_newer_version(tmp_path: Path) -> None:
    with serve() as up:
        rows = rows_by_name([helm("gone", up.url("/helm"), "app", "1.3.0"),
                             helm("old", up.url("/helm"), "app", "1.0.0"),
                             helm("new", up.url("/helm"), "app", "1.1.0"),
                             helm("spelt", up.url("/helm"), "knative", "1.21.0")], tmp_path)
        assert sum("/helm/index.yaml" in r for r in up.requests) == 1, "one feed is read once"
    assert (rows["gone"].status, rows["gone"].newest) == ("missing", "1.1.0")
    assert (rows["old"].status, rows["old"].newest) == ("outdated", "1.1.0")
    assert (rows["new"].status, rows["new"].newest) == ("current", "1.1.0")  # 1.2.0-rc.1 is not stable
    assert rows["spelt"].status == "current" and "v1.21.0" in rows["spelt"].note
    assert failed(list(rows.values()))


def test_oci_tags_through_the_token_handshake_and_pages(tmp_path: Path) -> None:
    with serve() as up:
        repo = f"oci://127.0.0.1:{up.port}/charts"
        rows = rows_by_name([comp("o", kind="oci", repo=repo, chart="app", version="1.0.0"),
                             comp("b", kind="oci", repo=repo, chart="app", version="2.0.0+build.7"),
                             comp("n", kind="oci", repo=repo, chart="nosuch", version="1.0.0")], tmp_path)
        assert any(r.startswith("/token?") for r in up.requests)
        assert sum("/v2/charts/app/tags/list" in r for r in up.requests) >= 3, "followed the Link pages"
    assert (rows["o"].status, rows["o"].newest) == ("outdated", "2.0.0+build.7")  # _ in OCI tags is +
    assert rows["b"].status == "current"
    assert rows["n"].status == "error" and "HTTP 404" in rows["n"].note


def test_git_tags_from_the_ref_advertisement(tmp_path: Path) -> None:
    with serve() as up:
        rows = rows_by_name([comp("g", kind="git", repo=up.url("/git/owner/repo"), path="deploy", version="v1.0.0"),
                             comp("h", kind="git", repo=up.url("/git/owner/repo"), path="x",
                                  version="helm-chart-9.9.9")], tmp_path)
    assert (rows["g"].status, rows["g"].newest) == ("outdated", "v1.1.0")  # v2.0.0-rc.1 is a pre-release
    assert rows["h"].status == "current"


def test_unreachable_and_broken_sources_are_one_line_errors(tmp_path: Path) -> None:
    with serve() as up:
        rows = rows_by_name([helm("down", f"http://127.0.0.1:{closed_port()}/charts", "app", "1.0.0"),
                             helm("500", up.url("/broken"), "app", "1.0.0"),
                             helm("junk", up.url("/garbage"), "app", "1.0.0"),
                             comp("mine", kind="local", chart="memcached", version="1.6.41")], tmp_path)
    assert rows["down"].status == "error" and "unreachable" in rows["down"].note
    assert rows["500"].note.endswith("/broken/index.yaml: HTTP 500")
    assert "not a Helm repository index" in rows["junk"].note
    assert all("\n" not in r.note for r in rows.values())
    assert rows["mine"].status == "skipped"


def test_answers_are_cached_until_they_are_stale(tmp_path: Path) -> None:
    with serve() as up:
        components = [helm("a", up.url("/helm"), "app", "1.0.0")]
        rows_by_name(components, tmp_path)
        rows_by_name(components, tmp_path)
        assert len(up.requests) == 1, "the second run is answered from the cache"
        rows_by_name(components, tmp_path, refresh=True)
        assert len(up.requests) == 2
        time.sleep(0.05)
        rows_by_name(components, tmp_path, ttl=0.01)
        assert len(up.requests) == 3, "a stale answer is asked again"


def test_at_most_workers_requests_at_once(tmp_path: Path) -> None:
    with serve(delay=0.2) as up:
        components = [helm(f"c{i}", up.url(f"/helm{i}"), "app", "1.1.0") for i in range(6)]
        with client(5.0) as http:
            rows = check(components, Upstream(http, cache=tmp_path), workers=2)
        assert len(up.requests) == 6 and up.most_in_flight == 2
    assert {r.status for r in rows} == {"current"}


def test_the_command_exits_1_and_names_the_missing_pin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from homelab.catalog import loader
    from homelab.cli import app

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with serve() as up:
        components = {c.name: c for c in [helm("gone", up.url("/helm"), "app", "1.3.0"),
                                          helm("old", up.url("/helm"), "app", "1.0.0")]}
        monkeypatch.setattr(loader, "_packaged", lambda: loader.Catalog(components=components, layers={}))
        runner = CliRunner()
        table = runner.invoke(app, ["catalog", "outdated"])
        as_json = runner.invoke(app, ["catalog", "outdated", "--json"])
    assert table.exit_code == 1, table.output
    assert "missing" in table.output and "outdated" in table.output and "1.1.0" in table.output
    rows = {r["name"]: r for r in json.loads(as_json.output)}
    assert as_json.exit_code == 1 and rows["gone"]["status"] == "missing" and rows["old"]["newest"] == "1.1.0"
