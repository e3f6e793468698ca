"""First run: the shipped seeds load through bot.sources, once, in name order."""
from __future__ import annotations

import shutil
from pathlib import Path

from adapters.wiring import open_store
from bot.config import Settings
from bot.seeding import SEEDS_DIR, seed_if_empty


def test_shipped_seeds_load_on_an_empty_store(store):
    report = seed_if_empty(store)
    assert report is not None and report.problems == []
    assert report.added == 680 and store.papers.count() == 680  # 82 seed-page papers + 598 HF papers
    s = store.papers.stats()
    assert s["sources"] == {"seed": 82, "hf": 598}
    assert s["hf_max"] == "2026-08-21"
    page = store.papers.get_many([p.id for p in store.papers.iter_all() if "seed" in p.sources])
    assert all(p.hf_date.endswith("-03-11") and p.arxiv_id is None for p in page.values())
    assert [p.title for p in store.papers.trending(limit=1)] == ["EnvHarness: Awakening Static Worlds for Agent Learning"]


def test_seeding_happens_only_when_empty(store):
    assert seed_if_empty(store) is not None
    assert seed_if_empty(store) is None
    assert store.papers.count() == 680


def test_open_store_seeds_first_run_only(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(SEEDS_DIR / "000_efbe1e64ca0036ba.txt", seeds / "000_page.txt")
    (seeds / "README.md").write_text("Mar 11\n\nNot a paper\n\nNot an abstract either\n")  # skipped by name
    settings = Settings(db_path=str(tmp_path / "p.db"), seeds_dir=str(seeds))
    s = open_store(settings)
    assert s.papers.count() == 82
    s.close()
    shutil.copy(SEEDS_DIR / "010_hf_last30days.jsonl", seeds / "010_hf.jsonl")
    s = open_store(settings)  # not empty any more: the new file is not loaded behind the user's back
    assert s.papers.count() == 82
    s.close()


def test_seed_files_are_documented():
    readme = (Path(SEEDS_DIR) / "README.md").read_text()
    for f in Path(SEEDS_DIR).iterdir():
        if f.name != "README.md":
            assert f.name in readme
