"""`homelab promote SRC DST`: carry what SRC runs to DST (its commit, chart versions and Helm values), as a diff.

What moves: the commit SRC runs into `environments.<DST>.revision` (render/revision.py says how we
know it), `environments.<SRC>.overrides.versions` and `.values` for every component both
environments install (a version equal to the catalog's pin drops DST's override), and the user's
`overrides/<SRC>/<component>.yaml` files, copied byte for byte over DST's. A guest on a shared cluster
(`namespace_prefix`) installs only its own components: the cluster-wide ones it uses are its host's, so
promoting from or to a guest never carries their versions, values or files. Replicas and the
component selection stay as DST has them. homelab.yaml is edited with ruamel.yaml's round-trip
mode, so comments, order and quoting of everything else survive; nothing of DST's is deleted
unless SRC replaces it.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from homelab.catalog.loader import Catalog
from homelab.config import Config, LoadedConfig
from homelab.errors import InputError, Problem
from homelab.plan import Plan, make_plan
from homelab.render import revision
from homelab.render.values import OVERRIDES


@dataclass
class Change:
    """One file's content before and after the promotion."""

    path: Path
    before: str
    after: str

    def diff(self) -> str:
        name = str(self.path)
        return "".join(difflib.unified_diff(self.before.splitlines(keepends=True),
                                            self.after.splitlines(keepends=True),
                                            fromfile=f"a/{name}", tofile=f"b/{name}"))


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


_COMMENT = re.compile(r"\s+#.*$|\s+$")  # a key line's trailing comment (`nodes:   # ...` opens a block)


