"""Scale check for `Core.due_digests`: two axes, each beside a naive per-chat baseline run in the same way.

- window axis: 1 chat and 1,000 chats x 5 topics against 1k / 10k / 80k new papers (the real corpus, re-dated into
  the last 7 days so every paper is fresh: the worst case, an 80k window the freshness rule would normally shrink);
- chats axis: 1k / 10k / 100k chats x 5 topics against 1k new papers.
Every chat is due at the same instant (the worst minute of the day), in 12 time zones. Topics are drawn Zipf-like
from a pool of real title words, two-word phrases, exclusions, OR-pairs and author names (many chats share topics).

paperwire: `Core.due_digests` as the scheduler calls it (500 slots per slice; one Tick per window shared by the
slices: each distinct topic matched once by its FTS5 expression over the window's rowid range).
baseline: the same engine without sharing: per chat, claim it alone, build its digest with a fresh Tick (its own
window query, its own topic queries), record it. At large scales the baseline runs on a sample of chats and is
extrapolated (marked "~").
Each measurement runs in its own subprocess (clean peak RSS). Growth exponent = log(t2/t1) / log(n2/n1).
Run: .venv/bin/python bench/digests.py [--quick]   (the first run builds cached databases in bench/.cache)
"""
from __future__ import annotations

import _env  # noqa: F401 - first: re-runs with .venv/bin/python when needed

import argparse
import collections
import itertools
import json
import math
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

NOW = datetime(2026, 3, 11, 8, 0, tzinfo=timezone.utc)
CACHE = Path(__file__).resolve().parent / ".cache"
ZONES = ["UTC", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Tokyo",
         "Asia/Kolkata", "Australia/Sydney", "America/Sao_Paulo", "Africa/Lagos", "Asia/Shanghai", "Pacific/Auckland"]


def corpus_rows(n: int) -> list:
    import _corpus

    _env.need_corpus(_corpus.CORPUS)
    return list(itertools.islice(_corpus._own_jsonl(_corpus.CORPUS), n))


def fresh(p, i: int):
    """The paper re-dated into the 7 days before NOW (published, and the HF day for HF papers)."""
    import dataclasses

    day = (NOW.date() - timedelta(days=i % 7)).isoformat()
    return dataclasses.replace(p, published=day, hf_date=day if p.hf_date else None, first_seen=None)


def base_db(papers: int) -> Path:
    """A database holding `papers` fresh papers (the window) and nothing else; built once, then copied."""
    path = CACHE / f"window_{papers}.db"
    if not path.exists():
        from store import Store

        CACHE.mkdir(parents=True, exist_ok=True)
        (CACHE / ".gitignore").write_text("*\n")
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        store = Store(tmp)
        store.papers.upsert_many([fresh(p, i) for i, p in enumerate(corpus_rows(papers))],
                                 now="2026-03-11T07:00:00+00:00")
        store.close()
        tmp.rename(path)
    return path


