"""First run: load the shipped seeds so the bot has real, dated, upvoted papers out of the box."""
from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from bot.models import IngestReport

log = logging.getLogger(__name__)

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"


def seed_if_empty(store, seeds_dir: Path | None = None, today: date | None = None) -> IngestReport | None:
    """Ingest every seed file in name order when the store holds no papers yet; returns the report, or None.

    `today` (from the injected clock) dates the seed page's year-less "Mar 11" line."""
    if store.papers.count() > 0:
        return None
    from bot.sources import load_path

    report = IngestReport()
    for path in sorted((seeds_dir or SEEDS_DIR).glob("*")):
        if path.name.lower().startswith("readme") or not path.is_file():
            continue
        part = store.papers.upsert_many(load_path(path, today=today))
        log.info("seeded %s: %d added, %d updated, %d skipped", path.name, part.added, part.updated, part.skipped)
        report.merge(part)
    return report
