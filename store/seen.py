"""Request ids already handled (Slack signatures and event ids): a replay or a retry is answered once, across
processes and restarts. Each key is kept for a while, then pruned; the first INSERT wins."""
from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from store.db import register

migrations = register(Migrations("seen"))


@migrations()
def m001_seen_requests(db: Database) -> None:
    db.execute(
        """CREATE TABLE seen_requests (
            key TEXT PRIMARY KEY,
            expires_at TEXT NOT NULL  -- ISO instant (UTC): after this the key is forgotten
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX seen_requests_expiry ON seen_requests(expires_at)")


class SeenRepo:
    def __init__(self, db: Database):
        self.db = db

    def first_time(self, key: str, *, now: str, expires_at: str) -> bool:
        """Remember `key` until `expires_at`; True only for the first caller (in any process) while it is kept.
        Expired keys are pruned in the same transaction (an indexed range delete)."""
        with self.db.conn:
            self.db.execute("DELETE FROM seen_requests WHERE expires_at < ?", [now])
            cur = self.db.execute("INSERT OR IGNORE INTO seen_requests (key, expires_at) VALUES (?, ?)",
                                  [key[:300], expires_at])
        return cur.rowcount == 1

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM seen_requests").fetchone()[0]
