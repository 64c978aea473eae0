"""Target URLs: `${VAR}` filled in encoded for the part it sits in, checked before any probe runs,
and shown with every secret masked.

A value pasted raw into a URL changes the URL: `p@ss%41/x#y` as a password would end the
userinfo at `@`, decode `%41` and start a path and a fragment. So each reference is encoded for
its part (userinfo, path, query, fragment); a host, a port or a whole-URL reference is pasted as is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from homelab.redact import MASK, SECRET_NAME

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_ENCODE: dict[str, Callable[[str], str]] = {
    "userinfo": lambda value: quote(value, safe=""),
    "path": lambda value: quote(value, safe="/"),
    "query": lambda value: quote(value, safe=""),
    "fragment": lambda value: quote(value, safe=""),
}


def _part_at(template: str) -> Callable[[int], str]:
    """Which part of the URL `template` a position falls in (`${...}` holds none of `:/?#@`)."""
    scheme = _SCHEME.match(template)
    if scheme is None:
        return lambda _index: "raw"  # not a URL (e.g. the whole URL is one reference)
    start = scheme.end()
    auth_end, at = start, -1
    if template.startswith("//", start):
        ends = [i for i in (template.find(c, start + 2) for c in "/?#") if i != -1]
        auth_end = min(ends, default=len(template))
        at = template.rfind("@", start + 2, auth_end)
    query, fragment = template.find("?", auth_end), template.find("#", auth_end)

    def part(index: int) -> str:
        if index < start:
            return "raw"
        if index < auth_end:
            return "userinfo" if index < at else "raw"  # host and port: as given
        if fragment != -1 and index > fragment:
            return "fragment"
        if query != -1 and index > query:
            return "query"
        return "path"

    return part


def expand_url(template: str, env: Mapping[str, str], missing: list[str], secrets: set[str],
               url: bool = True) -> str:
    """`template` with each `${VAR}` replaced by its value, encoded for its part of the URL
    (pasted as is when `url` is false). Values of secret-named variables (`..._PASSWORD`,
    `..._TOKEN`) are added to `secrets`; names that are not set, to `missing`.
    """
    part = _part_at(template) if url else (lambda _index: "raw")

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            missing.append(name)
            return match.group(0)
        value = env[name]
        if SECRET_NAME.search(name):
            secrets.add(value)
        return _ENCODE.get(part(match.start()), str)(value)

    return ENV_REF.sub(sub, template)


def problem(url: str) -> str | None:
    """Why `url` cannot be probed (malformed, bad port), in words that never echo a secret."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. "Invalid IPv6 URL" for an unclosed [
        return f"not a valid URL: {exc}"
    try:
        port = parts.port
    except ValueError:
        shown = parts.netloc.rsplit("@", 1)[-1].rsplit(":", 1)[-1]
        return f"port '{shown[:20]}' is not a number from 1 to 65535"
    if port == 0:
        return "port 0 is not a port to connect to; use 1 to 65535"
    if parts.netloc and not parts.hostname:
        return "the URL names no host"
    return None


def secrets_in(url: str) -> set[str]:
    """The password and secret-named query values of `url`, as written and decoded."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return set()
    found: set[str] = set()
    if parts.password:
        found |= {parts.password, unquote(parts.password)}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if SECRET_NAME.search(key) and value:
            found.add(value)
    for raw in re.findall(r"(?:^|&)[^=&]*=([^&]*)", parts.query):
        if raw and (unquote(raw) in found):
            found.add(raw)
    return found


def mask(url: str) -> str:
    """`url` with its password and secret-named query values replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(malformed URL)"
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}:{MASK}@{host}"

    def hide(match: re.Match[str]) -> str:
        key = match.group(2)
        return f"{match.group(1)}{key}={MASK}" if SECRET_NAME.search(unquote(key)) else match.group(0)

    query = re.sub(r"(^|&)([^=&]*)=([^&]*)", hide, parts.query)
    return parts._replace(netloc=netloc, query=query).geturl()
