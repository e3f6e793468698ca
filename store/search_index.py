"""All SQL behind search: FTS5 candidate queries, the index vocabulary, and stemming through SQLite's own tokenizer.

The core (bot/search.py) builds MATCH expressions only from parsed, quoted tokens; this module just runs them.
Stemming goes through a temporary FTS5 table with the same tokenizer as `papers_fts`, so Python-side checks see
exactly the stems that FTS5 indexes. `window_matches` answers a topic for a rowid range (a digest's window).
"""
from __future__ import annotations

import json
import sqlite3
from typing import Iterable, Optional, Sequence

from sqlite_utils.migrations import Migrations

from store.db import register

migrations = register(Migrations("search"))


@migrations()
def m001_acronym_definitions(db):
    """Acronym definitions mined from each paper (bot/acronyms.py): a restart reads them instead of mining 80k
    abstracts again. `acronym_mined.upto` is the last paper pk mined (papers with no definition leave no row)."""
    db.execute("CREATE TABLE IF NOT EXISTS acronym_defs (pk INTEGER NOT NULL, acronym TEXT NOT NULL, "
               "expansion TEXT NOT NULL, PRIMARY KEY (pk, acronym, expansion)) WITHOUT ROWID")
    db.execute("CREATE TABLE IF NOT EXISTS acronym_mined (id INTEGER PRIMARY KEY CHECK (id = 1), upto INTEGER NOT NULL)")

TOKENIZE = "porter unicode61 remove_diacritics 2"
# bm25 column weights: title, abstract, authors. A known item is named by its title.
WEIGHTS = (8.0, 1.0, 2.0)
_DATE = "max(coalesce(p.published, ''), coalesce(p.hf_date, ''))"


