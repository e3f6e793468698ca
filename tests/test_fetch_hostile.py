"""Fetchers against a hostile server on 127.0.0.1: drip, hang, huge, gzip bomb, nested JSON, bad bytes, wrong types,
HTML with 200. Each fetch ends in bounded time and memory; the valid items of a page are kept.

The deadlines here are real (a fraction of a second): the point is that the wall clock is bounded. Backoff sleeps
are injected and never waited for.
"""
from __future__ import annotations

import asyncio
import json
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.config import Settings
from bot.sources.fetch import FetchError, Fetcher
from bot.sources.http import MB, Limits
from bot.sources.schedule import ingest_once

DATA = Path(__file__).parent / "data"
HF_ITEMS = json.loads((DATA / "hf_daily_papers_2026-08-21.json").read_bytes())
ATOM_BYTES = (DATA / "arxiv_api_query_all-Einstein_2018-02-05.atom.xml").read_bytes()


class Hostile:
    """One path, answering according to `mode`."""

    def __init__(self):
        self.mode = "ok"
        self.body: bytes = b"[]"
        self.requests = 0
        app = web.Application()
        app.router.add_get("/api/daily_papers", self.handle)
        app.router.add_get("/api/query", self.handle)
        self.server = TestServer(app, host="127.0.0.1", port=0)

    async def handle(self, request: web.Request):
        self.requests += 1
        if self.mode == "hang":
            await asyncio.sleep(30)
        if self.mode == "drip":  # a valid start, then one byte every 50 ms, forever
            resp = web.StreamResponse(headers={"Content-Type": "application/json"})
            await resp.prepare(request)
            await resp.write(b"[")
            while True:
                await asyncio.sleep(0.05)
                await resp.write(b" ")
        if self.mode == "huge":  # an endless chunked stream
            resp = web.StreamResponse(headers={"Content-Type": "application/json"})
            await resp.prepare(request)
            chunk = b" " * (256 * 1024)
            await resp.write(b"[")
            for _ in range(4000):  # 1 GB if nobody stops reading
                await resp.write(chunk)
            return resp
        if self.mode == "bomb":
            return web.Response(body=self.body, headers={"Content-Encoding": "gzip",
                                                         "Content-Type": "application/json"})
        if self.mode == "html":
            return web.Response(text="<html><body><h1>Service unavailable</h1></body></html>",
                                content_type="text/html")
        ctype = "application/atom+xml" if request.path == "/api/query" else "application/json"
        return web.Response(body=self.body, headers={"Content-Type": ctype})

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")


@pytest.fixture
async def hostile():
    h = Hostile()
    await h.server.start_server()
    yield h
    await h.server.close()


async def _no_sleep(_seconds: float) -> None:
    return None


def fetcher(h: Hostile, **kw) -> Fetcher:
    settings = Settings(hf_endpoint=h.url, arxiv_api_url=h.url + "/api/query")
    opts = dict(timeout=5.0, retries=1, sleep=_no_sleep,
                limits=Limits(deadline=0.5, max_bytes=2 * MB, max_decoded=4 * MB))
    opts.update(kw)
    return Fetcher(settings, **opts)


def gzip_bomb(decoded_mb: int) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * MB
    return b"".join([comp.compress(zeros) for _ in range(decoded_mb)] + [comp.flush()])


async def timed(coro):
    t0 = time.monotonic()
    tracemalloc.start()
    try:
        try:
            result = await coro
        except FetchError as e:
            result = e
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, time.monotonic() - t0, peak


async def test_drip_is_cut_at_the_deadline(hostile):
    hostile.mode = "drip"
    async with fetcher(hostile) as f:
        err, seconds, _ = await timed(f.hf_day("2026-08-21"))
    assert isinstance(err, FetchError)
    assert "no complete answer within 0.5 s after 2 attempts" in str(err) and "127.0.0.1" in str(err)
    assert seconds < 3 and hostile.requests == 2


async def test_hang_is_cut_at_the_deadline(hostile):
    hostile.mode = "hang"
    async with fetcher(hostile, retries=0) as f:
        err, seconds, _ = await timed(f.hf_day("2026-08-21"))
    assert isinstance(err, FetchError) and "no complete answer within 0.5 s" in str(err)
    assert seconds < 2


