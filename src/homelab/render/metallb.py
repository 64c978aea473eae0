"""MetalLB: the config's address pool and an L2 advertisement of it, when a load-balancer is planned."""

from __future__ import annotations

from typing import Any

from homelab.render.context import Context, Obj

API = "metallb.io/v1beta1"


def render(ctx: Context) -> list[Obj]:
    lb = ctx.provider("load-balancer")
    pool = ctx.config.cluster.load_balancer
    if lb is None or pool is None:
        if lb is not None:
            ctx.warnings.append(f"{lb.name} is planned but cluster.load_balancer.addresses is not set")
        return []
    name = f"{ctx.platform}-pool"
    specs: dict[str, dict[str, Any]] = {"IPAddressPool": {"addresses": list(pool.addresses), "autoAssign": True},
             "L2Advertisement": {"ipAddressPools": [name]}}
    return [ctx.obj(API, kind, name, owner=lb.name, role="load-balancer", group="platform/load-balancer",
                    namespace=lb.namespace, spec=spec) for kind, spec in specs.items()]