def topic_pool(rows, size: int = 6000, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
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


def make_store(chats: int, papers: int, seed: int = 11):
    from bot.query import parse
    from store import Store

    pool = topic_pool(corpus_rows(20_000))
    path = Path(tempfile.mkdtemp(prefix="pw-bench-")) / "pw.db"
    shutil.copy(base_db(papers), path)
    store = Store(path)
    rnd = random.Random(seed)
    cum = list(itertools.accumulate(1.0 / (r + 1) ** 0.8 for r in range(len(pool))))
    canon = {t: parse(t).canonical() for t in pool}
    local = {z: NOW.astimezone(__import__("zoneinfo").ZoneInfo(z)).strftime("%H:%M") for z in ZONES}
    rows = []
    for i in range(chats):
        picked = {}
        while len(picked) < 5:
            t = rnd.choices(pool, cum_weights=cum)[0]
            picked.setdefault(canon[t], t)
        z = ZONES[i % len(ZONES)]
        rows.append(("bench", str(i), z, local[z], [(t, c) for c, t in picked.items()]))
    store.chats.import_chats(rows, now="2026-03-10T12:00:00+00:00", seq=0)  # every paper is in their window
    return store, path


def run_one(chats: int, papers: int, mode: str, sample: int) -> dict:
    from bot.clock import FixedClock
    from bot.core import Core

    store, path = make_store(chats, papers)
    core = Core(store, clock=FixedClock(NOW))
    core.searcher.search("warm up the lexicon")  # a running server has it cached
    t0, c0 = time.perf_counter(), time.process_time()
    count = sections = measured = 0
    slice_max = 0.0
    if mode == "paperwire":
        while True:
            t1 = time.perf_counter()
            due = core.due_digests(NOW, limit=500)
            slice_max = max(slice_max, time.perf_counter() - t1)
            count += len(due)
            sections += sum(len(d.sections) for d in due)
            if not core.more_waiting:
                break
        measured = chats
    else:
        count, sections, measured = baseline(core, NOW, sample)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    store.close()
    shutil.rmtree(path.parent, ignore_errors=True)
    scale = chats / measured if measured else 1.0
    return {"chats": chats, "papers": papers, "mode": mode, "seconds": seconds * scale, "cpu_s": cpu * scale,
            "measured_chats": measured, "digests": count, "sections": sections, "slice_max_s": slice_max,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def baseline(core, now, sample: int) -> tuple[int, int, int]:
    """Per chat, nothing shared: plan, claim it alone, a fresh builder and Tick (window + its topics), record."""
    import uuid

    from bot import digests as dg

    store = core.store
    _, (new, _) = core._plan(now)
    count = sections = 0
    for slot in new[:sample]:
        owned = store.deliveries.claim([slot], [], holder=core.holder, token=uuid.uuid4().hex, now=dg.iso(now),
                                       lease_until=dg.iso(now + dg.LEASE))
        built, _ = core.builder.build(owned, now)  # a new Tick: this chat's window and topics only
        store.deliveries.set_contents([(b.claim.id, b.paper_ids, [], b.seq_lo, b.seq_hi, b.window_end, None)
                                       for b in built])
        for b in built:
            if b.reply is None:
                store.deliveries.finish([b.claim.id], status="empty", now=dg.iso(now))
            else:
                count += 1
                sections += len(b.sections)
    return count, sections, min(sample, len(new))


def sub(chats: int, papers: int, mode: str, sample: int = 10**9) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", f"{chats},{papers},{mode},{sample}"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def exponent(a: dict, b: dict, key: str) -> str:
    if a["seconds"] <= 0 or b["seconds"] <= 0:
        return "-"
    return f"{math.log(b['seconds'] / a['seconds']) / math.log(b[key] / a[key]):.2f}"


def show(r: dict, note: str = "") -> None:
    approx = "~" if r["measured_chats"] < r["chats"] else " "
    print(f"{r['chats']:>7} {r['papers']:>7} {r['mode']:>9} {approx}{r['seconds']:>8.2f} {r['cpu_s']:>7.2f} "
          f"{r['digests']:>8} {r['peak_rss_mb']:>7.0f}M  {note}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one")
    ap.add_argument("--quick", action="store_true", help="smaller scales (10k papers / 10k chats at most)")
    a = ap.parse_args()
    if a.one:
        chats, papers, mode, sample = a.one.split(",")
        print(json.dumps(run_one(int(chats), int(papers), mode, int(sample))))
        return
    windows = [1000, 10000] if a.quick else [1000, 10000, 80000]
    chat_scales = [1000, 10000] if a.quick else [1000, 10000, 100000]
    print(f"all chats due at {NOW:%H:%M}Z, 5 topics each; seconds include claiming, building and recording")
    print(f"{'chats':>7} {'papers':>7} {'impl':>9} {'seconds':>9} {'cpu s':>7} {'digests':>8} {'peakRSS':>8}  note")
    print("-- window axis")
    for chats in (1, 1000):
        prev = prev_b = None
        for papers in windows:
            r = sub(chats, papers, "paperwire")
            show(r, f"growth exponent {exponent(prev, r, 'papers')} (papers)" if prev else
                 f"longest slice {r['slice_max_s']:.2f}s")
            b = sub(chats, papers, "baseline", sample=100 if chats > 100 and papers > 1000 else 10**9)
            show(b, (f"growth exponent {exponent(prev_b, b, 'papers')}; " if prev_b else "")
                 + f"paperwire is {b['seconds'] / r['seconds']:.1f}x faster")
            prev, prev_b = r, b
    print("-- chats axis")
    prev = prev_b = None
    for chats in chat_scales:
        r = sub(chats, 1000, "paperwire")
        show(r, (f"growth exponent {exponent(prev, r, 'chats')} (chats); " if prev else "")
             + f"longest slice {r['slice_max_s']:.2f}s")
        b = sub(chats, 1000, "baseline", sample=min(chats, 1000))
        show(b, (f"growth exponent {exponent(prev_b, b, 'chats')}; " if prev_b else "")
             + f"paperwire is {b['seconds'] / r['seconds']:.1f}x faster")
        prev, prev_b = r, b


if __name__ == "__main__":
    main()
