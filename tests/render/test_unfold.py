"""`unfold`: which list of a long object becomes files, and what the files are named."""

from __future__ import annotations

from homelab.render.unfold import LONG_OBJECT, item_names, unfold


def _obj(rules: int, ports: int = 2) -> dict:
    return {"kind": "Thing", "metadata": {"name": "t"},
            "spec": {"ports": [{"name": f"p{i}", "port": i} for i in range(ports)],
                     "rules": [{"host": f"Host {i}.example", "paths": ["/a", "/b"], "weight": i}
                               for i in range(rules)]}}


def test_a_short_object_stays_whole() -> None:
    body = _obj(3)
    assert unfold("thing.yaml", body) == (body, {})


def test_the_longest_list_of_mappings_is_unfolded_in_order_and_the_rest_kept() -> None:
    body = _obj(LONG_OBJECT // 4, ports=10)
    short, parts = unfold("thing.yaml", body)
    assert short["spec"] == {"ports": body["spec"]["ports"], "rules": []}
    assert body["spec"]["rules"], "the object given is not changed"
    assert list(parts)[:2] == ["thing-rules/host-0-example.yaml", "thing-rules/host-1-example.yaml"]
    assert [ops[0]["value"] for ops in parts.values()] == body["spec"]["rules"]
    assert {ops[0]["path"] for ops in parts.values()} == {"/spec/rules/-"}


def test_items_are_named_by_the_first_field_that_tells_them_apart() -> None:
    assert item_names([{"name": "Same", "id": "a/b"}, {"name": "Same", "id": "c"}]) == ["a-b", "c"]
    assert item_names([{"n": 1}, {"n": 2}]) == ["01", "02"]
    assert item_names([{"id": "A"}, {"id": "a"}]) == ["01", "02"], "names that collide once made safe"
