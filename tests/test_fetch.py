"""Fetchers and the ingest loop against a local fake of the HF and arXiv APIs (aiohttp on 127.0.0.1).

Sleep and the monotonic clock are injected: backoff and arXiv's 3 s spacing are asserted, never waited for.
"""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.clock import FixedClock
from bot.config import Settings
from bot.sources.fetch import FetchError, Fetcher, retry_after_seconds
from bot.sources.schedule import ingest_forever, ingest_once

DATA = Path(__file__).parent / "data"
HF_BYTES = (DATA / "hf_daily_papers_2026-08-21.json").read_bytes()
ATOM_BYTES = (DATA / "arxiv_api_query_all-Einstein_2018-02-05.atom.xml").read_bytes()


def atom_page(start: int, n: int, total: int) -> str:
    entries = "".join(
        f"""<entry><id>http://arxiv.org/abs/2603.{start + i:05d}v1</id><title>Paper {start + i}</title>
        <summary>Abstract {start + i}.</summary><published>2026-03-10T00:00:00Z</published>
        <author><name>A. Author</name></author><arxiv:primary_category term="cs.CL"/></entry>"""
        for i in range(max(0, min(n, total - start))))
    return (f'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom" '
            f'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
            f"<opensearch:totalResults>{total}</opensearch:totalResults>{entries}</feed>")


class FakeUpstream:
    """Serves scripted responses per path; `script[path]` is a list consumed one per request, then `default`."""

    def __init__(self):
        self.script: dict[str, list] = {}
        self.default: dict[str, object] = {}
        self.requests: list[tuple[str, dict, dict]] = []
        app = web.Application()
        app.router.add_get("/api/daily_papers", self.handle)
        app.router.add_get("/api/query", self.handle)
        app.router.add_get("/rss/{category}", self.handle)
        app.router.add_get("/api/papers/{paper_id}", self.handle)
        self.server = TestServer(app, host="127.0.0.1", port=0)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, dict(request.query), dict(request.headers)))
        queue = self.script.get(request.path) or []
        step = queue.pop(0) if queue else self.default.get(request.path, 404)
        if callable(step):
            step = step(request)
        if step == "hang":
            await asyncio.sleep(30)
        if isinstance(step, int):
            return web.Response(status=step, text="error")
        if isinstance(step, tuple):
            status, headers = step
            return web.Response(status=status, headers=headers, text="slow down")
        ctype = "application/json" if request.path.startswith("/api/daily") else "application/xml"
        return web.Response(body=step if isinstance(step, bytes) else step.encode(), content_type=ctype)

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")


@pytest.fixture
async def upstream():
    fake = FakeUpstream()
    await fake.server.start_server()
    yield fake
    await fake.server.close()


