"""Prune selection: only our labelled, top-level objects of this environment that left the tree."""

from __future__ import annotations

import copy

from homelab.cluster import objects as o
from homelab.cluster.prune import inventory_kinds, inventory_object, kinds_of, select_prune

from .helpers import load


def live_of(tree: list[dict]) -> list[dict]:
    return copy.deepcopy(tree)


def names(objects: list[dict]) -> list[str]:
    return [str(o.ref(x)) for x in objects]


def test_nothing_to_prune_when_live_equals_tree() -> None:
    tree = load("tree.yaml")
    assert select_prune(live_of(tree), tree, "homelab", "dev") == []


def test_objects_gone_from_the_tree_are_pruned_in_delete_order() -> None:
    tree = load("tree.yaml")
    live = live_of(tree)
    smaller = [x for x in tree if x["kind"] not in ("ConfigMap", "Widget", "CustomResourceDefinition")]
    assert names(select_prune(live, smaller, "homelab", "dev")) == [
        "Widget/demo/blue", "ConfigMap/demo/web-config", "CustomResourceDefinition/widgets.example.com"]


def test_foreign_children_and_other_environments_are_never_pruned() -> None:
    tree = load("tree.yaml")
    others = load("live-extra.yaml")
    chosen = names(select_prune(live_of(tree) + others, tree, "homelab", "dev"))
    assert chosen == ["ConfigMap/demo/old-settings"]


def test_a_version_bump_is_not_a_new_object() -> None:
    tree = load("tree.yaml")
    live = live_of(tree)
    next(x for x in live if x["kind"] == "Widget")["apiVersion"] = "example.com/v1beta1"
    assert select_prune(live, tree, "homelab", "dev") == []


def test_inventory_round_trip() -> None:
    kinds = kinds_of(load("tree.yaml"))
    cm = inventory_object("homelab", "dev", kinds)
    assert cm["metadata"]["namespace"] == "kube-system"
    assert o.owned(cm, "homelab", "dev")
    assert inventory_kinds(cm) == kinds
    assert ("example.com/v1", "Widget") in kinds
    assert inventory_kinds(None) == set()
