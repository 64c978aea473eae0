"""`verify()` and the command work from code that already runs an event loop (a notebook, or
Playwright's sync API in the same test session)."""

from __future__ import annotations

from homelab.verify.runner import run_sync, verify
from tests.verify.conftest import need_server, target


def test_verify_inside_a_running_loop() -> None:
    need_server(6379, "redis")

    async def notebook_cell() -> bool:
        (result,) = verify([target("cache", "redis", "redis://127.0.0.1:6379/0")], timeout=5)
        return result.ok

    assert run_sync(notebook_cell())  # itself on a loop; verify() inside must not call asyncio.run


def test_run_sync_without_a_loop() -> None:
    async def answer() -> int:
        return 42

    assert run_sync(answer()) == 42
