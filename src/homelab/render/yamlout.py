"""Stable YAML out: sorted keys, block style, no line folding, so re-rendering gives the same bytes."""

from __future__ import annotations

from typing import Any

import yaml

try:
    _Dumper: type = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - libyaml missing
    _Dumper = yaml.SafeDumper


def dump_text(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True,
                     width=1 << 16)


def dump(data: Any) -> bytes:
    return dump_text(data).encode("utf-8")
