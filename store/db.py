"""Opening the database: one connection, WAL, a busy timeout, and every migration set applied."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.errors import FatalError

# Each store module registers its own migration set here, in import order. Sets are appended to, never edited.
MIGRATION_SETS: list[Migrations] = []


def register(migrations: Migrations) -> Migrations:
    if migrations not in MIGRATION_SETS:
        MIGRATION_SETS.append(migrations)
    return migrations


SQLiteError = sqlite3.Error  # the driver's error class: callers outside store/ catch it without importing sqlite3


class StoreError(FatalError):
    """The database cannot be opened, created or migrated; the message names the path and the likely cause."""


def _check_path(path: Path, create: bool) -> None:
    where = "check --db / PAPERWIRE_DB"
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a database file ({where})")
    if path.exists():
        return
    if not create:
        raise StoreError(f"no database at {path} ({where}; `paperwire run` or `paperwire ingest FILE` creates one)")
    parent = path.parent
    for folder in (parent, *parent.parents):
        if folder.exists():
            if not folder.is_dir():
                raise StoreError(f"cannot create the database {path}: {folder} is a file, not a folder ({where})")
            break
    if not parent.exists():
        raise StoreError(f"cannot create the database {path}: the folder {parent} does not exist ({where})")


def _explain(path: Path, e: sqlite3.Error) -> StoreError:
    text = str(e)
    if isinstance(e, sqlite3.OperationalError) and "unable to open" in text:
        return StoreError(f"cannot open the database {path}: {text} (is {path.parent} writable?)")
    if "readonly" in text:
        return StoreError(f"cannot write the database {path}: {text} (check the file's and folder's permissions)")
    if isinstance(e, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
        return StoreError(f"{path} is not a usable SQLite database ({text}); restore it from a backup or move it away")
    return StoreError(f"cannot open the database {path}: {text}")


def open_database(path: str | Path = ":memory:", create: bool = True) -> Database:
    """Open and migrate (creating the file only if `create`). `check_same_thread=False`: callers serialize on one
    event loop. Problems with the path or the file raise StoreError (one line naming the path), never sqlite3's."""
    memory = str(path) == ":memory:"
    if not memory:
        path = Path(path).expanduser().absolute()
        _check_path(path, create)
    # import for side effects: each module registers its migrations
    from store import chats, links, papers, search_index, seen, sources  # noqa: F401
    from store import deliveries  # noqa: F401  (claims, parts, the ingest sequence: after papers)
    from store import learning  # noqa: F401  (votes, saves: after chats)

    try:
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10.0)
        db = Database(conn)
        if not memory:
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA busy_timeout=10000")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        for migrations in MIGRATION_SETS:
            migrations.apply(db)
    except sqlite3.Error as e:
        raise _explain(Path(str(path)), e) from e
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
