"""Backups taken while the bot writes, export/import to move hosts, and upgrading a database of the previous schema."""
from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from pathlib import Path

from click.testing import CliRunner

from adapters.cli import cli
from adapters.wiring import open_store
from bot.models import Paper
from store import Store
from store.transfer import backup, export_data, import_data

DATA = Path(__file__).parent / "data"
BATCH = 40


def _papers(i: int) -> list[Paper]:
    return [Paper.make(f"Batch {i} paper {j} on diffusion", f"2501.{i:03d}{j:02d}", published="2025-01-01")
            for j in range(BATCH)]


def test_backup_while_the_bot_writes_is_consistent_and_restores(tmp_path):
    live = tmp_path / "live.db"
    Store(live).close()
    stop, written, started = threading.Event(), [0], threading.Event()

    def writer() -> None:  # the bot, ingesting: one transaction of BATCH papers at a time, on its own connection
        store = Store(live)
        try:
            i = 0
            while not stop.is_set() and i < 400:
                store.papers.upsert_many(_papers(i), now="2025-01-01T00:00:00+00:00")
                i += 1
                written[0] = i
                if i == 3:
                    started.set()
        finally:
            store.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert started.wait(30)
    try:
        report = backup(live, tmp_path / "copy.db")
        during = written[0]
        time.sleep(0.05)
        progressed = written[0] > during  # the writer was not blocked by the backup
    finally:
        stop.set()
        thread.join(60)
    assert report.integrity == "ok" and report.papers % BATCH == 0 and report.papers >= 3 * BATCH
    assert progressed or written[0] == 400
    # restore: the copy is a complete database on its own (no -wal next to it), opened like any other
    restored = tmp_path / "restored.db"
    shutil.copy(tmp_path / "copy.db", restored)
    assert not (tmp_path / "copy.db-wal").exists()
    store = Store(restored, create=False)
    try:
        assert store.papers.count() == report.papers
        assert store.db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        n = report.papers // BATCH - 1
        assert store.papers.get_many([f"2501.{n:03d}{BATCH - 1:02d}"])  # the last batch in the copy is whole
        assert store.db.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'diffusion'").fetchone()[0] \
            == report.papers  # the search index is as consistent as the rows
    finally:
        store.close()


def test_backup_command(tmp_path):
    (tmp_path / "seeds").mkdir()
    db = str(tmp_path / "p.db")
    s = open_store(__import__("bot.config", fromlist=["Settings"]).Settings(db_path=db, seeds_dir=str(tmp_path / "seeds")))
    s.papers.upsert_many(_papers(1))
    s.close()
    runner = CliRunner()
    out_dir = tmp_path / "backups"
    out_dir.mkdir()
    r = runner.invoke(cli, ["--db", db, "backup", str(out_dir)], obj=open_store)
    assert r.exit_code == 0, r.output
    assert f"backup: {out_dir}/paperwire-" in r.output and f"{BATCH} papers" in r.output and "integrity ok" in r.output
    r = runner.invoke(cli, ["--db", str(tmp_path / "missing.db"), "backup", str(out_dir / "x.db")], obj=open_store)
    assert r.exit_code != 0 and "no database at" in str(r.exception or r.output)


def _chat_with_topics(store: Store) -> None:
    now = "2026-03-01T00:00:00+00:00"
    store.chats.ensure("telegram", "42", kind="group", title="Lab", now=now, tz="Europe/Berlin")
    store.chats.update("telegram", "42", digest_time="07:30", trending_n=5, trending_time="09:00", paused=1)
    store.chats.add_topic("telegram", "42", "diffusion -medical", "diffusion -medical", now=now)
    store.chats.add_topic("telegram", "42", "mamba", "mamba", now=now)
    store.chats.ensure("slack", "T1/C1", kind="channel", now=now)
    store.learning.toggle_vote("telegram", "42", "7", "2401.00001", 1, source="button", now=now)
    store.learning.toggle_vote("telegram", "42", "8", "2401.00002", -1, source="button", now=now)
    store.learning.save("telegram", "42", "2401.00003", "7", now=now)


