"""The runner's ingest loop: refresh the last HF days (and any configured arXiv categories) every interval.

Network trouble is logged and retried on the next cycle; it never ends the loop. Upvotes and comment counts
grow during the day, so re-fetching today and yesterday refreshes them (upserts are idempotent).
"""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta, timezone
from typing import Callable, Optional

from bot.models import IngestReport
from bot.sources.common import count_skipped
from bot.sources.fetch import Batch, FetchError, Fetcher

log = logging.getLogger(__name__)


def now_iso(clock) -> str:
    """The store's first_seen/updated_at format, from the injected clock (so simulated time is honoured)."""
    return clock().astimezone(timezone.utc).isoformat(timespec="seconds")


def recent_days(clock, n: int) -> list[str]:
    """Today and the n-1 days before it (UTC), newest first."""
    today = clock().astimezone(timezone.utc).date()
    return [(today - timedelta(days=i)).isoformat() for i in range(max(1, n))]


STORE_CHUNK = 500  # papers per upsert on the event loop: each chunk is a few ms, so the loop stays responsive


def store_batch(store, batch: Batch, clock) -> IngestReport:
    report = store.papers.upsert_many(batch.papers, now=now_iso(clock))
    report.skipped += count_skipped(batch.problems)
    report.problems.extend(batch.problems)
    return report


async def store_batch_async(store, batch: Batch, clock) -> IngestReport:
    """`store_batch` in chunks, yielding to the event loop between them (the store lives on the loop's thread)."""
    now = now_iso(clock)
    report = IngestReport()
    for i in range(0, len(batch.papers), STORE_CHUNK):
        report.merge(store.papers.upsert_many(batch.papers[i:i + STORE_CHUNK], now=now))
        await asyncio.sleep(0)
    report.skipped += count_skipped(batch.problems)
    report.problems.extend(batch.problems)
    return report


async def ingest_once(store, fetcher: Fetcher, clock, days: list[str], categories=(),
                      arxiv_max: int = 100) -> IngestReport:
    """Fetch each HF day and arXiv category and upsert it; a failing source is reported, the others still load."""
    report = IngestReport()
    jobs = [(f"hf {d}", fetcher.hf_day, d) for d in days]
    jobs += [(f"arxiv {c}", lambda c: fetcher.arxiv_category(c, arxiv_max), c) for c in categories]
    for label, fetch, arg in jobs:
        try:
            batch = await fetch(arg)
        except (FetchError, ValueError) as e:
            log.warning("ingest %s failed: %s", label, e)
            report.problems.append(f"{label}: {e}")
            continue
        part = await store_batch_async(store, batch, clock)
        log.info("ingest %s: %d added, %d updated, %d skipped", label, part.added, part.updated, part.skipped)
        report.merge(part)
    return report


async def ingest_forever(store, settings, clock, stop_event: asyncio.Event, fetch_days: int = 4,
                         fetcher: Optional[Fetcher] = None,
                         on_cycle: Optional[Callable[[IngestReport], None]] = None) -> None:
    """Every `settings.ingest_interval_s`: fetch the last `fetch_days` HF days and settings.arxiv_categories.

    Returns when `stop_event` is set. `on_cycle` (tests, metrics) receives each cycle's report.
    """
    own = fetcher is None
    fetcher = fetcher or Fetcher(settings)
    try:
        while not stop_event.is_set():
            try:
                report = await ingest_once(store, fetcher, clock, recent_days(clock, fetch_days),
                                           settings.arxiv_categories)
            except Exception:  # noqa: BLE001 - the loop must survive anything a cycle throws
                log.exception("ingest cycle failed")
                report = IngestReport(problems=["ingest cycle failed (see log)"])
            if on_cycle is not None:
                on_cycle(report)
            try:
                await asyncio.wait_for(stop_event.wait(), timeout=max(1, settings.ingest_interval_s))
            except asyncio.TimeoutError:
                pass
    finally:
        if own:
            await fetcher.aclose()
