"""The component page says how strong the evidence for its pin is, and where it was read."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_component_page_and_api_show_the_evidence_level(client: TestClient) -> None:
    api = client.get("/api/components/grafana").json()
    assert api["evidence"] == "unverified" and api["confirmed"] == "synthetic"  # the synthetic entries claim nothing
    page = client.get("/components/grafana").text
    assert '<td id="evidence"><code>unverified</code>: synthetic</td>' in page
