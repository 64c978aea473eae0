"""Diagrams drawn on the server: the mermaid subset read, each kind laid out, components linked, no style."""

from __future__ import annotations

import re

import pytest

from homelab.catalog import load_catalog
from homelab.config import load
from homelab.plan import make_plan
from homelab.portal import bands, diagrams, graphviz, mermaid

TITLES = {"keycloak": "Keycloak", "dex": "Dex", "grafana": "Grafana", "ingress-nginx": "NGINX Ingress"}
PARTS = diagrams.label_parts(TITLES)


def test_flowchart_subset_is_read() -> None:
    chart = mermaid.parse('graph LR\n  %% a comment\n  subgraph S["Security Layer"]\n    direction TB\n'
                          '    A[Auth] -->|oidc| B("Box<br/>two")\n  end\n  B --> C[(Store)] --> D\n'
                          '  classDef x fill:red\n  click A "javascript:alert(1)"\n')
    assert isinstance(chart, mermaid.Flowchart) and chart.direction == "LR"
    assert chart.groups["S"].title == "Security Layer" and chart.groups["S"].members == ["A", "B"]
    assert chart.nodes["B"].label == "Box\ntwo" and chart.nodes["C"].shape == "cylinder"
    assert [(e.src, e.dst, e.label) for e in chart.edges] == [("A", "B", "oidc"), ("B", "C", ""), ("C", "D", "")]


def test_sequence_subset_is_read() -> None:
    seq = mermaid.parse("sequenceDiagram\n  participant I as Ingress (NGINX Ingress)\n  User->>I: Request\n"
                        "  I-->>User: Response\n")
    assert isinstance(seq, mermaid.Sequence)
    assert seq.participants == {"I": "Ingress (NGINX Ingress)", "User": "User"}
    assert [(m.src, m.dst, m.reply) for m in seq.messages] == [("User", "I", False), ("I", "User", True)]


def test_labels_name_components_by_title() -> None:
    assert PARTS("Grafana") == (None, [graphviz.Part("Grafana", "grafana")])
    heading, parts = PARTS("Authentication: Dex, Keycloak")
    assert heading == "Authentication" and [p.component for p in parts] == ["dex", "keycloak"]
    assert PARTS("Ingress (NGINX Ingress)")[1] == [graphviz.Part("NGINX Ingress", "ingress-nginx")]
    assert PARTS("Metrics (12 ServiceMonitors)") == (None, [graphviz.Part("Metrics (12 ServiceMonitors)")])


def test_many_same_label_edges_become_one_edge_into_a_group() -> None:
    apps = "\n".join(f'    a{i}["App {i}"]' for i in range(6))
    chart = mermaid.parse(f'graph TB\n  Auth\n  subgraph APPS["Apps"]\n{apps}\n  end\n'
                          + "\n".join(f"  Auth -->|oidc| a{i}" for i in range(6)) + "\n  Auth --> a0\n")
    assert isinstance(chart, mermaid.Flowchart)
    graphviz.bundle_fans(chart)
    sub = chart.groups["APPS_Auth_oidc"]
    assert sub.title == "oidc" and len(sub.members) == 6
    assert [(e.src, e.dst) for e in chart.edges] == [("Auth", "a0"), ("Auth", "APPS_Auth_oidc")]


@pytest.fixture(scope="module")
def drawn() -> dict[str, diagrams.Diagram]:
    config, catalog = load().config, load_catalog()
    plan = make_plan(config, catalog, "dev")
    parts = diagrams.label_parts({n: p.component.title for n, p in plan.components.items()})
    return {name: diagrams.draw(name, text, parts) for name, text in diagrams.builder()(plan, catalog, config).items()}


def test_the_design_diagrams_are_drawn_readably(drawn: dict[str, diagrams.Diagram]) -> None:
    assert set(drawn) == set(diagrams.TITLES)
    for d in drawn.values():
        assert d.error == "" and d.svg.startswith("<svg"), (d.name, d.error)
        assert not re.search(r"\sstyle=|<style|<script|\son[a-z]+=", d.svg), d.name  # nothing the CSP blocks
        assert "xlink:" not in d.svg and ' id="node' not in d.svg  # no ids that clash between drawings
        width = float(re.search(r'viewBox="[\d.-]+ [\d.-]+ ([\d.]+)', d.svg).group(1))  # type: ignore[union-attr]
        assert width <= 2 * bands.WIDTH, (d.name, width)  # the security diagram was 8,450 px wide
    arch = drawn["architecture"].svg
    order = [arch.index(f">{title}<") for title in ("Infrastructure Layer", "Data Layer", "Application Layer",
                                                     "Development Layer", "Backup &amp; Recovery")]
    assert order == sorted(order)  # the design's layer order, top to bottom
    assert len(drawn["architecture"].components) > 100
    assert 'href="/components/keycloak" class="cmp" data-name="keycloak"' in drawn["security"].svg


def test_states_are_marked_on_the_boxes(drawn: dict[str, diagrams.Diagram]) -> None:
    coloured = diagrams.with_states(drawn["security"].svg, {"keycloak": "failing"})
    assert 'data-name="keycloak" data-state="failing"' in coloured
    assert 'data-name="dex" data-state="planned"' in coloured


def test_without_graphviz_the_page_says_so_and_shows_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graphviz.shutil, "which", lambda name: None)
    d = diagrams.draw("monitoring", "graph TB\n  A --> B\n", PARTS)
    assert d.svg == "" and "apt-get install graphviz" in d.error
    sequence = diagrams.draw("interactions", "sequenceDiagram\n  A->>B: hi\n", PARTS)
    assert sequence.svg.startswith("<svg")  # drawn by the portal itself
