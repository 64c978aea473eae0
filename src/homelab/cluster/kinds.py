"""Where objects of a kind live (API path and scope): built-in kinds from lightkube's models, custom
kinds from their CRD or the server's discovery, each as a lightkube generic resource class."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lightkube.core import resource as lkres
from lightkube.core.resource_registry import resource_registry
from lightkube.generic_resource import GenericGlobalResource, GenericNamespacedResource, create_api_info

from homelab.cluster.objects import Obj


@dataclass(frozen=True)
class KindInfo:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool


_CLASSES: dict[KindInfo, type] = {}


def resource_class(info: KindInfo) -> Any:
    """A lightkube generic resource class for `info` (kept out of lightkube's global registry)."""
    if info not in _CLASSES:
        base = GenericNamespacedResource if info.namespaced else GenericGlobalResource
        _CLASSES[info] = type(info.kind, (base,), {"_api_info": create_api_info(
            info.group, info.version, info.kind, info.plural)})
    return _CLASSES[info]


def builtin_kind(api_version: str, kind: str) -> KindInfo | None:
    """Path and scope of a built-in kind from lightkube's models, or None for custom kinds."""
    try:
        model = resource_registry.load(api_version, kind)
    except Exception:  # lightkube raises LoadResourceError, or AttributeError for odd names
        return None
    info = lkres.api_info(model)
    return KindInfo(info.resource.group, info.resource.version, kind, info.plural,
                    issubclass(model, lkres.NamespacedResource))


def crd_kind_infos(crd: Obj) -> list[KindInfo]:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    return [KindInfo(str(spec.get("group")), str(v.get("name")), str(names.get("kind")), str(names.get("plural")),
                     spec.get("scope") == "Namespaced") for v in spec.get("versions") or []]


def established(crd: Obj) -> bool:
    """A CRD's kinds can be written only once the API server says `Established`."""
    return any(c.get("type") == "Established" and str(c.get("status")) == "True"
               for c in (crd.get("status") or {}).get("conditions") or [])
