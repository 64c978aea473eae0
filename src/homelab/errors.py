"""One error hierarchy and fixed exit codes, so every command fails the same way.

Expected errors carry a one-line message per problem that points at the user's
file, line and field; the CLI prints them and exits with the error's code.
Anything else is a bug: the CLI logs the traceback to a file and asks for a report.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass, field
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes; stable, documented in the README, tested."""

    OK = 0
    FINDINGS = 1  # validate found problems, verify had failures
    BAD_INPUT = 2  # config, catalog, targets file or arguments are wrong
    UNREACHABLE = 3  # Kubernetes API server cannot be reached
    UNAUTHORIZED = 4  # credentials expired or rejected
    FORBIDDEN = 5  # RBAC denies what we need
    CONFLICT = 6  # another field manager owns a field we set
    TIMEOUT = 7  # waited for readiness or a CRD and it never came
    PREFLIGHT = 8  # cluster does not meet the plan (version, capacity, arch)
    ABORTED = 9  # the user declined a confirmation
    INTERNAL = 70  # a bug in homelab


@dataclass
class Problem:
    """One thing wrong with the user's input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        what = f"{self.field}: " if self.field else ""
        hint = f" ({self.hint})" if self.hint else ""
        return printable(f"{where}{what}{self.message}{hint}")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """One line, safe for a terminal: control characters (a newline or an escape sequence in a
    key the user wrote) are shown escaped, so they can neither split the line nor recolour it."""
    return _CONTROL.sub(lambda match: repr(match.group(0))[1:-1], text)


def shown(value: object, limit: int = 40) -> str:
    """A value quoted back to the user, cut short: a 4 MiB value must not become a 4 MiB line."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass
class HomelabError(Exception):
    """Base of every expected error; `problems` holds one entry per line to print."""

    problems: list[Problem] = field(default_factory=list)
    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __post_init__(self) -> None:
        super().__init__(self.summary())

    def summary(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    @classmethod
    def one(cls, message: str, **where: object) -> HomelabError:
        return cls([Problem(message, **where)])  # type: ignore[arg-type]


class InputError(HomelabError):
    """The user's config, catalog data, targets file or arguments are wrong (exit 2)."""


class CatalogError(InputError):
    """A catalog data file is wrong."""


class PlanError(InputError):
    """The config cannot be planned against the catalog (missing provider, cycle, no fit)."""


# The file system refused us because of where the user pointed us: bad input, not a bug.
NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}


def unwritable(exc: OSError, fallback: object = None, field: str | None = None) -> InputError | None:
    """A permission, read-only or disk-full error as bad input naming the path; None for anything else."""
    if exc.errno not in NOT_WRITABLE:
        return None
    path = exc.filename or fallback
    return InputError([Problem(f"cannot write {path}: {exc.strerror or exc}", field=field,
                               hint="choose a folder you may write to, or fix its permissions or free space")])


def cluster_error(code: ExitCode, message: str, hint: str | None = None) -> HomelabError:
    """An error talking to a cluster, with the exit code that names its cause."""
    return HomelabError([Problem(message, hint=hint)], exit_code=code)
