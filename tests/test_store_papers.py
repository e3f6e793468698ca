"""PaperRepo.upsert_many merge rules: idempotence, one row per paper across sources, title merges, FTS in sync."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.models import Paper, title_key
from bot.sources import load_path

ROOT = Path(__file__).parent.parent
SEED_JSONL = ROOT / "seeds" / "010_hf_last30days.jsonl"
T0, T1 = "2026-03-11T06:00:00+00:00", "2026-03-12T06:00:00+00:00"


def fts_pks(store, query: str) -> set[int]:
    return {r[0] for r in store.db.execute("SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", [query])}


def hf(**kw) -> Paper:
    base = dict(abstract="We study attention.", authors=("Ada Lovelace",), published="2026-03-09",
                hf_date="2026-03-11", upvotes=10, comments=1, sources=("hf",))
    return Paper.make(kw.pop("title", "Flash Attention Revisited"), kw.pop("arxiv_id", "2603.01234"), **{**base, **kw})


def test_reingest_is_idempotent_and_refreshes_counts(store):
    papers = list(load_path(SEED_JSONL))
    first = store.papers.upsert_many(papers, now=T0)
    assert (first.added, first.updated, first.skipped) == (598, 0, 0)
    again = store.papers.upsert_many(papers, now=T1)
    assert (again.added, again.updated, again.skipped) == (0, 0, 598)
    assert store.papers.count() == 598
    p = papers[0]
    bumped = store.papers.upsert_many([replace(p, upvotes=p.upvotes + 5, comments=(p.comments or 0) + 2)], now=T1)
    assert (bumped.added, bumped.updated) == (0, 1)
    got = store.papers.get(p.id)
    assert got.upvotes == p.upvotes + 5 and got.comments == (p.comments or 0) + 2
    assert got.first_seen == T0  # first seen is never moved by an update


def test_hf_and_arxiv_versions_are_one_row(store):
    store.papers.upsert_many([hf()], now=T0)
    arxiv = Paper.make("Flash Attention Revisited", "2603.01234v2", abstract="We study attention, again.",
                       authors=("Ada Lovelace", "Alan Turing"), published="2026-03-08",
                       categories=("cs.LG", "cs.AI"), sources=("arxiv",))
    r = store.papers.upsert_many([arxiv], now=T1)
    assert (r.added, r.updated) == (0, 1)
    assert store.papers.count() == 1
    p = store.papers.get("2603.01234")
    assert p.sources == ("hf", "arxiv")
    assert p.upvotes == 10 and p.comments == 1 and p.hf_date == "2026-03-11"  # arXiv's None does not erase them
    assert p.categories == ("cs.LG", "cs.AI") and p.authors == ("Ada Lovelace", "Alan Turing")
    assert p.published == "2026-03-09"  # the first published date is kept


def test_title_only_seed_paper_merges_with_its_arxiv_twin_in_either_order(store):
    seed = Paper.make("Flash  attention revisited!", abstract="Seed abstract.", hf_date="2026-03-11", sources=("seed",))
    assert seed.id == title_key("flash attention revisited")
    # seed first, then the paper with an id
    store.papers.upsert_many([seed], now=T0)
    r = store.papers.upsert_many([hf(abstract="")], now=T1)
    assert (r.added, r.updated) == (0, 1) and store.papers.count() == 1
    row = store.papers.get("2603.01234")
    assert row is not None and row.arxiv_id == "2603.01234" and set(row.sources) == {"seed", "hf"}
    assert store.papers.get(seed.id) == row  # the stable title id still finds it
    assert row.abstract == "Seed abstract." and row.upvotes == 10
    # a later re-ingest by arXiv id, and the seed again, change nothing
    assert store.papers.upsert_many([hf(abstract=""), seed], now=T1).added == 0 and store.papers.count() == 1


def test_arxiv_first_then_title_only_seed(store):
    store.papers.upsert_many([hf()], now=T0)
    seed = Paper.make("Flash Attention Revisited", abstract="Seed abstract.", hf_date="2026-03-01", sources=("seed",))
    r = store.papers.upsert_many([seed], now=T1)
    assert (r.added, r.updated) == (0, 1) and store.papers.count() == 1
    row = store.papers.get("2603.01234")
    assert row.sources == ("hf", "seed") and row.hf_date == "2026-03-01"  # the earliest HF day is kept


def test_same_title_different_arxiv_ids_stay_two_papers(store):
    r = store.papers.upsert_many([hf(), hf(arxiv_id="2603.09999")], now=T0)
    assert r.added == 2 and store.papers.count() == 2


def test_both_in_one_batch_merge_too(store):
    seed = Paper.make("Flash Attention Revisited", abstract="Seed abstract.", sources=("seed",))
    r = store.papers.upsert_many([seed, hf(), hf()], now=T0)
    assert store.papers.count() == 1 and r.added == 1
    assert store.papers.get("2603.01234").sources == ("seed", "hf")


def test_old_style_ids(store):
    old = Paper.make("On pseudo-Hermitian Einstein spaces", "math/0502287v1", abstract="x", sources=("arxiv",))
    assert old.id == "math/0502287"
    store.papers.upsert_many([old], now=T0)
    r = store.papers.upsert_many([Paper.make(old.title, "math/0502287v3", abstract="y", sources=("arxiv",))], now=T1)
    assert (r.added, r.updated) == (0, 1) and store.papers.count() == 1
    assert store.papers.get("math/0502287").abstract == "y"


def test_fts_follows_inserts_and_updates(store):
    store.papers.upsert_many([hf(abstract="A study of quokkas.")], now=T0)
    (pk,) = fts_pks(store, "quokka")  # porter stemming: quokkas -> quokka
    assert fts_pks(store, "lovelace") == {pk}  # authors are indexed
    store.papers.upsert_many([hf(abstract="A study of wombats.", authors=("Grace Hopper",))], now=T1)
    assert fts_pks(store, "quokka") == set() and fts_pks(store, "lovelace") == set()
    assert fts_pks(store, "wombat") == {pk} and fts_pks(store, "hopper") == {pk}
    # the FTS index agrees with its content table (integrity-check raises on drift)
    store.db.execute("INSERT INTO papers_fts(papers_fts, rank) VALUES('integrity-check', 1)")


def test_paper_without_title_skipped_and_reported(store):
    r = store.papers.upsert_many([Paper(id="2603.00001", title="  ", arxiv_id="2603.00001"), hf()], now=T0)
    assert (r.added, r.skipped) == (1, 1) and "without a title" in r.problems[0]


def test_trending_and_stats_after_seed_sample(store):
    store.papers.upsert_many(load_path(SEED_JSONL), now=T0)
    top = store.papers.trending(limit=3)
    assert [p.hf_date for p in top] == ["2026-08-21"] * 3
    assert top[0].upvotes >= top[1].upvotes >= top[2].upvotes
    s = store.papers.stats()
    assert s["papers"] == 598 and s["sources"] == {"hf": 598} and s["hf_max"] == "2026-08-21"


def test_small_batches_give_the_same_rows_as_one_big_batch(store):
    from store import Store

    seed = Paper.make("Flash Attention Revisited", abstract="Seed abstract.", sources=("seed",))
    papers = list(load_path(SEED_JSONL))[:50] + [seed, hf(), hf(upvotes=11)]
    big = store.papers.upsert_many(papers, now=T0)
    other = Store(":memory:")
    try:
        small = other.papers.upsert_many(papers, now=T0, batch=7)
        assert (small.added, small.updated, small.skipped) == (big.added, big.updated, big.skipped) == (51, 2, 0)
        assert list(other.papers.iter_all()) == list(store.papers.iter_all())
    finally:
        other.close()
