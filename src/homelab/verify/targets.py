"""What to verify: a targets file, or targets built from the catalog entries of a plan.

A target is a name, a probe kind and a DSN-style URL. Credentials stay out of files
as `${ENV_VAR}` references, expanded from the environment only when probes run; the
URL shown in reports has its password masked.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from homelab import yamlsrc
from homelab.errors import InputError, Problem

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Target(BaseModel):
    """One system to prove: `kind` picks the probe, `url` says where and as whom."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][-A-Za-z0-9_.]*$")
    kind: str
    url: str = Field(min_length=1)
    timeout: float | None = Field(default=None, gt=0, le=600)
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        from homelab.verify.kinds import known_kinds

        kinds = known_kinds()
        if value not in kinds:
            raise ValueError(f"unknown probe kind '{value}' ({_suggest(value, kinds)})")
        return value

    @property
    def parts(self) -> SplitResult:
        return urlsplit(self.url)

    @property
    def host(self) -> str:
        return self.parts.hostname or "127.0.0.1"

    def port(self, default: int | None) -> int:
        port = self.parts.port or default
        if port is None:
            raise ValueError(f"{self.url_shown}: no port given")
        return port

    @property
    def username(self) -> str | None:
        user = self.parts.username
        return unquote(user) if user else None

    @property
    def password(self) -> str | None:
        password = self.parts.password
        return unquote(password) if password is not None else None

    @property
    def path(self) -> str:
        return self.parts.path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.parts.query))

    def option(self, key: str, default: Any = None) -> Any:
        """An option from `options:` or, failing that, from the URL's query string."""
        return self.options.get(key, self.query.get(key, default))

    def flag(self, key: str, default: bool = False) -> bool:
        """A yes/no option (`true`, `yes`, `1`, `on` mean yes), from options or the query string."""
        return str(self.option(key, default)).lower() in ("1", "true", "yes", "on")

    @property
    def url_shown(self) -> str:
        """The URL with any password masked, safe for tables, JSON and logs."""
        return mask(self.url)


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f"did you mean '{close[0]}'?" if close else f"choose from {', '.join(choices)}"


def mask(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def expand(value: Any, env: Mapping[str, str], missing: list[str]) -> Any:
    """Expand `${VAR}` in every string of `value`, collecting the names that are not set."""
    if isinstance(value, str):
        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                missing.append(name)
                return match.group(0)
            return env[name]
        return _ENV_REF.sub(sub, value)
    if isinstance(value, list):
        return [expand(item, env, missing) for item in value]
    if isinstance(value, dict):
        return {key: expand(item, env, missing) for key, item in value.items()}
    return value


def resolve(target: Target, env: Mapping[str, str] | None = None) -> Target:
    """The target with its `${VAR}` references filled in; a missing variable is bad input."""
    env = os.environ if env is None else env
    missing: list[str] = []
    url = expand(target.url, env, missing)
    options = expand(target.options, env, missing)
    if missing:
        raise InputError([Problem(f"environment variable {name} is not set", field=f"{target.name}.url",
                                  hint="export it, or write the value into the targets file")
                          for name in dict.fromkeys(missing)])
    return target.model_copy(update={"url": url, "options": options})


def resolve_all(targets: Iterable[Target], env: Mapping[str, str] | None = None) -> list[Target]:
    """Every target resolved; all missing variables reported together (bad input, exit 2)."""
    resolved, problems = [], []
    for target in targets:
        try:
            resolved.append(resolve(target, env))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return resolved


def load_targets(path: Path, env: Mapping[str, str] | None = None) -> list[Target]:
    """Read a YAML list of targets; every problem names the file, line and field (exit 2)."""
    from homelab.config import problems_from

    source = yamlsrc.read(path, "targets file")
    if not isinstance(source.data, list) or not source.data:
        raise InputError([Problem("expected a non-empty YAML list of targets", file=source.file, line=1,
                                  hint="- {name: db, kind: postgresql, url: 'postgresql://postgres@127.0.0.1/test'}")])
    env = os.environ if env is None else env
    targets: list[Target] = []
    problems: list[Problem] = []
    for index, item in enumerate(source.data):
        try:
            target = Target.model_validate(item)
        except ValidationError as exc:
            problems.extend(problems_from(exc, source, Target, prefix=(index,)))
            continue
        try:
            targets.append(resolve(target, env))
        except InputError as exc:
            problems.extend(Problem(p.message, file=source.file, line=source.line_of((index, "url")),
                                    field=yamlsrc.dotted((index, "url")), hint=p.hint) for p in exc.problems)
    seen: set[str] = set()
    for index, item in enumerate(source.data):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            problems.append(Problem(f"target name '{name}' is used twice", file=source.file,
                                    line=source.line_of((index, "name")), field=f"[{index}].name",
                                    hint="give every target its own name"))
        seen.add(name)
    if problems:
        raise InputError(problems)
    return targets


def select(targets: Iterable[Target], only: Iterable[str]) -> list[Target]:
    """Keep the named targets; a word that names no target picks every target of that kind."""
    wanted = [name for name in only if name]
    all_targets = list(targets)
    if not wanted:
        return all_targets
    names = {t.name for t in all_targets}
    kinds = {t.kind for t in all_targets} - names
    unknown = [word for word in wanted if word not in names | kinds]
    if unknown:
        choices = sorted(names | kinds)
        raise InputError([Problem(f"no target or kind named '{word}'", field="--only",
                                  hint=_suggest(word, choices)) for word in unknown])
    return [t for t in all_targets if t.name in wanted or (t.kind in wanted and t.kind not in names)]
