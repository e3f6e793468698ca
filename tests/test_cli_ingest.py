"""`paperwire ingest` and `paperwire fetch` through click, with the real store and a local fake upstream."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner

from adapters.wiring import open_store
from bot.cli import cli
from bot.config import Settings

DATA = Path(__file__).parent / "data"
SEED_PAGE = Path(__file__).parent.parent / "seeds" / "000_efbe1e64ca0036ba.txt"
HF_BYTES = (DATA / "hf_daily_papers_2026-08-21.json").read_bytes()
ATOM_BYTES = (DATA / "arxiv_api_query_all-Einstein_2018-02-05.atom.xml").read_bytes()


@pytest.fixture
def env(tmp_path):
    empty = tmp_path / "no-seeds"
    empty.mkdir()
    return {"PAPERWIRE_SEEDS": str(empty)}


def run(tmp_path, env, *args):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.db"), *args], obj=open_store, env=env)
    assert "Traceback" not in result.output
    return result


def count(tmp_path) -> int:
    store = open_store(Settings(db_path=str(tmp_path / "x.db"), seeds_dir=str(tmp_path / "no-seeds")))
    try:
        return store.papers.count()
    finally:
        store.close()


def test_ingest_every_format_then_reingest_is_idempotent(tmp_path, env):
    files = [str(DATA / n) for n in ("hf_daily_papers_2026-08-21.json", "arxiv_api_query_all-Einstein_2018-02-05.atom.xml",
                                     "arxiv_daily_listing_2026-06-29.sample.jsonl")] + [str(SEED_PAGE)]
    r = run(tmp_path, env, "ingest", *files)
    assert r.exit_code == 0, r.output
    assert ("hf_daily_papers_2026-08-21.json: 17 added, 0 updated, 0 unchanged, 0 repeated in the file, 0 invalid"
            in r.output)
    assert "Einstein_2018-02-05.atom.xml: 10 added" in r.output
    # the crawl lists one paper twice: repeated, not an error
    assert "sample.jsonl: 40 added, 0 updated, 0 unchanged, 1 repeated in the file, 0 invalid" in r.output
    assert "000_efbe1e64ca0036ba.txt: 82 added" in r.output
    assert "total: 149 added, 0 updated, 0 unchanged, 1 repeated in the file, 0 invalid" in r.output
    assert count(tmp_path) == 149
    again = run(tmp_path, env, "ingest", *files)
    assert again.exit_code == 0
    assert "total: 0 added, 0 updated, 149 unchanged, 1 repeated in the file, 0 invalid" in again.output
    assert count(tmp_path) == 149


def test_ingest_directory_and_bad_content_reported(tmp_path, env):
    d = tmp_path / "in"
    d.mkdir()
    (d / "README.md").write_text("ignored")
    (d / "a_notes.txt").write_text("no papers in here\n")
    rows = [json.dumps({"arxiv_id": "2503.00001", "title": "Good", "abstract": "x", "authors": ["A"],
                        "published": "2025-03-18", "upvotes": None, "source": "arxiv-daily"}), "{oops"]
    (d / "b_rows.jsonl").write_text("\n".join(rows))
    r = run(tmp_path, env, "ingest", str(d))
    assert r.exit_code == 1, r.output  # a file with nothing readable is an error; the good file still loads
    assert "a_notes.txt: 0 added, 0 updated, 0 unchanged, 0 repeated in the file, 0 invalid" in r.output
    assert "unknown format" in r.output
    assert "no papers could be read from" in r.output and "a_notes.txt" in r.output.splitlines()[-1]
    assert "b_rows.jsonl: 1 added, 0 updated, 0 unchanged, 0 repeated in the file, 1 invalid" in r.output
    assert "line 2 skipped" in r.output
    assert "README" not in r.output


def test_ingest_missing_path_is_a_clean_usage_error(tmp_path, env):
    r = run(tmp_path, env, "ingest", str(tmp_path / "nope.jsonl"))
    assert r.exit_code == 2 and "does not exist" in r.output


class Upstream(BaseHTTPRequestHandler):
    """A tiny threaded fake of both APIs (the CLI runs its own event loop, so this one lives in a thread)."""

    responses: dict[str, tuple[int, bytes]] = {}
    seen: list[dict] = []

    def do_GET(self):  # noqa: N802
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        type(self).seen.append({"path": url.path, **query})
        status, body = self.responses.get(query.get("date", url.path), (404, b"{}"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream(env):
    Upstream.responses, Upstream.seen = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    env.update(HF_ENDPOINT=base, ARXIV_API_URL=base + "/api/query", ARXIV_FEED_URL=base + "/rss")
    yield Upstream
    server.shutdown()
    server.server_close()


def test_fetch_hf_date_and_days(tmp_path, env, upstream):
    upstream.responses["2026-08-21"] = (200, HF_BYTES)
    upstream.responses["2026-08-22"] = (200, b"[]")
    r = run(tmp_path, env, "fetch", "hf", "--date", "2026-08-21")
    assert r.exit_code == 0, r.output
    assert "hf 2026-08-21: 17 added, 0 updated, 0 unchanged, 0 repeated in the answer, 0 invalid" in r.output
    env["PAPERWIRE_NOW"] = "2026-08-22T08:00:00Z"
    r = run(tmp_path, env, "fetch", "hf", "--days", "2")
    assert r.exit_code == 0, r.output
    assert "hf 2026-08-22: 0 added" in r.output and "hf 2026-08-21: 0 added, 0 updated, 17 unchanged" in r.output
    assert [s["date"] for s in upstream.seen] == ["2026-08-21", "2026-08-22", "2026-08-21"]


def test_fetch_hf_errors_are_one_clear_line(tmp_path, env, upstream):
    r = run(tmp_path, env, "fetch", "hf", "--date", "2026-08-20")  # the fake answers 404
    assert r.exit_code == 1 and "hf 2026-08-20: failed: " in r.output and "HTTP 404" in r.output
    assert "(127.0.0.1:" in r.output  # the host is named
    r = run(tmp_path, env, "fetch", "hf", "--date", "21/08/2026")
    assert r.exit_code == 2 and "not a date" in r.output
    r = run(tmp_path, env, "fetch", "hf", "--date", "2026-08-21", "--days", "2")
    assert r.exit_code == 2 and "either --date or --days" in r.output


def test_fetch_arxiv_category(tmp_path, env, upstream):
    upstream.responses["/api/query"] = (200, ATOM_BYTES)
    r = run(tmp_path, env, "fetch", "arxiv", "--category", "math.DG", "--max", "20")
    assert r.exit_code == 0, r.output
    assert "arxiv math.DG: 10 added" in r.output
    (q,) = upstream.seen
    assert q["search_query"] == "cat:math.DG" and q["max_results"] == "20"
    r = run(tmp_path, env, "fetch", "arxiv", "--category", "cs.CL; DROP")
    assert r.exit_code == 2 and "not an arXiv category" in r.output
    r = run(tmp_path, env, "fetch", "arxiv", "--category", "foo.bar")
    assert r.exit_code == 2 and "not an arXiv category" in r.output and len(upstream.seen) == 1
    r = run(tmp_path, env, "fetch", "arxiv", "--category", "cs.cl", "--max", "20")
    assert r.exit_code == 0 and "arxiv cs.CL:" in r.output  # the canonical spelling


def test_fetch_arxiv_reads_the_daily_announcement(tmp_path, env, upstream):
    feed = (Path(__file__).parent / "data" / "arxiv_rss_cs.CL_2026-06-29.xml").read_bytes()
    upstream.responses["/rss/cs.CL"] = (200, feed)
    env["PAPERWIRE_NOW"] = "2026-06-29T09:00:00Z"
    r = run(tmp_path, env, "fetch", "arxiv", "--category", "cs.CL")
    assert r.exit_code == 0, r.output
    assert "arxiv cs.CL: 12 added" in r.output and [s["path"] for s in upstream.seen] == ["/rss/cs.CL"]
    upstream.responses["/rss/cs.CL"] = (200, b"<html>maintenance</html>")
    r = run(tmp_path, env, "fetch", "arxiv", "--category", "cs.CL")
    assert r.exit_code == 1 and "arxiv cs.CL: failed:" in r.output and "not an arXiv listing feed" in r.output


def test_paper_lookup_json_then_from_the_store(tmp_path, env, upstream):
    from test_paper_lookup import api_entry

    upstream.responses["/api/query"] = (200, api_entry("2405.21060", "Transformers are SSMs").encode())
    r = run(tmp_path, env, "paper", "https://arxiv.org/pdf/2405.21060v2.pdf", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)  # stderr notes "created a new database"
    assert doc["id"] == "2405.21060" and doc["fetched"] is True and doc["url"] == "https://arxiv.org/abs/2405.21060"
    assert [s["path"] for s in upstream.seen] == ["/api/query", "/api/papers/2405.21060"]  # HF: 404, fine
    r = run(tmp_path, env, "paper", "2405.21060")
    assert r.exit_code == 0 and "Transformers are SSMs" in r.output and "fetched" not in r.output
    assert len(upstream.seen) == 2  # answered from the database
    r = run(tmp_path, env, "paper", "not-an-id")
    assert r.exit_code == 1 and "not an arXiv id or link" in r.output
    upstream.responses["/api/query"] = (200, api_entry("0000.00000", "x").replace("0000.00000", "").encode())
    r = run(tmp_path, env, "paper", "2405.99999")
    assert r.exit_code == 1 and "2405.99999 was not found on arXiv." in r.output
