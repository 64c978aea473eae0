"""Refuse YAML that parses but would hurt us or mislead the user, before anything is built from it.

Checked on the composed node tree, once per distinct node (aliases are followed by reference,
never expanded), so a 342-byte "billion laughs" file fails in microseconds:

- aliases may add at most MAX_ALIAS_VALUES values beyond what the file writes out;
- nesting (through aliases too) may be at most MAX_DEPTH levels deep;
- an alias may not point into its own collection (a cycle);
- a mapping may not repeat a key (YAML loaders silently keep the last one).
"""

from __future__ import annotations

import yaml

from homelab import yamlsrc  # which imports this module: only `yamlsrc.dotted` is used, at call time
from homelab.errors import InputError, Problem

MAX_ALIAS_VALUES = 100_000
MAX_DEPTH = 100
MERGE_TAG = "tag:yaml.org,2002:merge"
SCALAR, MAPPING = yaml.ScalarNode, yaml.MappingNode


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _duplicate_keys(node: yaml.MappingNode, root: yaml.Node, file: str) -> None:
    keys = [(k.tag, k.value) for k, _ in node.value if k.__class__ is SCALAR and k.tag != MERGE_TAG]
    if len(set(keys)) == len(keys):
        return
    first: dict[tuple[str, str], yaml.Node] = {}
    for key, _value in node.value:
        if key.__class__ is not SCALAR or key.tag == MERGE_TAG:
            continue
        earlier = first.setdefault((key.tag, key.value), key)
        if earlier is not key:
            where = _path_to(root, node)
            raise InputError([Problem(f"key '{key.value}' appears twice: first on line {_line(earlier)}, "
                                      f"again on line {_line(key)}", file=file, line=_line(key),
                                      field=yamlsrc.dotted((*where, str(key.value))) if where is not None else None,
                                      hint="keep one; YAML would silently use the last")])


def _path_to(root: yaml.Node, target: yaml.Node) -> yamlsrc.PathKey | None:
    """Where `target` first appears under `root` (only computed for an error message)."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, yamlsrc.PathKey]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend((value, (*path, str(key.value))) for key, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, index)) for index, item in enumerate(node.value))
    return None


def check(root: yaml.Node | None, file: str) -> None:
    """Raise InputError (file and line) if the document amplifies, nests too deep, cycles or repeats keys.

    One pass over the distinct collections; scalars are counted where they sit, never stacked.
    """
    if root is None or root.__class__ is SCALAR:
        return
    size: dict[int, int] = {}  # id(collection) -> values it expands to, itself included
    height: dict[int, int] = {}  # id(collection) -> levels it spans, itself included
    counted: set[int] = set()  # collections met once already; meeting one again is an alias
    on_path: set[int] = set()
    extra = 0
    stack: list[tuple[yaml.Node, int, list[yaml.Node] | None]] = [(root, 1, None)]
    while stack:
        node, depth, kids = stack.pop()
        key = id(node)
        if kids is not None:  # all children are done: total them up
            on_path.discard(key)
            total, tallest = 1, 0
            for kid in kids:
                if kid.__class__ is SCALAR:
                    total += 1
                    tallest = tallest or 1
                    continue
                total += size[id(kid)]
                tallest = max(tallest, height[id(kid)])
                if id(kid) in counted:
                    extra += size[id(kid)]
                    if extra > MAX_ALIAS_VALUES:
                        raise InputError([Problem(
                            f"aliases here expand to more than {MAX_ALIAS_VALUES:,} values", file=file,
                            line=_line(node), hint="an alias bomb? write the values out, or use fewer aliases")])
                counted.add(id(kid))
            size[key], height[key] = total, tallest + 1
            continue
        if key in size:
            if depth - 1 + height[key] > MAX_DEPTH:
                _too_deep(node, file)
            continue
        if key in on_path:
            raise InputError([Problem("an alias refers to a collection that contains it (a cycle)", file=file,
                                      line=_line(node), hint="an alias may only repeat a finished value")])
        if depth >= MAX_DEPTH:
            _too_deep(node, file)
        on_path.add(key)
        if node.__class__ is MAPPING:
            _duplicate_keys(node, root, file)
            kids = [part for pair in node.value for part in pair]
        else:
            kids = list(node.value)
        stack.append((node, depth, kids))
        stack.extend((kid, depth + 1, None) for kid in reversed(kids) if kid.__class__ is not SCALAR)


def _too_deep(node: yaml.Node, file: str) -> None:
    raise InputError([Problem(f"nested more than {MAX_DEPTH} levels deep", file=file, line=_line(node),
                              hint="flatten the structure; no homelab file needs this depth")])
