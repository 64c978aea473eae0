"""Quantities: never negative, infinite or NaN anywhere; a node's CPU and memory also more than 0."""

from __future__ import annotations

import math

import pytest

from homelab.quantity import format_bytes, format_cpu, parse_bytes, parse_cpu


@pytest.mark.parametrize(("text", "millicores"), [("500m", 500), ("2", 2000), (4, 4000), (0.5, 500), (0, 0)])
def test_cpu_quantities(text: object, millicores: int) -> None:
    assert parse_cpu(text) == millicores


@pytest.mark.parametrize(("text", "size"), [("32Gi", 32 * 2**30), ("1.5Ki", 1536), (0, 0), ("512M", 512 * 10**6)])
def test_byte_quantities(text: object, size: int) -> None:
    assert parse_bytes(text) == size


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, -4, -0.5, True, 1.7e305, 10**30, "9" * 400])
def test_cpu_refuses_what_is_no_amount(value: object) -> None:
    with pytest.raises(ValueError, match=r"not a quantity|negative|boolean|larger than Kubernetes can express"):
        parse_cpu(value)


@pytest.mark.parametrize("value", [math.inf, math.nan, -1, 1.5, "-1Gi", "32GB", None, 2**64, "9" * 400 + "Ei"])
def test_bytes_refuse_what_is_no_amount(value: object) -> None:
    with pytest.raises(ValueError):
        parse_bytes(value)


def test_formatting_round_trips() -> None:
    assert (format_cpu(parse_cpu("1500m")), format_bytes(parse_bytes("32Gi"))) == ("1500m", "32Gi")
