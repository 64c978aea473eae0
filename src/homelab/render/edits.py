"""Edits made to the files `homelab render` wrote are never lost silently.

The marker (`.homelab-rendered`) records the sha256 of every file it lists, in `sha256sum`'s format (so
`grep -v '^#' .homelab-rendered | sha256sum -c --quiet` lists the edits too). A render that would replace or
drop a file whose bytes no longer match is refused, naming each file and where the change belongs instead:
a chart version moved in an Application (a merged Renovate pull request) is said as the
`overrides.versions` line that keeps it; anything else belongs in `overrides/`. `--discard-edits` overwrites.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from homelab.errors import InputError, Problem
from homelab.render.context import OWNER_LABEL


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def recorded(marker_text: str) -> dict[str, str | None]:
    """The marker's files, each with the sha256 it was written with (None in a marker from before hashes)."""
    out: dict[str, str | None] = {}
    for line in marker_text.splitlines():
        if not line or line.startswith("#"):
            continue
        hashed, sep, path = line.partition("  ")
        if sep and len(hashed) == 64:
            out[path] = hashed
        else:
            out[line] = None
    return out


def marker_lines(files: dict[str, bytes]) -> str:
    return "".join(f"{digest(data)}  {rel}\n" for rel, data in sorted(files.items()))


def edited(out: Path, previous: dict[str, str | None], files: dict[str, bytes]) -> list[str]:
    """Files the last render wrote that were changed since and that this render would replace or drop."""
    found = []
    for rel, hashed in previous.items():
        path = out / rel
        if hashed is None or not path.is_file():
            continue
        data = path.read_bytes()
        if digest(data) != hashed and data != files.get(rel):
            found.append(rel)
    return found


def _revisions(text: str) -> dict[str, str]:
    """Component -> chart version of each Application in a file's YAML."""
    try:
        docs = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return {}
    out = {}
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "Application":
            source: dict[str, Any] = (doc.get("spec") or {}).get("source") or {}
            name = ((doc.get("metadata") or {}).get("labels") or {}).get(OWNER_LABEL)
            if source.get("chart") and name and source.get("targetRevision"):
                out[str(name)] = str(source["targetRevision"])
    return out


# Past this many edited files the rest are counted, not listed.
SHOWN = 20


def _line(text: str, version: str) -> int | None:
    return next((number for number, line in enumerate(text.splitlines(), 1)
                 if "targetRevision:" in line and version in line), None)


def refuse(out: Path, found: list[str], files: dict[str, bytes], envs: list[str]) -> None:
    """Raise bad input naming each edited file and the place its change belongs (the environment whose folder
    holds it, else the first: the one following the branch, where updates land first)."""
    problems = []
    for rel in found[:SHOWN]:
        env = next((part for part in Path(rel).parts[:-1] if part in envs), envs[0])
        text = (out / rel).read_text(encoding="utf-8", errors="replace")
        mine, ours = _revisions(text), _revisions(files.get(rel, b"").decode("utf-8", "replace"))
        line = None
        moved = {name: version for name, version in mine.items() if ours.get(name) not in (None, version)}
        if moved:
            lines = ", ".join(f"{name}: \"{version}\"" for name, version in sorted(moved.items()))
            hint = (f"keep it in homelab.yaml: environments.{env}.overrides.versions: {{{lines}}} (then `homelab "
                    f"promote` carries it onward), or render with --discard-edits")
            what = f"pins {', '.join(f'{n} {v}' for n, v in sorted(moved.items()))} (a Renovate update?)"
            line = _line(text, next(iter(moved.values())))
        else:
            hint = ("keep the change where render never writes: overrides/ (Helm values, or patches of a local "
                    "source) or a file of your own; or render with --discard-edits")
            what = "was changed after `homelab render` wrote it"
        problems.append(Problem(f"{what}; this render would overwrite it", file=str(out / rel), line=line,
                                hint=hint))
    if len(found) > SHOWN:
        problems.append(Problem(f"and {len(found) - SHOWN} more files changed since the last render", file=str(out),
                                hint="`grep -v '^#' .homelab-rendered | sha256sum -c --quiet` lists them"))
    raise InputError(problems)
