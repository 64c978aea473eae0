"""Which components go in: profile, additions, removals, and capability resolution.

A `requires` is satisfied by the provider chosen in `choices`, else the one
already selected, else the profile's default, else the only provider in the
catalog; anything else is an error that lists the candidates.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from homelab.catalog.loader import Catalog
from homelab.catalog.model import Profile
from homelab.config import Config
from homelab.errors import PlanError, Problem
from homelab.plan.model import Edge

# Maturity states that deserve a warning in every plan.
WARN_STATES = {"deprecated", "retiring", "archived", "license-restricted", "commercial", "saas"}


@dataclass
class Selection:
    reasons: dict[str, list[str]] = field(default_factory=dict)  # name -> why, in selection order
    edges: list[Edge] = field(default_factory=list)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # profile members left out, and why
    notes: list[str] = field(default_factory=list)  # plan-wide warnings


def _profile(config: Config, catalog: Catalog, file: str) -> Profile:
    if config.profile not in catalog.profiles:
        raise PlanError([Problem(f"unknown profile '{config.profile}'", file=file, field="profile",
                                 hint=f"choose one of: {', '.join(sorted(catalog.profiles)) or '(none defined)'}")])
    return catalog.profiles[config.profile]


def _check_names(names: list[str], field_name: str, catalog: Catalog, file: str) -> list[Problem]:
    return [Problem(f"unknown component '{name}'", file=file, field=field_name, hint=catalog.suggest(name))
            for name in names if name not in catalog.components]


def _check_choices(config: Config, catalog: Catalog, file: str) -> list[Problem]:
    problems = []
    for cap, provider in config.choices.items():
        where = f"choices.{cap}"
        if cap not in catalog.providers:
            problems.append(Problem(f"no component provides capability '{cap}'", file=file, field=where,
                                    hint=f"known capabilities: {', '.join(sorted(catalog.providers))}"))
        elif provider not in catalog.providers[cap]:
            problems.append(Problem(f"'{provider}' does not provide '{cap}'", file=file, field=where,
                                    hint=f"candidates: {', '.join(catalog.providers[cap])}"))
    return problems


def select(config: Config, catalog: Catalog, env: str, file: str = "homelab.yaml") -> Selection:
    """Close the selection under `requires`; check exclusivity, conflicts and maturity."""
    profile = _profile(config, catalog, file)
    overrides = config.env(env).overrides
    problems = [
        *_check_names(config.add, "add", catalog, file),
        *_check_names(config.remove, "remove", catalog, file),
        *_check_names(config.allow, "allow", catalog, file),
        *_check_names(overrides.add, f"environments.{env}.overrides.add", catalog, file),
        *_check_names(overrides.remove, f"environments.{env}.overrides.remove", catalog, file),
        *_check_choices(config, catalog, file),
    ]
    if problems:
        raise PlanError(problems)

    removed = set(config.remove) | set(overrides.remove)
    chosen = {cap: name for cap, name in config.choices.items()}
    replaced = {name for cap, pick in chosen.items() if catalog.capabilities[cap].exclusive
                for name in catalog.providers.get(cap, []) if name != pick}
    sel = Selection()
    queue: deque[str] = deque()
    providing: dict[str, list[str]] = {}  # capability -> selected components that provide it

    def include(name: str, reason: str) -> None:
        if name not in sel.reasons:
            sel.reasons[name] = []
            queue.append(name)
            for cap in catalog.components[name].provides:
                providing.setdefault(cap, []).append(name)
        sel.reasons[name].append(reason)

    distribution = config.cluster_for(env).kubernetes.distribution
    for name in profile.components:
        if name in replaced and name not in removed:
            # the user's choice takes the profile member's place (a CNI is still needed once flannel goes)
            for cap in catalog.components[name].provides:
                if chosen.get(cap) and chosen[cap] != name and catalog.capabilities[cap].exclusive:
                    include(chosen[cap], f"chosen in homelab.yaml `choices.{cap}` (in place of {name} of "
                                         f"profile `{profile.name}`)")
        elif distribution in catalog.components[name].bundled_with:
            sel.skipped[name] = f"{distribution} already ships it"
        elif name not in removed:
            include(name, f"in profile `{profile.name}`")
    for name in config.add:
        include(name, "added in homelab.yaml `add`")
    for name in overrides.add:
        include(name, f"added for environment `{env}`")

    def resolve(consumer: str, cap: str) -> str:
        if cap in chosen:
            return chosen[cap]
        selected = providing.get(cap, [])
        if len(selected) == 1:
            return selected[0]
        default = profile.defaults.get(cap)
        if default and default not in removed:
            return default
        candidates = [n for n in catalog.providers.get(cap, []) if n not in removed]
        if len(candidates) == 1:
            return candidates[0]
        pool = selected or candidates
        if not pool:
            raise PlanError([Problem(f"'{consumer}' requires capability '{cap}', but no component that provides "
                                     "it is available", file=file, field="remove",
                                     hint=f"providers: {', '.join(catalog.providers.get(cap, [])) or 'none'}; "
                                          "keep one of them")])
        raise PlanError([Problem(f"'{consumer}' requires capability '{cap}', which several components provide",
                                 file=file, field=f"choices.{cap}",
                                 hint=f"pick one: choices: {{{cap}: {pool[0]}}} (candidates: {', '.join(pool)})")])

    while queue:
        name = queue.popleft()
        comp = catalog.components[name]
        for cap in comp.requires:
            provider = resolve(name, cap)
            sel.edges.append(Edge(name, cap, provider))
            why = f"chosen in homelab.yaml `choices.{cap}`" if chosen.get(cap) == provider else ""
            include(provider, f"required by {name} via capability `{cap}`" + (f" ({why})" if why else ""))

    for name in sel.reasons:
        for cap in catalog.components[name].uses:
            for provider in providing.get(cap, []):
                if provider != name:
                    sel.edges.append(Edge(name, cap, provider, optional=True))

    _check_exclusive(providing, catalog, file)
    _check_conflicts(sel, catalog, file)
    _check_maturity(sel, catalog, config, file)
    _check_bootstrap(providing, catalog, distribution, sel, file)
    return sel


def _check_bootstrap(providing: dict[str, list[str]], catalog: Catalog, distribution: str, sel: Selection,
                     file: str) -> None:
    """What must run before GitOps (a CNI, DNS) comes from the plan or from the distribution, never from nowhere."""
    facts = catalog.distributions.get(distribution)
    bundled = {cap for item in (facts.bundles if facts else []) for cap in item.provides}
    for cap, info in catalog.capabilities.items():
        if not info.bootstrap or providing.get(cap) or cap in bundled:
            continue
        candidates = ", ".join(catalog.providers.get(cap, [])) or "none in the catalog"
        if facts is not None:
            raise PlanError([Problem(f"nothing provides '{cap}': {distribution} does not ship one and the plan has "
                                     f"none ({info.bootstrap})", file=file, field=f"choices.{cap}",
                                     hint=f"pick one: choices: {{{cap}: NAME}} (candidates: {candidates})")])
        sel.notes.append(f"no '{cap}' provider in the plan, and the catalog does not know whether {distribution} "
                         f"ships one ({info.bootstrap}); candidates: {candidates}")


def _check_exclusive(providing: dict[str, list[str]], catalog: Catalog, file: str) -> None:
    problems = []
    for cap, holders in providing.items():
        if len(holders) > 1 and catalog.capabilities[cap].exclusive:
            holders = sorted(holders)
            problems.append(Problem(f"only one component may provide '{cap}', but the plan has "
                                    f"{', '.join(holders)}", file=file, field=f"choices.{cap}",
                                    hint=f"keep one: choices: {{{cap}: {holders[0]}}}, or remove the others"))
    if problems:
        raise PlanError(problems)


def _check_conflicts(sel: Selection, catalog: Catalog, file: str) -> None:
    problems = []
    for name in sel.reasons:
        for other in catalog.components[name].conflicts:
            if other in sel.reasons and name < other:
                problems.append(Problem(f"'{name}' conflicts with '{other}'; they cannot run together",
                                        file=file, field="remove", hint=f"remove one of {name}, {other}"))
    if problems:
        raise PlanError(problems)


def _check_maturity(sel: Selection, catalog: Catalog, config: Config, file: str) -> None:
    problems = []
    for name in sel.reasons:
        maturity = catalog.components[name].maturity
        if maturity.status not in WARN_STATES:
            continue
        better = f"; recommended replacement: {maturity.replacement}" if maturity.replacement else ""
        text = f"{name} is {maturity.status}: {maturity.reason}{better}"
        if not maturity.installable and name not in config.allow:
            problems.append(Problem(f"{name} can no longer be installed ({maturity.reason})", file=file,
                                    field="add", hint=(f"use {maturity.replacement} instead, " if
                                                       maturity.replacement else "") +
                                    f"or insist with `allow: [{name}]`"))
        sel.warnings.setdefault(name, []).append(text)
    if problems:
        raise PlanError(problems)
