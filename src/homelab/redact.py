"""Mask known secret values in any text we show or write, whatever produced the text.

Client libraries put what they were given into their errors (libpq echoes a malformed
password whole), so masking only a URL's userinfo is not enough: every reason, detail and
crash report goes through a `Redactor` holding the secret values of the run, in the forms a
library may echo them (as given, percent-encoded, repr-escaped). Values shorter than MIN_LENGTH
are masked where they sit in a URL (see `verify.urls.mask`) but not searched for in free text:
a one-letter test key would mask every such letter of every message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_LENGTH = 4
# Names of settings, variables and query parameters whose values are secrets.
SECRET_NAME = re.compile(r"pass|pwd|secret|token|key|auth|cred|sig|session|cookie|private", re.I)


def forms(value: str) -> set[str]:
    """A secret as given and as a library may echo it."""
    return {value, quote(value, safe=""), quote(value), quote_plus(value), repr(value)[1:-1]} - {""}


class Redactor:
    """Replaces every known secret (longest first, so a secret inside another goes too) with ***."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        for secret in secrets:
            if len(secret) >= MIN_LENGTH:
                self._secrets |= forms(secret)
        self._ordered = sorted(self._secrets, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


# The secrets of this process's run, for the crash report (`homelab.cli`) as much as for results.
PROCESS = Redactor()