class FakeTime:
    """An injected monotonic clock that only moves when the code under test sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def make_fetcher(upstream: FakeUpstream, t: FakeTime, **kw) -> Fetcher:
    settings = Settings(hf_endpoint=upstream.url, arxiv_api_url=upstream.url + "/api/query",
                        arxiv_feed_url=upstream.url + "/rss")
    return Fetcher(settings, sleep=t.sleep, monotonic=t.monotonic, **{"timeout": 2.0, **kw})


async def test_hf_day_fetches_parses_and_dates(upstream):
    upstream.script["/api/daily_papers"] = [HF_BYTES]
    t = FakeTime()
    async with make_fetcher(upstream, t) as f:
        batch = await f.hf_day("2026-08-21")
    assert len(batch.papers) == 17 and batch.problems == []
    assert batch.papers[0].upvotes == 163 and batch.papers[0].hf_date == "2026-08-21"
    ((path, query, headers),) = upstream.requests
    assert path == "/api/daily_papers" and query == {"date": "2026-08-21", "limit": "100", "p": "0"}
    assert headers["User-Agent"].startswith("paperwire/")
    assert t.sleeps == []


async def test_429_honours_retry_after(upstream):
    upstream.script["/api/daily_papers"] = [(429, {"Retry-After": "7"}), HF_BYTES]
    t = FakeTime()
    async with make_fetcher(upstream, t) as f:
        batch = await f.hf_day("2026-08-21")
    assert len(batch.papers) == 17 and len(upstream.requests) == 2
    assert t.sleeps == [7.0]


async def test_5xx_retried_with_exponential_backoff(upstream):
    upstream.script["/api/daily_papers"] = [503, 502, HF_BYTES]
    t = FakeTime()
    async with make_fetcher(upstream, t, backoff=2.0) as f:
        batch = await f.hf_day("2026-08-21")
    assert len(batch.papers) == 17
    assert t.sleeps == [2.0, 4.0]


async def test_gives_up_after_retries_with_a_clear_error(upstream):
    upstream.default["/api/daily_papers"] = 500
    t = FakeTime()
    async with make_fetcher(upstream, t, retries=2, backoff=1.0) as f:
        with pytest.raises(FetchError, match=r"HTTP 500 after 3 attempts"):
            await f.hf_day("2026-08-21")
    assert len(upstream.requests) == 3 and t.sleeps == [1.0, 2.0]


async def test_client_errors_are_not_retried(upstream):
    upstream.script["/api/daily_papers"] = [400]
    t = FakeTime()
    async with make_fetcher(upstream, t) as f:
        with pytest.raises(FetchError, match="HTTP 400"):
            await f.hf_day("2026-08-21")
        with pytest.raises(ValueError):
            await f.hf_day("yesterday")
    assert len(upstream.requests) == 1 and t.sleeps == []


async def test_timeouts_are_retried(upstream):
    upstream.script["/api/daily_papers"] = ["hang", HF_BYTES]
    t = FakeTime()
    async with make_fetcher(upstream, t, timeout=0.2, backoff=1.0) as f:
        batch = await f.hf_day("2026-08-21")
    assert len(batch.papers) == 17 and t.sleeps == [1.0]
    upstream.script["/api/daily_papers"] = ["hang", "hang"]
    async with make_fetcher(upstream, t, timeout=0.2, retries=1) as f:
        with pytest.raises(FetchError, match="timed out after 2 attempts"):
            await f.hf_day("2026-08-21")


async def test_connection_refused_is_a_fetch_error():
    t = FakeTime()
    settings = Settings(hf_endpoint="http://127.0.0.1:9", arxiv_api_url="http://127.0.0.1:9/api/query")
    async with Fetcher(settings, sleep=t.sleep, monotonic=t.monotonic, retries=1) as f:
        with pytest.raises(FetchError, match="connection failed"):
            await f.hf_day("2026-08-21")


async def test_malformed_items_skipped_and_reported_batch_kept(upstream):
    items = json.loads(HF_BYTES)[:3]
    items.insert(1, {"paper": {"id": "2608.00001"}})  # no title
    items.insert(2, "garbage")
    upstream.script["/api/daily_papers"] = [json.dumps(items)]
    async with make_fetcher(upstream, FakeTime()) as f:
        batch = await f.hf_day("2026-08-21")
    assert len(batch.papers) == 3
    assert len(batch.problems) == 2 and all("skipped" in p for p in batch.problems)


async def test_arxiv_pages_one_request_per_3_seconds(upstream):
    def page(request):
        return atom_page(int(request.query["start"]), int(request.query["max_results"]), total=1000)

    upstream.default["/api/query"] = page
    t = FakeTime()
    async with make_fetcher(upstream, t) as f:
        batch = await f.arxiv_category("cs.CL", max_results=250)
    assert len(batch.papers) == 250 and batch.papers[0].id == "2603.00000"
    assert batch.papers[0].categories == ("cs.CL",) and batch.papers[0].sources == ("arxiv",)
    queries = [q for _, q, _ in upstream.requests]
    assert [(q["start"], q["max_results"]) for q in queries] == [("0", "100"), ("100", "100"), ("200", "50")]
    assert all(q["search_query"] == "cat:cs.CL" and q["sortBy"] == "submittedDate" for q in queries)
    assert t.sleeps == [3.0, 3.0]


async def test_arxiv_retry_still_keeps_3_seconds_apart(upstream):
    upstream.script["/api/query"] = [(503, {"Retry-After": "1"}), ATOM_BYTES]
    t = FakeTime()
    async with make_fetcher(upstream, t) as f:
        batch = await f.arxiv_category("math.DG", max_results=50)
    assert len(batch.papers) == 10  # the real feed: fewer than asked, so no second page
    assert t.sleeps == [1.0, 2.0] and sum(t.sleeps) == 3.0
    with pytest.raises(ValueError):
        await make_fetcher(upstream, t).arxiv_category("cs.CL OR 1=1")


def test_retry_after_forms():
    now = datetime(2015, 10, 21, 7, 27, tzinfo=timezone.utc)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 60
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


async def test_ingest_loop_fetches_recent_days_and_survives_errors(upstream, store):
    upstream.script["/api/daily_papers"] = [HF_BYTES]  # today works, yesterday fails with 500s
    upstream.default["/api/daily_papers"] = 500
    clock = FixedClock("2026-03-11T06:00:00+00:00")
    settings = Settings(hf_endpoint=upstream.url, arxiv_api_url=upstream.url + "/api/query", ingest_interval_s=3600)
    stop = asyncio.Event()
    reports = []

    def on_cycle(report):
        reports.append(report)
        stop.set()

    fetcher = make_fetcher(upstream, FakeTime(), retries=0)
    await asyncio.wait_for(ingest_forever(store, settings, clock, stop, fetch_days=2, fetcher=fetcher,
                                          on_cycle=on_cycle), timeout=10)
    await fetcher.aclose()
    assert [q["date"] for _, q, _ in upstream.requests] == ["2026-03-11", "2026-03-10"]
    (report,) = reports
    assert report.added == 17 and any(p.startswith("hf 2026-03-10:") and "HTTP 500" in p for p in report.problems)
    p = store.papers.get("2608.19880")
    assert p.hf_date == "2026-03-11" and p.first_seen == "2026-03-11T06:00:00+00:00"


async def test_ingest_once_refreshes_and_includes_arxiv_categories(upstream, store):
    items = json.loads(HF_BYTES)
    upstream.default["/rss/cs.CL"] = (DATA / "arxiv_rss_cs.CL_2026-06-29.xml").read_bytes()
    clock = FixedClock("2026-08-21T09:00:00+00:00")
    t = FakeTime()
    async with make_fetcher(upstream, t) as f:
        upstream.script["/api/daily_papers"] = [HF_BYTES]
        first = await ingest_once(store, f, clock, ["2026-08-21"], categories=("cs.CL",))
        items[0]["paper"]["upvotes"] = 200
        upstream.script["/api/daily_papers"] = [json.dumps(items)]
        clock.advance(hours=1)
        second = await ingest_once(store, f, clock, ["2026-08-21"])
    assert (first.added, second.added, second.updated) == (17 + 12, 0, 1)  # 9 new + 3 cross; 2 replacements unknown
    assert store.papers.get("2608.19880").upvotes == 200
    assert store.papers.get("2606.27378").sources == ("arxiv",)
    assert store.papers.get("2310.06825") is None  # a replacement of a paper never stored is not a new paper


async def test_bad_endpoint_fails_at_once_without_leaking_the_url():
    t = FakeTime()
    settings = Settings(hf_endpoint="ftp://user:s3cret@example.invalid", arxiv_api_url="nonsense")
    async with Fetcher(settings, sleep=t.sleep, monotonic=t.monotonic) as f:
        with pytest.raises(FetchError, match="endpoint URL is not valid") as err:
            await f.hf_day("2026-08-21")
        assert "s3cret" not in str(err.value)
        with pytest.raises(FetchError, match="endpoint URL is not valid"):
            await f.arxiv_category("cs.CL")
    assert t.sleeps == []


async def test_every_fetcher_of_a_running_bot_shares_one_arxiv_pace():
    from bot.sources.fetch import ArxivPacer

    settings = Settings()
    ingest, command, link_card = Fetcher(settings), Fetcher.interactive(settings), Fetcher.interactive(settings)
    try:
        assert ingest.pacer is command.pacer is link_card.pacer  # /paper, link cards and the ingest loop: one turn
        t = FakeTime()
        alone = Fetcher(settings, sleep=t.sleep, monotonic=t.monotonic)
        assert alone.pacer is not ingest.pacer  # an injected clock (a test) paces on its own
        await alone.aclose()
    finally:
        for f in (ingest, command, link_card):
            await f.aclose()
    t = FakeTime()
    pacer = ArxivPacer(3.0, sleep=t.sleep, monotonic=t.monotonic)
    for _ in range(3):
        async with pacer.lock:
            await pacer.turn()
    assert t.sleeps == [3.0, 3.0]  # the second and third request each waited their 3 s

