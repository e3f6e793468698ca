"""The composition root: settings -> store (seeded on first run) -> Core. The only place that builds them together."""
from __future__ import annotations

from pathlib import Path

from bot.clock import make_clock
from bot.config import Settings
from bot.seeding import seed_if_empty
from store import Store


def open_store(settings: Settings) -> Store:
    """Open and migrate the database at settings.db_path; seed it on first run."""
    store = Store(settings.db_path)
    today = make_clock(settings.fake_now, settings.clock_speed)().date()
    seed_if_empty(store, Path(settings.seeds_dir) if settings.seeds_dir else None, today=today)
    return store


def build_core(settings: Settings, store: Store | None = None):
    from bot.core import Core

    return Core(store or open_store(settings), settings, clock=make_clock(settings.fake_now, settings.clock_speed))
