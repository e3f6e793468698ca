"""`paperwire feedback | recommend | similar | import-library` through click, against a real database file."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from adapters.wiring import open_store
from bot.cli import cli
from bot.config import Settings
from tests.learn_data import ids_of, theme_papers

KEYS = {"id", "arxiv_id", "title", "score", "published", "upvotes", "why"}


@pytest.fixture
def db(tmp_path):
    empty = tmp_path / "no-seeds"
    empty.mkdir()
    path = tmp_path / "x.db"
    store = open_store(Settings(db_path=str(path), seeds_dir=str(empty)))
    papers = theme_papers()
    store.papers.upsert_many(papers)
    store.close()
    return path, {"PAPERWIRE_SEEDS": str(empty)}, papers


def run(db, *args):
    path, env, _ = db
    result = CliRunner().invoke(cli, ["--db", str(path), *args], obj=open_store, env=env)
    assert "Traceback" not in result.output, result.output
    return result


def test_feedback_then_recommend_json(db):
    papers = db[2]
    robot = ids_of(papers, "robot")
    r = run(db, "recommend", "--chat", "console:me", "--now", "2026-03-10T08:00:00Z")
    assert r.exit_code == 0 and "at least 3" in r.output
    args = [x for pid in robot[:3] for x in ("--like", pid)]
    r = run(db, "feedback", "--chat", "console:me", *args, "--dislike", ids_of(papers, "audio")[0],
            "--save", f"https://arxiv.org/abs/{robot[3]}")
    assert r.exit_code == 0 and "3 likes, 1 dislikes" in r.output and "1 saved" in r.output
    r = run(db, "recommend", "--chat", "console:me", "--now", "2026-03-10T08:00:00Z", "--limit", "3", "--json")
    assert r.exit_code == 0
    results = json.loads(r.output)["results"]
    assert len(results) == 3 and all(set(x) == KEYS for x in results)
    assert all(x["id"] in robot[4:] and x["why"] for x in results)
    assert results[0]["score"] >= results[-1]["score"]


def test_feedback_with_an_unknown_paper_says_so(db):
    r = run(db, "feedback", "--chat", "console:me", "--like", "9999.99999")
    assert r.exit_code == 2 and "Not in the database: 9999.99999" in r.output


def test_similar_json_and_bad_reference(db):
    protein = ids_of(db[2], "protein")
    r = run(db, "similar", f"https://huggingface.co/papers/{protein[0]}", "--json")
    results = json.loads(r.output)["results"]
    assert len(results) == 5 and all(x["id"] in protein[1:] for x in results)
    r = run(db, "similar", "no-such-paper")
    assert r.exit_code != 0 and "not an arXiv id or link" in r.output


def test_import_library_bibtex_and_zotero_csv(db, tmp_path):
    papers = db[2]
    audio = [p for p in papers if p.id in ids_of(papers, "audio")]
    bib = tmp_path / "lib.bib"
    bib.write_text(f"@misc{{a, title={{x}}, eprint={{{audio[0].arxiv_id}}}, archivePrefix={{arXiv}}}}\n"
                   f"@article{{b, title={{{audio[1].title.upper()}}}}}\n"
                   "@misc{c, title={Not Here At All}}\n", encoding="utf-8")
    r = run(db, "import-library", "--chat", "console:me", str(bib))
    assert r.exit_code == 0, r.output
    assert "Imported 2 of 3" in r.output and "1 by arXiv id" in r.output and "1 by title" in r.output
    assert "Not Here At All" in r.output
    zot = tmp_path / "zotero.csv"
    zot.write_text('"Key","Title","Url"\n' f'"K","whatever","https://arxiv.org/abs/{audio[2].arxiv_id}v1"\n',
                   encoding="utf-8")
    r = run(db, "import-library", "--chat", "console:me", str(zot))
    assert "Imported 1 of 1" in r.output
    r = run(db, "recommend", "--chat", "console:me", "--now", "2026-03-10T08:00:00Z", "--json")
    results = json.loads(r.output)["results"]
    assert results and all(x["id"] in ids_of(papers, "audio") for x in results)
    empty = tmp_path / "empty.bib"
    empty.write_text("nothing here", encoding="utf-8")
    r = run(db, "import-library", "--chat", "console:me", str(empty))
    assert r.exit_code != 0 and "no references" in r.output
