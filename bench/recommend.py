"""Does the learned taste pick better papers than what a bot without it would show? Simulated users, time split.

Users: each is interested in one arXiv category that is not one of the corpus' big four (cs.RO robotics, cs.SD sound,
cs.IR retrieval, ...). Relevance of a paper to a user = the paper is listed in that category (the labels come from arXiv,
not from the text model). Taste is learned only from papers before a split date: 20 liked papers of the category from
the 60 days before it and 5 disliked papers outside it. Scored on the following week's papers (the "digest window").

Rankings of the week's papers, all in the same run:
- picks: "Picked for you" = the model's top 10 of the week (the bot's real picks also skip topic matches);
- most upvoted (HF upvotes, newest first among ties), newest, and the keyword follow a user would have typed
  (papers whose title/abstract contain the keyword: title hits first, then how often it occurs);
- digest: the same keyword section re-ranked by the model (what the digest does to a followed topic's section).
precision@10 and nDCG@10 (binary relevance; the ideal is computed over the ranked candidates). Also: the corpus
vectorization time, per-user fit times, `similar` and scoring latencies, matrix bytes and peak RSS.

Run: .venv/bin/python bench/recommend.py [--corpus PATH] [--splits 4]
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.learn import FeatureSpace, fit_model, paper_text  # noqa: E402

DEFAULT_CORPUS = Path("/work/shared/data/papers.jsonl.gz")
USERS = {  # category -> the keyword that user would have followed
    "cs.RO": "robot", "cs.GR": "rendering", "cs.HC": "user study", "cs.IR": "retrieval", "cs.CY": "societal",
    "cs.MA": "multi-agent", "cs.CR": "attack", "cs.SD": "audio", "eess.AS": "speech", "cs.SE": "software",
    "cs.IT": "channel", "cs.GT": "game", "eess.IV": "medical image", "cs.MM": "multimodal",
}
SPLITS = ["2025-09-15", "2025-12-01", "2026-02-16", "2026-04-27", "2026-06-01"]
LIKES, DISLIKES, K = 20, 5, 10


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(path: Path):
    ids, texts, day, ups, cats, lower = [], [], [], [], [], []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            ids.append(r["arxiv_id"])
            texts.append(paper_text(r["title"], r["abstract"]))
            day.append(r.get("published") or "")
            ups.append(r.get("upvotes") if r.get("upvotes") is not None else -1)
            cats.append(frozenset(r.get("categories") or ()))
            lower.append((r["title"].lower(), r["abstract"].lower()))
    return ids, texts, np.array(day), np.array(ups), cats, lower


def precision(ranked, rel) -> float:
    return sum(1 for i in ranked[:K] if i in rel) / K


def ndcg(ranked, rel, candidates) -> float:
    dcg = sum(1 / math.log2(r + 2) for r, i in enumerate(ranked[:K]) if i in rel)
    ideal = sum(1 / math.log2(r + 2) for r in range(min(K, len(rel & set(candidates)))))
    return dcg / ideal if ideal else 0.0


def keyword_rank(pool, kw, lower):
    rx = re.compile(r"\b" + re.escape(kw))
    hits = []
    for i in pool:
        title, abstract = lower[i]
        t, a = len(rx.findall(title)), len(rx.findall(abstract))
        if t or a:
            hits.append((-(t > 0), -(t + a), i))
    return [i for *_, i in sorted(hits)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--splits", type=int, default=len(SPLITS))
    args = ap.parse_args()
    t0 = time.perf_counter()
    ids, texts, day, ups, cats, lower = load(args.corpus)
    print(f"corpus: {len(ids)} papers loaded in {time.perf_counter() - t0:.1f} s; RSS {rss_mb():.0f} MB")
    rss_before = rss_mb()
    cpu = time.process_time()
    space = FeatureSpace().fit(ids, texts)
    cpu = time.process_time() - cpu
    print(f"vectorize: {space.seconds:.1f} s wall, {cpu:.1f} s CPU for {len(space)} papers, nnz {space.X.nnz:,}, "
          f"matrix+idf {space.nbytes() / 1e6:.0f} MB; peak RSS {rss_mb():.0f} MB (+{rss_mb() - rss_before:.0f} MB)")
    rng = np.random.default_rng(7)
    methods = ["picks", "digest (re-ranked)", "keyword follow", "most upvoted", "newest"]
    res = {m: ([], []) for m in methods}
    fit_times, fit_cpu, score_times, models = [], [], [], []
    for split in SPLITS[: args.splits]:
        start = str(np.datetime64(split) - np.timedelta64(60, "D"))
        end = str(np.datetime64(split) + np.timedelta64(7, "D"))
        before = np.flatnonzero((day >= start) & (day < split))
        pool = np.flatnonzero((day >= split) & (day < end)).tolist()
        by_up = sorted(pool, key=lambda i: (-ups[i], -int(day[i].replace("-", "") or 0)))
        newest = sorted(pool, key=lambda i: (day[i], ids[i]), reverse=True)
        for cat, kw in USERS.items():
            in_cat = [i for i in before if cat in cats[i]]
            out_cat = [i for i in before if cat not in cats[i]]
            rel = {i for i in pool if cat in cats[i]}
            if len(in_cat) < LIKES or len(rel) < 3:
                continue
            likes = rng.choice(in_cat, LIKES, replace=False).tolist()
            dislikes = rng.choice(out_cat, DISLIKES, replace=False).tolist()
            t, c = time.perf_counter(), time.process_time()
            model = fit_model(space, likes, dislikes, seed=len(fit_times))
            fit_times.append(time.perf_counter() - t)
            fit_cpu.append(time.process_time() - c)
            models.append(model)
            t = time.perf_counter()
            scores = space.score_all(model)
            score_times.append(time.perf_counter() - t)
            picks = sorted(pool, key=lambda i: -scores[i])
            section = keyword_rank(pool, kw, lower)
            digest = sorted(section, key=lambda i: -scores[i])
            for name, ranked, cands in (("picks", picks, pool), ("digest (re-ranked)", digest, section),
                                        ("keyword follow", section, section), ("most upvoted", by_up, pool),
                                        ("newest", newest, pool)):
                res[name][0].append(precision(ranked, rel))
                res[name][1].append(ndcg(ranked, rel, cands))
    n = len(fit_times)
    print(f"\n{n} simulated user-weeks ({len(USERS)} users x {args.splits} splits; {LIKES} likes + {DISLIKES} "
          f"dislikes each, scored on the next 7 days' papers)")
    print(f"{'ranking':22} {'P@10':>6} {'nDCG@10':>8}")
    for m in methods:
        p, g = res[m]
        print(f"{m:22} {np.mean(p):6.3f} {np.mean(g):8.3f}")
    best = max(np.mean(res[m][0]) for m in methods[2:])
    print(f"picks vs best baseline precision: {np.mean(res['picks'][0]) / best:.1f}x")
    ft, fc = np.array(fit_times) * 1e3, np.array(fit_cpu) * 1e3
    print(f"\nfit per chat (wall): p50 {np.percentile(ft, 50):.0f} ms, p95 {np.percentile(ft, 95):.0f} ms, "
          f"max {ft.max():.0f} ms; CPU p50 {np.percentile(fc, 50):.0f} ms, p95 {np.percentile(fc, 95):.0f} ms; "
          f"score all {len(ids)} papers p50 {np.median(score_times) * 1e3:.0f} ms")
    lat = []
    for i in rng.choice(len(ids), 200, replace=False):
        t = time.perf_counter()
        vec = space.transform([texts[i]])
        space.similar(vec, 5, exclude=[int(i)])
        lat.append(time.perf_counter() - t)
    lat = np.array(lat) * 1e3
    print(f"similar (5 nearest of {len(ids)}, incl. transforming the query paper): p50 {np.percentile(lat, 50):.1f} ms, "
          f"p95 {np.percentile(lat, 95):.1f} ms")
    model_bytes = sum(m.cols.nbytes + m.coef.nbytes for m in models) / max(1, len(models))
    print(f"a model keeps {model_bytes / 1e3:.0f} kB (sparse weights); peak RSS {rss_mb():.0f} MB, of which "
          f"{rss_before:.0f} MB is this script holding the corpus texts in Python")


if __name__ == "__main__":
    main()
