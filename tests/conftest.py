"""Fixtures every test folder may use."""

from tests.profiles import trees

__all__ = ["trees"]
