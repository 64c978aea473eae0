"""Load and cross-check the catalog data files; errors name the file, line and field."""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from homelab import yamlsrc
from homelab.catalog import scope
from homelab.catalog.model import CapabilityInfo, Component, Distribution, Profile
from homelab.config import problems_from
from homelab.errors import CatalogError, Problem

M = TypeVar("M", Component, Profile)


@dataclass
class LayerInfo:
    name: str
    title: str
    categories: dict[str, str]  # slug -> title, in design order


@dataclass
class Catalog:
    """All components by name, the capability index, layers and profiles."""

    components: dict[str, Component]
    layers: dict[str, LayerInfo]
    profiles: dict[str, Profile] = field(default_factory=dict)
    capabilities: dict[str, CapabilityInfo] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # component name -> data file
    providers: dict[str, list[str]] = field(default_factory=dict)  # capability -> component names

    def __post_init__(self) -> None:
        index: dict[str, list[str]] = defaultdict(list)
        for comp in self.components.values():
            for cap in comp.provides:
                index[cap].append(comp.name)
        self.providers = {cap: sorted(names) for cap, names in sorted(index.items())}

    def get(self, name: str) -> Component:
        try:
            return self.components[name]
        except KeyError:
            raise CatalogError([Problem(f"no component named '{name}' in the catalog",
                                        hint=self.suggest(name))]) from None

    def suggest(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self.components), n=3)
        return f"did you mean {', '.join(repr(c) for c in close)}?" if close else "see `homelab catalog list`"

    def search(self, text: str) -> list[Component]:
        needle = text.lower()
        return [c for c in self.components.values()
                if needle in " ".join([c.name, c.title, c.summary, *c.categories, *c.provides]).lower()]


def data_root() -> Path:
    return Path(str(resources.files("homelab.catalog").joinpath("data")))


def _validated(model: type[M], paths: list[Path], problems: list[Problem]) -> list[tuple[Path, M]]:
    """Every file that validates as `model`; the problems of the others are collected, not raised."""
    out = []
    for path in paths:
        source = yamlsrc.read(path, "catalog file")
        if not isinstance(source.data, dict):
            problems.append(Problem("expected a mapping", file=str(path), line=1))
            continue
        try:
            out.append((path, model.model_validate(source.data)))
        except ValidationError as exc:
            problems.extend(problems_from(exc, source, model))
    return out


def _read_layers(root: Path) -> dict[str, LayerInfo]:
    source = yamlsrc.read(root / "layers.yaml", "layers file")
    return {name: LayerInfo(name, body["title"], dict(body["categories"])) for name, body in source.data.items()}


def _check_place(comp: Component, path: Path, root: Path, layers: dict[str, LayerInfo]) -> list[Problem]:
    where = str(path)
    rel = path.relative_to(root).parts
    problems = []
    if rel[0] != comp.layer or len(rel) != 3 or rel[1] != comp.category:
        problems.append(Problem(f"file lives in {'/'.join(rel[:-1])} but says layer '{comp.layer}' and "
                                f"first category '{comp.category}'", file=where, field="layer",
                                hint=f"move it to {comp.layer}/{comp.category}/"))
    if path.stem != comp.name:
        problems.append(Problem(f"file name '{path.stem}' differs from name '{comp.name}'", file=where,
                                field="name", hint=f"rename the file to {comp.name}.yaml"))
    known = {cat for info in layers.values() for cat in info.categories}
    for cat in comp.categories:
        if cat not in known:
            problems.append(Problem(f"unknown category '{cat}'", file=where, field="categories",
                                    hint=f"one of {', '.join(sorted(known))} (see layers.yaml)"))
    return problems


