"""Database checks for `paperwire doctor` and `/healthz`: integrity, schema version, a cheap liveness query.

Opened read-only by path (doctor must not create or migrate anything it inspects).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from store.db import MIGRATION_SETS


@dataclass
class SchemaStatus:
    applied: int = 0
    pending: list[str] = field(default_factory=list)  # known migrations not yet applied (they run at next start)
    unknown: list[str] = field(default_factory=list)  # applied migrations this version does not know (newer db)


def _known() -> dict[str, set[str]]:
    from store.db import open_database

    open_database(":memory:").conn.close()  # imports (registers) every migration set
    return {m.name: {x.name for x in m._migrations} for m in MIGRATION_SETS}


def open_readonly(path: str | Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{Path(path).absolute()}?mode=ro", uri=True, timeout=5.0)


def quick_check(conn: sqlite3.Connection) -> str:
    """'ok', or the first problem PRAGMA quick_check reports."""
    rows = conn.execute("PRAGMA quick_check").fetchall()
    return "ok" if rows and rows[0][0] == "ok" else "; ".join(str(r[0]) for r in rows[:3])


def schema_status(conn: sqlite3.Connection) -> SchemaStatus:
    known = _known()
    status = SchemaStatus()
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'").fetchone()
    applied: set[tuple[str, str]] = set()
    if has_table:
        applied = {(r[0], r[1]) for r in conn.execute("SELECT migration_set, name FROM _sqlite_migrations")}
    status.applied = len(applied)
    for set_name, names in known.items():
        status.pending += [f"{set_name}.{n}" for n in sorted(names) if (set_name, n) not in applied]
    status.unknown = sorted(f"{s}.{n}" for s, n in applied if n not in known.get(s, set()))
    return status


def ping(db) -> None:
    """Raises if the database cannot answer a trivial query (for /healthz)."""
    db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()
