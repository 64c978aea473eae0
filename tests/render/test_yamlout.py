"""Our YAML writer must read back, through PyYAML, as exactly the data it wrote."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from homelab.render import Rendered
from homelab.render.layout import factor
from homelab.render.yamlout import dump_text

TRICKY = ["", " a", "a ", "yes", "No", "on", "null", "~", "1", "1.0", "0x1f", "1e3", "1_000", "a: b", "a #b", "#x",
          "- a", "key:", "@x", "a\nb", "a\nb\n", "a\n\n", "\n", " a\nb", "a \nb", "\u2028", "\x85x", "é", "😀",
          "2024-01-01", "12:30", "<<", ".inf", ".5", "+1", "0o7", "y", "True", "x\n\ny\n", "*x", "&a", "!t", "%x"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from(TRICKY),
                    st.text(st.characters(exclude_categories=("Cs",)), max_size=12))
data = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.sampled_from(TRICKY), st.text(max_size=6)), inner,
                                                  max_size=4)), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(data)
def test_any_data_reads_back_the_same(value: Any) -> None:
    assert yaml.safe_load(dump_text(value)) == value
    assert yaml.safe_load(dump_text(value, blocks=False)) == value


def test_every_rendered_file_reads_back_the_same(rendered: Rendered) -> None:
    files = factor(rendered.objects)
    assert files
    for rel, value in files.items():
        assert yaml.safe_load(dump_text(value)) == value, rel
    assert dump_text({"b": 1, "a": {"c": [1, "x: y"]}}) == 'a:\n  c:\n  - 1\n  - "x: y"\nb: 1\n'
