"""Bounded topics: what one `Core.due_digests` costs for 200 chats x 50 topics, plain vs. the largest topics
/follow accepts (bot/query.py TOPIC_MAX_*), beside the unbounded topics of issue 8 that /follow now refuses.

Corpus: 20,000 older papers (the search vocabulary) + 1,000 new ones committed after the chats' high-water mark and
published yesterday (so the 7-day freshness rule keeps them), from ../shared/data/papers.jsonl.gz. Every chat is due
at the same instant. Topic sets (each topic distinct across all chats, so no cache helps):
- plain:   1-2 real title words ("sparse attention");
- max-known: TOPIC_MAX_WORDS words (all in the index) with TOPIC_MAX_ORS ORs;
- maximal: the largest /follow accepts - TOPIC_MAX_WORDS words with TOPIC_MAX_ORS ORs, TOPIC_MAX_UNKNOWN of them
           typos (each costs a spelling-suggestion lookup and adds corrected alternatives to the FTS5 expression);
- all-typos (reference, refused by /follow: too many unknown words): the same with every word a typo;
- unbounded (reference, refused by /follow since the limits): 80 ORs of unknown words and 24 typo words, up to 500
           characters, as measured in issue 8; written straight into the store.
Run: .venv/bin/python bench/topic_limits.py [--chats 200] [--topics 50] [--unbounded-chats 20]
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import itertools
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

NOW = datetime(2026, 3, 11, 8, 0, tzinfo=timezone.utc)
BASE = Path(__file__).resolve().parent / ".cache" / "topic_limits_base.db"
BACKGROUND, NEW = 20_000, 1_000


def build_base() -> tuple[list, int]:
    """The base database (cached); returns (rows, the last background paper pk = the chats' high-water mark)."""
    import _corpus
    from store import Store

    corpus = next((c for c in (_corpus.CORPUS, ROOT.parent.parent / "shared" / "data" / "papers.jsonl.gz")
                   if c.exists()), _corpus.CORPUS)  # a git worktree sits one level deeper than the checkout
    rows = list(itertools.islice(_corpus._own_jsonl(corpus), BACKGROUND + NEW))
    if not BASE.exists():
        BASE.parent.mkdir(parents=True, exist_ok=True)
        (BASE.parent / ".gitignore").write_text("*\n")
        tmp = BASE.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        store = Store(tmp)
        store.papers.upsert_many(rows[:BACKGROUND], now="2026-01-01T00:00:00+00:00")
        fresh = [dataclasses.replace(p, published="2026-03-10", hf_date=None) for p in rows[BACKGROUND:]]
        store.papers.upsert_many(fresh, now="2026-03-11T07:00:00+00:00")
        store.close()
        tmp.rename(BASE)
    store = Store(BASE)
    seq = store.db.execute("SELECT max(pk) FROM papers WHERE pk <= (SELECT min(pk) FROM papers) + ?",
                           [BACKGROUND - 1]).fetchone()[0]
    store.close()
    return rows, seq


def vocabulary(rows) -> list[str]:
    df = collections.Counter(w for p in rows for w in dict.fromkeys(p.title.lower().split()) if w.isalpha())
    return sorted(w for w, c in df.items() if len(w) >= 6 and 3 <= c <= 200)


def typo(rnd: random.Random, word: str) -> str:
    i = rnd.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1:] if rnd.random() < 0.5 else word[:i] + word[i + 1] + word[i] + word[i + 2:]