class SearchRepo:
    """Search queries. `cache` is scratch space for the search core's derived data (vocabulary, stems)."""

    def __init__(self, db) -> None:
        self.db = db
        self.cache: dict = {}
        self._floors: dict[tuple, int] = {}
        self._stem_ready = False

    # --- a second connection (the lexicon's rebuild in a worker thread) -------------------------------------
    def path(self) -> str:
        """The database file ('' for an in-memory database, which no second connection can see)."""
        for _seq, name, file in self.db.execute("PRAGMA database_list").fetchall():
            if name == "main":
                return file or ""
        return ""

    def reopen(self) -> "SearchRepo":
        """This repo on a new connection to the same file, for one worker thread; the caller closes it."""
        from store.db import open_database

        return SearchRepo(open_database(self.path(), create=False))

    def close(self) -> None:
        self.db.conn.close()

    # --- freshness -------------------------------------------------------------------------------------------
    def max_pk(self) -> int:
        return self.db.execute("SELECT coalesce(max(pk), 0) FROM papers").fetchone()[0]

    def paper_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM papers").fetchone()[0]

    # --- vocabulary --------------------------------------------------------------------------------------------
    def vocabulary(self) -> dict[str, int]:
        """Every indexed (stemmed) term -> number of papers containing it."""
        self.db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.pw_vocab USING fts5vocab(main, papers_fts, row)"
        )
        return dict(self.db.execute("SELECT term, doc FROM temp.pw_vocab").fetchall())

    def titles(self) -> Iterable[str]:
        """All normalized titles (lowercase words and spaces): the words typo correction suggests from."""
        for (title,) in self.db.execute("SELECT norm_title FROM papers"):
            yield title

    # --- acronyms (mined by bot/acronyms.py, read by the lexicon) ---------------------------------------------
    def texts_after(self, pk: int) -> Iterable[tuple[int, str, str]]:
        """(pk, title, abstract) of the papers after `pk`, in pk order: what acronym mining reads (incrementally)."""
        yield from self.db.execute("SELECT pk, title, coalesce(abstract, '') FROM papers WHERE pk > ? ORDER BY pk", [pk])

    def acronyms_mined_upto(self) -> int:
        row = self.db.execute("SELECT upto FROM acronym_mined WHERE id = 1").fetchone()
        return row[0] if row else 0

    def save_acronyms(self, rows: Sequence[tuple[int, str, str]], upto: int, reset: bool = False) -> bool:
        """Add (pk, acronym, expansion) definitions mined up to paper `upto`; `reset` first forgets all of them.
        False when the database is busy or read-only: the caller keeps its definitions in memory only."""
        try:
            with self.db.conn:
                if reset:
                    self.db.execute("DELETE FROM acronym_defs")
                self.db.conn.executemany("INSERT OR IGNORE INTO acronym_defs (pk, acronym, expansion) VALUES (?,?,?)",
                                         rows)
                self.db.execute("INSERT INTO acronym_mined (id, upto) VALUES (1, ?) "
                                "ON CONFLICT(id) DO UPDATE SET upto = excluded.upto", [upto])
            return True
        except sqlite3.OperationalError:
            return False

    def acronym_counts(self) -> list[tuple[str, str, int]]:
        """(acronym, expansion, papers defining it that way)."""
        return self.db.execute(
            "SELECT acronym, expansion, count(*) FROM acronym_defs GROUP BY acronym, expansion").fetchall()

    # --- stemming ----------------------------------------------------------------------------------------------
    def stem(self, texts: Sequence[str]) -> list[tuple[str, ...]]:
        """Each text -> its tokens as FTS5 indexes them (lowercased, diacritics removed, porter-stemmed)."""
        if not texts:
            return []
        if not self._stem_ready:
            self.db.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.pw_stem USING fts5(w, content='', tokenize='{TOKENIZE}')"
            )
            self.db.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.pw_stem_v USING fts5vocab(temp, pw_stem, instance)"
            )
            self._stem_ready = True
        out: list[list[str]] = [[] for _ in texts]
        conn = self.db.conn
        # Python's sqlite3 opens a transaction before an INSERT, even into a temp table; left open, it would pin
        # this connection's read snapshot (no new papers from other processes, a WAL that cannot checkpoint)
        ours = not conn.in_transaction
        try:
            for start in range(0, len(texts), 5000):
                part = texts[start : start + 5000]
                conn.executemany("INSERT INTO temp.pw_stem(rowid, w) VALUES (?, ?)", enumerate(part, start))
                for term, doc, _off in conn.execute(
                        "SELECT term, doc, offset FROM temp.pw_stem_v ORDER BY doc, offset"):
                    out[doc].append(term)
                conn.execute("INSERT INTO temp.pw_stem(pw_stem) VALUES ('delete-all')")
        finally:
            if ours and conn.in_transaction:
                conn.commit()
        return [tuple(t) for t in out]

    # --- candidates ------------------------------------------------------------------------------------------
    def _where(self, since: Optional[str], rowid: str = "f.rowid") -> tuple[str, list]:
        """The date filter, plus a rowid floor: FTS5 skips to `rowid >= floor` cheaply, and papers are mostly
        added in date order, so a recent `since` only walks the newest part of each doclist."""
        if not since:
            return "", []
        key = (since, self.max_pk())
        floor = self._floors.get(key)
        if floor is None:
            # `pk + 0` keeps SQLite on the date indexes (a bare min(pk) would scan the table in pk order)
            floor = self.db.execute(
                "SELECT min(m) FROM (SELECT min(pk + 0) AS m FROM papers WHERE published >= ? "
                "UNION ALL SELECT min(pk + 0) FROM papers WHERE hf_date >= ?)", [since, since]).fetchone()[0] or 0
            if len(self._floors) > 256:
                self._floors.clear()
            self._floors[key] = floor
        return f" AND {rowid} >= ? AND (p.published >= ? OR p.hf_date >= ?)", [floor or 1 << 62, since, since]  # no paper that new: nothing

    def count(self, match: str, since: Optional[str] = None, cap: int = 5000) -> int:
        """How many papers match (stops counting at `cap`: a cheap test of how generic a query is)."""
        where, args = self._where(since)
        join = " JOIN papers p ON p.pk = f.rowid" if since else ""
        sql = f"SELECT count(*) FROM (SELECT f.rowid FROM papers_fts f{join} WHERE papers_fts MATCH ?{where} LIMIT ?)"
        return self.db.execute(sql, [match, *args, cap]).fetchone()[0]

    def ranked(self, match: str, limit: int, since: Optional[str] = None, order: str = "bm25",
               offset: int = 0, window: Optional[int] = None) -> list[tuple[int, float]]:
        """(pk, score) of matching papers, best first. order: bm25 (higher score better) | new | top | pk.

        `window`: only the `window` most recently added matches are ordered (FTS5 yields rowids newest first
        cheaply; sorting 60k matches by date is not): for sort:new on very generic queries."""
        where, args = self._where(since)
        if window and order == "new":
            sql = (f"SELECT p.pk, 0.0 FROM papers p WHERE p.pk IN (SELECT rowid FROM papers_fts WHERE papers_fts "
                   f"MATCH ? ORDER BY rowid DESC LIMIT ?){where} "
                   f"ORDER BY {_DATE} DESC, coalesce(p.upvotes, 0) DESC, p.pk DESC LIMIT ? OFFSET ?")
            return [(int(pk), float(s)) for pk, s in self.db.execute(sql, [match, window, *args, limit, offset])]
        w = ", ".join(str(x) for x in WEIGHTS)
        if order == "bm25":
            sql = (f"SELECT f.rowid, -bm25(papers_fts, {w}) AS s FROM papers_fts f JOIN papers p ON p.pk = f.rowid "
                   f"WHERE papers_fts MATCH ?{where} ORDER BY s DESC LIMIT ? OFFSET ?")
        elif order == "new":
            sql = (f"SELECT f.rowid, 0.0 FROM papers_fts f JOIN papers p ON p.pk = f.rowid WHERE papers_fts MATCH ?{where} "
                   f"ORDER BY {_DATE} DESC, coalesce(p.upvotes, 0) DESC, p.pk DESC LIMIT ? OFFSET ?")
        elif order == "top":
            sql = (f"SELECT f.rowid, 0.0 FROM papers_fts f JOIN papers p ON p.pk = f.rowid WHERE papers_fts MATCH ?{where} "
                   f"ORDER BY coalesce(p.upvotes, -1) DESC, {_DATE} DESC, p.pk DESC LIMIT ? OFFSET ?")
        else:  # newest rows first, no scoring: for very generic queries
            sql = (f"SELECT f.rowid, 0.0 FROM papers_fts f JOIN papers p ON p.pk = f.rowid WHERE papers_fts MATCH ?{where} "
                   f"ORDER BY f.rowid DESC LIMIT ? OFFSET ?")
        return [(int(pk), float(s)) for pk, s in self.db.execute(sql, [match, *args, limit, offset]).fetchall()]

    def title_prefix(self, norm: str, limit: int = 20, since: Optional[str] = None, raw: str = "") -> list[int]:
        """pks of papers whose normalized title is `norm` or starts with it (index lookups), best first:
        the exact title, then "<raw>: ..." titles (a method name as typed), then the rest."""
        if not norm:
            return []
        where, args = self._where(since, rowid="p.pk")
        exact = [r[0] for r in self.db.execute(
            f"SELECT p.pk FROM papers p WHERE p.norm_title = ?{where} LIMIT ?", [norm, *args, limit])]
        rows = self.db.execute(
            f"SELECT p.pk, p.title FROM papers p WHERE p.norm_title > ? AND p.norm_title < ?{where} LIMIT 300",
            [norm + " ", norm + " \U0010ffff", *args]).fetchall()
        named = [pk for pk, title in rows if raw and title.startswith(raw + ":")]
        rest = [pk for pk, _ in rows if pk not in set(named)]
        return (exact + named + rest)[:limit]

    def window_matches(self, match: str, title_match: Optional[str], lo: int, hi: int,
                       since: Optional[str] = None) -> tuple[list[int], list[int]]:
        """pks (in no promised order) of papers lo < pk <= hi matching `match`, and those matching `title_match`
        (None: not asked): FTS5 seeks to the rowid range in each doclist.

        One statement, each answer one JSON array (`json_group_array`): a digest tick over an 80k window fetches
        ~6M rowids, and one Python tuple per row cost more than FTS5 itself (1.9 s vs 1.1 s, bench/digests.py)."""
        one = ("(SELECT json_group_array(f.rowid) FROM papers_fts f JOIN papers p ON p.pk = f.rowid "
               "WHERE papers_fts MATCH {m} AND f.rowid > :lo AND f.rowid <= :hi "
               "AND (p.published >= :since OR p.hf_date >= :since))") if since else (
               "(SELECT json_group_array(rowid) FROM papers_fts WHERE papers_fts MATCH {m} "
               "AND rowid > :lo AND rowid <= :hi)")
        sql = "SELECT " + one.format(m=":match") + ", " + (one.format(m=":title") if title_match else "'[]'")
        found, title = self.db.execute(sql, {"match": match, "title": title_match, "lo": lo, "hi": hi,
                                             "since": since}).fetchone()
        return json.loads(found), json.loads(title)
