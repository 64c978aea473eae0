"""`footprint.copies`: the part of a per-node component that runs as Deployments, with its evidence; an entry
that runs copies beside a DaemonSet must say what a copy requests."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from homelab.catalog import load_catalog
from homelab.catalog.model import Component, Footprint

CATALOG = load_catalog()
ONE_COPY = {"cpu": "200m", "memory": "256Mi", "confirmed": "a chart's template at a tag"}


def test_copies_parse_with_their_evidence() -> None:
    footprint = Footprint.model_validate({"cpu": "100m", "memory": "64Mi", "per_node": True, "copies": ONE_COPY})
    assert footprint.copies is not None
    assert (footprint.copies.cpu, footprint.copies.memory, footprint.copies.storage) == (200, 256 * 2**20, 0)


@pytest.mark.parametrize(("body", "error"), [
    ({"cpu": "100m", "copies": ONE_COPY}, r"set `per_node: true`"),
    ({"per_node": True, "copies": {"cpu": "200m"}}, "confirmed"),
    ({"per_node": True, "copies": {**ONE_COPY, "replicas": 2}}, "Extra inputs"),
])
def test_copies_outside_a_per_node_footprint_or_without_evidence_are_refused(body: dict[str, Any], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        Footprint.model_validate(body)


def test_a_per_node_entry_with_copies_must_price_them() -> None:
    base = CATALOG.components["datadog"].model_dump(mode="json", exclude_none=True)
    without = {**base, "footprint": {k: v for k, v in base["footprint"].items() if k != "copies"}}
    with pytest.raises(ValidationError, match=r"footprint\.copies"):
        Component.model_validate(without)


def test_the_entries_whose_deployments_were_read_are_split() -> None:
    """Their Deployments are charged per copy; the DaemonSet-only ones, and those whose Deployments' requests
    could not be read at their pins (Longhorn, the Ceph CSI drivers, New Relic), keep one per-node figure."""
    per_node = {n for n, c in CATALOG.components.items() if c.footprint.per_node}
    split = {n for n in per_node if CATALOG.components[n].footprint.copies}
    assert split == {"cilium", "metallb", "velero", "datadog"}
    for name in split:
        comp = CATALOG.components[name]
        copies = comp.footprint.copies
        assert copies is not None and (copies.cpu or copies.memory), name
        assert str(comp.source.version) in copies.confirmed, f"{name}: evidence without the pinned version"
