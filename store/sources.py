"""What each upstream source did, per day and overall: the facts behind `/status` and the digest's source notes.

Written the moment a fetch ends: a success records the day ("ok" with counts, or "empty": no announcement) and
clears the failure; a failure records since when the source fails and why, and marks the day "failed" only if
nothing better is known about it (a failing refresh never hides a day that was read).
"""
from __future__ import annotations

from typing import Optional

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.models import SourceDay, SourceState
from store.db import fetch_dicts, register

migrations = register(Migrations("sources"))


@migrations()
def m001_sources(db: Database) -> None:
    db.execute(
        """CREATE TABLE source_days (
            source TEXT NOT NULL,
            day TEXT NOT NULL,
            status TEXT NOT NULL,
            items INTEGER NOT NULL DEFAULT 0,
            added INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            checked_at TEXT NOT NULL,
            error TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (source, day)
        )"""
    )
    db.execute(
        """CREATE TABLE source_state (
            source TEXT PRIMARY KEY,
            last_success TEXT,
            last_attempt TEXT,
            failing_since TEXT,
            last_error TEXT NOT NULL DEFAULT ''
        )"""
    )


def _day(r: dict) -> SourceDay:
    return SourceDay(r["source"], r["day"], r["status"], r["items"], r["added"], r["updated"], r["checked_at"],
                     r["error"])


def _state(r: dict) -> SourceState:
    return SourceState(r["source"], r["last_success"], r["last_attempt"], r["failing_since"], r["last_error"])


class SourceRepo:
    def __init__(self, db: Database):
        self.db = db

    def record_success(self, source: str, day: str, now: str, items: int, added: int = 0, updated: int = 0) -> None:
        """A fetch of `day` worked: items > 0 -> "ok", none -> "empty" (no announcement that day)."""
        status = "ok" if items else "empty"
        with self.db.conn:
            self.db.execute(
                """INSERT INTO source_days (source, day, status, items, added, updated, checked_at, error)
                   VALUES (?, ?, ?, ?, ?, ?, ?, '')
                   ON CONFLICT(source, day) DO UPDATE SET status=excluded.status, items=excluded.items,
                     added=source_days.added + excluded.added, updated=source_days.updated + excluded.updated,
                     checked_at=excluded.checked_at, error=''""",
                [source, day, status, items, added, updated, now],
            )
            self.db.execute(
                """INSERT INTO source_state (source, last_success, last_attempt, failing_since, last_error)
                   VALUES (?, ?, ?, NULL, '')
                   ON CONFLICT(source) DO UPDATE SET last_success=excluded.last_success,
                     last_attempt=excluded.last_attempt, failing_since=NULL, last_error=''""",
                [source, now, now],
            )

    def record_failure(self, source: str, day: Optional[str], now: str, error: str) -> None:
        with self.db.conn:
            if day:
                self.db.execute(
                    """INSERT INTO source_days (source, day, status, checked_at, error) VALUES (?, ?, 'failed', ?, ?)
                       ON CONFLICT(source, day) DO UPDATE SET error=excluded.error
                       WHERE source_days.status = 'failed'""",
                    [source, day, now, error[:300]],
                )
            self.db.execute(
                """INSERT INTO source_state (source, last_success, last_attempt, failing_since, last_error)
                   VALUES (?, NULL, ?, ?, ?)
                   ON CONFLICT(source) DO UPDATE SET last_attempt=excluded.last_attempt,
                     failing_since=coalesce(source_state.failing_since, excluded.failing_since),
                     last_error=excluded.last_error""",
                [source, now, now, error[:300]],
            )

    def states(self) -> list[SourceState]:
        return [_state(r) for r in fetch_dicts(self.db, "SELECT * FROM source_state ORDER BY source")]

    def days(self, day: str) -> dict[str, SourceDay]:
        """Every source's record for one day."""
        return {r["source"]: _day(r) for r in fetch_dicts(self.db, "SELECT * FROM source_days WHERE day=?", [day])}

    def last_day(self, source: str) -> Optional[SourceDay]:
        rows = fetch_dicts(self.db, "SELECT * FROM source_days WHERE source=? AND status != 'failed' "
                                    "ORDER BY day DESC LIMIT 1", [source])
        return _day(rows[0]) if rows else None
