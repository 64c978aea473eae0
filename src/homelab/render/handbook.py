"""What an operator must do by hand, read off the rendered objects: Vault entries and OIDC clients.

docs/vault.md lists every Vault path and property the ExternalSecrets read, per environment, so
the store can be filled before the first sync. docs/sso.md lists every OIDC client (the realm
import registers them in Keycloak; another identity provider needs them registered by hand).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from homelab.render.context import Obj
from homelab.render.sso import redirect_patterns


def vault(objects: dict[str, list[Obj]]) -> str:
    lines = ["# Vault entries", "", "Every credential in this tree is an ExternalSecret reading Vault's KV v2 engine "
             "(mount `secret`) through the ClusterSecretStore. Write these before the first sync, e.g. "
             "`vault kv put secret/<path> <property>=...`. Nothing here is a secret value.", ""]
    for env, objs in objects.items():
        wanted: dict[str, set[str]] = defaultdict(set)
        users: dict[str, set[str]] = defaultdict(set)
        for obj in objs:
            if obj.kind != "ExternalSecret":
                continue
            for item in obj.body["spec"].get("data", []):
                ref = item["remoteRef"]
                wanted[ref["key"]].add(ref["property"])
                users[ref["key"]].add(f"{obj.namespace}/{obj.body['spec']['target']['name']}")
        lines += [f"## {env}", "", "| Vault path | properties | Kubernetes Secret |", "|---|---|---|"]
        lines += [f"| `{path}` | {', '.join(f'`{p}`' for p in sorted(props))} | {', '.join(sorted(users[path]))} |"
                  for path, props in sorted(wanted.items())]
        lines.append("")
    return "\n".join(lines)


def sso(clients: dict[str, list[dict[str, Any]]]) -> str:
    lines = ["# Single sign-on clients", "", "OIDC clients of the exposed UIs (`sso: oidc`) and of the OAuth2 Proxy "
             "instances in front of the others (`sso: proxy`). A Keycloak identity provider gets them from the "
             "realm import in this tree; any other needs them registered by hand. Each client's secret is the "
             "`client-secret` property of the Vault path `<platform>/<env>/<component>/oidc-client`.", ""]
    for env, wanted in clients.items():
        lines += [f"## {env}", "", "| client | redirect URIs |", "|---|---|"]
        lines += [f"| `{c['clientId']}` | {', '.join(redirect_patterns(c))} |" for c in wanted]
        lines.append("")
    return "\n".join(lines)
