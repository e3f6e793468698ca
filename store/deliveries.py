"""Digest claims as leases, their fixed parts, and what each chat was sent: all their SQL.

Exactly-once lives here, in unique keys and conditional updates:
- a claim per (chat, local_date, kind), inserted with INSERT OR IGNORE: two processes never both create one;
- a claim is held by one `holder` until `lease_until`; re-claiming (retry, takeover of a released or expired lease)
  is one conditional UPDATE, so two processes never both win;
- a claim's parts are fixed once (INSERT OR IGNORE per (claim, index)) and each part is recorded sent with the
  platform's message id: a retry, restart or takeover resumes at the first unsent part;
- a delivery per (chat, paper): a paper goes to a chat once.
A chat's window of new papers is a range of `papers.pk` (the ingest sequence: a row's pk is assigned inside its
writing transaction and SQLite serializes writers, so every committed pk is below every pk committed later).
"""
from __future__ import annotations

import json
from typing import Optional, Sequence

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

import store.papers  # noqa: F401  (registers its migrations before ours: this set alters its tables' neighbours)
from bot.models import Claim, ClaimState, Part, Slot
from store.chats import chat_from_row
from store.db import fetch_dicts, fetch_dicts_in, register

migrations = register(Migrations("deliveries"))


@migrations()
def m001_leases_parts_sequence(db: Database) -> None:
    db.execute("ALTER TABLE chats ADD COLUMN digest_seq INTEGER")  # the next digest holds papers with pk > this
    db.execute("ALTER TABLE chats ADD COLUMN frequency TEXT NOT NULL DEFAULT 'daily'")
    # chats windowed by first_seen so far: their high-water mark is the last paper first seen before it
    db.execute(
        """UPDATE chats SET digest_seq = (SELECT coalesce(max(pk), 0) FROM papers WHERE first_seen < chats.digest_since)
           WHERE digest_since IS NOT NULL"""
    )
    for column in ("holder TEXT", "lease_until TEXT", "window_lo INTEGER", "window_hi INTEGER",
                   "sections TEXT NOT NULL DEFAULT '[]'"):
        db.execute(f"ALTER TABLE digest_claims ADD COLUMN {column}")
    db.execute("CREATE INDEX digest_claims_holder ON digest_claims(holder, status)")
    db.execute(
        """CREATE TABLE delivery_parts (
            claim_id INTEGER NOT NULL REFERENCES digest_claims(id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            payload TEXT NOT NULL,
            started_at TEXT,     -- a send began (a crash before sent_at: the only possible duplicate)
            sent_at TEXT,
            message_id TEXT,
            PRIMARY KEY (claim_id, idx)
        ) WITHOUT ROWID"""
    )


def _id_list(ids: Sequence[str]) -> str:
    """JSON for a list of paper ids; plain ids (all real ones) skip json.dumps, 10,000 claims at a time."""
    joined = '","'.join(ids)
    if joined.count('"') == 2 * (len(ids) - 1) and "\\" not in joined and joined.isprintable():
        return '["' + joined + '"]' if ids else "[]"
    return json.dumps(list(ids))


def _claim(row: dict) -> Claim:
    return Claim(id=row["claim_id"], chat=chat_from_row(row), kind=row["claim_kind"], local_date=row["local_date"],
                 attempts=row["attempts"], window_lo=row["window_lo"], window_hi=row["window_hi"],
                 built=row["window_end"] is not None or row["n_parts"] > 0)


_CLAIM_SELECT = """SELECT c.*, d.id AS claim_id, d.local_date, d.kind AS claim_kind, d.attempts, d.window_lo,
       d.window_hi, d.window_end, (SELECT count(*) FROM delivery_parts x WHERE x.claim_id=d.id) AS n_parts
       FROM digest_claims d JOIN chats c ON c.pk=d.chat_pk"""


