"""Logins kept on the server: the cookie carries only a random id, so logout really ends the session.

A signed cookie that held the user itself would stay valid until it expired, whatever /logout did,
and would grow with the user's name. Here the id is looked up on every request; /logout deletes it,
so a copied cookie stops working at once. Sessions live in this process: a restart logs everyone out.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field

MAX_AGE_SECONDS = 8 * 3600
MAX_NAME = 64  # a display name, shortened: nothing a provider sends can make the page or a cookie huge


@dataclass(frozen=True)
class Login:
    """Who logged in, and the ID token that lets the provider's logout know which session to end."""

    sub: str
    name: str
    id_token: str = field(repr=False)
    expires: float


class SessionStore:
    """Live logins by session id; the oldest are dropped beyond `limit`, so memory stays bounded."""

    def __init__(self, limit: int = 10_000, max_age: float = MAX_AGE_SECONDS) -> None:
        self.limit, self.max_age = limit, max_age
        self.live: OrderedDict[str, Login] = OrderedDict()

    def start(self, sub: str, name: str, id_token: str) -> str:
        sid = secrets.token_urlsafe(32)
        self.live[sid] = Login(sub, name[:MAX_NAME], id_token, time.monotonic() + self.max_age)
        while len(self.live) > self.limit:
            self.live.popitem(last=False)
        return sid

    def get(self, sid: object) -> Login | None:
        if not isinstance(sid, str):
            return None
        login = self.live.get(sid)
        if login is not None and login.expires < time.monotonic():
            del self.live[sid]
            return None
        return login

    def end(self, sid: object) -> Login | None:
        return self.live.pop(sid, None) if isinstance(sid, str) else None
