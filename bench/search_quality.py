"""Search quality benchmark: MRR@10 per query type and latency, Paperwire's Searcher vs plain FTS5 (AND / OR, bm25).

Usage: python bench/search_quality.py [--rebuild] [--queries FILE] [--show-misses]
The database (whole 80k corpus + the seed page) is built once and cached in bench/.cache/.
All three systems run in the same process on the same database. Not a test: it prints numbers.
"""
from __future__ import annotations

import _env  # noqa: F401 - first: re-runs with .venv/bin/python when needed

import argparse
import statistics
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _corpus  # noqa: E402

from bot.models import normalize_title  # noqa: E402
from bot.query import words_of  # noqa: E402
from bot.search import Searcher  # noqa: E402

TYPES = ("exact", "words", "typo", "name", "abstract", "author")
# chat-phrased variants of every query (their own type, not in "overall"): how people ask in a chat
CHAT = ("any new work on {}?", "papers about {}", "what's new in {}?", "show me papers on {}",
        "is there any research on {}", "I'm looking for {} papers", "{} papers please",
        "what are the latest papers about {}?", "find me work on {}", "are there any papers on {}?")


def chat_variants(queries: list[dict], seed: int = 12) -> list[dict]:
    """One chat-phrased variant per query, the template picked by a seeded RNG (reproducible)."""
    import random

    rng = random.Random(seed)
    return [dict(q, type="chat", query=rng.choice(CHAT).format(q["query"])) for q in queries if q["type"] in TYPES]
NOW = datetime(2026, 11, 28, tzinfo=timezone.utc)
REPEAT = 3


def fts_baseline(store, op: str):
    """Plain FTS5: the query's tokens, each quoted, joined by AND or OR, ranked by bm25 (no column weights)."""

    def run(query: str) -> list[str]:
        toks = words_of(query)
        if not toks:
            return []
        expr = f" {op} ".join('"' + t + '"' for t in toks)
        rows = store.db.execute(
            "SELECT p.title FROM papers_fts f JOIN papers p ON p.pk = f.rowid WHERE papers_fts MATCH ? "
            "ORDER BY bm25(papers_fts) LIMIT 10", [expr]).fetchall()
        return [r[0] for r in rows]

    return run


def paperwire(store):
    searcher = Searcher(store)

    def run(query: str) -> list[str]:
        return [h.paper.title for h in searcher.search(query, limit=10, now=NOW).hits]

    return run


def evaluate(run, queries):
    rr = defaultdict(list)
    lat = []
    misses = []
    for q in queries:
        best = float("inf")
        for _ in range(REPEAT):  # best of N: the machine is shared, a single timing measures the neighbours
            t0 = time.perf_counter()
            titles = run(q["query"])
            best = min(best, (time.perf_counter() - t0) * 1000)
        lat.append(best)
        rank = next((i + 1 for i, t in enumerate(titles[:10]) if normalize_title(t) == q["target"]), None)
        rr[q["type"]].append(1.0 / rank if rank else 0.0)
        if rank != 1:
            misses.append((q, rank, titles[:3]))
    return rr, lat, misses


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    global REPEAT
    ap = argparse.ArgumentParser()
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--queries", default=str(_corpus.QUERIES))
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="time each query N times, keep the best")
    ap.add_argument("--no-chat", action="store_true", help="skip the chat-phrased variants")
    args = ap.parse_args()
    _env.need_corpus(_corpus.CORPUS, Path(args.queries))
    REPEAT = max(1, args.repeat)
    store = _corpus.open_bench_store(rebuild=args.rebuild)
    import json

    queries = [json.loads(x) for x in Path(args.queries).read_text().splitlines() if x.strip()]
    if not args.no_chat:
        queries += chat_variants(queries)
    systems = {"fts5-and": fts_baseline(store, "AND"), "fts5-or": fts_baseline(store, "OR"),
               "paperwire": paperwire(store)}
    t0 = time.perf_counter()
    systems["paperwire"]("warm up the vocabulary")  # first call loads the index vocabulary once
    warm = time.perf_counter() - t0
    results = {name: evaluate(run, queries) for name, run in systems.items()}
    print(f"papers: {store.papers.count()}  queries: {len(queries)}  vocabulary load: {warm:.2f}s  "
          f"latency: best of {REPEAT} per query")
    header = f"{'type':10}" + "".join(f"{n:>12}" for n in systems) + f"{'ratio':>9}"
    print(header)
    print("-" * len(header))
    for t in TYPES + ("overall", "chat"):
        vals = []
        for name in systems:
            rr = results[name][0]
            xs = [x for k in TYPES for x in rr[k]] if t == "overall" else rr.get(t, [])
            vals.append(statistics.mean(xs) if xs else float("nan"))
        ratio = vals[-1] / vals[0] if vals[0] else float("inf")
        print(f"{t:10}" + "".join(f"{v:12.3f}" for v in vals) + f"{ratio:8.2f}x")
    rows = [("p50 ms", 50, False), ("p95 ms", 95, False), ("max ms", 100, False)]
    if not args.no_chat:
        rows += [("chat p50", 50, True), ("chat p95", 95, True)]
    for label, p, chat in rows:
        vals = [pct([ms for q, ms in zip(queries, results[n][1]) if (q["type"] == "chat") == chat], p) for n in systems]
        print(f"{label:10}" + "".join(f"{v:12.2f}" for v in vals) + f"{vals[-1] / vals[0]:8.2f}x")
    if args.show_misses:
        for q, rank, titles in results["paperwire"][2]:
            print(f"\n[{q['type']}] {q['query']!r} rank={rank}\n  want: {q['target'][:90]}")
            for t in titles:
                print("   got:", t[:90])


if __name__ == "__main__":
    main()
