"""arXiv's whole daily announcement (issue 10.2/10.3): the per-category listing feed, new/cross/replace, details
completed through `id_list`, replacements only update, weekend feeds mark a day without announcement.

The fixture tests/data/arxiv_rss_cs.CL_2026-06-29.xml follows arXiv's published feed format (see tests/data/README.md).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.models import Paper
from bot.sources.arxiv_feed import parse_listing
from bot.sources.fetch import FetchError
from bot.sources.schedule import ingest_arxiv_listing
from test_fetch import FakeTime, atom_page, make_fetcher, upstream  # noqa: F401 - the fixture

DATA = Path(__file__).parent / "data"
FEED = (DATA / "arxiv_rss_cs.CL_2026-06-29.xml").read_bytes()
WEEKEND = (DATA / "arxiv_rss_cs.CL_2026-06-27_weekend.xml").read_bytes()

ATOM_LISTING = b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"
      xmlns:dc="http://purl.org/dc/elements/1.1/" xml:lang="en-us">
  <id>http://rss.arxiv.org/atom/cs.CL</id>
  <title>cs.CL updates on arXiv.org</title>
  <updated>2026-06-29T04:00:07.012345+00:00</updated>
  <entry>
    <id>oai:arXiv.org:2606.27378v1</id>
    <title>Formalizing Latent Thoughts</title>
    <updated>2026-06-29T00:00:00-04:00</updated>
    <link href="https://arxiv.org/abs/2606.27378" rel="alternate" type="text/html"/>
    <summary>arXiv:2606.27378v1 Announce Type: new
Abstract: We introduce an axiomatic evaluation framework.</summary>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <published>2026-06-29T00:00:00-04:00</published>
    <arxiv:announce_type>new</arxiv:announce_type>
    <dc:creator>Jane Roe, John Doe</dc:creator>
  </entry>
</feed>"""


def test_listing_feed_is_read_whole_with_announce_types():
    problems: list[str] = []
    listing = parse_listing(FEED, "cs.CL", problems)
    assert problems == [] and listing.day == "2026-06-29" and listing.announced and listing.items == 14
    assert listing.counts == {"new": 9, "cross": 3, "replace": 1, "replace-cross": 1}
    assert len(listing.new) == 12 and [p.id for p in listing.replaced] == ["2310.06825", "2405.21060"]
    p = listing.new[0]
    assert p.id == "2606.27378" and p.published == "2026-06-29" and p.categories == ("cs.CL", "cs.LG")
    assert p.authors == ("Fahd Seddik", "Fatemeh Fard")
    assert p.abstract.startswith("We introduce an axiomatic") and "Announce Type" not in p.abstract
    assert listing.replaced[1].authors == ("Tri Dao", "Albert Gu") and listing.incomplete == []


def test_atom_form_of_the_feed_is_read_too():
    listing = parse_listing(ATOM_LISTING, "cs.CL")
    (p,) = listing.new
    assert listing.day == "2026-06-29" and p.id == "2606.27378" and p.authors == ("Jane Roe", "John Doe")
    assert p.abstract == "We introduce an axiomatic evaluation framework." and p.categories == ("cs.CL", "cs.LG")


def test_weekend_feed_is_no_announcement():
    listing = parse_listing(WEEKEND, "cs.CL")
    assert not listing.announced and listing.day == "2026-06-27" and listing.new == []


def test_bad_items_are_skipped_with_a_reason():
    bad = FEED.replace(b"<arxiv:announce_type>cross</arxiv:announce_type>",
                       b"<arxiv:announce_type>sideways</arxiv:announce_type>", 1)
    bad = bad.replace(b"oai:arXiv.org:2606.27380v1", b"oai:arXiv.org:nonsense", 1)
    bad = bad.replace(b"https://arxiv.org/abs/2606.27380", b"https://example.com/x", 1)
    bad = bad.replace(b"arXiv:2606.27380v1 Announce", b"Announce", 1)
    problems: list[str] = []
    listing = parse_listing(bad, "cs.CL", problems)
    assert len(listing.new) == 10 and len(problems) == 2
    assert any("unknown announce type 'sideways'" in p for p in problems)
    assert any("no arXiv id" in p for p in problems)


async def test_ingest_stores_new_and_cross_and_records_the_day(upstream, store):
    upstream.default["/rss/cs.CL"] = FEED
    clock = FixedClock("2026-06-29T09:00:00+00:00")
    t = FakeTime()
    async with make_fetcher(upstream, t) as f:
        report = await ingest_arxiv_listing(store, f, clock, "cs.CL")
    assert report.added == 12 and store.papers.count() == 12
    assert [r[0] for r in upstream.requests] == ["/rss/cs.CL"] and t.sleeps == []
    day = store.sources.days("2026-06-29")["arxiv:cs.CL"]
    assert (day.status, day.items, day.added) == ("ok", 14, 12)


