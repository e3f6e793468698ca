"""Opening the database: one connection, WAL, a busy timeout, and every migration set applied."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

# Each store module registers its own migration set here, in import order. Sets are appended to, never edited.
MIGRATION_SETS: list[Migrations] = []


def register(migrations: Migrations) -> Migrations:
    if migrations not in MIGRATION_SETS:
        MIGRATION_SETS.append(migrations)
    return migrations


def open_database(path: str | Path = ":memory:") -> Database:
    """Open (creating if needed) and migrate. `check_same_thread=False`: callers serialize on one event loop."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0)
    db = Database(conn)
    if str(path) != ":memory:":
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA busy_timeout=10000")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    # import for side effects: each module registers its migrations
    from store import chats, papers, search_index, seen, sources  # noqa: F401
    from store import deliveries  # noqa: F401  (claims, parts, the ingest sequence: after papers)

    for migrations in MIGRATION_SETS:
        migrations.apply(db)
    return db


def fetch_dicts(db: Database, sql: str, params=()) -> list[dict]:
    """Rows as dicts keyed by column name."""
    cur = db.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def fetch_dicts_in(db: Database, sql: str, values, chunk: int = 500) -> list[dict]:
    """Rows for `... IN ({marks})` over many values, in chunks that stay under SQLite's parameter limit.
    Each `{marks}` in `sql` takes the same chunk of values."""
    values = list(values)
    repeat = sql.count("{marks}")
    out: list[dict] = []
    for i in range(0, len(values), chunk):
        part = values[i : i + chunk]
        out += fetch_dicts(db, sql.format(marks=",".join("?" * len(part))), part * repeat)
    return out