def indentation(text: str) -> dict[str, int]:
    """How a YAML file indents nested mappings and block sequences, for ruamel.yaml's `indent()`.

    ruamel.yaml's own guess reports one number for both, and rewrites a file that indents mappings by
    2 and puts its dashes 2 further in; this reads each from the first key that opens one."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    mapping = offset = None
    for parent, child in pairwise(lines):
        if parent.lstrip().startswith("- ") or not _COMMENT.sub("", parent).endswith(":"):
            continue
        step = (len(child) - len(child.lstrip())) - (len(parent) - len(parent.lstrip()))
        if step < 0:
            continue
        if child.lstrip().startswith("- "):
            offset = step if offset is None else offset
        elif step > 0:
            mapping = step if mapping is None else mapping
    offset = offset or 0
    return {"mapping": mapping or 2, "sequence": offset + 2, "offset": offset}


def carries(config: Config, env: str, tree: Path | None) -> bool:
    """Whether `env` has anything a promotion into it would replace: overrides.versions/.values, overrides/<env>/."""
    over = config.env(env).overrides
    folder = tree / OVERRIDES / env if tree else None
    return bool(over.versions or over.values or (folder and folder.is_dir() and any(folder.glob("*.yaml"))))


def without_carried(config: Config, env: str) -> Config:
    """`config` with none of what a promotion into `env` carries (the layout's base is rendered from this)."""
    chosen = config.env(env)
    overrides = chosen.overrides.model_copy(update={"versions": {}, "values": {}})
    environments: dict[Any, Any] = {**config.environments, env: chosen.model_copy(update={"overrides": overrides})}
    return config.model_copy(update={"environments": environments})


def _section(parent: CommentedMap, key: str) -> CommentedMap:
    if not isinstance(parent.get(key), dict):
        parent[key] = CommentedMap()
    return parent[key]


def _carried(config: Config, catalog: Catalog, src_plan: Plan, dst_plan: Plan) -> tuple[dict[str, str],
                                                                                      dict[str, Any]]:
    """DST's overrides.versions and .values once SRC's are carried over (components both install: one a guest
    uses from its host is the host's, so a guest's promotion never moves it)."""
    both = _both(src_plan, dst_plan)
    src_over, dst_over = config.env(src_plan.env).overrides, config.env(dst_plan.env).overrides
    versions = {k: v for k, v in dst_over.versions.items() if k not in both}
    values: dict[str, Any] = {k: v for k, v in dst_over.values.items() if k not in both}
    for name in both:
        version = src_plan.components[name].version
        if version and version != catalog.components[name].source.version:
            versions[name] = version
        if name in src_over.values:
            values[name] = src_over.values[name]
    return versions, values


def _both(src_plan: Plan, dst_plan: Plan) -> list[str]:
    """The components SRC and DST both install (not those a guest uses from its host: `Plan.hosted`)."""
    return [name for name in src_plan.components if name in dst_plan.components
            and name not in src_plan.hosted and name not in dst_plan.hosted]


def _set_revision(section: CommentedMap, commit: str) -> None:
    """`revision:` where the schema lists it (before replicas and overrides), or its value replaced in place."""
    if "revision" in section:
        section["revision"] = commit
        return
    later = [i for i, key in enumerate(section) if key in ("replicas", "overrides")]
    section.insert(later[0] if later else len(section), "revision", commit)


def _set_overrides(overrides: CommentedMap, versions: dict[str, str], values: dict[str, Any]) -> None:
    """Make overrides.versions/.values equal the new ones, touching only the entries that change."""
    for key, new in (("versions", versions), ("values", values)):
        if new or key in overrides:
            current = overrides.get(key)
            if not isinstance(current, dict):
                overrides[key] = current = CommentedMap()
            for name in [n for n in current if n not in new]:
                del current[name]
            for name in sorted(new):
                if current.get(name) != new[name]:
                    current[name] = new[name]


def _config_change(loaded: LoadedConfig, catalog: Catalog, src_plan: Plan, dst_plan: Plan,
                   commit: str) -> Change | None:
    config, file, dst = loaded.config, loaded.source.file, dst_plan.env
    versions, values = _carried(config, catalog, src_plan, dst_plan)
    dst_env = config.env(dst)
    carried = versions != dst_env.overrides.versions or values != dst_env.overrides.values
    if not carried and commit == dst_env.revision:
        return None
    path = Path(file)
    before = path.read_text(encoding="utf-8")
    yaml = _yaml()
    yaml.indent(**indentation(before))  # the file's own, so the diff holds only the promoted values
    doc = yaml.load(before)
    section = _section(_section(doc, "environments"), dst)
    if commit != dst_env.revision:
        _set_revision(section, commit)
    if carried:
        _set_overrides(_section(section, "overrides"), versions, values)
    out = io.StringIO()
    yaml.dump(doc, out)
    return Change(path, before, splice(before, out.getvalue(), dst))


def _block(text: str, env: str) -> tuple[int, int] | None:
    """The lines [first, end) of `environments.<env>` in `text` (an empty range where it would go), or None."""
    doc = _yaml().load(text)
    envs = doc.get("environments") if isinstance(doc, CommentedMap) else None
    if not isinstance(envs, CommentedMap):
        return None
    top = list(doc)
    after_envs = [doc.lc.key(k)[0] for k in top[top.index("environments") + 1:]]
    end = after_envs[0] if after_envs else len(text.splitlines())
    keys = list(envs)
    if env not in keys:
        return end, end
    following = keys[keys.index(env) + 1:]
    return envs.lc.key(env)[0], envs.lc.key(following[0])[0] if following else end


def splice(before: str, after: str, env: str) -> str:
    """`after`'s `environments.<env>` block in `before`'s text: ruamel.yaml re-flows what it dumps (a flow mapping
    written over two lines becomes one), so only the promoted environment's lines are taken from its output.
    Falls back to `after` whole when the two do not read back the same."""
    old, new = _block(before, env), _block(after, env)
    if old is None or new is None:
        return after
    lines, fresh = before.splitlines(keepends=True), after.splitlines(keepends=True)
    spliced = "".join(lines[:old[0]] + fresh[new[0]:new[1]] + lines[old[1]:])
    return spliced if pyyaml.safe_load(spliced) == pyyaml.safe_load(after) else after


def _file_changes(tree: Path, catalog: Catalog, src: str, dst: str, skip: set[str]) -> list[Change]:
    """SRC's overrides files over DST's, but for the components in `skip` (one of them uses its host's)."""
    changes = []
    folder = tree / OVERRIDES / src
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        target = tree / OVERRIDES / dst / path.name
        after = path.read_text(encoding="utf-8")
        before = target.read_text(encoding="utf-8") if target.exists() else ""
        if path.stem in catalog.components and path.stem not in skip and before != after:
            changes.append(Change(target, before, after))
    return changes


@dataclass
class Promotion:
    """Every file promotion would change, and the commit DST will run (with how we know it)."""

    changes: list[Change]
    source: revision.Source


def plan(loaded: LoadedConfig, catalog: Catalog, src: str, dst: str, tree: Path,
         given: str | None = None) -> Promotion:
    """What promoting SRC to DST changes; nothing is written. `given` is --revision (see render/revision.py)."""
    if loaded.builtin:
        raise InputError([Problem("promote edits your homelab.yaml, but none was found here",
                                  hint="run `homelab init` to write one, or pass --config")])
    if src == dst:
        raise InputError([Problem("source and destination are the same environment", field="DST")])
    names = loaded.config.env_names()
    for which, env in (("SRC", src), ("DST", dst)):
        if env not in names:
            raise InputError([Problem(f"unknown environment '{env}'", field=which,
                                      hint=f"choose one of: {', '.join(names)}")])
    source = revision.of(loaded.config, src, tree, given)
    src_plan, dst_plan = (make_plan(loaded.config, catalog, env, loaded.source.file) for env in (src, dst))
    change = _config_change(loaded, catalog, src_plan, dst_plan, source.commit)
    skip = set(src_plan.hosted) | set(dst_plan.hosted)
    files = _file_changes(tree, catalog, src, dst, skip) if tree.is_dir() else []
    return Promotion(([change] if change else []) + files, source)


def write(changes: list[Change]) -> None:
    """Write each changed file atomically (temp file beside it, then rename)."""
    for change in changes:
        change.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{change.path.name}.", dir=change.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(change.after)
        if change.path.exists():
            os.chmod(tmp, change.path.stat().st_mode & 0o777)
        os.replace(tmp, change.path)
