"""What needs a look first: failing probes, degraded or drifted applications, and what verify skipped.

Built from the same live state the cards show, each item with its reason and the time of the
report that says so. Verify targets that are not components (the request path, data-flow
scenarios) are listed here too rather than dropped. Times are shown as an age ("5 min ago") with
the exact time on hover.
"""

from __future__ import annotations

from datetime import UTC, datetime

from homelab.portal.state import LiveState
from homelab.portal.view import KINDS, AttentionItem, CheckView, ComponentView, Kind


def items(views: list[ComponentView], live: LiveState) -> list[AttentionItem]:
    out: list[AttentionItem] = []
    names = {v.name for v in views}
    for v in views:
        def add(kind: Kind, reason: str, at: str | None, v: ComponentView = v) -> None:
            out.append(AttentionItem(kind=kind, name=v.name, title=v.title, component=True, reason=reason, at=at))

        if v.verify is not None and not v.verify.ok:
            add("failing", v.verify.reason or f"{v.verify.kind} probe failed", live.verify_at)
        if v.status is not None:
            health = (v.status.health or "").lower()
            if health in {"degraded", "missing"}:
                add("degraded", f"health {v.status.health}, pods {v.status.pods or '?'}", live.status_at)
            if (v.status.sync or "").lower() == "outofsync":
                drift = ", ".join(v.status.drift) if v.status.drift else "resources not named"
                add("drifted", f"out of sync: {drift}", live.status_at)
        if v.probe is not None and v.verify is None and (live.verify_at or v.status is not None):
            reason = "not in the last verify run" if live.verify_at else "running, never verified"
            add("unverified", reason, live.verify_at or live.status_at)
    for result in live.verify.values():
        if result.name not in names and not result.ok:
            out.append(AttentionItem(kind="failing", name=result.name, title=result.name, component=False,
                                     reason=result.reason or f"{result.kind} check failed", at=live.verify_at))
    return sorted(out, key=lambda item: KINDS.index(item.kind))


def checks(views: list[ComponentView], live: LiveState) -> list[CheckView]:
    names = {v.name for v in views}
    return [CheckView(name=r.name, kind=r.kind, ok=r.ok, reason=r.reason)
            for r in live.verify.values() if r.name not in names]


def parse(at: str | None) -> datetime | None:
    if not at:
        return None
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def ago(at: str | None, now: datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', '2 days ago' ('' when there is no time)."""
    when = parse(at)
    if when is None:
        return at or ""
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    if seconds < 0:
        return "in the future"
    for size, unit in ((86400, "day"), (3600, "h"), (60, "min")):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if unit == 'day' and count > 1 else ''} ago"
    return "just now"


def exact(at: str | None) -> str:
    """The absolute time for the hover text: '2026-11-26 12:01:00 UTC'."""
    when = parse(at)
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if when else (at or "")
