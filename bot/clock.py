"""The clock is injected everywhere: tests pass a fixed one; `PAPERWIRE_NOW` starts a simulated one."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


def parse_instant(text: str) -> datetime:
    """ISO-8601 -> aware UTC datetime (naive input is taken as UTC)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def make_clock(fake_now: Optional[str] = None, speed: float = 1.0) -> Clock:
    """The real clock, or one that starts at `fake_now` and runs `speed` times faster than real time."""
    if not fake_now:
        return system_clock
    start = parse_instant(fake_now)
    origin = time.monotonic()

    def clock() -> datetime:
        return start + timedelta(seconds=(time.monotonic() - origin) * speed)

    return clock


class FixedClock:
    """A clock for tests: call it for the time, `advance()` to move it."""

    def __init__(self, now: datetime | str):
        self.now = parse_instant(now) if isinstance(now, str) else now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now

    def set(self, now: datetime | str) -> datetime:
        self.now = parse_instant(now) if isinstance(now, str) else now
        return self.now
