"""The composition root: settings -> store (seeded on first run) -> Core. The only place that builds them together."""
from __future__ import annotations

from pathlib import Path

import click

from bot.clock import make_clock
from bot.config import Settings
from bot.seeding import SEEDS_DIR, seed_if_empty
from store import Store


def open_store(settings: Settings, create: bool = True, seed: bool = True) -> Store:
    """Open and migrate the database at settings.db_path.

    `create=False` (every read: search, stats, digest, push) refuses a missing file instead of making one;
    `seed` loads the shipped seeds into an empty database (run, chat) and says so, with the path."""
    store = Store(settings.db_path, create=create)
    if seed:
        today = make_clock(settings.fake_now, settings.clock_speed)().date()
        seeds = Path(settings.seeds_dir) if settings.seeds_dir else SEEDS_DIR
        report = seed_if_empty(store, seeds, today=today)
        if report is not None:
            state = "new" if store.created else "empty"
            click.echo(f"paperwire: {state} database {Path(store.path).absolute()}: loaded {report.added} seed papers "
                       f"from {seeds}", err=True)
    elif store.created:
        click.echo(f"paperwire: created a new database {Path(store.path).absolute()}", err=True)
    return store


def build_core(settings: Settings, store: Store | None = None):
    from bot.core import Core

    return Core(store or open_store(settings), settings, clock=make_clock(settings.fake_now, settings.clock_speed))
