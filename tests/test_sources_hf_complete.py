"""Hugging Face, complete (issue 10.1): every page of a day, a failure mid-paging keeps what was read, the code /
project / AI-summary extras are stored and shown, `/trending week`."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from adapters.slack_render import card_text
from adapters.telegram_render import card_html
from bot.config import Settings
from bot.core import Core
from bot.models import Card, Message, Paper
from bot.sources.fetch import Fetcher
from bot.sources.hf import parse_hf
from store import Store
from test_fetch import FakeTime, upstream  # noqa: F401 - the fixture

DATA = Path(__file__).parent / "data"
HF_BYTES = (DATA / "hf_daily_papers_2026-08-21.json").read_bytes()
ITEMS = json.loads(HF_BYTES)


def page_server(items: list, fail: dict | None = None):
    """A handler serving `items` in pages of `limit` by `p`; `fail[p]` = a list of statuses to answer first."""
    fail = fail or {}

    def handle(request):
        p, limit = int(request.query["p"]), int(request.query["limit"])
        if fail.get(p):
            return fail[p].pop(0)
        return json.dumps(items[p * limit:(p + 1) * limit])

    return handle


def fetcher(upstream, t, **kw) -> Fetcher:
    settings = Settings(hf_endpoint=upstream.url, arxiv_api_url=upstream.url + "/api/query")
    return Fetcher(settings, sleep=t.sleep, monotonic=t.monotonic, **{"timeout": 2.0, **kw})


async def test_paging_stops_at_a_short_page(upstream):
    upstream.default["/api/daily_papers"] = page_server(ITEMS)
    async with fetcher(upstream, FakeTime(), hf_page_size=5) as f:
        batch = await f.hf_day("2026-08-21")
    assert len(batch.papers) == 17 and len({p.id for p in batch.papers}) == 17 and batch.complete
    assert [(q["p"], q["limit"]) for _, q, _ in upstream.requests] == [("0", "5"), ("1", "5"), ("2", "5"), ("3", "5")]


async def test_a_full_last_page_costs_one_empty_request(upstream):
    upstream.default["/api/daily_papers"] = page_server(ITEMS[:10])
    async with fetcher(upstream, FakeTime(), hf_page_size=5) as f:
        batch = await f.hf_day("2026-08-21")
    assert len(batch.papers) == 10 and len(upstream.requests) == 3


async def test_429_and_5xx_mid_paging_are_retried_and_keep_the_pages_read(upstream):
    t = FakeTime()
    upstream.default["/api/daily_papers"] = page_server(ITEMS, fail={1: [(429, {"Retry-After": "3"}), 503]})
    async with fetcher(upstream, t, hf_page_size=5) as f:
        batch = await f.hf_day("2026-08-21")
    assert len(batch.papers) == 17 and batch.complete and t.sleeps == [3.0, 4.0]

    upstream.requests.clear()
    upstream.default["/api/daily_papers"] = page_server(ITEMS, fail={2: [503] * 10})
    async with fetcher(upstream, t, hf_page_size=5, retries=2) as f:
        batch = await f.hf_day("2026-08-21")
    assert len(batch.papers) == 10 and not batch.complete  # pages 0 and 1 kept
    assert any("stopped after page 2" in p and "HTTP 503 after 3 attempts" in p for p in batch.problems)


async def test_a_server_ignoring_p_does_not_loop(upstream):
    upstream.default["/api/daily_papers"] = lambda request: json.dumps(ITEMS[:5])
    async with fetcher(upstream, FakeTime(), hf_page_size=5) as f:
        batch = await f.hf_day("2026-08-21")
    assert len(batch.papers) == 5 and len(upstream.requests) == 2


def test_extras_are_parsed_stored_and_shown(store):
    papers = list(parse_hf(HF_BYTES, hf_date="2026-08-21"))
    p = papers[0]
    assert (p.github_repo, p.github_stars, p.project_page) == (
        "https://github.com/google-research/envharness", 8, "https://envharness.com/")
    assert p.ai_summary.startswith("EnvHarness and EnvRigger") and "EnvRigger" in p.ai_keywords
    store.papers.upsert_many(papers, now="2026-08-21T09:00:00+00:00")
    got = store.papers.get("2608.19880")
    assert (got.github_stars, got.project_page, got.ai_keywords) == (8, p.project_page, p.ai_keywords)
    assert got.ai_summary == p.ai_summary
    # a later fetch with more stars refreshes them; one without extras keeps them
    store.papers.upsert_many([Paper.make(p.title, p.id, github_repo=p.github_repo, github_stars=30)])
    store.papers.upsert_many([Paper.make(p.title, p.id, sources=("arxiv",))])
    got = store.papers.get("2608.19880")
    assert got.github_stars == 30 and got.project_page == p.project_page and got.ai_summary
    html = card_html(Card(got))
    assert 'href="https://github.com/google-research/envharness">code ★30</a>' in html
    assert 'href="https://envharness.com/">project page</a>' in html
    assert "<https://github.com/google-research/envharness|code ★30>" in card_text(Card(got))
    assert "AI summary (Hugging Face): EnvHarness and EnvRigger" in card_text(Card(got, show_abstract=True))


def test_migration_adds_the_columns_to_an_existing_database(tmp_path):
    path = tmp_path / "old.db"
    s = Store(path)
    s.papers.upsert_many(list(parse_hf(HF_BYTES, hf_date="2026-08-21")))
    s.close()
    conn = sqlite3.connect(path)  # make it look like a database from before the migration
    for col in ("github_stars", "project_page", "ai_summary", "ai_keywords"):
        conn.execute(f"ALTER TABLE papers DROP COLUMN {col}")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm003_papers_hf_extras'")
    conn.commit()
    conn.close()
    s = Store(path)
    assert s.papers.get("2608.19880").github_stars is None and s.papers.count() == 17
    s.papers.upsert_many(list(parse_hf(HF_BYTES, hf_date="2026-08-21")))
    assert s.papers.get("2608.19880").github_stars == 8
    s.close()


async def test_trending_week(store, clock):
    days = ["2026-03-04", "2026-03-08", "2026-03-10"]
    store.papers.upsert_many([
        Paper.make(f"Paper of {d} n{i}", f"2603.{k:05d}", hf_date=d, upvotes=up, sources=("hf",))
        for k, (d, i, up) in enumerate([(days[0], 0, 999), (days[1], 0, 50), (days[1], 1, 5), (days[2], 0, 20)])
    ])
    core = Core(store, clock=clock)
    week = await core.handle(Message("test", "c1", "u1", text="/trending week"))
    assert week.text.startswith("Trending on Hugging Face this week (2026-03-04 to 2026-03-10): top 4")
    assert [c.paper.upvotes for c in week.cards] == [999, 50, 20, 5]
    week2 = await core.handle(Message("test", "c1", "u1", text="/trending week 2"))
    assert [c.paper.upvotes for c in week2.cards] == [999, 50]
    today = await core.handle(Message("test", "c1", "u1", text="/trending"))
    assert [c.paper.upvotes for c in today.cards] == [20]
    bad = await core.handle(Message("test", "c1", "u1", text="/trending month"))
    assert bad.error and "/trending week 5" in bad.text