class DeliveryRepo:
    """All SQL about claims, parts and deliveries."""

    def __init__(self, db: Database):
        self.db = db

    def _rows(self, sql: str, params: Sequence = ()) -> list[dict]:
        return fetch_dicts(self.db, sql, params)

    # -- claims ----------------------------------------------------------------------------------------------------
    def claims_between(self, first_date: str, last_date: str) -> list[ClaimState]:
        return [ClaimState(**r) for r in self._rows(
            """SELECT id, chat_pk, local_date, kind, status, claimed_at, lease_until, retry_at, attempts
               FROM digest_claims WHERE local_date BETWEEN ? AND ?""", [first_date, last_date])]

    def claim(self, new: Sequence[Slot], retry_ids: Sequence[int], *, holder: str, token: str, now: str,
              lease_until: str) -> list[Claim]:
        """Claim new slots (INSERT OR IGNORE) and take over retryable claims (a conditional UPDATE: a released or
        due-for-retry claim, or one whose lease expired). Returns the claims `token` won, each with its chat."""
        with self.db.conn:
            self.db.conn.executemany(
                """INSERT OR IGNORE INTO digest_claims (chat_pk, local_date, kind, token, holder, claimed_at,
                       lease_until) VALUES (?,?,?,?,?,?,?)""",
                [(s.chat_pk, s.local_date, s.kind, token, holder, now, lease_until) for s in new],
            )
            self.db.conn.executemany(
                """UPDATE digest_claims SET token=?, holder=?, status='claimed', claimed_at=?, lease_until=?,
                       attempts=attempts+1, retry_at=NULL
                   WHERE id=? AND ((status='claimed' AND coalesce(lease_until, claimed_at) < ?)
                                   OR (status='retry' AND retry_at <= ?))""",
                [(token, holder, now, lease_until, cid, now, now) for cid in retry_ids],
            )
        return [_claim(r) for r in self._rows(
            _CLAIM_SELECT + " WHERE d.token=? AND d.status='claimed' ORDER BY d.id", [token])]

    def renew(self, holder: str, lease_until: str) -> int:
        """Extend every lease this holder still holds; returns how many."""
        with self.db.conn:
            return self.db.execute("UPDATE digest_claims SET lease_until=? WHERE holder=? AND status='claimed'",
                                   [lease_until, holder]).rowcount

    def hold(self, claim_id: int, holder: str, lease_until: str) -> bool:
        """Renew one lease; False when this holder lost it (expired and taken over, or finished elsewhere)."""
        with self.db.conn:
            return self.db.execute(
                "UPDATE digest_claims SET lease_until=? WHERE id=? AND holder=? AND status='claimed'",
                [lease_until, claim_id, holder]).rowcount == 1

    def release(self, claim_ids: Sequence[int], holder: str, now: str) -> None:
        """Give claims back at once (shutdown): another process takes them over on its next tick. Not an attempt."""
        with self.db.conn:
            self.db.conn.executemany(
                """UPDATE digest_claims SET status='retry', retry_at=?, holder=NULL, token=NULL,
                       attempts=max(attempts-1, 0) WHERE id=? AND holder=? AND status='claimed'""",
                [(now, cid, holder) for cid in claim_ids])

    def held(self, holder: str) -> list[int]:
        return [r[0] for r in self.db.execute(
            "SELECT id FROM digest_claims WHERE holder=? AND status='claimed'", [holder])]

    def set_contents(self, items: Sequence[tuple[int, list[str], list[dict], Optional[int], Optional[int], str,
                                                  Optional[str]]]) -> None:
        """What each claim holds: (claim_id, paper_ids, sections, window_lo, window_hi, window_end, source_day)."""
        with self.db.conn:
            self.db.conn.executemany(
                """UPDATE digest_claims SET paper_ids=?, sections=?, window_lo=?, window_hi=?, window_end=?,
                       source_day=? WHERE id=?""",
                [(_id_list(ids), json.dumps(secs, ensure_ascii=False), lo, hi, we, sd, cid)
                 for cid, ids, secs, lo, hi, we, sd in items],
            )

    def finish(self, claim_ids: Sequence[int], *, status: str, now: str, message_ref: Optional[str] = None) -> None:
        """Mark claims done ("sent" or "empty"): record their papers as delivered and move each chat's window on."""
        with self.db.conn:
            for cid in claim_ids:
                row = self._rows("SELECT * FROM digest_claims WHERE id=?", [cid])
                if not row:
                    continue
                c = row[0]
                self.db.execute(
                    """UPDATE digest_claims SET status=?, sent_at=?, message_ref=?, token=NULL, holder=NULL
                       WHERE id=?""", [status, now, message_ref, cid])
                if c["kind"] == "digest":
                    self.db.conn.executemany(
                        "INSERT OR IGNORE INTO deliveries (chat_pk, paper_id, claim_id, delivered_at) VALUES (?,?,?,?)",
                        [(c["chat_pk"], pid, cid, now) for pid in json.loads(c["paper_ids"] or "[]")],
                    )
                    if c["window_hi"] is not None:
                        self.db.execute(
                            """UPDATE chats SET digest_seq=? WHERE pk=? AND (digest_seq IS NULL OR digest_seq < ?)""",
                            [c["window_hi"], c["chat_pk"], c["window_hi"]])
                elif c["source_day"]:
                    self.db.execute("UPDATE chats SET trending_day=? WHERE pk=?", [c["source_day"], c["chat_pk"]])

    def retry_later(self, claim_id: int, *, retry_at: str, max_attempts: int = 8) -> None:
        with self.db.conn:
            self.db.execute(
                """UPDATE digest_claims SET token=NULL, holder=NULL, retry_at=?,
                       status=CASE WHEN attempts >= ? THEN 'failed' ELSE 'retry' END
                   WHERE id=? AND status='claimed'""",
                [retry_at, max_attempts, claim_id],
            )

    def get_claim(self, claim_id: int) -> Optional[dict]:
        rows = self._rows(
            """SELECT d.*, c.platform, c.chat_id FROM digest_claims d JOIN chats c ON c.pk=d.chat_pk
               WHERE d.id=?""",
            [claim_id],
        )
        if not rows:
            return None
        row = rows[0]
        row["paper_ids"] = json.loads(row["paper_ids"] or "[]")
        row["sections"] = json.loads(row["sections"] or "[]")
        return row

    # -- parts -----------------------------------------------------------------------------------------------------
    def fix_parts(self, claim_id: int, payloads: Sequence[str]) -> list[Part]:
        """Store the parts of a claim unless it has some already (the first set wins), then return the stored ones."""
        return self.fix_parts_many([(claim_id, payloads)])[claim_id]

    def fix_parts_many(self, items: Sequence[tuple[int, Sequence[str]]]) -> dict[int, list[Part]]:
        """fix_parts for a slice of claims in one transaction: claim id -> its stored parts."""
        with self.db.conn:
            for claim_id, payloads in items:
                if not self.db.execute("SELECT 1 FROM delivery_parts WHERE claim_id=? LIMIT 1", [claim_id]).fetchone():
                    self.db.conn.executemany("INSERT INTO delivery_parts (claim_id, idx, payload) VALUES (?,?,?)",
                                             [(claim_id, i, p) for i, p in enumerate(payloads)])
        return {claim_id: self.parts(claim_id) for claim_id, _ in items}

    def parts(self, claim_id: int) -> list[Part]:
        return [Part(claim_id, idx, payload, sent_at is not None, message_id, started_at is not None)
                for idx, payload, started_at, sent_at, message_id in self.db.execute(
                    """SELECT idx, payload, started_at, sent_at, message_id FROM delivery_parts WHERE claim_id=?
                       ORDER BY idx""", [claim_id])]

    def start_part(self, claim_id: int, idx: int, holder: str, lease_until: str, now: str) -> bool:
        """Renew the claim's lease and mark the part started, in one write; False (nothing written) when this
        holder lost the claim."""
        with self.db.conn:
            if self.db.execute("UPDATE digest_claims SET lease_until=? WHERE id=? AND holder=? AND status='claimed'",
                               [lease_until, claim_id, holder]).rowcount != 1:
                return False
            self.db.execute("UPDATE delivery_parts SET started_at=? WHERE claim_id=? AND idx=?", [now, claim_id, idx])
            return True

    def part_sent(self, claim_id: int, idx: int, message_id: Optional[str], now: str) -> None:
        with self.db.conn:
            self.db.execute("UPDATE delivery_parts SET sent_at=?, message_id=? WHERE claim_id=? AND idx=?",
                            [now, message_id, claim_id, idx])

    # -- deliveries ------------------------------------------------------------------------------------------------
    def delivered(self, paper_ids: Sequence[str]) -> set[tuple[int, str]]:
        """(chat_pk, paper_id) pairs already delivered, for these papers."""
        return {(r["chat_pk"], r["paper_id"]) for r in fetch_dicts_in(
            self.db, "SELECT chat_pk, paper_id FROM deliveries WHERE paper_id IN ({marks})", paper_ids, chunk=900)}

    def delivered_in_window(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """(chat_pk, paper pk) of every delivery of a paper with lo < pk <= hi."""
        return self.db.execute(
            """SELECT d.chat_pk, p.pk FROM papers p JOIN deliveries d ON d.paper_id = p.id
               WHERE p.pk > ? AND p.pk <= ?""", [lo, hi]).fetchall()

    def record_deliveries(self, chat_pk: int, paper_ids: Sequence[str], *, now: str,
                          claim_id: Optional[int] = None) -> None:
        with self.db.conn:
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO deliveries (chat_pk, paper_id, claim_id, delivered_at) VALUES (?,?,?,?)",
                [(chat_pk, pid, claim_id, now) for pid in paper_ids],
            )
