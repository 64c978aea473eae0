"""What to verify: a targets file, or targets built from the catalog entries of a plan.

A target is a name, a probe kind and a DSN-style URL. Credentials stay out of files
as `${ENV_VAR}` references, expanded (encoded for their part of the URL, see `urls`) only for
the targets chosen to run; the URL shown in reports has its secrets masked. Every URL is
checked when the file is read, so a malformed one is bad input at its line, not a crash.
"""

from __future__ import annotations

import base64
import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from homelab import yamlsrc
from homelab.errors import InputError, Problem, shown
from homelab.redact import SECRET_NAME
from homelab.verify.urls import ENV_REF, expand_url, mask, problem, secrets_in

__all__ = ["Target", "load_targets", "mask", "resolve", "resolve_all", "select"]


class Target(BaseModel):
    """One system to prove: `kind` picks the probe, `url` says where and as whom."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][-A-Za-z0-9_.]*$")
    kind: str
    url: str = Field(min_length=1)
    timeout: float | None = Field(default=None, gt=0, le=600)
    options: dict[str, Any] = Field(default_factory=dict)
    # file and line of `url`; secrets that came from the environment (None: cheap for pydantic to copy)
    _where: tuple[str | None, int | None] | None = PrivateAttr(default=None)
    _env_secrets: frozenset[str] | None = PrivateAttr(default=None)

    @field_validator("kind", mode="before")
    @classmethod
    def _short_kind(cls, value: Any) -> Any:
        if isinstance(value, str) and len(value) > 60:
            raise ValueError(f"unknown probe kind '{shown(value)}' (a kind is one short word)")
        return value

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
        return dict(parse_qsl(self.parts.query, keep_blank_values=True))

    def option(self, key: str, default: Any = None) -> Any:
        """An option from `options:` or, failing that, from the URL's query string."""
        return self.options.get(key, self.query.get(key, default))

    def flag(self, key: str, default: bool = False) -> bool:
        """A yes/no option (`true`, `yes`, `1`, `on` mean yes), from options or the query string."""
        return str(self.option(key, default)).lower() in ("1", "true", "yes", "on")

    @property
    def url_shown(self) -> str:
        """The URL with its password and secret query values masked, safe for tables, JSON and logs."""
        return mask(self.url)

    @property
    def secrets(self) -> set[str]:
        """Every secret value this target holds, to mask wherever a client library echoes it."""
        found = secrets_in(self.url) | set(self._env_secrets or ())
        if self.username and self.password:  # as an HTTP Basic header, which servers may echo
            found.add(base64.b64encode(f"{self.username}:{self.password}".encode()).decode())
        return found | _option_secrets(self.options)

    def problem(self) -> str | None:
        """Why this target's URL cannot be probed as written, or None."""
        from homelab.verify.kinds import probe_class

        return problem(self.url) or probe_class(self.kind).url_problem(self)

    def located(self, file: str | None, line: int | None) -> Target:
        self._where = (file, line)
        return self

    def bad(self, message: str, hint: str | None = None) -> Problem:
        """A problem with this target's URL, at its file and line when it came from a file."""
        file, line = self._where or (None, None)
        return Problem(message, file=file, line=line, field=f"{self.name}.url", hint=hint)


def _option_secrets(value: Any, key: str = "") -> set[str]:
    """Secret-named option values and passwords in option URLs, at any depth."""
    if isinstance(value, dict):
        return set().union(*(_option_secrets(item, str(name)) for name, item in value.items()))
    if isinstance(value, list):
        return set().union(*(_option_secrets(item, key) for item in value))
    if isinstance(value, str):
        return secrets_in(value) if "://" in value else ({value} if SECRET_NAME.search(key) else set())
    return set()


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f"did you mean '{close[0]}'?" if close else f"choose from {', '.join(choices)}"


def expand(value: Any, env: Mapping[str, str], missing: list[str], secrets: set[str], key: str = "") -> Any:
    """Expand `${VAR}` in every string of `value` (URLs encoded part by part), noting secrets and gaps."""
    if isinstance(value, str):
        if "://" in value:
            return expand_url(value, env, missing, secrets)
        expanded = expand_url(value, env, missing, secrets, url=False)
        if SECRET_NAME.search(key) and expanded != value:
            secrets.add(expanded)
        return expanded
    if isinstance(value, list):
        return [expand(item, env, missing, secrets, key) for item in value]
    if isinstance(value, dict):
        return {name: expand(item, env, missing, secrets, str(name)) for name, item in value.items()}
    return value


def resolve(target: Target, env: Mapping[str, str] | None = None) -> Target:
    """The target with its `${VAR}` references filled in; a missing variable or bad URL is bad input."""
    env = os.environ if env is None else env
    missing: list[str] = []
    secrets: set[str] = set()
    url = expand_url(target.url, env, missing, secrets)
    options = expand(target.options, env, missing, secrets)
    if missing:
        raise InputError([target.bad(f"environment variable {name} is not set",
                                     hint="export it, or write the value into the targets file")
                          for name in dict.fromkeys(missing)])
    resolved = target.model_copy(update={"url": url, "options": options})
    resolved._where, resolved._env_secrets = target._where, frozenset(secrets)
    if (why := resolved.problem()) is not None:
        raise InputError([resolved.bad(why, hint="check the URL and the environment variables it uses")])
    return resolved


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


def load_targets(path: Path) -> list[Target]:
    """Read a YAML list of targets; every problem names the file, line and field (exit 2).

    `${VAR}` references stay unexpanded: `resolve_all` fills in only the targets chosen to run.
    """
    from homelab.config import problems_from

    source = yamlsrc.read(path, "targets file")
    if not isinstance(source.data, list) or not source.data:
        raise InputError([Problem("expected a non-empty YAML list of targets", file=source.file, line=1,
                                  hint="- {name: db, kind: postgresql, url: 'postgresql://postgres@127.0.0.1/test'}")])
    targets: list[Target] = []
    problems: list[Problem] = []
    for index, item in enumerate(source.data):
        try:
            target = Target.model_validate(item)
        except ValidationError as exc:
            problems.extend(problems_from(exc, source, Target, prefix=(index,)))
            continue
        target.located(source.file, source.line_of((index, "url")))
        # the URL as written, with each ${VAR} standing in as "1" (a valid host, port and password)
        why = target.model_copy(update={"url": ENV_REF.sub("1", target.url)}).problem()
        if why is not None:
            problems.append(Problem(why, file=source.file, line=source.line_of((index, "url")),
                                    field=yamlsrc.dotted((index, "url")), hint="fix the URL"))
        targets.append(target)
    seen: dict[str, int | None] = {}
    for index, item in enumerate(source.data):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        line = source.line_of((index, "name"))  # an alias item: the alias line
        if name in seen:
            problems.append(Problem(f"target name '{name}' is used twice (first on line {seen[name]})",
                                    file=source.file, line=line, field=f"[{index}].name",
                                    hint="give every target its own name"))
        seen.setdefault(name, line)
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
