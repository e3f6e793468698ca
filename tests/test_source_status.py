"""No-announcement days and failing sources are known (issue 10.3, 13.6): the store's source log, `/status`, and the
notes a digest or trending post carries instead of claiming nothing was published."""
from __future__ import annotations

from pathlib import Path

from bot.clock import FixedClock
from bot.config import Settings
from bot.core import Core
from bot.models import Message
from bot.source_status import source_notes
from bot.sources.schedule import ingest_once
from test_fetch import FakeTime, make_fetcher, upstream  # noqa: F401 - the fixture

DATA = Path(__file__).parent / "data"
HF_BYTES = (DATA / "hf_daily_papers_2026-08-21.json").read_bytes()
WEEKEND = (DATA / "arxiv_rss_cs.CL_2026-06-27_weekend.xml").read_bytes()


async def status(store, clock) -> str:
    r = await Core(store, Settings(), clock=clock).handle(Message("test", "c1", "u1", text="/status"))
    return r.text


async def test_status_before_any_fetch(store, clock):
    text = await status(store, clock)
    assert "No source has been fetched yet" in text


async def test_weekend_and_failures_are_told_apart(upstream, store):
    clock = FixedClock("2026-06-27T09:00:00+00:00")  # a Saturday
    upstream.default["/rss/cs.CL"] = WEEKEND
    upstream.default["/api/daily_papers"] = HF_BYTES
    async with make_fetcher(upstream, FakeTime(), retries=0) as f:
        await ingest_once(store, f, clock, ["2026-06-27"], categories=("cs.CL",))
    assert source_notes(store, "2026-06-27") == ["arXiv cs.CL made no announcement on 2026-06-27 (weekend or holiday)."]
    text = await status(store, clock)
    assert "Hugging Face: last success 2026-06-27 09:00 UTC; today 17 papers (17 new, 0 updated)." in text
    assert "arXiv cs.CL: last success 2026-06-27 09:00 UTC; no announcement today (weekend or holiday)." in text
    assert "FAILING" not in text

    # Monday: HF fails; the notes say so, with since when - never "nothing was published"
    clock = FixedClock("2026-06-29T07:00:00+00:00")
    upstream.default["/api/daily_papers"] = 503
    upstream.default["/rss/cs.CL"] = (DATA / "arxiv_rss_cs.CL_2026-06-29.xml").read_bytes()
    async with make_fetcher(upstream, FakeTime(), retries=0) as f:
        await ingest_once(store, f, clock, ["2026-06-29"], categories=("cs.CL",))
        clock.advance(hours=1)
        await ingest_once(store, f, clock, ["2026-06-29"])
    notes = source_notes(store, "2026-06-29")
    assert notes == ["Hugging Face could not be reached since 2026-06-29 07:00 UTC (HTTP 503 after 1 attempt), "
                     "so its papers may be missing."]
    text = await status(store, clock)
    assert "Hugging Face: last success 2026-06-27 09:00 UTC; nothing read for today; last day read 2026-06-27" in text
    assert "FAILING since 2026-06-29 07:00 UTC: HTTP 503 after 1 attempt" in text
    assert "arXiv cs.CL: last success 2026-06-29 07:00 UTC; today 14 papers (12 new, 0 updated)." in text

    # it recovers: the failure is cleared
    upstream.default["/api/daily_papers"] = HF_BYTES
    async with make_fetcher(upstream, FakeTime(), retries=0) as f:
        await ingest_once(store, f, clock, ["2026-06-29"])
    assert source_notes(store, "2026-06-29") == []
    assert "FAILING" not in await status(store, clock)


async def test_a_failing_refresh_never_hides_a_day_that_was_read(upstream, store):
    clock = FixedClock("2026-08-21T09:00:00+00:00")
    upstream.script["/api/daily_papers"] = [HF_BYTES]
    upstream.default["/api/daily_papers"] = 500
    async with make_fetcher(upstream, FakeTime(), retries=0) as f:
        await ingest_once(store, f, clock, ["2026-08-21"])
        clock.advance(hours=1)
        await ingest_once(store, f, clock, ["2026-08-21"])
    day = store.sources.days("2026-08-21")["hf"]
    assert day.status == "ok" and day.items == 17
    assert source_notes(store, "2026-08-21") == []  # the day's papers are in: nothing to warn about
    (state,) = store.sources.states()
    assert state.failing_since == "2026-08-21T10:00:00+00:00"


def test_unconfigured_sources_say_nothing(store):
    assert source_notes(store, "2026-06-29") == []


async def test_digests_say_a_source_failed_instead_of_nothing_published(store, clock):
    from test_digests import due_one, ingest, p, say

    core = Core(store, clock=clock)
    await say(core, "/follow diffusion")
    await say(core, "/quiet off")
    store.sources.record_success("arxiv:cs.CL", "2026-03-10", "2026-03-10T09:00:00+00:00", 40)
    store.sources.record_failure("arxiv:cs.CL", "2026-03-11", "2026-03-11T06:30:00+00:00",
                                 "arXiv listing cs.CL (rss.arxiv.org): HTTP 503 after 5 attempts")
    d = due_one(core, "2026-03-11T08:00:00+00:00")  # nothing ingested: arXiv was down
    assert d.reply.text.splitlines() == [
        "Nothing new today: no new papers arrived since your last digest.",
        "arXiv cs.CL could not be reached since 2026-03-11 06:30 UTC (HTTP 503 after 5 attempts), "
        "so its papers may be missing."]
    assert "published no" not in d.reply.text and list(d.notes)[1].startswith("arXiv cs.CL could not")
    from bot.models import DeliveryResult

    core.record_delivery(d, DeliveryResult("sent"))
    ingest(store, "2026-03-12T07:00:00+00:00", p(1, "Diffusion news"))
    store.sources.record_success("arxiv:cs.CL", "2026-03-12", "2026-03-12T07:00:00+00:00", 1, 1)
    d = due_one(core, "2026-03-12T08:00:00+00:00")
    assert d.reply.text == "Your digest for Thu 12 Mar: 1 new paper for your topics."  # recovered: no note
