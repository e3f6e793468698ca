"""Chats, followed topics and saved queries (button ids): all their SQL. Claims, parts and deliveries (their tables
are created here, in m001) are store/deliveries.py's.

Chats are keyed internally by an integer `pk` with (platform, chat_id) UNIQUE, so a migrated chat id is one UPDATE
and its follows, claims and deliveries follow it.
"""
from __future__ import annotations

from typing import Optional, Sequence

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.models import Chat
from store.db import fetch_dicts, register

migrations = register(Migrations("chats"))

# settings a caller may change through `update`
SETTABLE = {
    "kind", "title", "tz", "digest_time", "paused", "active", "notify_empty", "subscribed_at", "digest_since",
    "trending_n", "trending_time", "trending_topics", "trending_since", "trending_day", "deactivated_reason",
    "digest_seq", "frequency",
}


@migrations()
def m001_chats(db: Database) -> None:
    db.execute(
        """CREATE TABLE chats (
            pk INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'private',
            title TEXT NOT NULL DEFAULT '',
            tz TEXT NOT NULL DEFAULT 'UTC',
            digest_time TEXT NOT NULL DEFAULT '08:00',
            paused INTEGER NOT NULL DEFAULT 0,
            active INTEGER NOT NULL DEFAULT 1,
            notify_empty INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            subscribed_at TEXT,      -- first follow (NULL while no topics): no digest for a day before it
            digest_since TEXT,       -- the next digest covers papers first seen at or after this instant
            trending_n INTEGER,      -- NULL: no daily trending post
            trending_time TEXT,
            trending_topics INTEGER NOT NULL DEFAULT 0,
            trending_since TEXT,
            trending_day TEXT,       -- the HF day of the last trending post sent
            deactivated_reason TEXT,
            UNIQUE(platform, chat_id)
        )"""
    )
    db.execute("CREATE INDEX chats_schedulable ON chats(active, paused)")
    db.execute(
        """CREATE TABLE topics (
            id INTEGER PRIMARY KEY,
            chat_pk INTEGER NOT NULL REFERENCES chats(pk) ON DELETE CASCADE,
            query TEXT NOT NULL,
            canonical TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE(chat_pk, canonical)
        )"""
    )
    db.execute(
        """CREATE TABLE saved_queries (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE digest_claims (
            id INTEGER PRIMARY KEY,
            chat_pk INTEGER NOT NULL REFERENCES chats(pk) ON DELETE CASCADE,
            local_date TEXT NOT NULL,
            kind TEXT NOT NULL,
            token TEXT,
            status TEXT NOT NULL DEFAULT 'claimed',  -- claimed | retry | sent | empty | failed
            claimed_at TEXT NOT NULL,
            retry_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 1,
            window_start TEXT,
            window_end TEXT,
            source_day TEXT,
            paper_ids TEXT NOT NULL DEFAULT '[]',
            sent_at TEXT,
            message_ref TEXT,
            UNIQUE(chat_pk, local_date, kind)
        )"""
    )
    db.execute("CREATE INDEX digest_claims_date ON digest_claims(local_date)")
    db.execute("CREATE INDEX digest_claims_token ON digest_claims(token)")
    db.execute(
        """CREATE TABLE deliveries (
            chat_pk INTEGER NOT NULL REFERENCES chats(pk) ON DELETE CASCADE,
            paper_id TEXT NOT NULL,
            claim_id INTEGER,
            delivered_at TEXT NOT NULL,
            PRIMARY KEY (chat_pk, paper_id)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX deliveries_paper ON deliveries(paper_id)")


@migrations()
def m002_saved_query_owner(db: Database) -> None:
    """A saved query (the id behind "More results" / "Follow this search") belongs to the chat it was made in.
    Queries saved before this have no owner: their old buttons expire (and their ids are not reused)."""
    db.execute(
        """CREATE TABLE saved_queries_owned (
            id INTEGER PRIMARY KEY,
            chat_pk INTEGER REFERENCES chats(pk) ON DELETE CASCADE,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE(chat_pk, text)
        )"""
    )
    db.execute("INSERT INTO saved_queries_owned (id, chat_pk, text, created_at) "
               "SELECT id, NULL, text, created_at FROM saved_queries")
    db.execute("DROP TABLE saved_queries")
    db.execute("ALTER TABLE saved_queries_owned RENAME TO saved_queries")


def chat_from_row(row: dict) -> Chat:
    """The one chats-row -> Chat mapper (settings and schedule bookkeeping)."""
    return Chat(
        platform=row["platform"], chat_id=row["chat_id"], kind=row["kind"], tz=row["tz"],
        digest_time=row["digest_time"], paused=bool(row["paused"]), active=bool(row["active"]),
        notify_empty=bool(row["notify_empty"]), created_at=row["created_at"], title=row["title"] or "",
        pk=row["pk"], subscribed_at=row["subscribed_at"], digest_seq=row.get("digest_seq"),
        digest_since=row["digest_since"],
        frequency=row.get("frequency") or "daily", trending_n=row["trending_n"], trending_time=row["trending_time"],
        trending_topics=bool(row["trending_topics"]), trending_since=row["trending_since"],
        trending_day=row["trending_day"],
    )


class ChatRepo:
    """All SQL about chats and what they receive."""

    def __init__(self, db: Database):
        self.db = db

    # -- helpers -------------------------------------------------------------------------------------------------
    def _rows(self, sql: str, params: Sequence = ()) -> list[dict]:
        return fetch_dicts(self.db, sql, params)

    def _pk(self, platform: str, chat_id: str) -> Optional[int]:
        row = self.db.execute("SELECT pk FROM chats WHERE platform=? AND chat_id=?", [platform, chat_id]).fetchone()
        return row[0] if row else None

    # -- chats ---------------------------------------------------------------------------------------------------
    def ensure(self, platform: str, chat_id: str, *, now: str, kind: str = "private", title: str = "",
               tz: Optional[str] = None) -> Chat:
        """The chat, created on first contact; a message from a deactivated chat means the bot is back in it.
        Read first: a write waits for any other process's write lock (a long import), and most messages change
        nothing."""
        known = self.get(platform, chat_id)
        if known is not None and known.active and (not title or title == known.title):
            return known
        with self.db.conn:
            self.db.execute(
                "INSERT OR IGNORE INTO chats (platform, chat_id, kind, title, tz, created_at) VALUES (?,?,?,?,?,?)",
                [platform, chat_id, kind or "private", title or "", tz or "UTC", now],
            )
            self.db.execute(
                """UPDATE chats SET active=1, deactivated_reason=NULL,
                       title=CASE WHEN ?<>'' THEN ? ELSE title END
                   WHERE platform=? AND chat_id=? AND (active=0 OR (?<>'' AND title<>?))""",
                [title or "", title or "", platform, chat_id, title or "", title or ""],
            )
        return self.get(platform, chat_id)  # type: ignore[return-value]

    def get(self, platform: str, chat_id: str) -> Optional[Chat]:
        rows = self._rows("SELECT * FROM chats WHERE platform=? AND chat_id=?", [platform, chat_id])
        return chat_from_row(rows[0]) if rows else None

    def settings(self, platform: str, chat_id: str) -> Optional[dict]:
        """The whole chat row (schedule bookkeeping included), for settings screens and previews."""
        rows = self._rows("SELECT * FROM chats WHERE platform=? AND chat_id=?", [platform, chat_id])
        return rows[0] if rows else None

    def update(self, platform: str, chat_id: str, **fields) -> None:
        bad = set(fields) - SETTABLE
        if bad:
            raise ValueError(f"not a chat setting: {sorted(bad)}")
        if not fields:
            return
        sets = ",".join(f"{k}=?" for k in fields)
        with self.db.conn:
            self.db.execute(f"UPDATE chats SET {sets} WHERE platform=? AND chat_id=?",
                            [*fields.values(), platform, chat_id])

    def deactivate(self, platform: str, chat_id: str, reason: str = "") -> None:
        with self.db.conn:
            self.db.execute("UPDATE chats SET active=0, deactivated_reason=? WHERE platform=? AND chat_id=?",
                            [reason[:200], platform, chat_id])

    def deactivate_prefix(self, platform: str, prefix: str, reason: str = "") -> int:
        """Deactivate every active chat whose id starts with `prefix` (a Slack workspace uninstalled the app)."""
        with self.db.conn:
            cur = self.db.execute(
                """UPDATE chats SET active=0, deactivated_reason=?
                   WHERE platform=? AND substr(chat_id, 1, ?)=? AND active=1""",
                [reason[:200], platform, len(prefix), prefix],
            )
        return cur.rowcount

    def migrate(self, platform: str, old_id: str, new_id: str) -> None:
        """Move a chat to its new id (a Telegram group became a supergroup). Merges into the new row if it exists."""
        if old_id == new_id:
            return
        with self.db.conn:
            old = self._pk(platform, old_id)
            new = self._pk(platform, new_id)
            if old is None:
                return
            if new is None:
                self.db.execute("UPDATE chats SET chat_id=? WHERE pk=?", [new_id, old])
                return
            # both exist: the old row's history wins (it holds the follows and deliveries), the new one is dropped
            for table, cols in (("topics", "query, canonical, created_at"),
                                ("deliveries", "paper_id, claim_id, delivered_at")):
                self.db.execute(
                    f"INSERT OR IGNORE INTO {table} (chat_pk, {cols}) SELECT ?, {cols} FROM {table} WHERE chat_pk=?",
                    [old, new],
                )
            self.db.execute("DELETE FROM chats WHERE pk=?", [new])
            self.db.execute("UPDATE chats SET chat_id=? WHERE pk=?", [new_id, old])

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM chats").fetchone()[0]

    def import_chats(self, chats: Sequence[tuple[str, str, str, str, Sequence[tuple[str, str]]]], *, now: str,
                     seq: int = 0) -> None:
        """Bulk-create subscribed chats: (platform, chat_id, tz, digest_time, [(query, canonical), ...]).

        For benchmarks and migrations from another bot; one transaction, no per-chat round trips. Their digests
        start after paper pk `seq`."""
        with self.db.conn:
            self.db.conn.executemany(
                """INSERT OR IGNORE INTO chats (platform, chat_id, tz, digest_time, created_at, subscribed_at,
                       digest_since, digest_seq) VALUES (?,?,?,?,?,?,?,?)""",
                [(p, c, tz, t, now, now if topics else None, now, seq) for p, c, tz, t, topics in chats],
            )
            pks = dict(((p, c), pk) for pk, p, c in self.db.execute("SELECT pk, platform, chat_id FROM chats"))
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO topics (chat_pk, query, canonical, created_at) VALUES (?,?,?,?)",
                [(pks[(p, c)], q, canon, now) for p, c, _, _, topics in chats for q, canon in topics],
            )

    # -- topics --------------------------------------------------------------------------------------------------
    def topics(self, platform: str, chat_id: str) -> list[dict]:
        """[{id, query, canonical}] in the order followed."""
        return self._rows(
            """SELECT t.id, t.query, t.canonical FROM topics t JOIN chats c ON c.pk=t.chat_pk
               WHERE c.platform=? AND c.chat_id=? ORDER BY t.id""",
            [platform, chat_id],
        )

    def add_topic(self, platform: str, chat_id: str, query: str, canonical: str, *, now: str,
                  max_topics: int = 50, since: Optional[str] = None) -> tuple[str, Optional[dict]]:
        """("added", topic) | ("duplicate", existing) | ("full", None). The first topic starts the digest window
        (at `since`, default `now`)."""
        with self.db.conn:
            pk = self._pk(platform, chat_id)
            if pk is None:
                raise LookupError(f"unknown chat {platform}:{chat_id}")
            dup = self._rows("SELECT id, query, canonical FROM topics WHERE chat_pk=? AND canonical=?", [pk, canonical])
            if dup:
                return "duplicate", dup[0]
            n = self.db.execute("SELECT count(*) FROM topics WHERE chat_pk=?", [pk]).fetchone()[0]
            if n >= max_topics:
                return "full", None
            cur = self.db.execute("INSERT INTO topics (chat_pk, query, canonical, created_at) VALUES (?,?,?,?)",
                                  [pk, query, canonical, now])
            if n == 0:
                self.db.execute(  # the window starts at the papers committed so far
                    """UPDATE chats SET subscribed_at=?, digest_since=?,
                           digest_seq=(SELECT coalesce(max(pk), 0) FROM papers) WHERE pk=? AND subscribed_at IS NULL""",
                    [now, since or now, pk],
                )
            return "added", {"id": cur.lastrowid, "query": query, "canonical": canonical}

    def remove_topic(self, platform: str, chat_id: str, topic_id: int) -> Optional[str]:
        """Unfollow by id within this chat; returns the query removed. The last one ends the subscription."""
        with self.db.conn:
            pk = self._pk(platform, chat_id)
            rows = self._rows("SELECT query FROM topics WHERE id=? AND chat_pk=?", [topic_id, pk])
            if not rows:
                return None
            self.db.execute("DELETE FROM topics WHERE id=?", [topic_id])
            if not self.db.execute("SELECT 1 FROM topics WHERE chat_pk=? LIMIT 1", [pk]).fetchone():
                self.db.execute("UPDATE chats SET subscribed_at=NULL WHERE pk=?", [pk])
            return rows[0]["query"]

    # -- saved queries (stable ids for paging / follow buttons) -------------------------------------------------
    def save_query(self, platform: str, chat_id: str, text: str, *, now: str) -> int:
        """The id of this chat's saved query `text` (the same id each time; another chat gets its own). Read
        first, as in `ensure`: a query searched before needs no write."""
        pk = self._pk(platform, chat_id)
        if pk is None:
            raise LookupError(f"unknown chat {platform}:{chat_id}")
        row = self.db.execute("SELECT id FROM saved_queries WHERE chat_pk=? AND text=?", [pk, text]).fetchone()
        if row:
            return row[0]
        with self.db.conn:
            self.db.execute("INSERT OR IGNORE INTO saved_queries (chat_pk, text, created_at) VALUES (?,?,?)",
                            [pk, text, now])
            return self.db.execute("SELECT id FROM saved_queries WHERE chat_pk=? AND text=?", [pk, text]).fetchone()[0]

    def get_query(self, platform: str, chat_id: str, qid: int) -> Optional[str]:
        """The text of saved query `qid` if this chat saved it; None for any other chat's id (or an unknown one)."""
        row = self.db.execute(
            """SELECT q.text FROM saved_queries q JOIN chats c ON c.pk=q.chat_pk
               WHERE q.id=? AND c.platform=? AND c.chat_id=?""", [qid, platform, chat_id]).fetchone()
        return row[0] if row else None

    # -- scheduling ----------------------------------------------------------------------------------------------
    def schedulable(self) -> list[Chat]:
        """Every chat that could be due: active, not paused, following something or taking a trending post."""
        return [chat_from_row(r) for r in self._rows(
            """SELECT * FROM chats WHERE active=1 AND paused=0
               AND (subscribed_at IS NOT NULL OR trending_n IS NOT NULL)""")]

    def restart_window(self, platform: str, chat_id: str) -> None:
        """The next digest holds only papers committed from now on (after a pause)."""
        with self.db.conn:
            self.db.execute("UPDATE chats SET digest_seq=(SELECT coalesce(max(pk), 0) FROM papers) "
                            "WHERE platform=? AND chat_id=?", [platform, chat_id])

    def topics_for(self, chat_pks: Sequence[int]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        pks = list(chat_pks)
        for i in range(0, len(pks), 900):
            part = pks[i : i + 900]
            marks = ",".join("?" * len(part))
            for pk, query in self.db.execute(
                f"SELECT chat_pk, query FROM topics WHERE chat_pk IN ({marks}) ORDER BY id", part
            ):
                out.setdefault(pk, []).append(query)
        return out