async def test_huge_answer_stops_at_the_size_cap(hostile):
    hostile.mode = "huge"
    async with fetcher(hostile, limits=Limits(deadline=10, max_bytes=2 * MB, max_decoded=4 * MB)) as f:
        err, seconds, peak = await timed(f.hf_day("2026-08-21"))
    assert isinstance(err, FetchError) and "over the 2 MB limit" in str(err)
    assert hostile.requests == 1  # too large is not retried
    assert peak < 12 * MB and seconds < 5


async def test_gzip_bomb_stops_at_the_decompressed_cap(hostile):
    hostile.mode = "bomb"
    hostile.body = gzip_bomb(200)  # ~200 KB on the wire, 200 MB inflated
    assert len(hostile.body) < 1 * MB
    async with fetcher(hostile, limits=Limits(deadline=10, max_bytes=2 * MB, max_decoded=4 * MB)) as f:
        err, seconds, peak = await timed(f.hf_day("2026-08-21"))
    assert isinstance(err, FetchError) and "decompresses to over 4 MB" in str(err)
    assert peak < 16 * MB and seconds < 5


async def test_gzip_answer_within_the_caps_is_read(hostile):
    hostile.mode = "bomb"
    hostile.body = zlib.compress(json.dumps(HF_ITEMS).encode(), wbits=31)
    async with fetcher(hostile) as f:
        batch = await f.hf_day("2026-08-21")
    assert len(batch.papers) == 17


async def test_deeply_nested_item_is_skipped_and_the_others_kept(hostile):
    good = [json.dumps(i) for i in HF_ITEMS[:3]]
    hostile.body = ("[" + good[0] + "," + "[" * 200_000 + "]" * 200_000 + "," + good[1] + ","
                    + '{"paper": {"title": ' + "[" * 5000 + "]" * 5000 + "}}," + good[2] + "]").encode()
    async with fetcher(hostile) as f:
        batch = await f.hf_day("2026-08-21")
    assert [p.id for p in batch.papers] == [i["paper"]["id"] for i in HF_ITEMS[:3]]
    assert len(batch.problems) == 2 and all("skipped: nested too deeply" in p for p in batch.problems)


async def test_bad_bytes_are_replaced_not_fatal(hostile):
    body = json.dumps(HF_ITEMS).encode()
    title = HF_ITEMS[0]["paper"]["title"].encode()
    hostile.body = body.replace(title, title[:8] + b"\xff\xfe" + title[8:], 1)
    hostile.body = hostile.body.replace(b'"summary": "', b'"summary": "\\ud800', 1)  # a lone surrogate
    async with fetcher(hostile) as f:
        batch = await f.hf_day("2026-08-21")
    assert len(batch.papers) == 17 and batch.problems == []
    assert "\ufffd" in batch.papers[0].title


async def test_bad_bytes_in_atom_are_replaced_not_fatal(hostile):
    hostile.body = ATOM_BYTES.replace(b"<title>", b"<title>\xff\x01", 2)
    async with fetcher(hostile, arxiv_interval=0) as f:
        batch = await f.arxiv_category("math.DG", max_results=50)
    assert len(batch.papers) == 10 and batch.problems == []


async def test_wrong_types_are_skipped_with_a_reason(hostile, store, clock):
    items = [dict(i, paper=dict(i["paper"])) for i in HF_ITEMS[:4]]
    items[1]["paper"]["title"] = ["a", "list"]
    items[2]["paper"]["authors"] = "Jane Doe"
    items[3]["paper"]["summary"] = {"not": "text"}
    hostile.body = json.dumps(items).encode()
    async with fetcher(hostile) as f:
        batch = await f.hf_day("2026-08-21")
        report = await ingest_once(store, f, clock, ["2026-08-21"])
    assert len(batch.papers) == 1
    reasons = " | ".join(batch.problems)
    assert "title is not text (list)" in reasons and "authors is not a list of names (str)" in reasons
    assert "summary is not text (dict)" in reasons
    assert report.added == 1 and report.skipped == 3
    assert store.papers.count() == 1 and "['a'" not in store.papers.iter_all().__next__().title


