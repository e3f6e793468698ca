"""Scale check for `Core.due_digests`: N chats x 5 followed topics against 1,000 papers first seen since the last digest.

Every chat is due at the same instant (the worst minute of the day): chats live in 12 time zones, each with the local
digest time of that instant. Topics are drawn Zipf-like from a pool of real title words, two-word phrases, exclusions,
OR-pairs and author names taken from the corpus (so many chats share topics, as in real use).

Two implementations run side by side on the same database, each in its own subprocess (clean peak memory):
- paperwire: `Core.due_digests` (one SQL pass for all chats, bulk claims, each DISTINCT topic matched once);
- sliced: the same, 500 slots per call, as the scheduler runs it (the event loop gets a turn between slices);
- baseline: a straightforward per-chat loop: claim one chat at a time (one transaction each), match that chat's
  topics (match_papers on the same batch), query its deliveries, build its digest.
Reported: seconds (after the search lexicon is warm, as in a running server), peak RSS and tracemalloc peak.
Run: .venv/bin/python bench/digests.py [--scales 1000,10000,100000] [--baseline-max 1000]
"""
from __future__ import annotations

import argparse
import collections
import itertools
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

NOW = datetime(2026, 3, 11, 8, 0, tzinfo=timezone.utc)
BASE = Path(__file__).resolve().parent / ".cache" / "digests_base.db"
ZONES = ["UTC", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Tokyo",
         "Asia/Kolkata", "Australia/Sydney", "America/Sao_Paulo", "Africa/Lagos", "Asia/Shanghai", "Pacific/Auckland"]
BACKGROUND, NEW = 20_000, 1_000


def build_base() -> list:
    """20,000 older papers (the search vocabulary) and 1,000 first seen this morning, from the real corpus."""
    import _corpus
    from store import Store

    rows = list(itertools.islice(_corpus._own_jsonl(_corpus.CORPUS), BACKGROUND + NEW))
    if not BASE.exists():
        BASE.parent.mkdir(parents=True, exist_ok=True)
        (BASE.parent / ".gitignore").write_text("*\n")
        tmp = BASE.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        store = Store(tmp)
        store.papers.upsert_many(rows[:BACKGROUND], now="2026-01-01T00:00:00+00:00")
        store.papers.upsert_many(rows[BACKGROUND:], now="2026-03-11T07:00:00+00:00")
        store.close()
        tmp.rename(BASE)
    return rows


