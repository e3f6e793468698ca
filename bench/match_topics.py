"""Digest-scale topic matching: N distinct topics against one day's batch of ~1,000 papers.

Searcher.match_papers (in-memory inverted index of the batch) vs. the obvious alternative run in the same process:
an FTS5 table holding just the batch, one MATCH query per topic. Also checks both agree on plain-word topics.
Usage: python bench/match_topics.py [--topics 50000] [--papers 1000]
"""
from __future__ import annotations

import _env  # noqa: F401 - first: re-runs with .venv/bin/python when needed

import argparse
import random
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _corpus  # noqa: E402

from bot.models import Hit  # noqa: E402
from bot.query import words_of  # noqa: E402
from bot.search import Searcher  # noqa: E402
from bot.search_plan import lexicon  # noqa: E402


def make_topics(rng: random.Random, papers, n: int) -> list[str]:
    """Topics people follow: 1-3 title words, some names, some exclusions and ORs, a few typos; all distinct."""
    from collections import Counter

    df = Counter(w for p in papers for w in set(words_of(p.title)))
    # words people follow: not the batch's filler words ("with", "model"), i.e. in at most 3% of its titles
    vocab = [w for p in papers for w in words_of(p.title) if len(w) > 3 and df[w] <= 0.03 * len(papers)]
    names = [p.title.split(":")[0] for p in papers if ":" in p.title and " " not in p.title.split(":")[0]]
    out: set[str] = set()
    while len(out) < n:
        r = rng.random()
        if r < 0.5:
            t = " ".join(rng.sample(vocab, rng.randint(1, 3)))
        elif r < 0.6 and names:
            t = rng.choice(names)
        elif r < 0.75:
            t = f"{rng.choice(vocab)} -{rng.choice(vocab)}"
        elif r < 0.85:
            t = f"{rng.choice(vocab)} OR {rng.choice(vocab)} {rng.choice(vocab)}"
        elif r < 0.95:
            t = f'"{rng.choice(vocab)} {rng.choice(vocab)}"'
        else:
            w = rng.choice(vocab)
            i = rng.randrange(1, len(w))
            t = w[:i] + w[i + 1 :]  # a typo
        out.add(t)
    return sorted(out)


def fts_per_topic(papers, topics):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE b USING fts5(id UNINDEXED, title, abstract, authors, "
                 "tokenize='porter unicode61 remove_diacritics 2')")
    conn.executemany("INSERT INTO b VALUES (?,?,?,?)",
                     [(p.id, p.title, p.abstract, " ".join(p.authors)) for p in papers])
    out = {}
    by_id = {p.id: p for p in papers}
    for t in topics:  # naive semantics (no exclusions/OR/typos); builds the same {id: Hit} shape to be fair
        toks = words_of(t.replace('"', " ").replace(" OR ", " ").replace("-", " "))
        expr = " AND ".join(f'"{w}"' for w in toks)
        rows = conn.execute("SELECT id, bm25(b) FROM b WHERE b MATCH ?", [expr]).fetchall() if expr else []
        out[t] = {pid: Hit(by_id[pid], -score, toks) for pid, score in rows}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--topics", type=int, default=50_000)
    ap.add_argument("--papers", type=int, default=1000)
    args = ap.parse_args()
    _env.need_corpus(_corpus.CORPUS)
    store = _corpus.open_bench_store()
    rows = store.db.execute("SELECT pk FROM papers ORDER BY pk DESC LIMIT ?", [args.papers]).fetchall()
    batch = list(store.papers.by_pks([r[0] for r in rows]).values())
    topics = make_topics(random.Random(3), batch, args.topics)
    s = Searcher(store)
    t0 = time.perf_counter()
    s.search("warm up the vocabulary")
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    got = s.match_papers(topics, batch)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    got2 = s.match_papers(topics, batch)  # e.g. the next slice of chats: the same batch, plans cached
    again = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = fts_per_topic(batch, topics)
    theirs = time.perf_counter() - t0
    lex_df = lexicon(store.search).df
    stems = store.search.stem(topics)
    # plain AND topics whose words all exist in the index (typos are corrected by match_papers, like search)
    plain = [t for t, st in zip(topics, stems) if all(c.isalnum() or c == " " for c in t) and " OR " not in t
             and all(lex_df.get(x, 0) for x in st)]
    agree = sum(set(got[t]) == set(base[t]) for t in plain)
    matched = sum(bool(v) for v in got.values())
    print(f"{len(topics)} topics x {len(batch)} papers (vocabulary load {warm:.2f}s, once per process)")
    print(f"match_papers:           {ours:7.2f}s  ({matched} topics matched something, "
          f"{sum(len(v) for v in got.values())} pairs)")
    print(f"match_papers, again:    {again:7.2f}s  (batch index and topic plans cached; same={got2 == got})")
    print(f"FTS5 query per topic:   {theirs:7.2f}s  -> ratio {theirs / ours:.1f}x")
    print(f"agreement on {len(plain)} plain-word topics: {agree}/{len(plain)} "
          "(very common words are deferred in search only; here both sides check every word)")


if __name__ == "__main__":
    main()