async def test_nothing_valid_is_an_error(hostile):
    hostile.body = json.dumps([{"paper": {"title": ["x"]}}, 5, "junk"]).encode()
    async with fetcher(hostile) as f:
        with pytest.raises(FetchError, match=r"none of the 3 items in the answer could be read"):
            await f.hf_day("2026-08-21")


async def test_html_with_200_is_an_error_naming_what_came(hostile, store, clock):
    hostile.mode = "html"
    async with fetcher(hostile) as f:
        with pytest.raises(FetchError) as err:
            await f.hf_day("2026-08-21")
        report = await ingest_once(store, f, clock, ["2026-08-21"])
    assert "not a Hugging Face papers list" in str(err.value) and "text/html" in str(err.value)
    assert "127.0.0.1" in str(err.value)
    assert report.added == 0 and any("text/html" in p for p in report.problems)


async def test_html_with_200_from_arxiv_is_an_error(hostile):
    hostile.mode = "html"
    async with fetcher(hostile, arxiv_interval=0) as f:
        with pytest.raises(FetchError, match="not an arXiv Atom feed"):
            await f.arxiv_category("cs.CL")


async def test_a_large_page_is_parsed_off_the_event_loop(hostile, store, clock, monkeypatch):
    """6 MB of items: the page is decoded in a worker thread while the loop runs other callbacks, and (this store
    is in memory: no second connection) stored in small chunks with the loop running other callbacks between them;
    a database file is stored in a worker thread (tests/test_ingest_off_loop.py). Measured by what ran, not by how long it took,
    so a loaded machine cannot fail it (and a fast one cannot pass a parse on the loop)."""
    import threading

    from bot.sources import fetch as fetch_module
    from bot.sources.schedule import STORE_CHUNK

    many = []
    for n in range(3000):
        item = dict(HF_ITEMS[n % 17], paper=dict(HF_ITEMS[n % 17]["paper"], id=f"2608.{n:05d}",
                                                  title=f"Paper number {n}"))
        many.append(item)
    hostile.body = json.dumps(many).encode()
    ticks = 0  # loop iterations another task got
    done = asyncio.Event()
    parsing = threading.Event()  # set by the parse, wherever it runs
    loop_saw_parse = threading.Event()  # set by a loop callback while the parse waits for it

    async def ticker():
        nonlocal ticks
        while not done.is_set():
            if parsing.is_set():
                loop_saw_parse.set()
            ticks += 1
            await asyncio.sleep(0)

    decode = fetch_module.hf.decode_items
    threads: list[bool] = []

    def spying_decode(body):
        threads.append(threading.current_thread() is threading.main_thread())
        parsing.set()
        # on the loop's thread this wait would time out: the loop cannot run the ticker while we hold it
        threads.append(loop_saw_parse.wait(timeout=10))
        return decode(body)

    monkeypatch.setattr(fetch_module.hf, "decode_items", spying_decode)
    upsert = store.papers.upsert_many
    chunks: list[tuple[int, int]] = []  # (papers, ticks before the call)

    def spying_upsert(papers, *a, **kw):
        papers = list(papers)
        chunks.append((len(papers), ticks))
        return upsert(papers, *a, **kw)

    monkeypatch.setattr(store.papers, "upsert_many", spying_upsert)
    task = asyncio.create_task(ticker())
    async with fetcher(hostile, limits=Limits(deadline=30, max_bytes=32 * MB, max_decoded=64 * MB),
                       hf_page_size=5000) as f:
        report = await ingest_once(store, f, clock, ["2026-08-21"])
    done.set()
    await task
    assert report.added == 3000
    assert threads == [False, True]  # decoded off the main thread, while the loop kept running
    assert len(chunks) >= 3000 // STORE_CHUNK and all(n <= STORE_CHUNK for n, _ in chunks)
    # between any two chunks stored on the loop, other callbacks ran
    assert all(b > a for (_, a), (_, b) in zip(chunks, chunks[1:])), chunks
