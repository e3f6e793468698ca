"""Make a fresh known-item query set of the dev-set kinds on other, random papers (a stand-in for the held-out set).

Usage: python bench/gen_queries.py [--seed N] [--per-type 40] > /tmp/heldout.jsonl
then:  python bench/search_quality.py --queries /tmp/heldout.jsonl
The recipe follows ../shared/data/README.md section 3; it is not tuned to the searcher.
"""
from __future__ import annotations

import _env  # noqa: F401 - first: re-runs with .venv/bin/python when needed

import argparse
import json
import random
import string
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _corpus  # noqa: E402

from bot.models import normalize_title  # noqa: E402

STOP = set("a an the of for and or in on to with by from via at as is are be into using towards toward its their "
           "we our this that what how can do does beyond".split())


def edit(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice("sdit")
    if kind == "s":
        return word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1 :]
    if kind == "d":
        return word[:i] + word[i + 1 :]
    if kind == "i":
        return word[:i] + rng.choice(string.ascii_lowercase) + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--per-type", type=int, default=40)
    args = ap.parse_args()
    _env.need_corpus(_corpus.CORPUS)
    rng = random.Random(args.seed)
    store = _corpus.open_bench_store()
    rows = store.db.execute("SELECT title, abstract, authors, arxiv_id FROM papers").fetchall()
    df: Counter = Counter()
    for t, a, _, _ in rows:
        df.update(set(normalize_title(t).split()) | set(normalize_title(a).split()))
    rng.shuffle(rows)
    out = {k: [] for k in ("exact", "words", "typo", "name", "abstract", "author")}
    for title, abstract, authors, aid in rows:
        target = normalize_title(title)
        tw = [w for w in dict.fromkeys(target.split()) if w not in STOP and len(w) > 2]
        distinct = sorted(tw, key=lambda w: df[w])
        authors = json.loads(authors)
        rec = lambda kind, q: out[kind].append({"type": kind, "query": q, "target": target, "arxiv_id": aid})  # noqa
        kind = rng.choice(list(out))
        if len(out[kind]) >= args.per_type:
            continue
        if kind == "exact":
            rec(kind, target)
        elif kind in ("words", "typo") and len(distinct) >= 4:
            k = rng.randint(3, min(5, len(distinct)))
            ws = distinct[:k]
            rng.shuffle(ws)
            if kind == "typo":
                longer = [i for i, w in enumerate(ws) if len(w) >= 6]
                if not longer:
                    continue
                for i in rng.sample(longer, min(len(longer), rng.randint(1, 2))):
                    ws[i] = edit(ws[i], rng)
            rec(kind, " ".join(ws))
        elif kind == "name" and ":" in title:
            name = title.split(":", 1)[0].strip()
            if " " not in name and 2 < len(name) <= 20:
                rec(kind, name)
        elif kind == "abstract":
            tset = set(target.split())
            aw = [w for w in dict.fromkeys(normalize_title(abstract).split())
                  if w not in tset and w.isalpha() and len(w) > 3 and 2 <= df[w] <= 60]
            if len(aw) >= 4:
                ws = rng.sample(aw, 4)
                rec(kind, " ".join(ws))
        elif kind == "author" and authors and len(distinct) >= 2:
            last = authors[0].split()[-1]
            ws = rng.sample(distinct[:4], 2)
            rec(kind, " ".join([last] + ws))
        if all(len(v) >= args.per_type for v in out.values()):
            break
    for v in out.values():
        for q in v:
            print(json.dumps(q, ensure_ascii=False))


if __name__ == "__main__":
    main()
