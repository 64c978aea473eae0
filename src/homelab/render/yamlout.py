"""Stable YAML out: sorted keys, block style, no line folding, so re-rendering gives the same bytes.

PyYAML's representer walks every node in Python and dominated render time (a 1,000-component
tree is ~30,000 objects), so this emits the plain data render produces (mappings, lists, strings,
numbers, booleans, null) directly. A string is written plain only when PyYAML's own resolver
reads it back as that string; otherwise it is double-quoted with JSON escapes, which YAML reads
the same. Tests load every rendered file back with PyYAML and compare.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import yaml

_RESOLVER = yaml.resolver.Resolver()
_PLAIN = re.compile(r"[A-Za-z0-9_/.(][-A-Za-z0-9_./=+@~%:,()' ]*")
_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
_BLOCK_SAFE = re.compile("[^\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]*")


@lru_cache(maxsize=65536)
def _scalar(text: str) -> str:
    if (_PLAIN.fullmatch(text) and ": " not in text and " #" not in text and not text.endswith((":", " "))
            and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == "tag:yaml.org,2002:str"):
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _block(text: str, pad: str) -> str | None:
    """A literal block scalar for multi-line text, when it can hold the text exactly."""
    body = text[:-1] if text.endswith("\n") else text
    lines = body.split("\n")
    if (not _BLOCK_SAFE.fullmatch(text) or body.endswith("\n") or not lines[0] or lines[0].startswith(" ")
            or any(line.endswith(" ") or "\t" in line for line in lines)):
        return None
    head = "|" if text.endswith("\n") else "|-"
    return head + "".join("\n" + (pad + line if line else "") for line in lines)


def _float(value: float) -> str:
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    return text.replace("e", ".0e") if "e" in text and "." not in text else text


def _key(key: Any) -> str:
    return _scalar(key) if isinstance(key, str) else _value(key, "").strip()


def _value(value: Any, pad: str, blocks: bool = True) -> str:
    """`value` placed after `key:` or `- ` (leading space or newline included)."""
    if isinstance(value, dict):
        return " {}" if not value else "\n" + _mapping(value, pad + "  ", blocks)[:-1]
    if isinstance(value, list):
        return " []" if not value else "\n" + _sequence(value, pad, blocks)[:-1]
    if isinstance(value, str):
        if blocks and "\n" in value and (block := _block(value, pad + "  ")) is not None:
            return " " + block
        return " " + _scalar(value)
    if value is None:
        return " null"
    if isinstance(value, bool):
        return " true" if value else " false"
    if isinstance(value, int):
        return " " + repr(value)
    if isinstance(value, float):
        return " " + _float(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _mapping(data: dict[str, Any], pad: str, blocks: bool = True) -> str:
    return "".join(f"{pad}{_key(key)}:{_value(data[key], pad, blocks)}\n" for key in sorted(data, key=str))


def _sequence(items: list[Any], pad: str, blocks: bool = True) -> str:
    out = []
    for item in items:
        if isinstance(item, dict) and item:
            first, *rest = _mapping(item, pad + "  ", blocks).splitlines(keepends=True)
            out.append(f"{pad}- {first.lstrip()}" + "".join(rest))
        elif isinstance(item, list) and item:
            out.append(f"{pad}-\n" + _sequence(item, pad + "  ", blocks))
        else:
            out.append(f"{pad}-{_value(item, pad + '  ', blocks)}\n")
    return "".join(out)


def dump_text(data: Any, blocks: bool = True) -> str:
    """YAML for `data`; `blocks=False` quotes multi-line strings instead of using literal blocks
    (kustomize drops the final newline of a block scalar nested in an inline patch)."""
    if isinstance(data, dict) and data:
        return _mapping(data, "", blocks)
    if isinstance(data, list) and data:
        return _sequence(data, "", blocks)
    return _value(data, "", blocks).lstrip() + "\n"


def dump(data: Any) -> bytes:
    """One document, or a multi-document stream for a `Docs` list."""
    from homelab.render.layout import Docs

    if isinstance(data, Docs):
        return "".join("---\n" + dump_text(doc) for doc in data).encode("utf-8")
    return dump_text(data).encode("utf-8")
