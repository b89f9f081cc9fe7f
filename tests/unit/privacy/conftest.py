"""Shared fixtures for the privacy tests: fixed, obviously fake keys (never real key material)."""

from __future__ import annotations

import pytest

from privacy.keys import PseudonymisationKey


@pytest.fixture
def key() -> PseudonymisationKey:
    return PseudonymisationKey(bytes(range(32)), source="test")


@pytest.fixture
def other_key() -> PseudonymisationKey:
    return PseudonymisationKey(bytes(range(1, 33)), source="test-other")
