"""Read YAML files while keeping the line of every key, so errors can point at it.

PyYAML's C loader composes the node tree (with marks); `yamlguard` refuses alias bombs, deep
nesting, cycles and duplicate keys on that tree; then plain Python data is constructed from it.
The same tree is walked, only when an error needs it, to map each dotted path to its line; a
value written as an alias is located at the alias (composed nodes keep only the anchor's line).
Every YAML file we read goes through `read`, `parse` or `load_all`.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from homelab import yamlguard
from homelab.errors import InputError, Problem

try:
    Loader: type = yaml.CSafeLoader  # libyaml's loader: several times faster on large files
except AttributeError:  # pragma: no cover - libyaml missing
    Loader = yaml.SafeLoader

MAX_BYTES = 4 * 1024 * 1024

PathKey = tuple[str | int, ...]
Edge = tuple[int, str | int]  # (id of a parent node, key or index under it)
_MAY_HAVE_ALIAS = re.compile(r"\*[^\s,\[\]{}]")


@dataclass
class Located:
    """Parsed YAML plus its node tree, from which the line of any key is found on demand."""

    data: Any
    file: str
    node: yaml.Node | None = None
    aliases: dict[Edge, int] = field(default_factory=dict, repr=False)
    _lines: dict[PathKey, int] | None = field(default=None, repr=False)

    @property
    def lines(self) -> dict[PathKey, int]:
        """Line of every mapping key and sequence item; built only when an error needs it."""
        if self._lines is None:
            self._lines = {(): 1}
            if self.node is not None:
                _walk(self.node, (), self._lines, self.aliases)
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


def _walk(node: yaml.Node, path: PathKey, lines: dict[PathKey, int], aliases: dict[Edge, int]) -> None:
    """Map paths to lines; an alias is one value at its own line (never expanded)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            step = str(key.value)
            lines[(*path, step)] = key.start_mark.line + 1
            if (id(node), step) not in aliases:
                _walk(value, (*path, step), lines, aliases)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            alias = aliases.get((id(node), index))
            lines[(*path, index)] = alias or item.start_mark.line + 1
            if alias is None:
                _walk(item, (*path, index), lines, aliases)


def _alias_lines(root: yaml.Node, text: str) -> dict[Edge, int]:
    """The line of every alias, by the edge it sits on (read before merge keys rewrite the tree).

    The parser's alias events come in document order, which is the order a depth-first walk
    meets a node it has already seen; `yamlguard` has bounded the depth, so recursion is safe.
    """
    marks = iter([event.start_mark.line + 1 if event.start_mark else None
                  for event in yaml.parse(text, Loader=Loader) if isinstance(event, yaml.AliasEvent)])
    seen: set[int] = set()
    found: dict[Edge, int] = {}

    def visit(node: yaml.Node) -> None:
        seen.add(id(node))
        edges: list[tuple[str | int | None, yaml.Node]] = []
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                edges += [(None, key), (str(key.value), value)]
        elif isinstance(node, yaml.SequenceNode):
            edges = list(enumerate(node.value))
        for step, child in edges:
            if id(child) not in seen:
                visit(child)
                continue
            line = next(marks, None)
            if step is not None and line is not None:
                found[(id(node), step)] = line

    visit(root)
    return found


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    """A parser error as one line; a tab in the indentation is named as such."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return Problem(f"YAML syntax error: {exc.problem or exc}", file=file)
    lines = text.splitlines()
    here = lines[mark.line] if mark.line < len(lines) else ""
    indent = here[: len(here) - len(here.lstrip(" \t"))]
    if "\t" in indent[: mark.column + 1]:
        return Problem("a tab in the indentation (YAML indents with spaces only)", file=file, line=mark.line + 1,
                       hint="replace the tab with spaces")
    what = f"{exc.context}, {exc.problem}" if exc.context and exc.problem else exc.problem or str(exc)
    return Problem(f"YAML syntax error: {what}", file=file, line=mark.line + 1,
                   hint="check indentation and quoting on that line")


@contextmanager
def _reading(text: str, file: str) -> Iterator[Any]:
    """A loader for `text`; its syntax errors become an InputError at their line, and it is always disposed."""
    loader = Loader(text)
    try:
        yield loader
    except yaml.MarkedYAMLError as exc:
        raise InputError([_syntax_problem(exc, text, file)]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"not valid YAML: {exc}", file=file)]) from None
    finally:
        loader.dispose()


def parse(text: str, file: str) -> Located:
    """Parse one YAML document; syntax errors and hostile shapes become an InputError with the line."""
    with _reading(text, file) as loader:
        node = loader.get_single_node()
        yamlguard.check(node, file)
        aliases = _alias_lines(node, text) if node is not None and _MAY_HAVE_ALIAS.search(text) else {}
        data = loader.construct_document(node) if node is not None else None
    return Located(data, file, node, aliases)


def load_all(text: str, file: str) -> list[Any]:
    """Every document of a multi-document stream (manifests, CRDs), with the same checks as `parse`."""
    docs = []
    with _reading(text, file) as loader:
        while loader.check_node():
            node = loader.get_node()
            yamlguard.check(node, file)
            docs.append(loader.construct_document(node))
    return docs


_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def _wide_encoding(raw: bytes) -> str | None:
    """UTF-16 or UTF-32, by byte-order mark or by the zero bytes ASCII text has in those encodings."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    sample = raw[:1024]

    def zeros(part: bytes) -> bool:
        return len(part) >= 2 and part.count(0) >= 0.9 * len(part)

    if zeros(sample[1::4]) and zeros(sample[2::4]):  # c000 (little-endian) or 000c (big-endian)
        return "UTF-32"
    if zeros(sample[1::2]) or zeros(sample[0::2]):  # c0 or 0c
        return "UTF-16"
    return None


def decode(raw: bytes, name: str) -> str:
    """UTF-8 text, or an InputError naming the encoding the file is in (UTF-16, binary, ...)."""
    wide = _wide_encoding(raw)
    if wide:
        raise InputError([Problem(f"{wide} text; homelab reads YAML as UTF-8", file=name, line=1,
                                  hint="save the file as UTF-8")])
    if b"\x00" in raw:
        raise InputError([Problem("binary data, not YAML text", file=name, hint="is this the right file?")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError([Problem("not UTF-8 text", file=name, line=line,
                                  hint="save the file as UTF-8")]) from None


def read(path: Path, what: str = "file") -> Located:
    """Read and parse a YAML file, refusing directories, huge files and binary garbage."""
    return parse(read_text(path, what), str(path))


def read_text(path: Path, what: str = "file") -> str:
    """The text of a YAML file, refusing what is missing, a directory, huge or not UTF-8."""
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
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(f"cannot read the {what}: {exc.strerror or exc}", file=name,
                                  hint="check its permissions")]) from None
    return decode(raw, name)
