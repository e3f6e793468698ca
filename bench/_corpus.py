"""Build (once) and cache the benchmark database: the whole 80k corpus + the seed page.

Uses bot.sources.load_path when it exists; otherwise a tiny JSONL/seed-page reader lives here.
"""
from __future__ import annotations

import gzip
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED = next((d / "shared" for d in (ROOT.parent, ROOT.parent.parent) if (d / "shared").is_dir()), ROOT.parent / "shared")  # a checkout or a worktree
CORPUS = SHARED / "data" / "papers.jsonl.gz"
SEED = SHARED / "seeds" / "000_efbe1e64ca0036ba.txt"
QUERIES = SHARED / "data" / "dev_queries.jsonl"
CACHE = Path(__file__).resolve().parent / ".cache" / "search_bench.db"


def _own_jsonl(path: Path):
    from bot.models import Paper

    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            hf = r.get("source") == "hf-daily-papers"
            yield Paper.make(
                r["title"], r["arxiv_id"], abstract=r.get("abstract") or "", authors=tuple(r.get("authors") or ()),
                published=r.get("published"), hf_date=r.get("hf_date"), upvotes=r.get("upvotes"),
                comments=r.get("num_comments"), categories=tuple(r.get("categories") or ()),
                sources=("hf",) if hf else ("arxiv",),
            )


_DATE = re.compile(r"^[A-Z][a-z]{2} \d{1,2}$")


def _own_seed(path: Path):
    """Header lines, a 'Mar 11' line, then title/abstract pairs separated by blank lines."""
    from bot.models import Paper

    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if _DATE.match(ln)) + 1
    body = lines[start:]
    for i in range(0, len(body) - 1, 2):
        yield Paper.make(body[i], None, abstract=body[i + 1], sources=("seed",))


def load(path: Path):
    try:
        from bot.sources import load_path  # the real loader, once the sources work has landed

        return load_path(path)
    except ImportError:
        return _own_jsonl(path) if path.suffix == ".gz" else _own_seed(path)


def open_bench_store(rebuild: bool = False):
    from store import Store

    if rebuild and CACHE.exists():
        CACHE.unlink()
    fresh = not CACHE.exists()
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    (CACHE.parent / ".gitignore").write_text("*\n")
    store = Store(CACHE)
    if fresh:
        t0 = time.perf_counter()
        for path in (CORPUS, SEED):
            rep = store.papers.upsert_many(load(path))
            print(f"ingested {path.name}: +{rep.added} ~{rep.updated} ={rep.skipped}", file=sys.stderr)
        store.db.execute("INSERT INTO papers_fts(papers_fts) VALUES ('optimize')")
        print(f"built {CACHE} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return store


def queries() -> list[dict]:
    return [json.loads(line) for line in QUERIES.read_text(encoding="utf-8").splitlines() if line.strip()]
