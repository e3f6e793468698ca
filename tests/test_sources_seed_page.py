"""The seed page: header lines, a year-less date line, then title/abstract pairs."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.models import title_key
from bot.sources import detect_format, load_bytes, load_path
from bot.sources.seed_page import parse_date_line, parse_seed_page

SEED = Path(__file__).parent.parent / "seeds" / "000_efbe1e64ca0036ba.txt"
TODAY = date(2026, 11, 28)


def test_real_seed_page():
    problems: list[str] = []
    papers = list(load_path(SEED, problems, today=TODAY))
    assert problems == []
    assert len(papers) == 82
    first = papers[0]
    assert first.title == "The I/O Complexity of Attention, or How Optimal is Flash Attention?"
    assert first.abstract.startswith("Self-attention is at the heart of the popular Transformer architecture")
    assert first.id == title_key(first.title) and first.arxiv_id is None
    assert first.hf_date == "2026-03-11" and first.sources == ("seed",)
    assert papers[1].title.startswith("MKOR: Momentum-Enabled")
    assert papers[-1].title == "Are Emergent Abilities of Large Language Models a Mirage?"
    # header lines ("new", "Subscribe", ...) never become papers; every title is short, every abstract long
    assert all(len(p.title) < 200 and len(p.abstract) > 300 for p in papers)
    assert len({p.id for p in papers}) == 82


@pytest.mark.parametrize("line,today,expected", [
    ("Mar 11", date(2026, 11, 28), "2026-03-11"),
    ("Mar 11", date(2026, 3, 11), "2026-03-11"),  # today itself is not the future
    ("Mar 11", date(2026, 3, 10), "2025-03-11"),  # tomorrow would be the future: last year
    ("Dec 24", date(2026, 1, 2), "2025-12-24"),
    ("Feb 29", date(2026, 3, 1), "2024-02-29"),  # the latest Feb 29 not in the future
    ("March 3rd", date(2026, 3, 3), "2026-03-03"),
    ("Mar 11, 2024", date(2026, 11, 28), "2024-03-11"),  # an explicit year is kept
    ("Feb 30", date(2026, 3, 1), None),
    ("Subscribe", date(2026, 3, 1), None),
    ("May the best model win", date(2026, 3, 1), None),
])
def test_date_line_year_inference(line, today, expected):
    assert parse_date_line(line, today) == expected


def test_several_days_and_odd_pairs():
    text = ("new\n\nSubscribe\n\nMar 10\n\nTitle A\n\nAbstract A.\n\nMar 11\n\n  Title   B \n\nAbstract\tB.\n\n"
            + "x" * 500 + "\n\nTitle C\n")
    problems: list[str] = []
    papers = list(parse_seed_page(text, problems, today=date(2026, 11, 28)))
    assert [(p.title, p.abstract, p.hf_date) for p in papers] == [
        ("Title A", "Abstract A.", "2026-03-10"),
        ("Title B", "Abstract B.", "2026-03-11"),
        ("Title C", "", "2026-03-11"),
    ]
    assert len(problems) == 2 and "without a title" in problems[0] and "without an abstract" in problems[1]


def test_detection_and_unknown_text():
    assert detect_format(SEED.read_bytes()[:4096], "page") == "seed-page"
    problems: list[str] = []
    assert list(load_bytes(b"just some\nnotes without dates\n", "notes.txt", problems)) == []
    assert problems and "unknown format" in problems[0]
