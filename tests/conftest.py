"""Shared fixtures: an in-memory store, a fixed clock, and an environment free of real platform settings."""
from __future__ import annotations

import logging
import os

import pytest

from bot.clock import FixedClock


@pytest.fixture(autouse=True)
def _clean_platform_env(monkeypatch):
    """Bolt and our config read SLACK_*/TELEGRAM_* implicitly: no test may inherit real ones."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "TELEGRAM_", "PAPERWIRE_", "HF_ENDPOINT", "ARXIV_API_URL", "ARXIV_FEED_URL")):
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


class _Errors(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def _core_must_not_crash(request):
    """Core.handle turns any exception into a polite reply and logs it at ERROR: a test would pass while the feature
    crashed. Any ERROR logged by `bot.core` fails the test (mark a test `core_errors_expected` to test the net itself)."""
    catcher = _Errors()
    logger = logging.getLogger("bot.core")
    logger.addHandler(catcher)
    yield catcher
    logger.removeHandler(catcher)
    if catcher.records and request.node.get_closest_marker("core_errors_expected") is None:
        first = catcher.records[0]
        detail = logging.Formatter().formatException(first.exc_info) if first.exc_info else ""
        pytest.fail(f"bot.core logged ERROR: {first.getMessage()}\n{detail}", pytrace=False)
