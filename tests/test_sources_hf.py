"""HF daily_papers JSON parser, on the real upstream response and on the shapes seen in the wild."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from bot.sources import detect_format, load_bytes, load_path
from bot.sources.hf import parse_hf

DATA = Path(__file__).parent / "data"
RAW = DATA / "hf_daily_papers_2026-08-21.json"


def raw_items() -> list:
    return json.loads(RAW.read_bytes())


def test_real_response_fields():
    problems: list[str] = []
    papers = list(load_path(RAW, problems))
    assert problems == []
    assert len(papers) == 17
    first = papers[0]
    assert first.id == first.arxiv_id == "2608.19880"
    assert first.title == "EnvHarness: Awakening Static Worlds for Agent Learning"
    assert first.upvotes == 163  # inside `paper`
    assert first.comments == 1  # `numComments` on the wrapper
    assert first.hf_date == "2026-08-21"  # paper.submittedOnDailyAt
    assert first.published == "2026-08-20"  # paper.publishedAt (arXiv date), not the wrapper's
    assert first.github_repo == "https://github.com/google-research/envharness"
    assert first.sources == ("hf",)
    assert first.authors[:2] == ("Chengsong Huang", "Zifeng Wang") and len(first.authors) == 17
    assert first.abstract.startswith("LLM agents learn by interacting")
    assert papers[7].github_repo is None  # no githubRepo key
    assert [p.upvotes for p in papers[:3]] == [163, 54, 38]


def test_hidden_authors_dropped_and_whitespace_collapsed():
    items = raw_items()[:1]
    items[0]["paper"]["authors"][1]["hidden"] = True
    items[0]["paper"]["title"] = "  EnvHarness:\n  Awakening Static\tWorlds  "
    items[0]["paper"]["summary"] = "LLM agents learn\nby interacting\n\n  with environments.\n"
    (p,) = parse_hf(json.dumps(items))
    assert "Zifeng Wang" not in p.authors and p.authors[0] == "Chengsong Huang" and len(p.authors) == 16
    assert p.title == "EnvHarness: Awakening Static Worlds"
    assert p.abstract == "LLM agents learn by interacting with environments."


def test_search_endpoint_flat_and_wrapped_items_give_the_same_paper():
    wrapper = raw_items()[1]
    flat = copy.deepcopy(wrapper["paper"])
    flat["numComments"] = wrapper["numComments"]
    a, b = parse_hf(json.dumps([wrapper, flat]))
    assert a == b
    assert a.upvotes == wrapper["paper"]["upvotes"] and a.comments == wrapper["numComments"]


def test_python_repr_items_and_data_wrapper_tolerated():
    items = raw_items()[:2]
    doc = {"status": "ok", "date": "2025-01-10", "count": 2, "data": [repr(items[0]), items[1]]}
    problems: list[str] = []
    papers = list(parse_hf(json.dumps(doc), problems))
    assert problems == []
    assert [p.id for p in papers] == ["2608.19880", items[1]["paper"]["id"]]
    assert papers[0].upvotes == 163


def test_malformed_items_skipped_and_reported_rest_kept():
    items = raw_items()[:3]
    bad_id = copy.deepcopy(items[2])
    bad_id["paper"]["id"] = "not an id"
    no_title = {"paper": {"id": "2608.00001", "summary": "x"}}
    doc = [items[0], 42, no_title, "{'unclosed", bad_id, items[1]]
    problems: list[str] = []
    papers = list(parse_hf(json.dumps(doc), problems, name="day.json"))
    assert [p.id for p in papers] == [items[0]["paper"]["id"], items[1]["paper"]["id"]]
    assert len(problems) == 4
    assert all(p.startswith("day.json: item ") and "skipped" in p for p in problems)
    assert "not an arXiv id" in problems[3]


def test_requested_date_wins_and_file_name_date_is_the_fallback():
    items = raw_items()[:1]
    (p,) = parse_hf(json.dumps(items), hf_date="2026-08-22")
    assert p.hf_date == "2026-08-22"
    del items[0]["paper"]["submittedOnDailyAt"]
    (p,) = load_bytes(json.dumps(items).encode(), "hf_2026-08-19.json")
    assert p.hf_date == "2026-08-19"


def test_bad_documents_report_a_problem_and_yield_nothing():
    for data in (b"[{not json", b'{"error": "Invalid date"}'):
        problems: list[str] = []
        assert list(parse_hf(data, problems)) == []
        assert len(problems) == 1


def test_detected_by_content_whatever_the_name():
    data = RAW.read_bytes()
    assert detect_format(data[:4096], "download") == "hf-json"
    assert len(list(load_bytes(data, "download.bin"))) == 17
