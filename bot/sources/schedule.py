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


STORE_CHUNK = 100  # papers per upsert on the event loop (in-memory database only): ~50 ms each (measured)


def store_batch(store, batch: Batch, clock) -> IngestReport:
    report = store.papers.upsert_many(batch.papers, now=now_iso(clock))
    report.skipped += count_skipped(batch.problems)
    report.problems.extend(batch.problems)
    return report


async def store_batch_async(store, batch: Batch, clock) -> IngestReport:
    """`store_batch` without blocking the event loop: in a worker thread on its own connection to the database file
    (upsert_many commits every WRITE_BATCH papers, so the loop's own writes wait little). An in-memory database has
    no second connection: there the papers are stored on the loop in STORE_CHUNK-paper chunks, yielding between."""
    if getattr(store, "path", ":memory:") != ":memory:":
        return await asyncio.to_thread(_store_on_own_connection, store, batch, clock)
    now = now_iso(clock)
    report = IngestReport()
    for i in range(0, len(batch.papers), STORE_CHUNK):
        report.merge(store.papers.upsert_many(batch.papers[i:i + STORE_CHUNK], now=now))
        await asyncio.sleep(0)
    report.skipped += count_skipped(batch.problems)
    report.problems.extend(batch.problems)
    return report


def _store_on_own_connection(store, batch: Batch, clock) -> IngestReport:
    own = store.reopen()
    try:
        return store_batch(own, batch, clock)
    finally:
        own.close()


def _ny_today(clock) -> str:
    """arXiv announces on New York days."""
    from zoneinfo import ZoneInfo

    return clock().astimezone(ZoneInfo("America/New_York")).date().isoformat()


def _failed(store, source: str, day: Optional[str], clock, label: str, e: Exception, report: IngestReport) -> None:
    log.warning("ingest %s failed: %s", label, e)
    report.problems.append(f"{label}: {e}")
    store.sources.record_failure(source, day, now_iso(clock), str(e))


async def ingest_hf_day(store, fetcher: Fetcher, clock, day: str) -> IngestReport:
    """One HF day: fetched (every page), stored, and recorded in the store's source log."""
    report = IngestReport()
    try:
        batch = await fetcher.hf_day(day)
    except (FetchError, ValueError) as e:
        _failed(store, "hf", day, clock, f"hf {day}", e, report)
        return report
    report = await store_batch_async(store, batch, clock)
    if batch.complete:
        store.sources.record_success("hf", day, now_iso(clock), len(batch.papers), report.added, report.updated)
    else:  # the pages read are stored; the day is not known complete
        store.sources.record_failure("hf", day, now_iso(clock), batch.problems[-1])
    log.info("ingest hf %s: %d added, %d updated, %d skipped", day, report.added, report.updated, report.skipped)
    return report


async def ingest_arxiv_listing(store, fetcher: Fetcher, clock, category: str) -> IngestReport:
    """One category's daily announcement: new + cross stored as papers, replace / replace-cross only update papers
    already stored (a new version is never a new paper, so it is never sent again); the day is recorded, an empty
    feed as a day without announcement."""
    report = IngestReport()
    source = f"arxiv:{category}"
    today = _ny_today(clock)
    try:
        listing = await fetcher.arxiv_listing(category, today=today)
    except (FetchError, ValueError) as e:
        _failed(store, source, today, clock, f"arxiv {category}", e, report)
        return report
    report = await store_batch_async(store, Batch(papers=listing.new, problems=listing.problems), clock)
    replaced, absent = store.papers.update_existing(listing.replaced, now=now_iso(clock))
    report.updated += replaced.updated
    report.skipped += replaced.skipped + len(absent)
    store.sources.record_success(source, listing.day or today, now_iso(clock), listing.items,
                                 report.added, report.updated)
    log.info("ingest arxiv %s %s: %d announced (%s), %d added, %d updated", category, listing.day,
             listing.items, ", ".join(f"{k} {v}" for k, v in sorted(listing.counts.items())) or "none",
             report.added, report.updated)
    return report


async def ingest_once(store, fetcher: Fetcher, clock, days: list[str], categories=()) -> IngestReport:
    """Fetch each HF day and arXiv category listing and store it; a failing source is reported and recorded,
    the others still load."""
    report = IngestReport()
    for d in days:
        report.merge(await ingest_hf_day(store, fetcher, clock, d))
    for c in categories:
        report.merge(await ingest_arxiv_listing(store, fetcher, clock, c))
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
