"""Which commit of the GitOps repository an environment runs, for `homelab promote` to carry to the next.

An environment with `revision` runs that commit. The first environment without one follows
`gitops.branch`: what it runs is the commit the branch points at, which only the repository knows.
We ask git in the checkout that holds the rendered tree (`git rev-parse <branch>`), because that is
where the user commits the tree and the one place that commit is named without a network call;
`--revision SHA` names it instead (the tree is not a checkout, or a commit other than the branch's
tip was tested). Either way the result is a full commit id, never a ref that could move.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from homelab.config import Config, Environment
from homelab.errors import InputError, Problem

FIX = "or pass --revision <full commit id>"
TIMEOUT = 10


@dataclass(frozen=True)
class Source:
    """The commit and how we know it, for the message `promote` prints."""

    commit: str
    how: str
    note: str | None = None  # e.g. the branch is ahead of what Argo CD can fetch


def check(value: str) -> str:
    """A full commit id (40 or 64 lowercase hex digits), validated like `environments.<env>.revision`."""
    try:
        Environment.model_validate({"revision": value})
    except ValidationError:
        raise InputError([Problem(f"'{value}' is not a full commit id", field="--revision",
                                  hint="give all 40 (or 64) lowercase hex digits, e.g. from `git rev-parse HEAD`")]) \
            from None
    return value


def _git(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(tree), *args], capture_output=True, text=True, timeout=TIMEOUT,
                          check=False)


def from_checkout(tree: Path, branch: str) -> Source:
    """The commit `branch` points at in the git checkout holding `tree`."""
    if shutil.which("git") is None:
        raise InputError([Problem("git is not installed, so the commit the branch points at is unknown",
                                  hint=f"install git, {FIX}")])
    if not tree.is_dir() or _git(tree, "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise InputError([Problem(f"{tree} is not inside a git checkout, so the commit the branch points at is "
                                  "unknown", field="--tree",
                                  hint=f"point --tree at the rendered tree in your GitOps checkout, {FIX}")])
    found = _git(tree, "rev-parse", "--verify", "--quiet", "--end-of-options", f"refs/heads/{branch}^{{commit}}")
    if found.returncode != 0:
        raise InputError([Problem(f"branch '{branch}' (gitops.branch) is not in the checkout at {tree}",
                                  field="--tree", hint=f"commit the rendered tree on '{branch}', {FIX}")])
    commit = found.stdout.strip()
    upstream = _git(tree, "rev-parse", "--verify", "--quiet", f"{branch}@{{upstream}}")
    note = None
    if upstream.returncode == 0 and upstream.stdout.strip() != commit:
        note = (f"'{branch}' is at {commit[:12]} but its upstream at {upstream.stdout.strip()[:12]}: push it, "
                "Argo CD fetches the commit from the remote")
    return Source(check(commit), f"the tip of '{branch}' in {tree}", note)


def of(config: Config, env: str, tree: Path, given: str | None) -> Source:
    """The commit `env` runs: its own revision, else (it follows the branch) `given` or the branch's tip."""
    own = config.env(env).revision
    if own:
        if given and given != own:
            raise InputError([Problem(f"{env} runs {own}, not {given}", field="--revision",
                                      hint=f"promote carries what {env} runs; leave out --revision")])
        return Source(own, f"environments.{env}.revision")
    if env != config.env_names()[0]:
        raise InputError([Problem(f"{env} runs nothing yet: it has no revision", field="SRC",
                                  hint=f"promote into {env} first")])
    if given:
        return Source(check(given), "--revision")
    return from_checkout(tree, config.gitops.branch)
