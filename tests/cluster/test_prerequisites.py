"""The bootstrap steps of a rendered tree become ordered Helm installs with the tree's own values files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from homelab.cluster import prerequisites
from homelab.errors import InputError


def test_steps_run_in_order_with_their_values(trees: dict[str, Path]) -> None:
    ran: list[list[str]] = []  # a recording runner stands in for running helm against a cluster
    count = prerequisites.apply(trees["standard"], "prod", "homelab-prod", run=ran.append)
    assert count == 1
    (command,) = ran
    assert command[:5] == ["helm", "upgrade", "--install", "cilium", "cilium"]
    values = Path(command[command.index("--values") + 1])
    assert yaml.safe_load(values.read_text())["policyCIDRMatchMode"] == ["nodes"]
    assert command[-2:] == ["--kube-context", "homelab-prod"] and "--wait" in command


def test_a_tree_without_steps_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        prerequisites.commands(tmp_path, "dev")
