"""Backups and moves: an online backup of the whole database, and a JSON export/import of what people made.

`backup(src, dest)` uses SQLite's online backup API in one step: it copies one consistent snapshot while the bot
keeps writing (WAL: readers never block the writer), checks it (quick_check) and renames it into place, so a
half-written backup never has the final name. The copy is a single self-contained file (journal mode DELETE).

`export_data` / `import_data` carry chats (with their settings), followed topics, votes and saved papers (each when
its table exists) keyed by (platform, chat_id) instead of internal row ids,
so they can be loaded into another host's database. Papers are not exported: they come back from the sources (or
use a backup).
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from store.db import fetch_dicts

FORMAT = "paperwire-export"
VERSION = 1
# tables of people-made rows that reference a chat by chats.pk; exported when present (other features add them)
CHAT_TABLES = ("topics", "votes", "saves")
CHAT_COLUMNS_SKIPPED = {"pk"}


@dataclass(frozen=True)
class BackupReport:
    path: str
    bytes: int
    papers: int
    chats: int
    integrity: str


def backup(src: str | Path, dest: str | Path) -> BackupReport:
    """Copy the live database at `src` to `dest` (overwriting it) as one consistent snapshot."""
    src, dest = Path(src).absolute(), Path(dest).absolute()
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30.0)
    target = sqlite3.connect(str(partial))
    try:
        source.backup(target)  # pages=-1: everything in one step, i.e. one snapshot
        target.execute("PRAGMA journal_mode=DELETE")
        integrity = target.execute("PRAGMA quick_check").fetchone()[0]
        papers = _count(target, "papers")
        chats = _count(target, "chats")
    finally:
        target.close()
        source.close()
    if integrity != "ok":
        partial.unlink(missing_ok=True)
        raise sqlite3.DatabaseError(f"the copy failed its integrity check: {integrity}")
    os.replace(partial, dest)
    return BackupReport(str(dest), dest.stat().st_size, papers, chats, integrity)


def _count(conn: sqlite3.Connection, table: str) -> int:
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.Error:
        return 0


def _tables(db) -> set[str]:
    return {r["name"] for r in fetch_dicts(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}


def _columns(db, table: str) -> list[str]:
    return [r["name"] for r in fetch_dicts(db, f"PRAGMA table_info({table})")]


def export_data(db) -> dict[str, Any]:
    """Chats (every setting), and per chat-owned table its rows keyed by (platform, chat_id)."""
    chats = fetch_dicts(db, "SELECT * FROM chats ORDER BY pk")
    keys = {c["pk"]: (c["platform"], c["chat_id"]) for c in chats}
    doc: dict[str, Any] = {"format": FORMAT, "version": VERSION,
                           "chats": [{k: v for k, v in c.items() if k not in CHAT_COLUMNS_SKIPPED} for c in chats]}
    present = _tables(db)
    for table in CHAT_TABLES:
        if table not in present or "chat_pk" not in _columns(db, table):
            continue
        rows = []
        for r in fetch_dicts(db, f"SELECT * FROM {table}"):
            platform, chat_id = keys.get(r.pop("chat_pk"), (None, None))
            if platform is None:
                continue
            r.pop("id", None)  # a row id means nothing on another host
            rows.append({"platform": platform, "chat_id": chat_id, **r})
        doc[table] = rows
    return doc


def import_data(db, doc: dict[str, Any]) -> dict[str, int]:
    """Merge an export into this database: chats upserted by (platform, chat_id), rows inserted unless present.

    Unknown tables or columns (an export from a newer version) are skipped and counted, never fatal."""
    if doc.get("format") != FORMAT or not isinstance(doc.get("chats"), list):
        raise ValueError("not a Paperwire export (expected {\"format\": \"paperwire-export\", \"chats\": [...]})")
    counts = {"chats": 0}
    chat_cols = set(_columns(db, "chats")) - CHAT_COLUMNS_SKIPPED
    present = _tables(db)
    with db.conn:
        for c in doc["chats"]:
            row = {k: v for k, v in c.items() if k in chat_cols}
            if not row.get("platform") or not row.get("chat_id"):
                continue
            cols = list(row)
            updates = ", ".join(f"{k} = excluded.{k}" for k in cols if k not in ("platform", "chat_id"))
            db.execute(f"INSERT INTO chats ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                       f"ON CONFLICT(platform, chat_id) DO UPDATE SET {updates}", [row[k] for k in cols])
            counts["chats"] += 1
        pks = {(r["platform"], r["chat_id"]): r["pk"] for r in fetch_dicts(db, "SELECT pk, platform, chat_id FROM chats")}
        for table in CHAT_TABLES:
            rows = doc.get(table)
            if not rows:
                continue
            if table not in present:
                counts[f"{table} skipped (no such table here)"] = len(rows)
                continue
            wanted = set(_columns(db, table)) - {"id"}
            added = 0
            for r in rows:
                pk = pks.get((r.get("platform"), r.get("chat_id")))
                if pk is None:
                    continue
                values = {k: v for k, v in r.items() if k in wanted}
                values["chat_pk"] = pk
                names = list(values)
                cur = db.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(names)}) "
                                 f"VALUES ({', '.join('?' * len(names))})", [values[k] for k in names])
                added += cur.rowcount
            counts[table] = added
        if "taste_versions" in present and (counts.get("votes") or counts.get("saves")):
            # the learner retrains a chat whose version moved: every imported chat's taste is new here
            db.execute("INSERT INTO taste_versions (chat_pk, version) SELECT pk, 1 FROM chats WHERE true "
                       "ON CONFLICT(chat_pk) DO UPDATE SET version = version + 1")
    return counts
