"""Prometheus (and Thanos/VictoriaMetrics query APIs): query `up`, and every target healthy.

A Prometheus that answers but scrapes nothing, or whose targets are down, is not
monitoring anything; the probe fails then and names the unhealthy targets.
Set `allow_down: true` to only report, not fail on, unhealthy targets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homelab.verify.base import expect, register
from homelab.verify.web import HTTP_API_QUERY, HttpApiProbe, checked, client_for

if TYPE_CHECKING:
    from homelab.verify.base import Step
    from homelab.verify.targets import Target


@register
class PrometheusProbe(HttpApiProbe):
    kind = "prometheus"
    query_keys = HTTP_API_QUERY | {"allow_down"}
    aliases = ("thanos", "victoriametrics")
    default_port = 9090

    async def check(self, target: Target) -> list[Step]:
        async with client_for(target, self.timeout, strip=("/-/ready", "/-/healthy")) as client:
            with self.step("query up"):
                body = checked(await client.get("/api/v1/query", params={"query": "up"}), "query up")
                series = body.get("data", {}).get("result", [])
                expect(bool(series), "query 'up' returned no series: nothing is scraped")
                live = sum(1 for s in series if s.get("value", [0, "0"])[1] == "1")
                self.note(f"{live}/{len(series)} series up")
            with self.step("targets healthy"):
                body = checked(await client.get("/api/v1/targets", params={"state": "active"}), "targets")
                active = body.get("data", {}).get("activeTargets", [])
                down = [f"{t.get('labels', {}).get('job', '?')}/{t.get('labels', {}).get('instance', '?')}"
                        for t in active if t.get("health") != "up"]
                self.note(f"{len(active) - len(down)}/{len(active)} targets up")
                if not target.flag("allow_down"):
                    expect(not down, f"{len(down)} target(s) down: {', '.join(down[:5])}")
        return self.steps
