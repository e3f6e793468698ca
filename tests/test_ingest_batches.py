"""An import commits every WRITE_BATCH papers and holds no write lock in between, so a running bot (another
connection to the same file) can write - a saved query, a claim - while a big `paperwire ingest` runs."""
from __future__ import annotations

from bot.models import Paper
from store import Store
from store.papers import WRITE_BATCH

T0 = "2026-03-11T09:00:00+00:00"


def test_an_import_commits_in_short_batches_and_lets_another_connection_write(tmp_path):
    path = tmp_path / "pw.db"
    importer, bot = Store(path), Store(path)
    bot.db.execute("PRAGMA busy_timeout=0")  # a held write lock would fail at once: "database is locked"
    seen: list[tuple[int, int]] = []

    def papers():
        for i in range(3 * WRITE_BATCH + 7):
            if i and i % WRITE_BATCH == 0:  # the import is between two batches
                assert bot.seen.first_time(f"update:{i}", now=T0, expires_at="2026-03-12T00:00:00+00:00")
                seen.append((i, bot.papers.count()))
            yield Paper.make(f"Paper number {i}", f"2603.{i:05d}", abstract="An abstract.", authors=("A. B",))

    report = importer.papers.upsert_many(papers(), now=T0)
    assert report.added == 3 * WRITE_BATCH + 7
    # the other connection saw each batch committed as soon as it was written
    assert seen == [(WRITE_BATCH, WRITE_BATCH), (2 * WRITE_BATCH, 2 * WRITE_BATCH), (3 * WRITE_BATCH, 3 * WRITE_BATCH)]
    assert bot.papers.count() == 3 * WRITE_BATCH + 7 and bot.seen.count() == 3
    assert WRITE_BATCH <= 1000  # ~2.5 s of write lock per 10,000 papers: a bot's write would wait that long
    importer.close()
    bot.close()


def test_paperwire_ingest_writes_a_file_in_short_transactions(tmp_path, monkeypatch):
    """The CLI's 10,000-paper progress steps are not its transactions: each commits every WRITE_BATCH papers."""
    import json

    from click.testing import CliRunner

    from adapters.wiring import open_store
    from bot.cli import cli
    from store.papers import PaperRepo

    src = tmp_path / "papers.jsonl"
    src.write_text("\n".join(json.dumps({"arxiv_id": f"2603.{i:05d}", "title": f"Paper number {i}", "abstract": "x",
                                         "authors": ["A. B"], "published": "2026-03-10"})
                             for i in range(2 * WRITE_BATCH + 3)) + "\n")
    sizes: list[int] = []
    chunk = PaperRepo._upsert_chunk

    def spying_chunk(repo, papers, *a):
        sizes.append(len(papers))
        return chunk(repo, papers, *a)

    monkeypatch.setattr(PaperRepo, "_upsert_chunk", spying_chunk)
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.db"), "ingest", str(src)], obj=open_store,
                                env={"PAPERWIRE_SEEDS": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert f"{2 * WRITE_BATCH + 3} added" in result.output
    assert sizes == [WRITE_BATCH, WRITE_BATCH, 3]


def test_a_bulk_import_checkpoints_the_wal_less_often_and_restores_the_default(tmp_path):
    from store.papers import BULK_CHECKPOINT_PAGES

    importer = Store(tmp_path / "pw.db")
    during = []

    def papers():
        for i in range(WRITE_BATCH + 1):
            if i == WRITE_BATCH:
                during.append(importer.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
            yield Paper.make(f"Paper number {i}", f"2603.{i:05d}", abstract="An abstract.", authors=("A. B",))

    importer.papers.upsert_many(papers(), now=T0)
    assert during == [BULK_CHECKPOINT_PAGES] and BULK_CHECKPOINT_PAGES > 1000  # fewer, larger checkpoints
    assert importer.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000  # the bot's connection: default
    importer.close()
