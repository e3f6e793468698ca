"""What a chat taught the bot: votes (per user, latest wins), saved papers, the bot's single-paper messages (so a
reaction on one can be turned into a vote), and a per-chat version that changes whenever any of it changes.

Everything is keyed by the chat's `pk`, so a migrated chat keeps its taste, and a deleted chat takes it along.
Model artefacts are NOT stored: bot/learn.py recomputes them from these rows (see its docstring for why).
"""
from __future__ import annotations

from typing import Iterable, Optional, Sequence

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from store.db import fetch_dicts, fetch_dicts_in, register

migrations = register(Migrations("learning"))


@migrations()
def m001_feedback(db: Database) -> None:
    db.execute(
        """CREATE TABLE votes (
            chat_pk INTEGER NOT NULL REFERENCES chats(pk) ON DELETE CASCADE,
            user_id TEXT NOT NULL,
            paper_id TEXT NOT NULL,
            value INTEGER NOT NULL,          -- +1 like, -1 dislike (a withdrawn vote is deleted)
            source TEXT NOT NULL,            -- button | reaction | import | cli
            updated_at TEXT NOT NULL,
            PRIMARY KEY (chat_pk, user_id, paper_id)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE saves (
            chat_pk INTEGER NOT NULL REFERENCES chats(pk) ON DELETE CASCADE,
            paper_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            saved_at TEXT NOT NULL,
            in_taste INTEGER NOT NULL DEFAULT 1,  -- 0 after /taste reset: still saved, no longer a positive
            UNIQUE (chat_pk, paper_id)
        )"""
    )
    db.execute(
        """CREATE TABLE card_messages (
            chat_pk INTEGER NOT NULL REFERENCES chats(pk) ON DELETE CASCADE,
            message_ref TEXT NOT NULL,        -- Telegram message_id / Slack ts
            paper_id TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            PRIMARY KEY (chat_pk, message_ref)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE taste_versions (
            chat_pk INTEGER PRIMARY KEY REFERENCES chats(pk) ON DELETE CASCADE,
            version INTEGER NOT NULL
        )"""
    )


TEXT_COLUMNS = "pk, id, title, abstract, published, hf_date, upvotes"


