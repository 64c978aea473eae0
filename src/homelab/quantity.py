"""Kubernetes resource quantities (`500m`, `2`, `32Gi`) parsed into integers.

CPU becomes millicores and memory or storage becomes bytes, so the planner can
add and compare them. Near misses such as `32GB` get a "did you mean" hint. A quantity
is never negative, infinite or NaN; `Positive...` types (a node's size) also refuse zero.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

from homelab.errors import shown

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
_BYTES_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
_CPU_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m)?$")
MAX_AMOUNT = 2**63 - 1
_NEAR_MISS = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtTpPeE])(i?)[bB]?\s*$")


def _bytes_hint(text: str) -> str:
    near = _NEAR_MISS.match(text)
    if near:
        return f"did you mean {shown(near.group(1), 20)}{near.group(2).upper()}i?"
    return "use a Kubernetes quantity such as 512Mi, 32Gi or 1Ti"


def _finite_and_not_negative(value: float, example: str) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a quantity (use a finite number such as {example})")
    if value < 0:
        raise ValueError(f"{shown(value, 20)} is negative (use a quantity such as {example})")


def _in_range(amount: float, example: str) -> float:
    """A parsed amount Kubernetes can hold (its quantities are 64-bit)."""
    if not math.isfinite(amount) or amount > MAX_AMOUNT:
        raise ValueError(f"larger than Kubernetes can express (use a quantity such as {example})")
    return amount


def parse_bytes(value: Any) -> int:
    """`32Gi` -> 34359738368. Raises ValueError with a hint for near misses."""
    if isinstance(value, bool):
        raise ValueError("expected a quantity such as 32Gi, got a boolean")
    if isinstance(value, int):
        _finite_and_not_negative(value, "32Gi")
        return int(_in_range(value, "32Gi"))
    if isinstance(value, float):
        _finite_and_not_negative(value, "32Gi")
        raise ValueError(f"{value:g} is not a whole number of bytes (use a quantity such as 32Gi)")
    if not isinstance(value, str):
        raise ValueError(f"expected a quantity such as 32Gi, got {type(value).__name__}")
    match = _BYTES_RE.match(value.strip())
    if not match:
        raise ValueError(f"'{shown(value)}' is not a Kubernetes quantity ({_bytes_hint(value)})")
    number, suffix = float(match.group(1)), match.group(2)
    factor = _BINARY.get(suffix or "", _DECIMAL.get(suffix or "", 1))
    return int(_in_range(number * factor, "32Gi"))


def parse_cpu(value: Any) -> int:
    """`500m` -> 500, `2` -> 2000, `0.5` -> 500 (millicores)."""
    if isinstance(value, bool):
        raise ValueError("expected a CPU quantity such as 500m or 2, got a boolean")
    if isinstance(value, int | float):
        _finite_and_not_negative(value, "4 or 500m")
        return round(_in_range(value * 1000, "4 or 500m"))
    if not isinstance(value, str):
        raise ValueError(f"expected a CPU quantity such as 500m or 2, got {type(value).__name__}")
    match = _CPU_RE.match(value.strip())
    if not match:
        raise ValueError(f"'{shown(value)}' is not a CPU quantity (use cores such as 4 or millicores such as 500m)")
    number = float(match.group(1))
    return round(_in_range(number if match.group(2) else number * 1000, "4 or 500m"))


def format_bytes(value: int) -> str:
    """Largest binary unit that keeps one decimal: 34359738368 -> `32Gi`."""
    for suffix in ("Ti", "Gi", "Mi", "Ki"):
        factor = _BINARY[suffix]
        if value >= factor:
            number = value / factor
            return f"{number:.0f}{suffix}" if number == int(number) else f"{number:.1f}{suffix}"
    return str(value)


def format_cpu(millicores: int) -> str:
    """500 -> `500m`, 2000 -> `2`."""
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def _positive(example: str) -> AfterValidator:
    def check(value: int) -> int:
        if value <= 0:
            raise ValueError(f"must be more than 0 (use a quantity such as {example})")
        return value

    return AfterValidator(check)


Bytes = Annotated[
    int,
    BeforeValidator(parse_bytes),
    PlainSerializer(format_bytes, return_type=str),
    WithJsonSchema({"type": "string", "pattern": _BYTES_RE.pattern,
                    "description": "Kubernetes quantity, e.g. 512Mi, 32Gi, 1Ti", "examples": ["32Gi"]}),
]
Cpu = Annotated[
    int,
    BeforeValidator(parse_cpu),
    PlainSerializer(format_cpu, return_type=str),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": _CPU_RE.pattern},
                              {"type": "number", "minimum": 0}],
                    "description": "CPU cores (4) or millicores (500m)", "examples": ["4", "500m"]}),
]
PositiveBytes = Annotated[Bytes, _positive("8Gi")]
PositiveCpu = Annotated[Cpu, _positive("4 or 500m")]
