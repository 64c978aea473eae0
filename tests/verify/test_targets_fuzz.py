"""Property tests for targets: any `${VAR}` value round-trips through the URL, any URL text is
either probe-able or bad input at its line, and a loaded target never fails to be shown."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homelab.errors import InputError
from homelab.verify.targets import load_targets, resolve, resolve_all
from tests.verify.conftest import target

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
values = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@SETTINGS
@given(values, values)
def test_any_user_and_password_round_trip(user: str, password: str) -> None:
    chosen = resolve(target("x", "redis", "redis://${U}:${P}@127.0.0.1:6379/0"), env={"U": user, "P": password})
    assert (chosen.username, chosen.password, chosen.host, chosen.port(None)) == (user, password, "127.0.0.1", 6379)
    assert chosen.url_shown.startswith("redis://") and chosen.url_shown.endswith(":***@127.0.0.1:6379/0")


@SETTINGS
@given(values)
def test_any_query_value_round_trips_and_a_secret_one_is_masked(token: str) -> None:
    chosen = resolve(target("x", "http", "http://h:80/p?token=${T}&q=${T}"), env={"T": token})
    assert chosen.query == {"token": token, "q": token} and chosen.path == "/p"
    assert "token=***" in chosen.url_shown


url_text = st.one_of(
    st.text(max_size=60),
    st.builds(lambda scheme, host, port, rest: f"{scheme}://{host}:{port}{rest}",
              st.sampled_from(["redis", "postgresql", "mysql", "http", "amqp", "nats"]),
              st.text(st.sampled_from("[]:@%/#?.1a"), max_size=12), st.text(max_size=8), st.text(max_size=12)),
)


@SETTINGS
@given(url_text)
def test_any_url_is_probe_able_or_bad_input_at_its_line(tmp_path: Path, url: str) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump([{"name": "t", "kind": "redis", "url": url}], sort_keys=False), encoding="utf-8")
    try:
        (loaded,) = resolve_all(load_targets(path), env={})
    except InputError as error:
        assert all(p.file == str(path) and p.line for p in error.problems), error
        return
    loaded.url_shown  # noqa: B018 - what the runner shows first: must not raise
    loaded.port(6379)
    assert loaded.problem() is None
