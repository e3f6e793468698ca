"""`paperwire ingest` output a person reads right: what happened to every item, a progress bar with a total."""
from __future__ import annotations

import gzip
import io
from pathlib import Path

from click.testing import CliRunner

from adapters.cli import cli
from adapters.wiring import open_store
from bot.cli_ingest import counted, progress_bar
from bot.sources import load_path

DATA = Path(__file__).parent / "data"
HF = DATA / "hf_daily_papers_2026-08-21.json"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_totals_are_known_before_loading(tmp_path):
    items, total = counted(HF, load_path(HF))
    assert total == 17 and len(list(items)) == 17  # a whole document: parsed up front
    rows = (DATA / "arxiv_daily_listing_2026-06-29.sample.jsonl").read_bytes()
    gz = tmp_path / "rows.jsonl.gz"
    gz.write_bytes(gzip.compress(rows))
    papers, total = counted(gz, load_path(gz))
    assert total == rows.count(b"\n") + (not rows.endswith(b"\n"))  # streamed JSONL: counted by lines
    assert len(list(papers)) <= total


def test_progress_bar_shows_position_percentage_and_eta():
    screen = Terminal()
    with progress_bar(40, "rows.jsonl", file=screen) as bar:
        bar.update(10)
        bar.update(30)
    text = screen.getvalue()
    assert "rows.jsonl" in text and "40/40" in text and "100%" in text
    unknown = Terminal()
    with progress_bar(None, "stream", file=unknown) as bar:
        bar.update(5)
    assert unknown.getvalue() == ""


def test_a_file_without_papers_fails(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><body>Sorry, we are down for maintenance</body></html>")
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.db"), "ingest", str(page)], obj=open_store,
                           env={"PAPERWIRE_SEEDS": str(tmp_path)})
    assert r.exit_code == 1
    assert "page.html: 0 added, 0 updated, 0 unchanged, 0 repeated in the file, 0 invalid" in r.output
    assert f"no papers could be read from {page}" in r.output and "problem:" in r.output