class LearningRepo:
    """All SQL about feedback, saves and the texts the feature space is built from."""

    def __init__(self, db: Database):
        self.db = db

    def _pk(self, platform: str, chat_id: str) -> Optional[int]:
        row = self.db.execute("SELECT pk FROM chats WHERE platform=? AND chat_id=?", [platform, chat_id]).fetchone()
        return row[0] if row else None

    def _bump(self, pk: int) -> None:
        self.db.execute("INSERT INTO taste_versions (chat_pk, version) VALUES (?, 1) "
                        "ON CONFLICT(chat_pk) DO UPDATE SET version = version + 1", [pk])

    def version(self, platform: str, chat_id: str) -> int:
        row = self.db.execute("SELECT v.version FROM taste_versions v JOIN chats c ON c.pk=v.chat_pk "
                              "WHERE c.platform=? AND c.chat_id=?", [platform, chat_id]).fetchone()
        return row[0] if row else 0

    def chats_with_feedback(self, chat_pks: Sequence[int]) -> set[int]:
        """The chats among these that ever voted, saved or imported (a taste version): one query per slice."""
        rows = fetch_dicts_in(self.db, "SELECT chat_pk FROM taste_versions WHERE chat_pk IN ({marks})", chat_pks)
        return {r["chat_pk"] for r in rows}

    # -- votes -------------------------------------------------------------------------------------------------
    def toggle_vote(self, platform: str, chat_id: str, user_id: str, paper_id: str, value: int, *, source: str,
                    now: str) -> int:
        """The user's vote becomes `value`, or is withdrawn when it already was `value`. Returns the vote now (0: none)."""
        pk = self._pk(platform, chat_id)
        if pk is None:
            return 0
        with self.db.conn:
            row = self.db.execute("SELECT value FROM votes WHERE chat_pk=? AND user_id=? AND paper_id=?",
                                  [pk, user_id, paper_id]).fetchone()
            if row and row[0] == value:
                self.db.execute("DELETE FROM votes WHERE chat_pk=? AND user_id=? AND paper_id=?", [pk, user_id, paper_id])
                result = 0
            else:
                self._upsert_votes(pk, user_id, [(paper_id, value)], source, now)
                result = value
            self._bump(pk)
        return result

    def set_votes(self, platform: str, chat_id: str, user_id: str, votes: Sequence[tuple[str, int]], *, source: str,
                  now: str) -> int:
        """Record many votes at once (CLI, library import): the latest vote counts, no toggling."""
        pk = self._pk(platform, chat_id)
        if pk is None or not votes:
            return 0
        with self.db.conn:
            self._upsert_votes(pk, user_id, votes, source, now)
            self._bump(pk)
        return len(votes)

    def _upsert_votes(self, pk: int, user_id: str, votes: Iterable[tuple[str, int]], source: str, now: str) -> None:
        self.db.conn.executemany(
            """INSERT INTO votes (chat_pk, user_id, paper_id, value, source, updated_at) VALUES (?,?,?,?,?,?)
               ON CONFLICT(chat_pk, user_id, paper_id) DO UPDATE SET value=excluded.value, source=excluded.source,
               updated_at=excluded.updated_at""",
            [(pk, user_id, pid, 1 if v > 0 else -1, source, now) for pid, v in votes])

    def withdraw(self, platform: str, chat_id: str, user_id: str, paper_id: str) -> bool:
        pk = self._pk(platform, chat_id)
        if pk is None:
            return False
        with self.db.conn:
            n = self.db.execute("DELETE FROM votes WHERE chat_pk=? AND user_id=? AND paper_id=?",
                                [pk, user_id, paper_id]).rowcount
            if n:
                self._bump(pk)
        return bool(n)

    def user_vote(self, platform: str, chat_id: str, user_id: str, paper_id: str) -> int:
        row = self.db.execute("SELECT v.value FROM votes v JOIN chats c ON c.pk=v.chat_pk WHERE c.platform=? "
                              "AND c.chat_id=? AND v.user_id=? AND v.paper_id=?",
                              [platform, chat_id, user_id, paper_id]).fetchone()
        return row[0] if row else 0

    def labels(self, platform: str, chat_id: str) -> dict[str, int]:
        """paper id -> +1 / -1 for the chat as a whole: the sum of its members' votes, a save counts +1."""
        pk = self._pk(platform, chat_id)
        if pk is None:
            return {}
        rows = self.db.execute(
            """SELECT paper_id, sum(v) FROM (
                   SELECT paper_id, value AS v FROM votes WHERE chat_pk=?
                   UNION ALL SELECT paper_id, 1 AS v FROM saves WHERE chat_pk=? AND in_taste=1)
               GROUP BY paper_id""", [pk, pk]).fetchall()
        return {pid: (1 if s > 0 else -1) for pid, s in rows if s}

    def counts(self, platform: str, chat_id: str) -> dict[str, int]:
        pk = self._pk(platform, chat_id)
        out = {"likes": 0, "dislikes": 0, "imported": 0, "saved": 0, "voters": 0}
        if pk is None:
            return out
        row = self.db.execute(
            """SELECT coalesce(sum(value > 0 AND source <> 'import'), 0), coalesce(sum(value < 0), 0),
                      coalesce(sum(source = 'import'), 0), count(DISTINCT CASE WHEN source <> 'import' THEN user_id END)
               FROM votes WHERE chat_pk=?""", [pk]).fetchone()
        out.update(likes=row[0], dislikes=row[1], imported=row[2], voters=row[3])
        out["saved"] = self.db.execute("SELECT count(*) FROM saves WHERE chat_pk=?", [pk]).fetchone()[0]
        return out

    def reset(self, platform: str, chat_id: str) -> int:
        """/taste reset: forget every vote and import; saved papers stay saved but stop teaching the model."""
        pk = self._pk(platform, chat_id)
        if pk is None:
            return 0
        with self.db.conn:
            n = self.db.execute("DELETE FROM votes WHERE chat_pk=?", [pk]).rowcount
            self.db.execute("UPDATE saves SET in_taste=0 WHERE chat_pk=?", [pk])
            self._bump(pk)
        return n

    def taught_chats(self) -> list[tuple[str, str]]:
        """Chats with any feedback, for warming their models at start-up."""
        return [tuple(r) for r in self.db.execute(
            "SELECT platform, chat_id FROM chats WHERE pk IN (SELECT chat_pk FROM votes UNION SELECT chat_pk FROM saves)")]

    # -- saves -------------------------------------------------------------------------------------------------
    def save(self, platform: str, chat_id: str, paper_id: str, user_id: str, *, now: str) -> bool:
        """True when newly saved (a second Save keeps the first)."""
        pk = self._pk(platform, chat_id)
        if pk is None:
            return False
        with self.db.conn:
            cur = self.db.execute("INSERT OR IGNORE INTO saves (chat_pk, paper_id, user_id, saved_at) VALUES (?,?,?,?)",
                                  [pk, paper_id, user_id, now])
            if cur.rowcount:
                self._bump(pk)
        return bool(cur.rowcount)

    def unsave(self, platform: str, chat_id: str, paper_id: str) -> bool:
        pk = self._pk(platform, chat_id)
        if pk is None:
            return False
        with self.db.conn:
            cur = self.db.execute("DELETE FROM saves WHERE chat_pk=? AND paper_id=?", [pk, paper_id])
            if cur.rowcount:
                self._bump(pk)
        return bool(cur.rowcount)

    def saved(self, platform: str, chat_id: str) -> list[str]:
        """Saved paper ids, oldest save first (the numbering of /saved)."""
        pk = self._pk(platform, chat_id)
        if pk is None:
            return []
        return [r[0] for r in self.db.execute("SELECT paper_id FROM saves WHERE chat_pk=? ORDER BY saved_at, rowid",
                                              [pk])]

    # -- the bot's single-paper messages -------------------------------------------------------------------------
    def remember_message(self, platform: str, chat_id: str, message_ref: str, paper_id: str, *, now: str) -> None:
        pk = self._pk(platform, chat_id)
        if pk is None or not message_ref:
            return
        with self.db.conn:
            self.db.execute("INSERT OR REPLACE INTO card_messages (chat_pk, message_ref, paper_id, sent_at) "
                            "VALUES (?,?,?,?)", [pk, str(message_ref), paper_id, now])

    def message_paper(self, platform: str, chat_id: str, message_ref: str) -> Optional[str]:
        row = self.db.execute("SELECT m.paper_id FROM card_messages m JOIN chats c ON c.pk=m.chat_pk "
                              "WHERE c.platform=? AND c.chat_id=? AND m.message_ref=?",
                              [platform, chat_id, str(message_ref)]).fetchone()
        return row[0] if row else None

    # -- texts for the feature space -----------------------------------------------------------------------------
    def texts_after(self, after_pk: int, limit: int = 5000) -> list[tuple]:
        """(pk, id, title, abstract, published, hf_date, upvotes) rows with pk > after_pk, in pk order (chunked reads,
        so a worker thread holds the connection only briefly)."""
        return self.db.execute(f"SELECT {TEXT_COLUMNS} FROM papers WHERE pk > ? ORDER BY pk LIMIT ?",
                               [after_pk, limit]).fetchall()

    def max_pk(self) -> int:
        return self.db.execute("SELECT coalesce(max(pk), 0) FROM papers").fetchone()[0]

    def changed_since(self, updated_after: str, max_pk: int) -> list[tuple]:
        """Rows among the first `max_pk` whose text may have changed after `updated_after` (a merged source)."""
        return self.db.execute(f"SELECT {TEXT_COLUMNS} FROM papers WHERE updated_at > ? AND pk <= ? ORDER BY pk",
                               [updated_after, max_pk]).fetchall()

    def ids_by_titles(self, norm_titles: Sequence[str]) -> dict[str, str]:
        """normalized title -> paper id (for library import: match by title when there is no arXiv id)."""
        rows = fetch_dicts_in(self.db, "SELECT norm_title, id FROM papers WHERE norm_title IN ({marks})",
                              list(dict.fromkeys(norm_titles)))
        return {r["norm_title"]: r["id"] for r in rows}

    def ids_by_arxiv(self, arxiv_ids: Sequence[str]) -> dict[str, str]:
        rows = fetch_dicts_in(self.db, "SELECT arxiv_id, id FROM papers WHERE arxiv_id IN ({marks})",
                              list(dict.fromkeys(arxiv_ids)))
        return {r["arxiv_id"]: r["id"] for r in rows}

    def dated_between(self, first_day: str, last_day: str) -> list[str]:
        """Ids of papers whose day (HF day, else published) is in [first_day, last_day]."""
        return [r["id"] for r in fetch_dicts(
            self.db, "SELECT id FROM papers WHERE coalesce(hf_date, published) BETWEEN ? AND ? ORDER BY pk",
            [first_day, last_day])]
