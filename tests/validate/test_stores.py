"""The data rules of issue 14: each catches the wiring the platform rendered before (one app role for every
consumer, Velero on Amazon S3, the in-tree barmanObjectStore), and standard and full pass as rendered now."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.profiles import config_for
from tests.tree import edit_component
from tests.validate.test_platform import _copy, _doc, findings

from homelab.catalog import load_catalog
from homelab.plan import make_plan
from homelab.render import env_objects
from homelab.validate import platform

Docs = list[dict[str, Any]]


def _drop(kind: str, name: str) -> Callable[[Docs], None]:
    def change(docs: Docs) -> None:
        docs.remove(_doc(docs, kind, name))
    return change


def _one_owner_for_all(docs: Docs) -> None:
    """Before: no Database and no role per consumer; everyone was left with the bootstrap owner `app`."""
    for doc in [d for d in docs if d["kind"] == "Database"]:
        docs.remove(doc)
    _doc(docs, "Cluster", "postgresql")["spec"].pop("managed")


def _superuser(docs: Docs) -> None:
    roles = _doc(docs, "Cluster", "postgresql")["spec"]["managed"]["roles"]
    next(r for r in roles if r["name"] == "gitea")["superuser"] = True


def _app_credentials(docs: Docs) -> None:
    """Before: the consumer's Secret came from a Vault path of its own that no role was made from."""
    for item in _doc(docs, "ExternalSecret", "gitea-db")["spec"]["data"]:
        item["remoteRef"]["key"] = "homelab/dev/gitea/gitea-db"


def _velero_on_aws(docs: Docs) -> None:
    """Before: the location had no s3Url, so the AWS plugin wrote to Amazon S3."""
    del _doc(docs, "BackupStorageLocation", "default")["spec"]["config"]["s3Url"]


def _no_bucket(docs: Docs) -> None:
    values = _doc(docs, "Application", "seaweedfs")["spec"]["source"]["helm"]["valuesObject"]
    values["s3"]["createBuckets"] = [b for b in values["s3"]["createBuckets"] if b["name"] != "velero"]


def _in_tree_barman(docs: Docs) -> None:
    """Before: spec.backup.barmanObjectStore and a ScheduledBackup with method barmanObjectStore."""
    spec = _doc(docs, "Cluster", "postgresql")["spec"]
    spec.pop("plugins")
    spec["backup"] = {"retentionPolicy": "30d", "barmanObjectStore": {
        "destinationPath": "s3://homelab-dev-backups/postgresql", "endpointURL": "http://seaweedfs-s3.seaweedfs.svc:8333"}}
    _doc(docs, "ScheduledBackup", "postgresql")["spec"]["method"] = "barmanObjectStore"
    docs.remove(_doc(docs, "ObjectStore", "postgresql-backup"))


def _store_without_endpoint(docs: Docs) -> None:
    """Before: the catalog's ObjectStore had no endpointURL and named a bucket of its own."""
    config = _doc(docs, "ObjectStore", "postgresql-backup")["spec"]["configuration"]
    del config["endpointURL"]
    config["destinationPath"] = "s3://postgresql-backups/"


def _mysql_without_s3(docs: Docs) -> None:
    values = _doc(docs, "Application", "mysql")["spec"]["source"]["helm"]["valuesObject"]
    values["backup"]["storages"].pop("s3")


