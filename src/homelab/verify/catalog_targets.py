"""Targets built from catalog entries: each component's `probe` facet at its endpoint.

Inside the cluster a Service answers at `<service>.<namespace>.svc.cluster.local:<port>`;
exposed HTTP endpoints can instead be reached through the ingress at
`<host>.<env>.<domain>`. Credentials are never known here: they become `${ENV_VAR}`
references (HOMELAB_<COMPONENT>_USERNAME / _PASSWORD) that the user exports, e.g. from
the ExternalSecret's Kubernetes Secret, before running `homelab verify`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from homelab.errors import InputError, Problem
from homelab.verify.kinds import known_kinds, probe_class
from homelab.verify.targets import Target

if TYPE_CHECKING:
    from homelab.catalog.model import Component, Endpoint

HTTP_SCHEMES = ("http", "https")


def env_prefix(component: str) -> str:
    return "HOMELAB_" + component.upper().replace("-", "_")


def _url(component: Component, endpoint: Endpoint, host: str, port: int) -> str:
    """The probe URL; a user named in the probe options is kept, every password is a ${VAR}."""
    assert component.probe is not None
    cls, options = probe_class(component.probe.kind), component.probe.options
    scheme = cls.scheme or "tcp"
    if scheme in HTTP_SCHEMES:
        scheme = "https" if endpoint.protocol == "https" or port == 443 else "http"
    prefix = env_prefix(component.name)
    user = options.get("access_key") or options.get("username") or options.get("user") or options.get("account")
    auth = ""
    if options.get("access_key") and options.get("secret_key"):  # published test keys (LocalStack)
        auth = f"{quote(str(options['access_key']), safe='')}:{quote(str(options['secret_key']), safe='')}@"
    elif cls.needs_credentials or user:
        name = quote(str(user), safe="") if user else f"${{{prefix}_USERNAME}}"
        auth = f"{name}:${{{prefix}_PASSWORD}}@"
    path = component.probe.path or ""
    if not path and (database := options.get("database") or options.get("base_dn")):
        path = str(database)
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


def targets_from_plan(config_path: Path | None, env: str | None) -> tuple[str, list[Target]]:
    """Targets for the components `homelab plan` puts in `env`, at their in-cluster addresses.

    Service DNS names resolve inside the cluster (run verify in a pod, or through a VPN into
    the cluster network); from elsewhere, write a targets file with port-forwarded addresses.
    """
    from homelab import config as config_stage
    from homelab.catalog import load_catalog
    from homelab.plan import make_plan

    loaded = config_stage.load(config_path)
    names = loaded.config.env_names()
    if env is not None and env not in names:
        raise InputError([Problem(f"unknown environment '{env}'", field="--env",
                                  hint=f"choose one of: {', '.join(names)}")])
    env_name = env or names[0]
    plan = make_plan(loaded.config, load_catalog(), env_name, loaded.source.file)
    label = loaded.config.env(env_name).subdomain
    targets = targets_from_components([p.component for p in plan.components.values()],
                                      env_name if label is None else label, loaded.config.platform.domain)
    if not targets:
        raise InputError([Problem(f"the plan for {env_name} has no component with a probe", field="--env",
                                  hint="pass --targets FILE to verify systems by address")])
    return env_name, targets