def topic_sets(rows, chats: int, per_chat: int, seed: int = 3) -> dict[str, list[str]]:
    from bot.query import TOPIC_MAX_CHARS, TOPIC_MAX_ORS, TOPIC_MAX_UNKNOWN, TOPIC_MAX_WORDS, parse, topic_limit_error

    rnd = random.Random(seed)
    vocab = vocabulary(rows)
    n = chats * per_chat

    def largest(typos: int) -> str:
        while True:
            w = rnd.sample(vocab, TOPIC_MAX_WORDS)
            for i in rnd.sample(range(len(w)), typos):
                w[i] = typo(rnd, w[i])
            t = " OR ".join(w[:TOPIC_MAX_ORS + 1]) + " " + " ".join(w[TOPIC_MAX_ORS + 1:])
            if len(t) <= TOPIC_MAX_CHARS and topic_limit_error(t, parse(t)) is None:
                return t

    out: dict[str, set[str]] = {k: set() for k in ("plain", "max-known", "maximal", "all-typos", "unbounded")}
    while len(out["plain"]) < n:
        out["plain"].add(" ".join(rnd.sample(vocab, rnd.randint(1, 2))))
    while len(out["max-known"]) < n:
        out["max-known"].add(largest(0))
    while len(out["maximal"]) < n:
        out["maximal"].add(largest(TOPIC_MAX_UNKNOWN))
    while len(out["all-typos"]) < n:
        out["all-typos"].add(largest(TOPIC_MAX_WORDS))
    while len(out["unbounded"]) < n:
        ors = " OR ".join(f"zq{rnd.randrange(10**6)}x" for _ in range(80))
        out["unbounded"].add((" ".join(typo(rnd, x) for x in rnd.sample(vocab, 24)) + " " + ors)[:500])
    return {k: sorted(v) for k, v in out.items()}


def accepted(core, topic: str) -> bool:
    """Would /follow take it? The same checks as bot/commands.py follow."""
    from bot.query import parse, topic_limit_error, unknown_words_error

    return not (topic_limit_error(topic, parse(topic)) or unknown_words_error(core.searcher.unknown_words(topic)))


def run(kind: str, topics: list[str], chats: int, per_chat: int, seq: int) -> dict:
    from bot.clock import FixedClock
    from bot.core import Core
    from bot.query import parse
    from store import Store

    path = Path(tempfile.mkdtemp(prefix="pw-topics-")) / "bench.db"
    shutil.copy(BASE, path)
    store = Store(path)
    try:
        rows = [("bench", str(i), "UTC", NOW.strftime("%H:%M"),
                 [(t, parse(t).canonical()) for t in topics[i * per_chat:(i + 1) * per_chat]]) for i in range(chats)]
        store.chats.import_chats(rows, now="2026-03-10T12:00:00+00:00", seq=seq)
        core = Core(store, clock=FixedClock(NOW))
        core.searcher.search("warm up the lexicon")  # a running server has it cached
        share = sum(accepted(core, t) for t in topics[:200]) / min(200, len(topics))
        t0, c0 = time.perf_counter(), time.process_time()
        digests = core.due_digests(NOW)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        return {"kind": kind, "chats": chats, "topics": chats * per_chat, "seconds": seconds, "cpu": cpu,
                "digests": len(digests), "cards": sum(len(d.reply.cards) for d in digests),
                "ms_per_topic": 1000 * seconds / (chats * per_chat), "accepted": share}
    finally:
        store.close()
        shutil.rmtree(path.parent, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chats", type=int, default=200)
    ap.add_argument("--topics", type=int, default=50)
    ap.add_argument("--unbounded-chats", type=int, default=20, help="chats for the reference runs (0 skips them)")
    a = ap.parse_args()
    rows, seq = build_base()
    sets = topic_sets(rows, a.chats, a.topics)
    print(f"{NEW} new papers (+{BACKGROUND} older); all chats due at {NOW:%H:%M}Z; topics distinct across chats")
    print(f"{'topics':>10} {'chats':>6} {'n':>7} {'seconds':>8} {'cpu s':>6} {'ms/topic':>9} {'cpu ms/t':>9} "
          f"{'digests':>8} {'/follow takes':>13}")
    results = {}
    for kind in ("plain", "max-known", "maximal", "all-typos", "unbounded"):
        chats = a.unbounded_chats if kind in ("unbounded", "all-typos") else a.chats
        if not chats:
            continue
        r = results[kind] = run(kind, sets[kind], chats, a.topics, seq)
        print(f"{kind:>10} {chats:>6} {r['topics']:>7} {r['seconds']:>8.2f} {r['cpu']:>6.2f} "
              f"{r['ms_per_topic']:>9.3f} {1000 * r['cpu'] / r['topics']:>9.3f} {r['digests']:>8} "
              f"{r['accepted']:>12.0%}")
    p = results["plain"]
    for kind, r in results.items():
        if kind != "plain":
            print(f"{kind} / plain per topic: {r['ms_per_topic'] / p['ms_per_topic']:.2f}x wall, "
                  f"{r['cpu'] / r['topics'] / (p['cpu'] / p['topics']):.2f}x cpu")


if __name__ == "__main__":
    main()