def test_export_then_import_on_another_host(tmp_path):
    old, new = Store(tmp_path / "old.db"), Store(tmp_path / "new.db")
    try:
        _chat_with_topics(old)
        doc = json.loads(json.dumps(export_data(old.db)))  # through JSON, as a file would carry it
        assert doc["format"] == "paperwire-export" and len(doc["chats"]) == 2 and len(doc["topics"]) == 2
        assert len(doc["votes"]) == 2 and len(doc["saves"]) == 1 and doc["votes"][0]["platform"] == "telegram"
        new.chats.ensure("telegram", "42", now="2026-03-02T00:00:00+00:00")  # already there: updated, not doubled
        counts = import_data(new.db, doc)
        assert counts["chats"] == 2 and counts["topics"] == 2 and counts["votes"] == 2 and counts["saves"] == 1
        assert new.learning.labels("telegram", "42") == {"2401.00001": 1, "2401.00002": -1, "2401.00003": 1}
        assert new.learning.saved("telegram", "42") == ["2401.00003"]
        s = new.chats.settings("telegram", "42")
        assert s["tz"] == "Europe/Berlin" and s["digest_time"] == "07:30" and s["trending_n"] == 5 and s["paused"]
        assert [t["query"] for t in new.chats.topics("telegram", "42")] == ["diffusion -medical", "mamba"]
        again = import_data(new.db, doc)
        assert again["topics"] == 0 and again["votes"] == 0 and again["saves"] == 0  # importing twice adds nothing
    finally:
        old.close()
        new.close()


def test_export_import_commands(tmp_path):
    store = Store(tmp_path / "a.db")
    _chat_with_topics(store)
    store.close()
    runner = CliRunner()
    r = runner.invoke(cli, ["--db", str(tmp_path / "a.db"), "export", str(tmp_path / "e.json")], obj=open_store)
    assert r.exit_code == 0, r.output
    assert "2 chats" in r.output and "2 topics" in r.output
    r = runner.invoke(cli, ["--db", str(tmp_path / "b.db"), "import", str(tmp_path / "e.json")], obj=open_store,
                      env={"PAPERWIRE_SEEDS": str(tmp_path)})
    assert r.exit_code == 0, r.output
    assert "import: 2 chats, 2 topics, 2 votes, 1 saves" in r.output
    (tmp_path / "bad.json").write_text('{"hello": 1}')
    r = runner.invoke(cli, ["--db", str(tmp_path / "b.db"), "import", str(tmp_path / "bad.json")], obj=open_store)
    assert r.exit_code != 0 and "not a Paperwire export" in str(r.exception)


def test_a_database_of_the_previous_schema_upgrades_at_start(tmp_path):
    """tests/data/schema_a9951b3.db was made by Paperwire at commit a9951b3 (tests/data/make_schema_a9951b3.py):
    opening it runs every newer migration and keeps what it held."""
    db = tmp_path / "old.db"
    shutil.copy(DATA / "schema_a9951b3.db", db)
    before = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM _sqlite_migrations")}
    store = Store(db, create=False)
    try:
        after = {r["name"] for r in store.db.query("SELECT name FROM _sqlite_migrations")}
        fresh = Store(":memory:")
        expected = {r["name"] for r in fresh.db.query("SELECT name FROM _sqlite_migrations")}
        tables = {r["name"] for r in fresh.db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        fresh.close()
        assert before < after == expected  # every migration of this version, none twice
        assert tables <= {r["name"] for r in store.db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert store.papers.count() == 2
        s = store.chats.settings("telegram", "42")
        assert s["tz"] == "Europe/Berlin" and s["digest_time"] == "07:30" and s["trending_n"] == 5
        assert [t["query"] for t in store.chats.topics("telegram", "42")] == ["diffusion -medical", "author:Hinton"]
        assert store.db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    finally:
        store.close()
