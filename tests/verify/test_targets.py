"""Targets files and catalog-built targets: good input loads, bad input names file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from homelab.catalog.model import Component, Endpoint, Probe, Source
from homelab.errors import InputError
from homelab.verify.catalog_targets import targets_from_components
from homelab.verify.targets import load_targets, mask, resolve, resolve_all, select


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_targets_and_expands_environment_references(tmp_path: Path) -> None:
    path = write(tmp_path, """
- name: queue
  kind: rabbitmq
  url: amqp://guest:${RABBIT_PASSWORD}@127.0.0.1:5672/
  timeout: 3
- {name: cache, kind: redis, url: "redis://127.0.0.1:6379/0", options: {note: "${RABBIT_PASSWORD}"}}
""")
    targets = resolve_all(load_targets(path), env={"RABBIT_PASSWORD": "s3cret"})
    assert [t.name for t in targets] == ["queue", "cache"]
    assert targets[0].password == "s3cret" and targets[0].timeout == 3
    assert targets[1].options == {"note": "s3cret"}
    assert "s3cret" not in targets[0].url_shown and targets[0].url_shown.startswith("amqp://guest:***@")


def test_bad_file_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, """
- name: db
  kind: postgress
  url: postgresql://127.0.0.1/test
- name: cache
  kind: redis
  url: redis://127.0.0.1
  colour: blue
- name: db
  kind: redis
  url: redis://127.0.0.1
""")
    with pytest.raises(InputError) as caught:
        load_targets(path)
    lines = [str(p) for p in caught.value.problems]
    assert any(":3: [0].kind: unknown probe kind 'postgress'" in line and "did you mean" in line
               for line in lines)
    assert any(":8: [1].colour: unknown key" in line for line in lines)
    assert any(":9:" in line and "used twice" in line for line in lines)


def test_missing_environment_variable_is_bad_input(tmp_path: Path) -> None:
    path = write(tmp_path, "- {name: db, kind: postgresql, url: 'postgresql://u:${PG_PASS}@h/db'}\n")
    with pytest.raises(InputError) as caught:
        resolve_all(load_targets(path), env={})
    (problem,) = caught.value.problems
    assert problem.line == 1 and "PG_PASS is not set" in problem.message


@pytest.mark.parametrize("text", ["", "name: x\n", "- [1, 2\n"])
def test_not_a_list_or_not_yaml_is_bad_input(tmp_path: Path, text: str) -> None:
    with pytest.raises(InputError) as caught:
        load_targets(write(tmp_path, text))
    assert caught.value.problems[0].file == str(tmp_path / "targets.yaml")


def test_select_by_name_then_kind_and_unknown_words_suggest() -> None:
    from tests.verify.conftest import target

    targets = [target("pg", "postgresql", "postgresql://h/db"), target("cache", "redis", "redis://h"),
               target("sessions", "redis", "redis://h2")]
    assert [t.name for t in select(targets, ["pg"])] == ["pg"]
    assert [t.name for t in select(targets, ["redis"])] == ["cache", "sessions"]
    assert len(select(targets, [])) == 3
    with pytest.raises(InputError, match="did you mean 'cache'"):
        select(targets, ["cahce"])


def test_mask_hides_only_the_password() -> None:
    assert mask("postgresql://app:pw@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert mask("redis://db:6379") == "redis://db:6379"


def test_resolve_reports_every_missing_variable_once() -> None:
    from tests.verify.conftest import target

    with pytest.raises(InputError) as caught:
        resolve(target("x", "redis", "redis://${A}:${B}@${A}"), env={})
    assert [p.message for p in caught.value.problems] == ["environment variable A is not set",
                                                          "environment variable B is not set"]


def component(name: str, kind: str, endpoints: list[Endpoint], **probe: object) -> Component:
    return Component(name=name, title=name, summary="s", layer="data", categories=["databases"],
                     license="MIT", source=Source(kind="none", confirmed="test"), namespace="data",
                     endpoints=endpoints, probe=Probe(kind=kind, **probe), pod_security="restricted")


def test_targets_from_components_use_service_dns_and_env_credentials() -> None:
    sql = Endpoint(name="sql", service="pg-rw", port=5432, protocol="tcp")
    pg = component("postgresql", "postgresql", [sql])
    ui = component("grafana", "http", [Endpoint(name="web", service="grafana", port=80, expose=True)],
                   path="api/health", expect_status=200)
    bare = component("nothing", "redis", [])
    targets = targets_from_components([pg, ui, bare], env="dev", domain="home.example.net")
    assert [t.name for t in targets] == ["postgresql", "grafana"]
    assert targets[0].url == ("postgresql://${HOMELAB_POSTGRESQL_USERNAME}:${HOMELAB_POSTGRESQL_PASSWORD}"
                              "@pg-rw.data.svc.cluster.local:5432")
    assert targets[1].url == "http://grafana.data.svc.cluster.local:80/api/health"
    assert targets[1].options == {"expect_status": 200}
    via_ingress = targets_from_components([ui], env="dev", domain="home.example.net", ingress=True)
    assert via_ingress[0].url == "https://grafana.dev.home.example.net:443/api/health"


def test_every_catalog_probe_kind_has_a_probe() -> None:
    """A catalog entry naming a kind verify does not know would silently never be checked."""
    from homelab.catalog import load_catalog
    from homelab.verify.kinds import known_kinds

    unknown = {c.name: c.probe.kind for c in load_catalog().components.values()
               if c.probe and c.probe.kind not in known_kinds()}
    assert unknown == {}


def test_plan_targets_cover_every_planned_component_with_a_probe_and_endpoint() -> None:
    from homelab import config
    from homelab.catalog import load_catalog
    from homelab.plan import make_plan
    from homelab.verify.catalog_targets import targets_from_plan

    env, targets = targets_from_plan(None, "dev")
    loaded = config.load(None)
    plan = make_plan(loaded.config, load_catalog(), "dev", loaded.source.file)
    expected = {p.name for p in plan.components.values() if p.component.probe and p.component.endpoints}
    assert env == "dev" and {t.name for t in targets} == expected
    assert all(".svc.cluster.local:" in t.url for t in targets)
    import re
    from urllib.parse import unquote, urlsplit

    secrets = {t.name: unquote(urlsplit(t.url).password or "") for t in targets}
    literal = {name: pw for name, pw in secrets.items() if pw and not re.fullmatch(r"\$\{HOMELAB_\w+\}", pw)}
    published = {p.name for p in plan.components.values()  # e.g. LocalStack's documented test/test
                 if p.component.probe and "secret_key" in p.component.probe.options}
    assert set(literal) <= published