def _cross_check(catalog: Catalog) -> list[Problem]:
    """Every named reference resolves: capabilities have providers, names exist."""
    problems = []
    for comp in catalog.components.values():
        where = catalog.files[comp.name]
        for facet in ("provides", "requires", "uses"):
            for cap in getattr(comp, facet):
                if cap not in catalog.capabilities:
                    close = difflib.get_close_matches(cap, list(catalog.capabilities), n=1)
                    problems.append(Problem(f"capability '{cap}' is not declared in capabilities.yaml",
                                            file=where, field=facet,
                                            hint=f"did you mean '{close[0]}'?" if close else "declare it"))
        for flow in comp.operates:
            if flow.capability not in comp.provides:
                problems.append(Problem(f"operates the consumers of '{flow.capability}', which it does not provide",
                                        file=where, field="operates", hint=f"it provides {', '.join(comp.provides)}"))
        for extra in comp.values_when:
            cap = extra.when or extra.unless or ""
            if cap not in catalog.capabilities:
                problems.append(Problem(f"values_when names undeclared capability '{cap}'", file=where,
                                        field="values_when", hint="declare it in capabilities.yaml"))
        for message in scope.contradictions(comp, catalog):
            problems.append(Problem(message, file=where, field="scope.level", hint="remove `scope` or say cluster"))
        for cap in comp.requires:
            if cap not in catalog.providers:
                problems.append(Problem(f"requires '{cap}' but no component provides it", file=where,
                                        field="requires", hint="add a provider or fix the capability name"))
        for other in [*comp.conflicts, *([comp.maturity.replacement] if comp.maturity.replacement else [])]:
            if other not in catalog.components:
                problems.append(Problem(f"names unknown component '{other}'", file=where,
                                        field="conflicts/maturity.replacement", hint=catalog.suggest(other)))
    for profile in catalog.profiles.values():
        where = catalog.files[f"profile:{profile.name}"]
        for name in [*profile.components, *profile.defaults.values()]:
            if name not in catalog.components:
                problems.append(Problem(f"unknown component '{name}'", file=where, field="components",
                                        hint=catalog.suggest(name)))
        for cap, name in profile.defaults.items():
            if name in catalog.components and cap not in catalog.components[name].provides:
                problems.append(Problem(f"default for '{cap}' is '{name}', which does not provide it",
                                        file=where, field=f"defaults.{cap}"))
    return problems


def load_catalog(root: Path | None = None) -> Catalog:
    """Load every entry under `root` (default: the packaged data) and cross-check it."""
    root = root or data_root()
    if root == data_root():
        return _packaged()
    return _load(root)


@cache
def _packaged() -> Catalog:
    return _load(data_root())


def _read_distributions(root: Path, problems: list[Problem]) -> dict[str, Distribution]:
    path = root / "distributions.yaml"
    if not path.is_file():
        return {}
    source = yamlsrc.read(path, "distributions file")
    out: dict[str, Distribution] = {}
    for name, body in (source.data or {}).items():
        try:
            out[name] = Distribution.model_validate(body)
        except ValidationError as exc:
            problems.extend(problems_from(exc, source, Distribution, prefix=(name,)))
    return out


def _load(root: Path) -> Catalog:
    layers = _read_layers(root)
    components: dict[str, Component] = {}
    files: dict[str, str] = {}
    problems: list[Problem] = []
    entries = [p for p in sorted(root.glob("*/*/*.yaml")) if p.parts[-3] != "profiles"]
    for path, comp in _validated(Component, entries, problems):
        problems.extend(_check_place(comp, path, root, layers))
        if comp.name in components:
            problems.append(Problem(f"component '{comp.name}' is defined twice (also in {files[comp.name]})",
                                    file=str(path), field="name"))
        components[comp.name] = comp
        files[comp.name] = str(path)
    profiles: dict[str, Profile] = {}
    for path, profile in _validated(Profile, sorted((root / "profiles").glob("*.yaml")), problems):
        profiles[profile.name] = profile
        files[f"profile:{profile.name}"] = str(path)
    caps_source = yamlsrc.read(root / "capabilities.yaml", "capabilities file")
    capabilities: dict[str, CapabilityInfo] = {}
    for cap, body in (caps_source.data or {}).items():
        try:
            capabilities[cap] = CapabilityInfo.model_validate(body)
        except ValidationError as exc:
            problems.extend(problems_from(exc, caps_source, CapabilityInfo, prefix=(cap,)))
    distributions = _read_distributions(root, problems)
    if problems:
        raise CatalogError(problems)
    catalog = Catalog(components=components, layers=layers, profiles=profiles, files=files,
                      capabilities=capabilities, distributions=distributions)
    problems = _cross_check(catalog)
    if problems:
        raise CatalogError(problems)
    return catalog
