"""Coverage: every system the user's design names, against its catalog entry and the profiles.

The design's "Component Details" section lists systems as `- **Name**: summary` under
`### N. Layer` and `#### Category` headings; each catalog entry records the places the
design gives it, so the two can be matched name for name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from homelab.catalog.loader import Catalog
from homelab.config import Config
from homelab.errors import PlanError
from homelab.plan import Plan, make_plan

_LAYER_WORDS = {"infrastructure": "infrastructure", "data": "data", "application": "application",
                "development": "development", "backup": "backup"}


@dataclass(frozen=True)
class DesignName:
    name: str
    layer: str
    category: str


def design_names(markdown: str) -> list[DesignName]:
    """Systems named in the design's Component Details, with their layer and category headings."""
    names = []
    layer = category = ""
    inside = False
    for line in markdown.splitlines():
        if line.startswith("## "):
            inside = line.strip() == "## Component Details"
            continue
        if not inside:
            continue
        if match := re.match(r"^### \d+\.\s+(.*)$", line):
            heading = match.group(1).strip()
            layer = next((v for k, v in _LAYER_WORDS.items() if heading.lower().startswith(k)), heading.lower())
            category = heading  # sections without a #### heading (Backup and Recovery) are their own category
        elif match := re.match(r"^####\s+(.*)$", line):
            category = match.group(1).strip()
        elif match := re.match(r"^\s*-\s+\*\*(.+?)\*\*", line):
            names.append(DesignName(match.group(1).strip(), layer, category))
    return names


def _category_title(category: str) -> str:
    """'5. Backup and Recovery' style headings are stored without their number."""
    return re.sub(r"^\d+\.\s+", "", category)


def profile_config(catalog: Catalog, name: str) -> Config:
    """A config that runs profile `name` on exactly the hardware the profile states."""
    profile = catalog.profiles[name]
    return Config.model_validate({
        "platform": {"name": "homelab", "domain": "home.example.net"},
        "cluster": {"nodes": [node.model_dump(mode="json") for node in profile.nodes]},
        "profile": name,
        "gitops": {"repo_url": "https://git.home.example.net/homelab/platform.git"},
    })


def plan_profile(catalog: Catalog, name: str) -> Plan:
    return make_plan(profile_config(catalog, name), catalog, "dev", f"profile {name}")


def deployed_by(catalog: Catalog) -> dict[str, list[str]]:
    """Component -> the profiles whose plan (after resolution) installs it."""
    out: dict[str, list[str]] = {}
    for name in sorted(catalog.profiles):
        try:
            members = plan_profile(catalog, name).components
        except PlanError:
            members = {}
        for comp in members:
            out.setdefault(comp, []).append(name)
    return out


def summary(rows: list[dict[str, Any]]) -> str:
    """The one sentence that counts the design: named systems apart from diagram-only participants."""
    named = [r for r in rows if r["section"] == "components"]
    extra = sorted({r["name"] for r in rows if r["section"] == "diagram"})
    line = f"{len({r['name'] for r in named})} systems the design names, in {len(named)} places"
    return line + (f"; plus diagram participant(s) {', '.join(extra)}" if extra else "")


def coverage(catalog: Catalog, markdown: str | None = None) -> list[dict[str, Any]]:
    """One row per design place: the entry that covers it, its maturity, and the profiles that deploy it."""
    deploying = deployed_by(catalog)
    places: dict[tuple[str, str, str], str] = {}
    sections: dict[tuple[str, str, str], str] = {}
    for comp in catalog.components.values():
        for place in comp.design:
            places[(place.name, place.layer, place.category)] = comp.name
            sections[(place.name, place.layer, place.category)] = place.section
    wanted = (design_names(markdown) if markdown is not None
              else [DesignName(*key) for key in sorted(places)])
    rows = []
    for item in wanted:
        key = (item.name, item.layer, _category_title(item.category))
        entry = places.get(key)
        found = catalog.components.get(entry) if entry else None
        rows.append({
            "name": item.name, "layer": item.layer, "category": _category_title(item.category),
            "section": sections.get(key, "components"), "entry": entry,
            "maturity": found.maturity.status if found else None,
            "evidence": found.source.evidence if found else None,
            "replacement": found.maturity.replacement if found else None,
            "profiles": deploying.get(entry, []) if entry else [],
        })
    return rows
