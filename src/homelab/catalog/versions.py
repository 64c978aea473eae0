"""Version strings as upstream spells them: which are releases, which is newest, which is the pin.

Upstream names releases in many ways (`1.20.0`, `v1.20.0`, `knative-v1.20.0`, `helm-chart-4.15.1`,
`2026.1.0+c665eed`), so a version is read as a prefix, dotted numbers and a suffix. A release is
stable when its suffix is empty or only SemVer build metadata (`+...`); `-rc.1`, `-beta`, `-pre.0`
and the like are pre-releases. Candidates are compared only with the pin's own spelling family
(same prefix), so a repository's other tag series never count as newer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_SHAPE = re.compile(r"^(?P<prefix>.*?)(?P<numbers>\d+(?:\.\d+)*)(?P<suffix>.*)$")


@dataclass(frozen=True)
class Version:
    text: str
    prefix: str
    numbers: tuple[int, ...]
    suffix: str

    @property
    def stable(self) -> bool:
        return self.suffix == "" or self.suffix.startswith("+")

    @property
    def key(self) -> tuple[int, ...]:
        return self.numbers + (0,) * (4 - len(self.numbers))

    def same_release(self, other: Version) -> bool:
        """Equal as SemVer sees them: a leading v and build metadata do not count."""
        return (self.key == other.key and self.prefix.lower().rstrip("v") == other.prefix.lower().rstrip("v")
                and self.suffix.split("+")[0] == other.suffix.split("+")[0])


def parse(text: str) -> Version | None:
    match = _SHAPE.match(text.strip())
    if match is None:
        return None
    return Version(text, match["prefix"], tuple(int(n) for n in match["numbers"].split(".")), match["suffix"])


def find(pinned: str, candidates: Iterable[str]) -> str | None:
    """The candidate that is the pin: itself, else the same release spelt differently (v1.20.0 for 1.20.0)."""
    names = list(candidates)
    if pinned in names:
        return pinned
    pin = parse(pinned)
    if pin is None:
        return None
    return next((name for name in names if (v := parse(name)) is not None and v.same_release(pin)), None)


def newest_stable(pinned: str, candidates: Iterable[str]) -> str | None:
    """The newest stable candidate of the pin's spelling family (the pin's prefix, give or take a v)."""
    pin = parse(pinned)
    if pin is None:
        return None
    family = pin.prefix.lower().rstrip("v")
    releases = [v for name in candidates if (v := parse(name)) is not None
                and v.stable and v.prefix.lower().rstrip("v") == family]
    return max(releases, key=lambda v: (v.key, len(v.numbers), v.text)).text if releases else None


def is_newer(candidate: str, than: str) -> bool:
    a, b = parse(candidate), parse(than)
    return a is not None and b is not None and a.key > b.key