# case -> (profile, component, change, rule, a word of the message)
BROKEN: dict[str, tuple[str, str, Callable[[Docs], None], str, str]] = {
    "no database or role per consumer": ("standard", "postgresql", _one_owner_for_all,
                                         "own-tenancy", "keycloak has no Database"),
    "a consumer's role is superuser": ("standard", "postgresql", _superuser, "own-tenancy",
                                       "least privilege"),
    "a consumer not given its role's password": ("standard", "gitea", _app_credentials,
                                                 "own-tenancy", "gitea is not given its own credentials"),
    "no credentials Secret for the role": ("standard", "postgresql",
                                           _drop("ExternalSecret", "mlflow-postgresql"), "own-tenancy",
                                           "mlflow's credentials"),
    "velero writes to Amazon S3": ("standard", "velero", _velero_on_aws, "backup-location",
                                   "Amazon S3"),
    "velero has no location": ("standard", "velero", _drop("BackupStorageLocation", "default"),
                               "backup-location", "no BackupStorageLocation"),
    "velero's bucket is never created": ("standard", "seaweedfs", _no_bucket,
                                         "backup-location", "bucket velero"),
    "in-tree barmanObjectStore": ("standard", "postgresql", _in_tree_barman, "database-backup",
                                  "barmanObjectStore"),
    "ObjectStore without endpoint": ("full", "postgresql", _store_without_endpoint,
                                     "database-backup", "ObjectStore postgresql-backup"),
    "MySQL backups stay on a PVC": ("full", "mysql", _mysql_without_s3, "database-backup",
                                    "mysql's values"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_each_data_rule_catches_the_old_wiring(trees: dict[str, Path], tmp_path: Path, case: str) -> None:
    profile, component, change, rule, word = BROKEN[case]
    tree = _copy(trees[profile], tmp_path)
    edit_component(tree, component, change)
    found = [f for f in findings(tree, profile, ["dev"]) if f.rule == rule]
    assert found and any(word in f.message for f in found), [f.message for f in findings(tree, profile, ["dev"])]
    assert all(f.fix and f.file for f in found)


@pytest.mark.parametrize("profile", ["standard", "full"])
def test_every_sql_consumer_has_its_own_database_and_role(trees: dict[str, Path], profile: str) -> None:
    """Read off the rendered tree: a Database and a least-privilege login role per consumer of PostgreSQL,
    and the consumer's own Secret built from that role's Vault path."""
    plan = make_plan(config_for(profile), load_catalog(), "dev")
    objects = env_objects(trees[profile], "dev")
    consumers = {e.consumer for e in plan.edges if e.provider == "postgresql" and not e.optional}
    assert consumers >= {"keycloak", "gitea", "mlflow", "request-path-app"}
    databases = {o["spec"]["owner"]: o["spec"]["name"] for o in objects if o["kind"] == "Database"}
    cluster = next(o for o in objects if o["kind"] == "Cluster" and o["metadata"]["name"] == "postgresql")
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    for consumer in consumers:
        tenant = consumer.replace("-", "_")
        assert databases[tenant] == tenant
        role = roles[tenant]
        assert role["login"] and not any(role[k] for k in ("superuser", "createdb", "createrole", "replication",
                                                            "bypassrls"))
        ns = plan.components[consumer].component.namespace
        path = f"homelab/dev/{consumer}/postgresql"
        mine = [o for o in objects if o["kind"] == "ExternalSecret" and o["metadata"]["namespace"] == ns
                and any(d["remoteRef"]["key"] == path for d in o["spec"]["data"])]
        assert mine, f"{consumer} has no Secret from {path}"
        apps = [o["spec"] for o in objects if o["kind"] == "Application" and o["metadata"]["name"] == consumer]
        assert tenant in yaml.safe_dump([mine[0]["spec"]["target"]["template"], apps]), consumer
    assert "barmanObjectStore" not in yaml.safe_dump(objects)


def test_an_offsite_target_adds_a_location_and_schedules(tmp_path: Path) -> None:
    """backup.offsite: a second BackupStorageLocation outside the cluster, its key from the given Vault path,
    a Schedule per namespace to it, and the platform checks accept it as a planned target."""
    from homelab.render import render_tree, write_tree

    offsite = {"s3_url": "https://s3.offsite.example.net", "bucket": "lab-offsite", "region": "eu-central-1",
               "credentials_secret": "backup/offsite", "schedule": "30 4 * * *"}
    config = config_for("standard", backup={"offsite": offsite})
    tree = tmp_path / "out"
    write_tree(render_tree(config, load_catalog(), ["dev"]), tree)
    objects = env_objects(tree, "dev")
    location = next(o for o in objects if o["kind"] == "BackupStorageLocation" and o["metadata"]["name"] == "offsite")
    assert location["spec"]["config"]["s3Url"] == offsite["s3_url"]
    assert location["spec"]["objectStorage"]["bucket"] == "lab-offsite"
    creds = next(o for o in objects if o["kind"] == "ExternalSecret" and o["metadata"]["name"] == "velero-offsite")
    assert {d["remoteRef"]["key"] for d in creds["spec"]["data"]} == {"backup/offsite"}
    schedules = [o for o in objects if o["kind"] == "Schedule"]
    to_offsite = [s for s in schedules if s["spec"]["template"].get("storageLocation") == "offsite"]
    assert to_offsite and len(to_offsite) * 2 == len(schedules)
    assert {s["spec"]["schedule"] for s in to_offsite} == {"30 4 * * *"}
    found = [f for f in platform.check(tree, config, load_catalog(), ["dev"]) if f.rule == "backup-location"]
    assert not found, [f.message for f in found]


def test_without_a_database_backup_provider_velero_covers_postgresql(trees: dict[str, Path]) -> None:
    """minimal plans no Barman: PostgreSQL's namespace then gets a Velero Schedule instead of nothing."""
    covered = {s["spec"]["template"]["includedNamespaces"][0] for s in env_objects(trees["minimal"], "dev")
               if s["kind"] == "Schedule"}
    assert "postgresql" in covered
    standard = {s["spec"]["template"]["includedNamespaces"][0] for s in env_objects(trees["standard"], "dev")
                if s["kind"] == "Schedule"}
    assert "postgresql" not in standard  # there Barman Cloud backs it up
