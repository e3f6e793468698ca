"""The run process's own ingest (bot/sources/schedule.store_batch_async) stores a fetched batch in a worker thread on
a second connection to the database file, while the event loop keeps answering. Checked by what ran where, not by
timing: the store call waits until a loop task has run while it is in progress (on the loop it could not)."""
from __future__ import annotations

import asyncio
import threading

from bot.clock import FixedClock
from bot.models import Paper
from bot.sources.fetch import Batch
from bot.sources.schedule import store_batch_async
from store import Store
from store.papers import PaperRepo


async def test_a_fetched_batch_is_stored_off_the_event_loop(tmp_path, monkeypatch):
    store = Store(tmp_path / "pw.db")
    papers = [Paper.make(f"Paper number {i}", f"2608.{i:05d}", abstract="An abstract.", authors=("A. B",))
              for i in range(1200)]
    in_progress, loop_ran = threading.Event(), threading.Event()
    calls: list[tuple[bool, bool]] = []  # (on the main thread, the loop ran while it was in progress)
    upsert = PaperRepo.upsert_many

    def spying_upsert(repo, *a, **kw):
        in_progress.set()
        calls.append((threading.current_thread() is threading.main_thread(), loop_ran.wait(timeout=10)))
        return upsert(repo, *a, **kw)

    monkeypatch.setattr(PaperRepo, "upsert_many", spying_upsert)
    done = False

    async def ticker():
        while not done:
            if in_progress.is_set():
                loop_ran.set()
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    report = await store_batch_async(store, Batch(papers=papers, problems=["one bad item (skipped)"]),
                                     FixedClock("2026-08-21T09:00:00+00:00"))
    done = True
    await task
    assert calls == [(False, True)]  # one call, in a worker thread, while the loop kept running
    assert report.added == 1200 and "one bad item (skipped)" in report.problems
    assert store.papers.count() == 1200  # committed: the loop's own connection sees them
    store.close()
