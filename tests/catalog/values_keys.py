"""Which Helm values keys a catalog entry sets that its chart does not have.

The chart's own `values.yaml` and `values.schema.json` at the pinned version are the oracle:
a key exists when either names it. Below a path the entry declares free-form (`values_free_form`,
with the reason) every key is the user's own (environment variables, annotations, config files);
below a key named in catalog/data/values-free-form.yaml (a Kubernetes object the chart passes
through, such as `resources`) the keys belong to the Kubernetes API. A list is data, not keys:
only the key that holds it is checked. Istio's charts keep every default under
`_internal_defaults_do_not_set` and read the user's values from the top level; that is where they
are looked up.
"""

from __future__ import annotations

from typing import Any

Path = tuple[str, ...]
ISTIO_DEFAULTS = "_internal_defaults_do_not_set"


def _schema_child(schema: dict[str, Any] | None, key: str) -> tuple[bool, dict[str, Any] | None]:
    """(does the schema name `key`, the schema below it) for one step down an object schema."""
    if not isinstance(schema, dict):
        return False, None
    for combinator in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(combinator) or []:
            found, below = _schema_child(branch, key)
            if found:
                return True, below
    properties = schema.get("properties") or {}
    if key in properties:
        return True, properties[key]
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) or schema.get("patternProperties"):
        return True, extra if isinstance(extra, dict) else None
    return False, None


def unknown_keys(values: dict[str, Any], chart_values: dict[str, Any] | None, schema: dict[str, Any] | None,
                 free_form: set[str], pass_through: frozenset[str] = frozenset(), prefix: Path = ()) -> list[str]:
    """Dotted paths of keys in `values` that neither the chart's values nor its schema name."""
    unknown: list[str] = []
    if not prefix and isinstance(chart_values, dict) and isinstance(chart_values.get(ISTIO_DEFAULTS), dict):
        chart_values = {**chart_values, **chart_values[ISTIO_DEFAULTS]}
    for key, value in values.items():
        path = (*prefix, str(key))
        dotted = ".".join(path)
        if dotted in free_form:
            continue
        in_values = isinstance(chart_values, dict) and key in chart_values
        in_schema, below = _schema_child(schema, str(key))
        if not (in_values or in_schema):
            unknown.append(dotted)
            continue
        if isinstance(value, dict) and key not in pass_through:
            default = chart_values.get(key) if isinstance(chart_values, dict) else None
            unknown += unknown_keys(value, default if isinstance(default, dict) else None, below, free_form,
                                    pass_through, path)
    return unknown
