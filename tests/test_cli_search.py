"""`paperwire search` through click: one query, --json, and --json --stdin (one JSON object per input line)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from adapters.wiring import open_store
from bot.cli import cli
from bot.config import Settings
from tests.search_data import papers


@pytest.fixture
def db(tmp_path):
    empty = tmp_path / "no-seeds"
    empty.mkdir()
    path = tmp_path / "x.db"
    store = open_store(Settings(db_path=str(path), seeds_dir=str(empty)))
    store.papers.upsert_many(papers())
    store.close()
    return path, {"PAPERWIRE_SEEDS": str(empty)}


def run(db, *args, input=None):
    path, env = db
    result = CliRunner().invoke(cli, ["--db", str(path), "search", *args], obj=open_store, env=env, input=input)
    assert "Traceback" not in result.output
    return result


def test_human_output(db):
    r = run(db, "--limit", "2", "JRT-RNN")
    assert r.exit_code == 0
    assert "Just read twice" in r.output and "[jrt-rnn]" in r.output


def test_human_output_has_the_link_and_first_authors(db):
    r = run(db, "--limit", "1", "diffusion game engines")
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[0] == " 1. Diffusion Models Are Real-Time Game Engines"
    assert lines[1].strip() == "Dani Valevski, Yaniv Leviathan, Moab Arar et al."
    assert lines[3].strip() == "https://huggingface.co/papers/2408.14837"


def test_json_one_query(db):
    r = run(db, "--json", "MKOR")
    out = json.loads(r.output)
    assert out["query"] == "MKOR"
    top = out["results"][0]
    assert set(top) == {"id", "arxiv_id", "title", "score", "published", "upvotes"}
    assert top["title"].startswith("MKOR:") and top["arxiv_id"] is None


def test_json_stdin_one_object_per_line(db):
    r = run(db, "--json", "--stdin", "--limit", "3",
            input='diffusion game engines\n\n"unbalanced\n-medical\nShah cataract\n')
    assert r.exit_code == 0
    lines = [json.loads(x) for x in r.output.splitlines()]
    assert [x["query"] for x in lines] == ["diffusion game engines", "", '"unbalanced', "-medical", "Shah cataract"]
    assert lines[0]["results"][0]["arxiv_id"] == "2408.14837" and lines[0]["results"][0]["upvotes"] == 61
    assert lines[0]["results"][0]["published"] == "2024-08-27"
    assert lines[1]["results"] == [] and lines[1]["error"].startswith("Type some words")  # blank: answered too
    assert lines[2]["results"] == []
    assert lines[3]["results"] == [] and "exclusions" in lines[3]["error"]
    assert lines[4]["results"][0]["title"].startswith("StepAL")
    assert all(len(x["results"]) <= 3 for x in lines)


def test_json_stdin_output_lines_zip_with_input_lines(db):
    queries = ["mamba", "", "   ", "\t", "JRT-RNN", "", "what's new in diffusion?", "\x00", ""]
    r = run(db, "--json", "--stdin", input="\r\n".join(queries) + "\n")
    assert r.exit_code == 0
    lines = [json.loads(x) for x in r.output.splitlines()]
    assert [x["query"] for x in lines] == queries
    for q, out in zip(queries, lines):
        assert ("error" in out) == (not q.strip(" \t\x00")), q


def test_bad_query_is_a_message_not_a_traceback(db):
    r = run(db, "-medical")
    assert r.exit_code == 2 and "exclusions" in r.output
    r = run(db)
    assert r.exit_code != 0 and "QUERY" in r.output
