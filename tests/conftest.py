"""Shared fixtures: an in-memory store, a fixed clock, and an environment free of real platform settings."""
from __future__ import annotations

import os

import pytest

from bot.clock import FixedClock


@pytest.fixture(autouse=True)
def _clean_platform_env(monkeypatch):
    """Bolt and our config read SLACK_*/TELEGRAM_* implicitly: no test may inherit real ones."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "TELEGRAM_", "PAPERWIRE_", "HF_ENDPOINT", "ARXIV_API_URL")):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def store():
    from store import Store

    s = Store(":memory:")
    yield s
    s.close()


@pytest.fixture
def clock():
    return FixedClock("2026-03-11T06:00:00+00:00")
