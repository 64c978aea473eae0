"""Diff of what the server would store (a server-side dry-run apply) against what it stores now.

Both sides are normalised first: fields the server owns (status, managedFields,
resourceVersion, uid, timestamps...) would otherwise show as noise on every object.
Secret values are never printed: they show as redacted, marked when they change.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass

import yaml

from homelab.cluster.objects import Obj, ref

_SERVER_METADATA = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink")
_SERVER_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision")
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: 5-10x faster
REDACTED = "(redacted)"
REDACTED_CHANGED = "(redacted, changed)"


def normalize(obj: Obj) -> Obj:
    """A deep copy without the fields the API server manages."""
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for key in _SERVER_METADATA:
        meta.pop(key, None)
    notes = meta.get("annotations") or {}
    for key in _SERVER_ANNOTATIONS:
        notes.pop(key, None)
    if "annotations" in meta and not notes:
        meta.pop("annotations")
    return out


def _redact(live: Obj | None, new: Obj) -> tuple[Obj | None, Obj]:
    if new.get("kind") != "Secret":
        return live, new
    old_values = {**((live or {}).get("data") or {}), **((live or {}).get("stringData") or {})}
    for side in (live, new):
        for field in ("data", "stringData"):
            if side is not None and isinstance(side.get(field), dict):
                side[field] = {k: REDACTED if side is live or old_values.get(k) == v else REDACTED_CHANGED
                               for k, v in side[field].items()}
    return live, new


def _dump(obj: Obj | None) -> list[str]:
    if obj is None:
        return []
    return yaml.dump(obj, Dumper=_DUMPER, sort_keys=True, default_flow_style=False).splitlines(keepends=True)


@dataclass
class ObjectDiff:
    name: str
    action: str  # "create", "change", "delete"
    text: str
    conflict: str = ""  # what a real apply would meet: fields another field manager owns


def diff_object(live: Obj | None, dry_run: Obj) -> ObjectDiff | None:
    """Unified diff of one object; None when nothing would change."""
    before = normalize(live) if live is not None else None
    after = normalize(dry_run)
    before, after = _redact(before, after)
    if before == after:
        return None
    name = str(ref(dry_run))
    text = "".join(difflib.unified_diff(_dump(before), _dump(after), f"live/{name}", f"tree/{name}"))
    return ObjectDiff(name, "create" if live is None else "change", text)


def diff_deleted(live: Obj) -> ObjectDiff:
    """The diff shown for an object that would be pruned."""
    redacted, _ = _redact(normalize(live), normalize(live))
    name = str(ref(live))
    text = "".join(difflib.unified_diff(_dump(redacted), [], f"live/{name}", "/dev/null"))
    return ObjectDiff(name, "delete", text)
