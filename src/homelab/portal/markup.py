"""The page templates and what they need besides the views: code spans, ages, icons, query words.

Reasons and notes in the catalog and the plan mark names and commands with backticks, as
Markdown does; the pages show them as code. Everything is escaped first, so a backtick can only
ever produce a `<code>` element, never other markup.
"""

from __future__ import annotations

import re

import jinja2
from markupsafe import Markup, escape

from homelab.portal import attention, search, view

TICKS = re.compile(r"`([^`]+)`")
# a glyph of static/icons.svg for what a system does: its home category, refined by what it provides
CATEGORY_ICONS = {"storage": "disk", "networking": "network", "security": "shield", "databases": "database",
                  "caching": "bolt", "message-queues": "queue", "search": "search", "serverless": "function",
                  "cicd": "pipeline", "monitoring": "chart", "workloads": "app", "tools": "code", "ml": "ml",
                  "analytics": "bars", "emulators": "cloud", "backup": "backup"}
CAPABILITY_ICONS = {"object-storage": "bucket", "identity-provider": "key", "secrets-store": "lock",
                    "logs-store": "log", "log-collector": "log", "traces-store": "trace", "dashboards": "chart",
                    "policy-engine": "shield", "certificates": "lock", "load-balancer": "network",
                    "metrics-store": "chart", "cache": "bolt", "gitops": "pipeline", "git": "code"}


def ticks(text: str) -> Markup:
    """`name` -> <code>name</code>, the rest escaped."""
    return Markup(TICKS.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(text))))


def icon(c: view.ComponentView) -> str:
    found = next((CAPABILITY_ICONS[p] for p in c.provides if p in CAPABILITY_ICONS), None)
    return found or CATEGORY_ICONS.get(c.category, "cube")


def query_words(text: str | None) -> list[str]:
    return search.words(text or "")


def templates() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("homelab.portal", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals |= {"layer_states": view.FILTER_STATES, "attention_kinds": view.KINDS, "icon": icon}
    env.filters |= {"ticks": ticks, "ago": attention.ago, "exact": attention.exact}
    return env