async def test_replace_updates_the_row_and_is_never_a_new_paper(upstream, store):
    old = Paper.make("Mistral 7B", "2310.06825", abstract="Old abstract.", published="2023-10-10",
                     categories=("cs.CL",), sources=("arxiv",))
    store.papers.upsert_many([old], now="2023-10-10T00:00:00+00:00")
    pk_before = store.db.execute("SELECT pk FROM papers WHERE id='2310.06825'").fetchone()[0]
    upstream.default["/rss/cs.CL"] = FEED
    async with make_fetcher(upstream, FakeTime()) as f:
        report = await ingest_arxiv_listing(store, f, FixedClock("2026-06-29T09:00:00+00:00"), "cs.CL")
    assert report.added == 12 and report.updated == 1
    p = store.papers.get("2310.06825")
    assert p.abstract.startswith("We introduce Mistral 7B v0.1") and p.categories == ("cs.CL", "cs.AI", "cs.LG")
    # still the same paper: first seen in 2023, same row (the ingest sequence / window does not move)
    assert p.first_seen == "2023-10-10T00:00:00+00:00" and p.published == "2023-10-10"
    assert store.db.execute("SELECT pk FROM papers WHERE id='2310.06825'").fetchone()[0] == pk_before
    assert store.papers.get("2405.21060") is None  # a replacement of a paper never stored is not added


async def test_missing_details_are_fetched_in_id_list_batches_politely(upstream, store):
    feed = FEED
    for aid in (b"2606.27446", b"2606.27460"):  # the feed gives these without title and abstract
        start = feed.index(b"<link>https://arxiv.org/abs/" + aid)
        item_start = feed.rindex(b"<item>", 0, start)
        title_start = feed.index(b"<title>", item_start)
        title_end = feed.index(b"</title>", title_start)
        feed = feed[:title_start] + b"<title></title>" + feed[title_end + 8:]
        d0 = feed.index(b"Abstract: ", feed.index(b"arXiv:" + aid)) + len(b"Abstract: ")
        feed = feed[:d0] + feed[feed.index(b"</description>", d0):]
    api = atom_page(0, 0, 0).replace("<opensearch:totalResults>0</opensearch:totalResults>", "")
    entries = "".join(
        f"""<entry><id>http://arxiv.org/abs/{aid}v1</id><title>Full title {aid}</title>
        <summary>Full abstract {aid}.</summary><published>2026-06-26T10:00:00Z</published>
        <author><name>API Author</name></author><arxiv:primary_category term="cs.CL"/></entry>"""
        for aid in ("2606.27446", "2606.27460"))
    upstream.default["/rss/cs.CL"] = feed
    upstream.default["/api/query"] = api.replace("</feed>", entries + "</feed>")
    t = FakeTime()
    async with make_fetcher(upstream, t) as f:
        report = await ingest_arxiv_listing(store, f, FixedClock("2026-06-29T09:00:00+00:00"), "cs.CL")
    assert report.added == 12
    (_, q, _) = upstream.requests[1]
    assert q["id_list"] == "2606.27446,2606.27460" and t.sleeps == [3.0]  # one request per 3 s to arXiv
    p = store.papers.get("2606.27446")
    assert p.title == "Full title 2606.27446" and p.abstract == "Full abstract 2606.27446."
    assert p.published == "2026-06-29" and "cs.CL" in p.categories


async def test_weekend_is_recorded_as_no_announcement(upstream, store):
    upstream.default["/rss/cs.CL"] = WEEKEND
    async with make_fetcher(upstream, FakeTime()) as f:
        report = await ingest_arxiv_listing(store, f, FixedClock("2026-06-27T09:00:00+00:00"), "cs.CL")
    assert report.added == 0 and report.problems == []
    day = store.sources.days("2026-06-27")["arxiv:cs.CL"]
    assert day.status == "empty" and day.items == 0


async def test_html_and_unknown_categories_are_refused(upstream, store):
    upstream.default["/rss/cs.CL"] = "<html><body>Oops</body></html>"
    async with make_fetcher(upstream, FakeTime()) as f:
        with pytest.raises(FetchError, match=r"\(127\.0\.0\.1:\d+\): the answer is not an arXiv listing feed"):
            await f.arxiv_listing("cs.CL")
        with pytest.raises(ValueError, match="did you mean cs.CL"):
            await f.arxiv_listing("cs.CLL")
        report = await ingest_arxiv_listing(store, f, FixedClock("2026-06-29T09:00:00+00:00"), "cs.CL")
    assert report.added == 0
    (state,) = store.sources.states()
    assert state.source == "arxiv:cs.CL" and state.failing_since and "not an arXiv listing feed" in state.last_error
