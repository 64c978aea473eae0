"""State files under `.homelab/state/`: written atomically and readable by their owner only.

They hold the last verify and status results: masked, but still facts about the user's
systems (addresses, user names, what failed and why), so 0600 in a 0700 folder, like
`~/.kube/config`. A folder we may not write is bad input naming it (exit 2).
"""

from __future__ import annotations

import os
from pathlib import Path

from homelab.errors import unwritable

STATE_DIR = Path(".homelab/state")


def write(path: Path, text: str) -> Path:
    """Replace `path` with `text` in one rename; the file is 0600 whatever umask says."""
    path = path.absolute()  # a refusal names the full path
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.tmp")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)  # an older scratch file may have kept a wider mode
            out.write(text)
        scratch.replace(path)
    except OSError as exc:
        error = unwritable(exc, path)
        if error is None:
            raise
        raise error from None
    return path
