"""MetalLB: the environment's address pool and an L2 advertisement of it, when a load-balancer is planned.

The pool is the environment's own `cluster.load_balancer` (else the top-level one); the config checks that
environments on one network never hand out the same address."""

from __future__ import annotations

from typing import Any

from homelab.render.context import Context, Obj

API = "metallb.io/v1beta1"


def render(ctx: Context) -> list[Obj]:
    lb = ctx.provider("load-balancer")
    pool = ctx.cluster.load_balancer
    if lb is None or pool is None:
        if lb is not None:
            ctx.warnings.append(f"{lb.name} is planned but {ctx.env} has no load_balancer.addresses (set them in "
                                f"cluster: or environments.{ctx.env}.cluster:)")
        return []
    name = f"{ctx.platform}-pool"
    specs: dict[str, dict[str, Any]] = {"IPAddressPool": {"addresses": list(pool.addresses), "autoAssign": True},
             "L2Advertisement": {"ipAddressPools": [name]}}
    return [ctx.obj(API, kind, name, owner=lb.name, role="load-balancer", group="platform/load-balancer",
                    namespace=lb.namespace, spec=spec) for kind, spec in specs.items()]
