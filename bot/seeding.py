"""Opening the store for the app: migrate, and on first run load the shipped seeds so the bot works out of the box."""
from __future__ import annotations

import logging
from pathlib import Path

from bot.config import Settings

log = logging.getLogger(__name__)

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"


def open_store(settings: Settings):
    """Open the database at settings.db_path; seed it if it holds no papers yet."""
    from store import Store

    store = Store(settings.db_path)
    if store.papers.count() == 0:
        seed_store(store, Path(settings.seeds_dir) if settings.seeds_dir else SEEDS_DIR)
    return store


def seed_store(store, seeds_dir: Path) -> None:
    """Ingest every seed file (the HF page and the sample) in name order."""
    from bot.sources import load_path

    for path in sorted(seeds_dir.glob("*")):
        if path.name.lower().startswith("readme"):
            continue
        report = store.papers.upsert_many(load_path(path))
        log.info("seeded %s: %d added, %d updated, %d skipped", path.name, report.added, report.updated, report.skipped)
