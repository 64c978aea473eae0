"""Backups as the cluster holds them: what is scheduled, what ran, and whether it is fresh.

Two kinds of source: a Velero `Schedule` (a namespace's objects and volumes) and a CloudNativePG
`ScheduledBackup` (a PostgreSQL cluster through its backup plugin). Their runs are Velero `Backup`s
(labelled with the schedule's name, also when started by hand from it) and CloudNativePG `Backup`s
(naming the cluster). Pure functions over the API objects, so they are tested without a cluster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from croniter import croniter

VELERO = "velero.io/v1"
CNPG = "postgresql.cnpg.io/v1"
SCHEDULE_LABEL = "velero.io/schedule-name"
Kind = Literal["velero", "cnpg"]
# terminal phases; anything else is still going
DONE = {"velero": {"Completed"}, "cnpg": {"completed"}}
FAILED = {"velero": {"Failed", "PartiallyFailed", "FailedValidation"}, "cnpg": {"failed"}}
RESTORE_DONE, RESTORE_FAILED = {"Completed"}, {"Failed", "PartiallyFailed", "FailedValidation"}

Obj = dict[str, Any]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Source:
    """Something scheduled to be backed up: a Velero Schedule or a CloudNativePG ScheduledBackup."""

    kind: Kind
    name: str
    namespace: str
    schedule: str
    covers: tuple[str, ...]  # the namespaces (Velero) or the PostgreSQL cluster (CloudNativePG)
    body: Obj

    @property
    def label(self) -> str:
        return f"{'velero' if self.kind == 'velero' else 'postgresql'}/{self.name}"


@dataclass(frozen=True)
class Snapshot:
    """One backup run and how it went."""

    kind: Kind
    name: str
    namespace: str
    source: str  # the schedule (Velero) or cluster (CloudNativePG) it belongs to
    phase: str
    started: datetime | None
    completed: datetime | None
    message: str = ""

    @property
    def done(self) -> bool:
        return self.phase in DONE[self.kind]

    @property
    def failed(self) -> bool:
        return self.phase in FAILED[self.kind]


def timestamp(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def source_of(obj: Obj) -> Source | None:
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    if obj.get("kind") == "Schedule" and str(obj.get("apiVersion", "")).startswith("velero.io/"):
        covers = tuple((spec.get("template") or {}).get("includedNamespaces") or ["*"])
        return Source("velero", meta["name"], meta.get("namespace", ""), str(spec.get("schedule", "")), covers, obj)
    if obj.get("kind") == "ScheduledBackup" and str(obj.get("apiVersion", "")).startswith("postgresql.cnpg.io/"):
        cluster = str((spec.get("cluster") or {}).get("name", ""))
        return Source("cnpg", meta["name"], meta.get("namespace", ""), str(spec.get("schedule", "")), (cluster,), obj)
    return None


def snapshot_of(obj: Obj) -> Snapshot | None:
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    if obj.get("kind") == "Backup" and str(obj.get("apiVersion", "")).startswith("velero.io/"):
        return Snapshot("velero", meta["name"], meta.get("namespace", ""),
                        str((meta.get("labels") or {}).get(SCHEDULE_LABEL, "")), str(status.get("phase", "New")),
                        timestamp(status.get("startTimestamp")), timestamp(status.get("completionTimestamp")),
                        str(status.get("failureReason") or "; ".join(status.get("validationErrors") or [])))
    if obj.get("kind") == "Backup" and str(obj.get("apiVersion", "")).startswith("postgresql.cnpg.io/"):
        return Snapshot("cnpg", meta["name"], meta.get("namespace", ""), str((spec.get("cluster") or {}).get("name")),
                        str(status.get("phase") or "pending"), timestamp(status.get("startedAt")),
                        timestamp(status.get("stoppedAt")), str(status.get("error") or ""))
    return None


def runs_of(source: Source, snapshots: list[Snapshot]) -> list[Snapshot]:
    """The source's runs, newest first."""
    mine = [s for s in snapshots if s.kind == source.kind and (
        s.source == source.name if source.kind == "velero" else
        (s.namespace == source.namespace and s.source in source.covers))]
    return sorted(mine, key=lambda s: s.completed or s.started or EPOCH, reverse=True)


def period(source: Source, now: datetime) -> timedelta:
    """The time between the schedule's last firing before `now` and the one after it."""
    expression = source.schedule.removeprefix("@every ").strip()
    if source.schedule.startswith("@every "):
        return _duration(expression)
    six = source.kind == "cnpg" and len(expression.split()) == 6  # CloudNativePG: seconds first
    base = croniter(expression, now, second_at_beginning=six)
    previous = base.get_prev(datetime)
    return croniter(expression, previous, second_at_beginning=six).get_next(datetime) - previous


def _duration(text: str) -> timedelta:
    """Go duration as Velero's `@every` takes it: 1h30m, 45m, 90s."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|m|s)", text)
    if not parts:
        raise ValueError(f"cannot read the duration '{text}'")
    return timedelta(**{{"h": "hours", "m": "minutes", "s": "seconds"}[unit]: float(n) for n, unit in parts})


def freshness(source: Source, snapshots: list[Snapshot], now: datetime, grace: timedelta) -> tuple[bool, str]:
    """Whether the newest completed run is no older than one schedule period (plus `grace` for running time)."""
    done = [s for s in runs_of(source, snapshots) if s.done and s.completed]
    if not done:
        return False, f"{source.label}: no completed backup yet"
    newest = done[0]
    assert newest.completed is not None
    age, allowed = now - newest.completed, period(source, now) + grace
    hours = age.total_seconds() / 3600
    if age > allowed:
        return False, (f"{source.label}: newest completed backup {newest.name} is {hours:.1f} h old, more than its "
                       f"schedule '{source.schedule}' allows ({allowed.total_seconds() / 3600:.1f} h)")
    return True, f"{source.label}: {newest.name} completed {hours:.1f} h ago"
