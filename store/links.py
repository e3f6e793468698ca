"""Link cards and code alerts: per-chat on/off for link cards, what was shown, and which code releases were told.

- `link_prefs`: a chat's `/links on|off` (no row: on).
- `link_cards`: a paper's card shown in a chat on a day - at most once per (chat, paper, day).
- `code_alerts`: a paper's "code released" line told to a chat - once per (chat, paper), ever.
"""
from __future__ import annotations

from typing import Optional, Sequence

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from store.db import fetch_dicts, register

migrations = register(Migrations("links"))


@migrations()
def m001_links(db: Database) -> None:
    db.execute("""CREATE TABLE link_prefs (
                    platform TEXT NOT NULL, chat_id TEXT NOT NULL, enabled INTEGER NOT NULL,
                    PRIMARY KEY (platform, chat_id))""")
    db.execute("""CREATE TABLE link_cards (
                    platform TEXT NOT NULL, chat_id TEXT NOT NULL, paper_id TEXT NOT NULL, day TEXT NOT NULL,
                    shown_at TEXT NOT NULL, PRIMARY KEY (platform, chat_id, paper_id, day))""")
    db.execute("""CREATE TABLE code_alerts (
                    platform TEXT NOT NULL, chat_id TEXT NOT NULL, paper_id TEXT NOT NULL, repo TEXT NOT NULL,
                    told_at TEXT NOT NULL, PRIMARY KEY (platform, chat_id, paper_id))""")


class LinkRepo:
    def __init__(self, db: Database):
        self.db = db

    def enabled(self, platform: str, chat_id: str) -> bool:
        row = self.db.execute("SELECT enabled FROM link_prefs WHERE platform=? AND chat_id=?",
                              [platform, chat_id]).fetchone()
        return bool(row[0]) if row else True

    def set_enabled(self, platform: str, chat_id: str, on: bool) -> None:
        with self.db.conn:
            self.db.execute("INSERT INTO link_prefs (platform, chat_id, enabled) VALUES (?, ?, ?) "
                            "ON CONFLICT(platform, chat_id) DO UPDATE SET enabled=excluded.enabled",
                            [platform, chat_id, int(on)])

    def migrate(self, platform: str, old_id: str, new_id: str) -> None:
        """A chat moved to a new id (a Telegram group became a supergroup): its link setting, the cards it was shown
        and the code it was told about move with it (what the new id already has wins)."""
        with self.db.conn:
            for table in ("link_prefs", "link_cards", "code_alerts"):
                self.db.execute(f"UPDATE OR IGNORE {table} SET chat_id=? WHERE platform=? AND chat_id=?",
                                [new_id, platform, old_id])
                self.db.execute(f"DELETE FROM {table} WHERE platform=? AND chat_id=?", [platform, old_id])

    def claim_card(self, platform: str, chat_id: str, paper_id: str, day: str, now: str) -> bool:
        """True the first time this paper's card is shown in this chat on this day (recorded at once)."""
        with self.db.conn:
            cur = self.db.execute("INSERT OR IGNORE INTO link_cards (platform, chat_id, paper_id, day, shown_at) "
                                  "VALUES (?, ?, ?, ?, ?)", [platform, chat_id, paper_id, day, now])
        return cur.rowcount == 1

    def release_card(self, platform: str, chat_id: str, paper_id: str, day: str) -> None:
        """The card could not be sent after all: it may be shown again."""
        with self.db.conn:
            self.db.execute("DELETE FROM link_cards WHERE platform=? AND chat_id=? AND paper_id=? AND day=?",
                            [platform, chat_id, paper_id, day])

    def untold_code(self, platform: str, chat_id: str, paper_ids: Sequence[str]) -> set[str]:
        """Which of these papers' code releases this chat was not told yet."""
        ids = list(dict.fromkeys(paper_ids))
        told: set[str] = set()
        for i in range(0, len(ids), 400):
            part = ids[i:i + 400]
            told |= {r["paper_id"] for r in fetch_dicts(
                self.db, f"SELECT paper_id FROM code_alerts WHERE platform=? AND chat_id=? AND paper_id IN "
                         f"({','.join('?' * len(part))})", [platform, chat_id, *part])}
        return set(ids) - told

    def mark_code_told(self, platform: str, chat_id: str, items: Sequence[tuple[str, str]], now: str) -> None:
        with self.db.conn:
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO code_alerts (platform, chat_id, paper_id, repo, told_at) VALUES (?, ?, ?, ?, ?)",
                [(platform, chat_id, pid, repo, now) for pid, repo in items])

    def last_card_day(self, platform: str, chat_id: str, paper_id: str) -> Optional[str]:
        row = self.db.execute("SELECT max(day) FROM link_cards WHERE platform=? AND chat_id=? AND paper_id=?",
                              [platform, chat_id, paper_id]).fetchone()
        return row[0] if row else None
