"""JSON Lines: the normalized corpus rows (plain and gzipped) and the arXiv daily-listing crawl."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

from bot.sources import load_bytes, load_path

ROOT = Path(__file__).parent.parent
CRAWL = Path(__file__).parent / "data" / "arxiv_daily_listing_2026-06-29.sample.jsonl"
SEED = ROOT / "seeds" / "010_hf_last30days.jsonl"

HF_ROW = {"arxiv_id": "2607.04751", "title": "Trust Region\n Policy Distillation", "abstract": "Big goals.",
          "authors": ["A B", "C D"], "published": "2026-07-10", "upvotes": 12, "source": "hf-daily-papers",
          "hf_date": "2026-07-13", "num_comments": 3, "categories": ["cs.LG", "68T05"]}
ARXIV_ROW = {"arxiv_id": "2503.00001", "title": "X", "abstract": "Y", "authors": ["Z"], "published": "2025-03-18",
             "upvotes": None, "source": "arxiv-daily", "categories": ["cs.CV"]}


def test_normalized_rows_fields_and_sources():
    data = "\n".join(json.dumps(r) for r in (HF_ROW, ARXIV_ROW)).encode()
    hf, ax = load_bytes(data, "rows.jsonl")
    assert hf.id == hf.arxiv_id == "2607.04751"
    assert hf.title == "Trust Region Policy Distillation"
    assert (hf.upvotes, hf.comments, hf.hf_date, hf.published) == (12, 3, "2026-07-13", "2026-07-10")
    assert hf.sources == ("hf",) and hf.categories == ("cs.LG", "68T05") and hf.authors == ("A B", "C D")
    assert ax.sources == ("arxiv",) and ax.upvotes is None and ax.hf_date is None and ax.comments is None


def test_gzipped_file_streams_same_rows(tmp_path):
    lines = [json.dumps(r) for r in (HF_ROW, ARXIV_ROW)]
    plain = tmp_path / "c.jsonl"
    plain.write_text("\n".join(lines) + "\n")
    gz = tmp_path / "papers.jsonl.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    assert list(load_path(gz)) == list(load_path(plain))
    blob = tmp_path / "noext"  # gzip detected by magic bytes, not the name
    blob.write_bytes(gz.read_bytes())
    assert [p.id for p in load_path(blob)] == ["2607.04751", "2503.00001"]


def test_shipped_seed_sample_loads_completely():
    problems: list[str] = []
    papers = list(load_path(SEED, problems))
    assert problems == []
    assert len(papers) == 598
    assert all(p.sources == ("hf",) and p.upvotes is not None and p.hf_date for p in papers)
    assert len({p.hf_date for p in papers}) == 30 and max(p.hf_date for p in papers) == "2026-08-21"


def test_crawl_rows_use_listing_date_from_file_name():
    problems: list[str] = []
    papers = list(load_path(CRAWL, problems))
    assert problems == [] and len(papers) == 41
    p = papers[0]
    assert p.id == "2606.27531" and p.title.startswith("Doppler Tracking of the Artemis II")
    assert p.published == "2026-06-29" and p.sources == ("arxiv",) and p.categories == ("cs.CE",)
    assert p.authors[0] == "Ankur Purao" and "\n" not in p.abstract
    # paragraph breaks (`\n  `) collapse to one space
    raw = [json.loads(line) for line in CRAWL.read_text().splitlines()]
    wrapped = next(i for i, r in enumerate(raw) if "\n" in r["summary"])
    assert "\n" not in papers[wrapped].abstract and "  " not in papers[wrapped].abstract


def test_bad_lines_reported_with_line_numbers_rest_loaded(tmp_path):
    f = tmp_path / "mixed.jsonl"
    f.write_text("\n".join([
        json.dumps(HF_ROW), "{broken", "[1, 2]", json.dumps({**ARXIV_ROW, "title": "  "}),
        json.dumps({**ARXIV_ROW, "arxiv_id": "bogus id"}), "", json.dumps(ARXIV_ROW),
    ]))
    problems: list[str] = []
    papers = list(load_path(f, problems))
    assert [p.id for p in papers] == ["2607.04751", "2503.00001"]
    assert [p.split(":")[1].strip() for p in problems] == ["line 2 skipped", "line 3 skipped", "line 4 skipped",
                                                            "line 5 skipped"]


def test_corrupt_gzip_reported(tmp_path):
    f = tmp_path / "cut.jsonl.gz"
    full = gzip.compress(("\n".join(json.dumps(HF_ROW) for _ in range(200))).encode())
    f.write_bytes(full[: len(full) // 2])
    problems: list[str] = []
    list(load_path(f, problems))
    assert problems and "corrupt" in problems[-1]


def test_row_longer_than_the_detection_head_is_still_jsonl(tmp_path):
    big = {**ARXIV_ROW, "authors": [f"Author Number {i}" for i in range(5000)]}  # a large collaboration paper
    f = tmp_path / "big"
    f.write_text(json.dumps(big) + "\n" + json.dumps(HF_ROW) + "\n")
    papers = list(load_path(f))
    assert [p.id for p in papers] == ["2503.00001", "2607.04751"] and len(papers[0].authors) == 5000