def topic_pool(rows, size: int = 6000, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    # dicts, not sets: the pool must not depend on the hash seed (each implementation runs in its own process)
    words = collections.Counter(w for p in rows for w in dict.fromkeys(x.strip(":,.()").lower() for x in p.title.split())
                                if len(w) >= 4 and w.isalpha())
    common = [w for w, _ in words.most_common(4000)][150:]  # skip "learning", "model", ...: nobody follows those
    bigrams = collections.Counter()
    for p in rows:
        ws = [x.strip(":,.()").lower() for x in p.title.split()]
        bigrams.update(f"{a} {b}" for a, b in zip(ws, ws[1:]) if a.isalpha() and b.isalpha() and len(a) > 3 < len(b))
    phrases = [f'"{b}"' for b, _ in bigrams.most_common(1500)]
    authors = [f'author:"{a}"' for a in dict.fromkeys(a for p in rows[:5000] for a in p.authors[:1]) if " " in a][:800]
    pool = common[: size // 2] + phrases
    pool += [f"{rnd.choice(common)} -{rnd.choice(common)}" for _ in range(500)]
    pool += [f"{rnd.choice(common)} OR {rnd.choice(common)}" for _ in range(500)]
    pool += authors
    rnd.shuffle(pool)
    return pool[:size]


def make_store(n: int, pool: list[str], seed: int = 11):
    from bot.query import parse
    from store import Store

    path = Path(tempfile.mkdtemp(prefix="pw-bench-")) / f"chats{n}.db"
    shutil.copy(BASE, path)
    store = Store(path)
    rnd = random.Random(seed)
    cum = list(itertools.accumulate(1.0 / (r + 1) ** 0.8 for r in range(len(pool))))
    canon = {t: parse(t).canonical() for t in pool}
    local = {z: NOW.astimezone(__import__("zoneinfo").ZoneInfo(z)).strftime("%H:%M") for z in ZONES}
    chats = []
    for i in range(n):
        picked = {}
        while len(picked) < 5:
            t = rnd.choices(pool, cum_weights=cum)[0]
            picked.setdefault(canon[t], t)
        z = ZONES[i % len(ZONES)]
        chats.append(("bench", str(i), z, local[z], [(t, c) for c, t in picked.items()]))
    store.chats.import_chats(chats, now="2026-03-10T12:00:00+00:00")
    return store, path


def run_one(n: int, mode: str, trace: bool) -> dict:
    import tracemalloc

    from bot.clock import FixedClock
    from bot.core import Core
    from bot.models import Reply

    rows = build_base()
    pool = topic_pool(rows)
    t0 = time.perf_counter()
    store, path = make_store(n, pool)
    setup = time.perf_counter() - t0
    core = Core(store, clock=FixedClock(NOW))
    core.searcher.search("warm up the lexicon")  # a running server has it cached
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace:
        tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    slice_max = None
    if mode == "paperwire":
        digests = core.due_digests(NOW)
        count, cards = len(digests), sum(len(d.reply.cards) for d in digests)
    elif mode == "sliced":  # what the scheduler does: 500 slots per slice, the event loop runs in between
        count = cards = 0
        slice_max = 0.0
        while True:
            t1 = time.perf_counter()
            digests = core.due_digests(NOW, limit=500)
            slice_max = max(slice_max, time.perf_counter() - t1)
            count, cards = count + len(digests), cards + sum(len(d.reply.cards) for d in digests)
            if core.last_claimed < 500:
                break
    else:
        count, cards = baseline(core, NOW)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    distinct = len({t for ts in store.chats.topics_for(range(1, n + 1)).values() for t in ts})
    store.close()
    shutil.rmtree(path.parent, ignore_errors=True)
    return {"chats": n, "mode": mode, "seconds": seconds, "digests": count, "cards": cards, "setup_s": setup,
            "distinct_topics": distinct, "rss_growth_mb": (rss1 - rss0) / 1024, "peak_rss_mb": rss1 / 1024,
            "tracemalloc_peak_mb": peak / 2**20 if peak else None, "slice_max_s": slice_max,
            "cpu_s": cpu}


def baseline(core, now) -> tuple[int, int]:
    """Per chat: claim, match its own topics, check its deliveries, build, close empty. No batching."""
    import uuid

    from bot import digests as dg

    chats = core.store.chats
    rows = chats.schedulable()
    builder = core.builder
    count = cards = 0
    for row in rows:
        slots = dg.open_slots(row["tz"], row["digest_time"], now)
        if not slots:
            continue
        owned = chats.claim([(row["pk"], slots[0][0], "digest")], [], token=uuid.uuid4().hex, now=dg.iso(now),
                            stale_before=dg.iso(now - dg.STALE_CLAIM))
        if not owned:
            continue
        topics = chats.topics_for([row["pk"]])

        # a fresh builder per chat: this chat's topics only (the searcher still reuses its batch index)
        built = dg.DigestBuilder(core.store, core.searcher).build(owned, now)[0]
        chats.set_contents([(owned[0]["claim_id"], built.paper_ids, built.window_start, built.window_end, None)])
        if built.reply is None:
            chats.finish([owned[0]["claim_id"]], status="empty", now=dg.iso(now))
        else:
            count += 1
            cards += len(built.reply.cards)
    return count, cards


def sub(n: int, mode: str, trace: bool) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", str(n), "--mode", mode] + (["--trace"] if trace else []),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="1000,10000,100000")
    ap.add_argument("--baseline-max", type=int, default=1000)
    ap.add_argument("--one", type=int)
    ap.add_argument("--mode", default="paperwire")
    ap.add_argument("--trace", action="store_true")
    a = ap.parse_args()
    if a.one:
        print(json.dumps(run_one(a.one, a.mode, a.trace)))
        return
    build_base()
    print(f"{NEW} new papers (+{BACKGROUND} older), 5 topics per chat, all chats due at {NOW:%H:%M}Z")
    print(f"{'chats':>7} {'impl':>9} {'seconds':>8} {'cpu s':>6} {'digests':>8} {'topics':>7} {'peakRSS':>8} {'traced':>8}  note")
    prev = None
    for n in (int(x) for x in a.scales.split(",")):
        r = sub(n, "paperwire", False)
        m = sub(n, "paperwire", True)
        growth = f"x{r['seconds'] / prev[1]:.1f} time for x{n / prev[0]:.0f} chats" if prev else ""
        print(f"{n:>7} {'paperwire':>9} {r['seconds']:>8.2f} {r['cpu_s']:>6.2f} {r['digests']:>8} {r['distinct_topics']:>7} "
              f"{r['peak_rss_mb']:>7.0f}M {m['tracemalloc_peak_mb']:>7.0f}M  {growth}")
        prev = (n, r["seconds"])
        sl = sub(n, "sliced", False)
        print(f"{n:>7} {'sliced':>9} {sl['seconds']:>8.2f} {sl['cpu_s']:>6.2f} {sl['digests']:>8} {sl['distinct_topics']:>7} "
              f"{sl['peak_rss_mb']:>7.0f}M {'':>8}  500 chats per slice; longest slice {sl['slice_max_s']:.2f}s")
        if n <= a.baseline_max:
            b = sub(n, "baseline", False)
            print(f"{n:>7} {'baseline':>9} {b['seconds']:>8.2f} {b['cpu_s']:>6.2f} {b['digests']:>8} {b['distinct_topics']:>7} "
                  f"{b['peak_rss_mb']:>7.0f}M {'':>8}  paperwire is {b['seconds'] / r['seconds']:.1f}x faster"
                  + ("" if b["digests"] == r["digests"] else f" (digest counts differ: {b['digests']})"))


if __name__ == "__main__":
    main()
