"""Ingest benchmark: the whole 80k corpus into a fresh on-disk database, ours vs a raw sqlite3 FTS5 bulk load.

Both runs happen in this process, on fresh files in the same temp directory, with the same PRAGMAs
(WAL, synchronous=NORMAL). Two measurements:

- end to end (parse INCLUDED in both): ours = `bot.sources.load_path` + `PaperRepo.upsert_many`;
  raw = `gzip` + `json.loads` per line + one `executemany` into an FTS5 table in one transaction;
- store only (parse EXCLUDED from both): the rows are parsed first (Papers for ours, tuples for raw),
  then only the database work is timed.

The raw baseline is the least work that makes the same rows searchable: one FTS5 table (same tokenizer) holding
title/abstract/authors plus the other fields UNINDEXED; no row table, no unique keys, no merge lookups.
Ours also maintains the `papers` row table (unique id/arxiv_id, 4 indexes) and the external-content FTS5 index
through triggers. Target: ours within 2x of raw.

Each measurement is taken `--repeat` times (alternating raw/ours) and the best is kept; both wall-clock and
process CPU time are printed (CPU time is the steadier one on a shared machine).

Usage: python bench/ingest.py [--corpus PATH] [--limit N] [--repeat N]
"""
from __future__ import annotations

import _env  # noqa: F401 - first: re-runs with .venv/bin/python when needed

import argparse
import gc
import gzip
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "data" / "papers.jsonl.gz"

RAW_SCHEMA = """CREATE VIRTUAL TABLE papers_fts USING fts5(
    title, abstract, authors, arxiv_id UNINDEXED, published UNINDEXED, hf_date UNINDEXED, upvotes UNINDEXED,
    comments UNINDEXED, categories UNINDEXED, source UNINDEXED,
    tokenize="porter unicode61 remove_diacritics 2")"""
RAW_INSERT = "INSERT INTO papers_fts VALUES (?,?,?,?,?,?,?,?,?,?)"


def raw_rows(path: Path, limit: int | None):
    with gzip.open(path, "rb") as f:
        for n, line in enumerate(f):
            if limit is not None and n >= limit:
                return
            r = json.loads(line)
            yield (r["title"], r["abstract"], " ".join(r["authors"]), r["arxiv_id"], r["published"],
                   r.get("hf_date"), r["upvotes"], r.get("num_comments"), json.dumps(r.get("categories") or []),
                   r["source"])


class Timer:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def raw_load(db_path: Path, rows) -> tuple[Timer, int]:
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(RAW_SCHEMA)
    with Timer() as elapsed, conn:
        conn.executemany(RAW_INSERT, rows)
    n = conn.execute("SELECT count(*) FROM papers_fts").fetchone()[0]
    conn.close()
    return elapsed, n


def our_load(db_path: Path, papers) -> tuple[Timer, int, object]:
    from store import Store

    store = Store(db_path)  # opening + migrations are not timed
    with Timer() as elapsed:
        report = store.papers.upsert_many(papers, now="2026-11-28T00:00:00+00:00")
    n = store.papers.count()
    store.close()
    return elapsed, n, report


def limited(it, limit):
    for n, x in enumerate(it):
        if limit is not None and n >= limit:
            return
        yield x


def line(label: str, raw: list[Timer], ours: list[Timer]) -> None:
    rw, ow = min(t.wall for t in raw), min(t.wall for t in ours)
    rc, oc = min(t.cpu for t in raw), min(t.cpu for t in ours)
    print(f"{label:<28} raw {rw:6.2f} s   ours {ow:6.2f} s   ratio {ow / rw:.2f}x (wall) | "
          f"raw {rc:6.2f} s   ours {oc:6.2f} s   ratio {oc / rc:.2f}x (cpu)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--limit", type=int, default=None, help="only the first N rows (quick runs)")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    _env.need_corpus(args.corpus)
    from bot.sources import load_path

    e2e: dict[str, list[Timer]] = {"raw": [], "ours": []}
    store_only: dict[str, list[Timer]] = {"raw": [], "ours": []}
    parse: dict[str, list[Timer]] = {"raw": [], "ours": []}
    with tempfile.TemporaryDirectory(prefix="paperwire-bench-") as tmp:
        tmp = Path(tmp)
        for i in range(args.repeat):
            gc.collect()
            t, raw_n = raw_load(tmp / f"raw-e2e-{i}.db", raw_rows(args.corpus, args.limit))
            e2e["raw"].append(t)
            gc.collect()
            t, ours_n, report = our_load(tmp / f"ours-e2e-{i}.db", limited(load_path(args.corpus), args.limit))
            e2e["ours"].append(t)
        print(f"rows: raw {raw_n}, ours {ours_n} (added {report.added}, updated {report.updated}, "
              f"skipped {report.skipped}: the corpus has unique arXiv ids)")
        with Timer() as t:
            rows = list(raw_rows(args.corpus, args.limit))
        parse["raw"].append(t)
        with Timer() as t:
            papers = list(limited(load_path(args.corpus), args.limit))
        parse["ours"].append(t)
        for i in range(args.repeat):
            gc.collect()
            store_only["raw"].append(raw_load(tmp / f"raw-store-{i}.db", rows)[0])
            gc.collect()
            store_only["ours"].append(our_load(tmp / f"ours-store-{i}.db", papers)[0])
        with Timer() as t:
            again = our_load(tmp / f"ours-store-{args.repeat - 1}.db", papers)[2]
        print(f"re-ingest of the same rows into the filled database: {t.wall:.2f} s wall, {t.cpu:.2f} s cpu "
              f"(added {again.added}, updated {again.updated}, unchanged {again.skipped})")
    line("end to end (parse included)", e2e["raw"], e2e["ours"])
    line("store only (parse excluded)", store_only["raw"], store_only["ours"])
    line("parse only", parse["raw"], parse["ours"])
    best = min(t.wall for t in e2e["ours"])
    print(f"ours: {ours_n / best:,.0f} papers/s end to end (wall). Target: ours within 2x of raw.")


if __name__ == "__main__":
    main()
