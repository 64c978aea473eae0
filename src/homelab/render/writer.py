"""Write the tree atomically and only where we may.

The whole tree is written to a temporary folder beside the output and swapped in by rename. A
marker file lists every file we wrote (with its sha256: render/edits); anything else already in the output (the user's
`overrides/`, a `.git`, notes) is carried into the new tree untouched. A non-empty folder without
our marker is refused (it is someone else's), unless all it holds is the user's `overrides/`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from homelab.errors import InputError, Problem, unwritable
from homelab.render.edits import marker_lines, recorded

MARKER = ".homelab-rendered"
HEADER = ("# written by `homelab render`; the files below are regenerated, everything else is yours\n"
          "# (sha256 of each as written: `grep -v '^#' .homelab-rendered | sha256sum -c --quiet` lists your edits)\n")


def ours(out: Path) -> set[str] | None:
    """The files the previous render wrote, or None when `out` is not ours (or absent)."""
    marker = out / MARKER
    if not marker.is_file():
        return None
    return set(recorded(marker.read_text(encoding="utf-8")))


def check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError([Problem(f"{out} exists and is not a directory", field="--output",
                                  hint="choose another output directory with -o")])
    if out.is_dir() and not os.access(out, os.W_OK):  # read-only says "leave this alone"; we would replace it
        raise InputError([Problem(f"cannot write {out}: it is read-only", field="--output",
                                  hint="choose another output directory with -o, or make it writable")])
    # a folder holding only the user's overrides/ (written before the first render) is welcome
    if out.is_dir() and any(e.name != "overrides" for e in out.iterdir()) and ours(out) is None:
        raise InputError([Problem(f"{out} is not empty and was not written by homelab render (no {MARKER})",
                                  field="--output", hint="choose an empty or new directory with -o")])


def _foreign(old: Path, previous: set[str], rel: Path = Path()) -> list[Path]:
    """Everything in `old` we did not write, as top-most relative paths."""
    found = []
    for entry in sorted((old / rel).iterdir()):
        path = rel / entry.name
        key = path.as_posix()
        if entry.is_dir() and not entry.is_symlink():
            if any(p.startswith(key + "/") for p in previous):
                found.extend(_foreign(old, previous, path))
                continue
        elif key in previous or key == MARKER:
            continue
        found.append(path)
    return found


def write(out: Path, files: dict[str, bytes]) -> None:
    """Replace our files in `out` with `files` (relative path -> bytes) in one rename.

    A folder we may not write (read-only, no permission, disk full) is bad input naming the path.
    """
    try:
        _write(out, files)
    except OSError as exc:
        # our scratch folder sits beside the output: a refusal there is about the parent folder
        scratch = exc.filename and Path(exc.filename).name.startswith(f".{out.name}.new-")
        if scratch:
            exc.filename = str(out.absolute().parent)
        error = unwritable(exc, out, field="--output")
        if error is None:
            raise
        raise error from None


def _write(out: Path, files: dict[str, bytes]) -> None:
    check_target(out)
    out = out.absolute()
    foreign = _foreign(out, ours(out) or set()) if out.is_dir() else []
    for path in foreign:
        clash = [rel for rel in files if rel == path.as_posix() or rel.startswith(path.as_posix() + "/")]
        if clash:
            raise InputError([Problem(f"{out / path} is yours, but the new render writes {clash[0]}",
                                      hint="move your file elsewhere and render again")])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    moved: list[Path] = []
    try:
        for folder in sorted({(tmp / rel).parent for rel in files}):
            folder.mkdir(parents=True, exist_ok=True)
        for rel, data in files.items():
            (tmp / rel).write_bytes(data)
        (tmp / MARKER).write_text(HEADER + marker_lines(files), encoding="utf-8")
        os.chmod(tmp, 0o755)
        for path in foreign:  # the user's files ride along into the new tree, untouched
            (tmp / path).parent.mkdir(parents=True, exist_ok=True)
            os.rename(out / path, tmp / path)
            moved.append(path)
        if out.is_dir():
            os.rename(out, tmp.with_name(tmp.name.replace(".new-", ".old-")))
        os.rename(tmp, out)
        moved.clear()
    except BaseException:
        old = tmp.with_name(tmp.name.replace(".new-", ".old-"))
        if old.exists() and not out.exists():
            os.rename(old, out)
        for path in reversed(moved):
            os.rename(tmp / path, out / path)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(tmp.with_name(tmp.name.replace(".new-", ".old-")), ignore_errors=True)
