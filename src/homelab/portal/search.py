"""Search by words: each typed word must begin a word of what a component is called or does.

A component's words are its name, title, summary, namespace, categories, the capabilities it
provides and requires, the names the design gives it (its aliases) and the same of everything
folded into it. Matching the start of words, not any substring, keeps "pg" off "upgrades" while
"postgres" still finds PostgreSQL, CloudNativePG (`postgres-operator`) and Barman. The page's
script splits and matches the same way (`static/portal.js`), so typing and the API agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from homelab.catalog.model import Component

WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-case runs of letters and digits: 'CloudNativePG (pg-operator)' -> cloudnativepg pg operator."""
    return WORD.findall(text.lower())


def component_words(components: Iterable[Component]) -> str:
    """The words a component is found by (its own and those of the entries folded into it), once each."""
    out: dict[str, None] = {}
    for comp in components:
        texts = [comp.name, comp.title, comp.summary, comp.namespace, *comp.categories, *comp.provides,
                 *comp.requires, *(place.name for place in comp.design)]
        for text in texts:
            out.update(dict.fromkeys(words(text)))
    return " ".join(out)


def matches(query: list[str], haystack: str) -> bool:
    """Every query word begins some word of the haystack (a space-separated word list)."""
    return all(f" {word}" in f" {haystack}" for word in query)
