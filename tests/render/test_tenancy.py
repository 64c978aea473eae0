"""Tenancy placeholders: a consumer names its own store facts; credentials only inside Secrets; mistakes are
located catalog errors, not broken trees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.render.conftest import make_config

from homelab.catalog.loader import load_catalog
from homelab.catalog.synthetic import entry, platform_catalog
from homelab.errors import CatalogError
from homelab.render import render_tree


def _render(tmp_path: Path, **facets: Any) -> list[dict[str, Any]]:
    extra = [entry("wiki", "application", "tools", namespace="wiki", requires=["sql-database"], **facets)]
    catalog = load_catalog(platform_catalog(tmp_path / "cat", extra))
    return [o.body for o in render_tree(make_config(), catalog, ["dev"]).objects["dev"]]


def test_a_consumer_gets_its_own_database_and_points_at_it(tmp_path: Path) -> None:
    objects = _render(tmp_path, values={"db": {"host": "${store:sql-database/host}",
                                               "name": "${store:sql-database/database}"}},
                      secrets=[{"name": "wiki-db", "keys": ["password"],
                                "template": {"password": "${store:sql-database/password}"}}])
    app = next(o for o in objects if o["kind"] == "Application" and o["metadata"]["name"] == "wiki")
    assert app["spec"]["source"]["helm"]["valuesObject"]["db"] == {"host": "postgresql-rw.postgresql.svc",
                                                                   "name": "wiki"}
    assert any(o["kind"] == "Database" and o["spec"]["owner"] == "wiki" for o in objects)
    mine = next(o for o in objects if o["kind"] == "ExternalSecret" and o["metadata"]["name"] == "wiki-db")
    assert mine["spec"]["data"] == [{"secretKey": "sql_database_password",
                                     "remoteRef": {"key": "lab/dev/wiki/postgresql", "property": "password"}}]
    role = next(o for o in objects if o["kind"] == "ExternalSecret" and o["metadata"]["name"] == "wiki-postgresql")
    assert role["metadata"]["namespace"] == "postgresql" and role["spec"]["data"][0]["remoteRef"]["key"] == (
        "lab/dev/wiki/postgresql")


def test_a_password_in_values_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="credential: use it in one of the entry's secrets"):
        _render(tmp_path, values={"password": "${store:sql-database/password}"})


def test_an_unknown_field_is_refused_with_the_fields(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="has no field 'schema'") as err:
        _render(tmp_path, values={"x": "${store:sql-database/schema}"})
    assert "host" in str(err.value)


def test_a_consumer_that_never_refers_gets_nothing(tmp_path: Path) -> None:
    objects = _render(tmp_path)
    assert not any(o["kind"] == "Database" and o["spec"]["owner"] == "wiki" for o in objects)
