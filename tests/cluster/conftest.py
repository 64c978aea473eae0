from __future__ import annotations

import pytest

from .fakeapi import FakeAPI


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()
