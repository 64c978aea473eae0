"""Targets built from catalog entries: each component's `probe` facet at its endpoint.

Inside the cluster a Service answers at `<service>.<namespace>.svc.cluster.local:<port>`;
exposed HTTP endpoints can instead be reached through the ingress at
`<host>.<env>.<domain>`. Credentials are never known here: they become `${ENV_VAR}`
references (HOMELAB_<COMPONENT>_USERNAME / _PASSWORD) that the user exports, e.g. from
the ExternalSecret's Kubernetes Secret, before running `homelab verify`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from homelab.errors import InputError, Problem
from homelab.verify.kinds import known_kinds, probe_class
from homelab.verify.targets import Target

if TYPE_CHECKING:
    from homelab.catalog.model import Component, Endpoint

HTTP_SCHEMES = ("http", "https")


def env_prefix(component: str) -> str:
    return "HOMELAB_" + component.upper().replace("-", "_")


def _url(component: Component, endpoint: Endpoint, host: str, port: int) -> str:
    assert component.probe is not None
    cls = probe_class(component.probe.kind)
    scheme = cls.scheme or "tcp"
    if scheme in HTTP_SCHEMES:
        scheme = "https" if endpoint.protocol == "https" or port == 443 else "http"
    auth = ""
    if cls.needs_credentials:
        prefix = env_prefix(component.name)
        auth = f"${{{prefix}_USERNAME}}:${{{prefix}_PASSWORD}}@"
    path = component.probe.path or ""
    if path and not path.startswith("/"):
        path = "/" + path
    return f"{scheme}://{auth}{host}:{port}{path}"


def targets_from_components(components: Iterable[Component], env: str, domain: str,
                            ingress: bool = False) -> list[Target]:
    """One target per component that declares a probe and has an endpoint to probe."""
    targets = []
    kinds = set(known_kinds())
    for component in components:
        probe = component.probe
        if probe is None or not component.endpoints or probe.kind not in kinds:
            continue
        by_name = {e.name: e for e in component.endpoints}
        endpoint = by_name[probe.endpoint] if probe.endpoint else component.endpoints[0]
        host, port = f"{endpoint.service}.{component.namespace}.svc.cluster.local", endpoint.port
        if ingress and endpoint.expose and probe_class(probe.kind).scheme in HTTP_SCHEMES:
            host, port = ".".join(p for p in (endpoint.host or component.name, env, domain) if p), 443
        options = dict(probe.options)
        if probe.expect_status is not None:
            options["expect_status"] = probe.expect_status
        if probe.expect_body is not None:
            options["expect_body"] = probe.expect_body
        targets.append(Target(name=component.name, kind=probe.kind, url=_url(component, endpoint, host, port),
                              options=options))
    return targets


def targets_from_plan(env: str | None) -> tuple[str, list[Target]]:
    """Targets for the components the plan deploys in `env`.

    The plan stage (`homelab.plan`) is the lead's: it hands over its components through
    a `verify_components(env) -> (env, domain, components)` function. Until it exists,
    verify needs a targets file and says so.
    """
    try:
        plan = importlib.import_module("homelab.plan")
    except ModuleNotFoundError:
        plan = None
    hook = getattr(plan, "verify_components", None)
    if hook is None:
        raise InputError([Problem("no targets to verify: the plan cannot list deployed systems yet",
                                  field="--targets", hint="pass --targets FILE (a YAML list of "
                                  "{name, kind, url}; see docs/verify.md)")])
    env_name, domain, components = hook(env)
    return env_name, targets_from_components(components, env_name, domain)
