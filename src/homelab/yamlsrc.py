"""Read YAML files while keeping the line of every key, so errors can point at it.

PyYAML's C loader composes the node tree (with marks) and then constructs plain
Python data from it; we walk the same tree once to map each dotted path to its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from homelab.errors import InputError, Problem

try:
    Loader: type = yaml.CSafeLoader  # libyaml's loader: several times faster on large files
except AttributeError:  # pragma: no cover - libyaml missing
    Loader = yaml.SafeLoader

MAX_BYTES = 4 * 1024 * 1024

PathKey = tuple[str | int, ...]


@dataclass
class Located:
    """Parsed YAML plus its node tree, from which the line of any key is found on demand."""

    data: Any
    file: str
    node: yaml.Node | None = None
    _lines: dict[PathKey, int] | None = field(default=None, repr=False)

    @property
    def lines(self) -> dict[PathKey, int]:
        """Line of every mapping key and sequence item; built only when an error needs it."""
        if self._lines is None:
            self._lines = {(): 1}
            if self.node is not None:
                _walk(self.node, (), self._lines)
        return self._lines

    def line_of(self, path: PathKey) -> int | None:
        """Line of the deepest known ancestor of `path` (1-based)."""
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return None


def dotted(path: PathKey) -> str:
    """`("cluster", "nodes", 1, "memory")` -> `cluster.nodes[1].memory`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _walk(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*path, str(key.value))
            lines[sub] = key.start_mark.line + 1
            _walk(value, sub, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            sub = (*path, index)
            lines[sub] = item.start_mark.line + 1
            _walk(item, sub, lines)


def parse(text: str, file: str) -> Located:
    """Parse one YAML document; syntax errors become an InputError with the line."""
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputError([Problem(f"YAML syntax error: {exc.problem or exc}", file=file, line=line,
                                  hint="check indentation and quoting on that line")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"not valid YAML: {exc}", file=file)]) from None
    finally:
        loader.dispose()
    return Located(data, file, node)


def read(path: Path, what: str = "file") -> Located:
    """Read and parse a YAML file, refusing directories, huge files and binary garbage."""
    name = str(path)
    if not path.exists():
        raise InputError([Problem(f"{what} not found", file=name, hint="check the path")])
    if path.is_dir():
        raise InputError([Problem(f"is a directory, expected a YAML {what}", file=name,
                                  hint="name the file inside it")])
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError([Problem(f"{what} is {size // 1024 // 1024} MiB, larger than the "
                                  f"{MAX_BYTES // 1024 // 1024} MiB limit", file=name,
                                  hint="is this the right file?")])
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise InputError([Problem("binary data, not YAML text", file=name, hint="is this the right file?")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError([Problem("not UTF-8 text", file=name, line=line,
                                  hint="save the file as UTF-8")]) from None
    return parse(text, name)
