"""The catalog: one validated data file per component, plus profiles."""

from homelab.catalog.loader import Catalog, load_catalog

__all__ = ["Catalog", "load_catalog"]
