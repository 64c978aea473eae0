"""Live state the other stages leave behind: `homelab status` and `homelab verify` result files.

The portal never talks to the cluster itself. It reads `.homelab/state/status-<env>.json` and
`.homelab/state/verify-<env>.json` when they exist, re-reading a file only when it changes,
and works without either (then it shows the plan alone).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATE_DIR = Path(".homelab/state")
Stamp = tuple[int, int, int]
Key = tuple[Stamp | None, Stamp | None]


@dataclass(frozen=True)
class ComponentStatus:
    """What `homelab status` saw of one component in the cluster."""

    sync: str | None = None
    health: str | None = None
    version: str | None = None
    pods: str | None = None
    drift: tuple[str, ...] = ()  # resources out of sync, e.g. "Deployment/grafana"


@dataclass(frozen=True)
class ProbeResult:
    """The last `homelab verify` result of one target (targets are named after components)."""

    name: str
    kind: str
    ok: bool
    seconds: float | None = None
    reason: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class LiveState:
    status: dict[str, ComponentStatus] = field(default_factory=dict)
    verify: dict[str, ProbeResult] = field(default_factory=dict)
    status_at: str | None = None
    verify_at: str | None = None
    problems: list[str] = field(default_factory=list)  # unreadable files, shown on the page


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _pods(item: dict[str, Any]) -> str | None:
    if "pods_ready" in item:
        return f"{item['pods_ready']}/{item.get('pods_total', '?')}"
    value = item.get("pods")
    if isinstance(value, dict):
        return f"{value.get('ready', '?')}/{value.get('total', value.get('desired', '?'))}"
    return _text(value)


def _drift(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ("(resources not named)",) if value else ()


def _when(body: Any, *keys: str) -> str | None:
    """The report's time: an ISO string as written, or epoch seconds shown as UTC ISO."""
    for key in keys:
        value = body.get(key) if isinstance(body, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds")
        if value:
            return str(value)
    return None


def parse_status(body: Any) -> tuple[dict[str, ComponentStatus], str | None]:
    """`homelab status`'s report (`{read_at, components: [..]}`), a `{name: record}` map, or a bare list."""
    at = _when(body, "read_at", "finished_at")
    items = body.get("components", []) if isinstance(body, dict) else body
    if isinstance(items, dict):
        items = [{"name": name, **(value or {})} for name, value in items.items()]
    out: dict[str, ComponentStatus] = {}
    for item in items or []:
        if not isinstance(item, dict) or "name" not in item:
            raise ValueError("every component record needs a 'name'")
        out[str(item["name"])] = ComponentStatus(
            sync=_text(item.get("sync")), health=_text(item.get("health")), version=_text(item.get("version")),
            pods=_pods(item), drift=_drift(item.get("drift")))
    return out, at


def parse_verify(body: Any) -> tuple[dict[str, ProbeResult], str | None]:
    """Accept verify's state file (`{results: [...]}`) or its `--json` output (a bare list)."""
    at = _when(body, "finished_at")
    items = body.get("results", []) if isinstance(body, dict) else body
    out: dict[str, ProbeResult] = {}
    for item in items or []:
        if not isinstance(item, dict) or "name" not in item or "ok" not in item:
            raise ValueError("every result needs 'name' and 'ok'")
        seconds = item.get("seconds")
        out[str(item["name"])] = ProbeResult(
            name=str(item["name"]), kind=str(item.get("kind", "")), ok=bool(item["ok"]),
            seconds=float(seconds) if isinstance(seconds, int | float) else None,
            reason=str(item.get("reason") or ""),
            steps=[{"name": str(s.get("name", "")), "ok": bool(s.get("ok", True)), "seconds": s.get("seconds"),
                    "detail": str(s.get("detail") or "")} for s in item.get("steps") or [] if isinstance(s, dict)])
    return out, at


class StateReader:
    """Reads the state files of one environment, caching each until its mtime changes."""

    def __init__(self, env: str, root: Path | None = None) -> None:
        base = (root or Path.cwd()) / STATE_DIR
        self.status_file = base / f"status-{env}.json"
        self.verify_file = base / f"verify-{env}.json"
        self._key: Key | None = None
        self._state = LiveState()

    @staticmethod
    def _stamp(path: Path) -> Stamp | None:
        """Time, size and inode: an atomic replace (verify's way of writing) changes the inode even within
        the file system's time resolution."""
        try:
            info = path.stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size, info.st_ino

    def version(self) -> str:
        """A token that changes whenever either state file does (the pages' ETag)."""
        return repr((self._stamp(self.status_file), self._stamp(self.verify_file)))

    def read(self) -> LiveState:
        key = (self._stamp(self.status_file), self._stamp(self.verify_file))
        if key != self._key:
            self._state = self._load(key)
            self._key = key
        return self._state

    def _load(self, key: Key) -> LiveState:
        problems: list[str] = []
        status: dict[str, ComponentStatus] = {}
        verify: dict[str, ProbeResult] = {}
        status_at = verify_at = None
        if key[0] is not None:
            try:
                status, status_at = parse_status(json.loads(self.status_file.read_text(encoding="utf-8")))
            except (OSError, ValueError, AttributeError, TypeError) as exc:
                problems.append(f"{self.status_file}: unreadable ({exc})")
        if key[1] is not None:
            try:
                verify, verify_at = parse_verify(json.loads(self.verify_file.read_text(encoding="utf-8")))
            except (OSError, ValueError, AttributeError, TypeError) as exc:
                problems.append(f"{self.verify_file}: unreadable ({exc})")
        return LiveState(status=status, verify=verify, status_at=status_at, verify_at=verify_at,
                         problems=problems)
