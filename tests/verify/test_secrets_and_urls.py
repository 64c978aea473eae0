"""Secrets never reach a result, a table, JSON or a state file; URLs are checked before any probe runs.

`echoing_redis` is the test double tests/hostile/servers.py describes: every answer is the error
real Redis gives for an unknown command, quoting its arguments (an AUTH password included), the
case where masking only the URL's userinfo is not enough.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from homelab.errors import InputError
from homelab.verify.command import run_verify
from homelab.verify.runner import run_all, run_one, run_sync
from homelab.verify.targets import load_targets, mask, resolve, resolve_all
from tests.hostile.servers import BEHAVIOURS, HostileServer
from tests.verify.conftest import PrivateRedis, need_server, target

AWKWARD = "p@ss%41/x#y"  # the password: @, an escape, a slash and a fragment mark


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_environment_value_is_encoded_for_its_part_of_the_url() -> None:
    url = "redis://${USER}:${PW}@127.0.0.1:6379/${DB}?token=${PW}#${PW}"
    resolved = resolve(target("x", "redis", url.replace("?token=${PW}#${PW}", "")),
                       env={"USER": "me:you", "PW": AWKWARD, "DB": "0"})
    assert (resolved.username, resolved.password, resolved.host, resolved.port(None)) == (
        "me:you", AWKWARD, "127.0.0.1", 6379)
    web = resolve(target("w", "http", "http://h:80/a/${SEG}?q=${PW}&token=${PW}#${PW}"),
                  env={"SEG": "b c/d", "PW": AWKWARD})
    assert web.parts.path == "/a/b%20c/d" and web.query == {"q": AWKWARD, "token": AWKWARD}
    assert web.parts.fragment == "p%40ss%2541%2Fx%23y"


@pytest.mark.servers
def test_an_awkward_password_round_trips_to_a_real_server(tmp_path: Path) -> None:
    server = PrivateRedis(tmp_path, password=AWKWARD)
    try:
        chosen = resolve(target("cache", "redis", f"redis://:${{PW}}@127.0.0.1:{server.port}/0"), env={"PW": AWKWARD})
        result = run_sync(run_one(chosen, timeout=5))
    finally:
        server.stop()
    assert result.ok, result.reason
    assert result.url == f"redis://:***@127.0.0.1:{server.port}/0"


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://app:pw@db:5432/x", "postgresql://app:***@db:5432/x"),
    ("http://h/api?token=abc123&x=1&Password=p&api_key=k", "http://h/api?token=***&x=1&Password=***&api_key=***"),
    ("redis://db:6379?secret=%41%42", "redis://db:6379?secret=***"),
    ("redis://[::1/0", "(malformed URL)"),
])
def test_masked_urls(url: str, shown: str) -> None:
    assert mask(url) == shown


@pytest.fixture
def echoing_redis() -> Iterator[HostileServer]:
    server = HostileServer(BEHAVIOURS["echo-redis"])
    yield server
    server.close()


def test_a_secret_the_server_echoes_is_masked_everywhere(echoing_redis: HostileServer, tmp_path: Path) -> None:
    path = write(tmp_path, f"- {{name: cache, kind: redis, url: 'redis://:${{CACHE_PW}}@127.0.0.1:{echoing_redis.port}/0'}}\n"
                           "- {name: web, kind: http, url: 'http://127.0.0.1:1/?token=${API_TOKEN}'}\n")
    secrets = {"CACHE_PW": "hunter2-" + AWKWARD, "API_TOKEN": "tok-abcdef-123"}
    os.environ.update(secrets)
    try:
        code = run_verify(None, [], path, 5, json_out=True, root=tmp_path)
    finally:
        for name in secrets:
            del os.environ[name]
    state = (tmp_path / ".homelab/state/verify-local.json").read_text()
    assert code == 1 and "unknown command" in state  # the server's error did reach the result, masked
    for secret in secrets.values():
        for form in (secret, secret.replace("@", "%40"), "hunter2"):
            assert form not in state


def test_results_mask_secrets_from_the_url_query_and_options(echoing_redis: HostileServer) -> None:
    chosen = [target("cache", "redis", f"redis://:opensesame@127.0.0.1:{echoing_redis.port}/0"),
              target("other", "redis", f"redis://127.0.0.1:{echoing_redis.port}/0", password="opensesame")]
    results = run_sync(run_all(chosen, 5))
    assert all("opensesame" not in repr(r) for r in results), results


def test_state_files_are_private(tmp_path: Path, closed_port: int) -> None:
    path = write(tmp_path, f"- {{name: nothing, kind: redis, url: 'redis://127.0.0.1:{closed_port}/0'}}\n")
    state = tmp_path / ".homelab/state/verify-local.json"
    state.parent.mkdir(parents=True)
    state.write_text("{}")
    state.chmod(0o644)  # left by an older version
    assert run_verify(None, [], path, 3, json_out=True, root=tmp_path) == 1
    assert stat.S_IMODE(state.stat().st_mode) == 0o600


def test_status_state_file_is_private(tmp_path: Path) -> None:
    from homelab.cluster.status import read_status

    class NoArgo:
        """Test double for a cluster without Argo CD: the status file is still written."""

        context = "test"

        def served(self, *_kind: str) -> bool:
            return False

    read_status(NoArgo(), "lab", "dev", tmp_path)  # type: ignore[arg-type]
    assert stat.S_IMODE((tmp_path / "status-dev.json").stat().st_mode) == 0o600


@pytest.mark.parametrize(("url", "words"), [
    ("redis://[::1/0", "not a valid URL"),
    ("redis://127.0.0.1:99999/0", "port '99999' is not a number from 1 to 65535"),
    ("redis://127.0.0.1:abc/0", "port 'abc'"),
    ("redis://127.0.0.1:0/0", "port 0"),
    ("mysql://root@127.0.0.1:3306/test?useSSL=true", "does not read 'useSSL'"),
    ("mysql://root@127.0.0.1:3306/test?ssl_mode=PREFERRED", "PREFERRED would fall back to plain text"),
    ("amqp://guest:guest@127.0.0.1:5672/?cafile=/ca.pem", "'cafile' is a TLS setting: use the amqps scheme"),
    ("redis://127.0.0.1:6379/0?ssl=true", "does not read 'ssl'"),
    ("postgresql://postgres:ab%zzcd@127.0.0.1/test", 'invalid percent-encoded token: "***"'),
])
def test_a_url_that_cannot_be_probed_is_bad_input_at_its_line(tmp_path: Path, url: str, words: str) -> None:
    kind = {"amqp": "rabbitmq"}.get(url.split(":")[0], url.split(":")[0])
    path = write(tmp_path, f"- {{name: ok, kind: redis, url: 'redis://127.0.0.1:6379/0'}}\n"
                           f"- {{name: bad, kind: {kind}, url: '{url}'}}\n")
    with pytest.raises(InputError) as caught:
        load_targets(path)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.field) == (str(path), 2, "[1].url")
    assert words in problem.message and "ab%zzcd" not in problem.message


def test_a_bad_port_from_the_environment_is_bad_input_at_the_url_line(tmp_path: Path) -> None:
    path = write(tmp_path, "- name: cache\n  kind: redis\n  url: 'redis://127.0.0.1:${PORT}/0'\n")
    with pytest.raises(InputError) as caught:
        resolve_all(load_targets(path), env={"PORT": "70000"})
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (3, "cache.url") and "70000" in problem.message


def test_only_needs_the_variables_of_the_targets_it_selects(tmp_path: Path, closed_port: int) -> None:
    path = write(tmp_path, "- {name: db, kind: postgresql, url: 'postgresql://u:${UNSET_PG_PASSWORD}@h/db'}\n"
                           f"- {{name: cache, kind: redis, url: 'redis://127.0.0.1:{closed_port}/0'}}\n")
    assert run_verify(None, ["cache"], path, 3, json_out=True, root=tmp_path) == 1  # ran, and failed: refused
    with pytest.raises(InputError, match="UNSET_PG_PASSWORD is not set"):
        run_verify(None, ["db"], path, 3, json_out=True, root=tmp_path)


def test_a_duplicate_name_made_by_an_alias_is_reported_at_the_alias(tmp_path: Path) -> None:
    path = write(tmp_path, "- &cache\n  name: cache\n  kind: redis\n  url: redis://127.0.0.1:6379/0\n"
                           "- {name: db, kind: postgresql, url: 'postgresql://postgres@127.0.0.1/test'}\n"
                           "- *cache\n")
    with pytest.raises(InputError) as caught:
        load_targets(path)
    (problem,) = caught.value.problems
    assert problem.line == 6 and "used twice (first on line 2)" in problem.message


def test_many_targets_run_a_bounded_number_at_a_time(closed_port: int) -> None:
    running, peak = 0, 0

    def started(_target: object) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)

    def finished(_result: object) -> None:
        nonlocal running
        running -= 1

    chosen = [target(f"t{i}", "redis", f"redis://127.0.0.1:{closed_port}/0") for i in range(300)]
    results = run_sync(run_all(chosen, 3, on_start=started, on_done=finished, limit=16))
    assert peak == 16
    assert all("connection refused" in r.reason and r.seconds <= 3.5 for r in results), {r.reason for r in results}


@pytest.mark.servers
@pytest.mark.parametrize("query", ["?ssl=true", "?ssl_mode=REQUIRED", "?ssl_mode=VERIFY_IDENTITY"])
def test_mysql_tls_is_honoured_not_ignored(query: str) -> None:
    """The local MariaDB speaks no TLS: asking for TLS must fail the probe, not pass in plain text."""
    need_server(3306, "mariadb")
    plain = run_sync(run_one(target("db", "mysql", "mysql://root@127.0.0.1:3306/test"), timeout=10))
    assert plain.ok, plain.reason
    result = run_sync(run_one(target("db", "mysql", f"mysql://root@127.0.0.1:3306/test{query}"), timeout=10))
    assert not result.ok and "TLS" in result.reason, result.reason


def test_nats_gets_the_decoded_credentials_not_the_escaped_url() -> None:
    """nats-py does not decode a URL's userinfo, so the probe hands it the decoded values."""
    from homelab.verify.nats_jetstream import credentials

    chosen = resolve(target("bus", "nats", "nats://app:${PW}@127.0.0.1:4222"), env={"PW": AWKWARD})
    assert credentials(chosen) == {"servers": ["nats://127.0.0.1:4222"], "user": "app", "password": AWKWARD}
    assert credentials(target("bus", "nats", "nats://s3cr%2Ft@127.0.0.1:4222")) == {
        "servers": ["nats://127.0.0.1:4222"], "token": "s3cr/t"}


def test_a_crash_report_masks_the_runs_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from homelab.cli import _report_bug
    from homelab.redact import PROCESS

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    PROCESS.add(["crash-secret-0451"])
    try:
        raise RuntimeError("a bug while holding crash-secret-0451")
    except RuntimeError:
        assert _report_bug() == 70
    (log,) = tmp_path.glob("homelab-crash-*.log")
    assert "crash-secret-0451" not in capsys.readouterr().err + log.read_text()
    assert "a bug while holding ***" in log.read_text()
