"""Papers: one row per paper whatever its sources, an FTS5 index kept in sync by triggers, idempotent upserts."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Iterable, Iterator, Optional, Sequence

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.models import CodeRelease, IngestReport, Paper, normalize_title
from store.db import fetch_dicts, fetch_dicts_in, register

migrations = register(Migrations("papers"))

COLUMNS = (
    "id", "arxiv_id", "norm_title", "title", "abstract", "authors", "published", "hf_date",
    "upvotes", "comments", "categories", "github_repo", "sources", "first_seen", "updated_at",
    "github_stars", "project_page", "ai_summary", "ai_keywords", "code_added_at",
)


@migrations()
def m001_papers(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE papers (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            arxiv_id TEXT UNIQUE,
            norm_title TEXT NOT NULL,
            title TEXT NOT NULL,
            abstract TEXT NOT NULL DEFAULT '',
            authors TEXT NOT NULL DEFAULT '[]',
            published TEXT,
            hf_date TEXT,
            upvotes INTEGER,
            comments INTEGER,
            categories TEXT NOT NULL DEFAULT '[]',
            github_repo TEXT,
            sources TEXT NOT NULL DEFAULT '[]',
            first_seen TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX papers_norm_title ON papers(norm_title)")
    db.execute("CREATE INDEX papers_hf_date ON papers(hf_date, upvotes)")
    db.execute("CREATE INDEX papers_first_seen ON papers(first_seen)")
    db.execute("CREATE INDEX papers_published ON papers(published)")


@migrations()
def m002_papers_fts(db: Database) -> None:
    # External-content FTS5: the text lives once, in `papers`; triggers keep the index in step.
    db.execute(
        """
        CREATE VIRTUAL TABLE papers_fts USING fts5(
            title, abstract, authors,
            content='papers', content_rowid='pk',
            tokenize="porter unicode61 remove_diacritics 2"
        )"""
    )
    authors_text = "(SELECT group_concat(value, ' ') FROM json_each({}.authors))"
    db.execute(
        f"""CREATE TRIGGER papers_ai AFTER INSERT ON papers BEGIN
            INSERT INTO papers_fts(rowid, title, abstract, authors)
            VALUES (new.pk, new.title, new.abstract, {authors_text.format('new')});
        END"""
    )
    db.execute(
        f"""CREATE TRIGGER papers_ad AFTER DELETE ON papers BEGIN
            INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
            VALUES ('delete', old.pk, old.title, old.abstract, {authors_text.format('old')});
        END"""
    )
    db.execute(
        f"""CREATE TRIGGER papers_au AFTER UPDATE OF title, abstract, authors ON papers BEGIN
            INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
            VALUES ('delete', old.pk, old.title, old.abstract, {authors_text.format('old')});
            INSERT INTO papers_fts(rowid, title, abstract, authors)
            VALUES (new.pk, new.title, new.abstract, {authors_text.format('new')});
        END"""
    )


@migrations()
def m003_papers_hf_extras(db: Database) -> None:
    # what the HF daily papers API adds to a paper: code stars, project page, its AI summary and keywords
    db.execute("ALTER TABLE papers ADD COLUMN github_stars INTEGER")
    db.execute("ALTER TABLE papers ADD COLUMN project_page TEXT")
    db.execute("ALTER TABLE papers ADD COLUMN ai_summary TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE papers ADD COLUMN ai_keywords TEXT NOT NULL DEFAULT '[]'")


@migrations()
def m004_papers_code_added_at(db: Database) -> None:
    # when a stored paper later gained a code repository (HF `githubRepo` appeared): the digests' "code released" line
    db.execute("ALTER TABLE papers ADD COLUMN code_added_at TEXT")
    db.execute("CREATE INDEX papers_code_added_at ON papers(code_added_at) WHERE code_added_at IS NOT NULL")


# papers per write transaction. Measured (80k corpus into a 1k-paper file, 2 shared cores), with another connection
# taking the write lock every 50 ms: 10,000 per transaction -> that connection waited up to 2.2 s (a running bot's
# event loop, writing a saved query); 500 -> at most ~0.2 s. The import costs about the same CPU but takes 15-35%
# longer (each commit rewrites hot index pages into the WAL, and ~5x more checkpoints fsync); 250 -> ~0.1 s, ~30% CPU
WRITE_BATCH = 500
BULK_CHECKPOINT_PAGES = 10_000  # WAL pages between checkpoints during upsert_many (SQLite's default: 1,000)


def utcnow_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def row_to_paper(row: dict) -> Paper:
    return Paper(
        id=row["id"],
        title=row["title"],
        abstract=row["abstract"] or "",
        authors=tuple(json.loads(row["authors"] or "[]")),
        arxiv_id=row["arxiv_id"],
        published=row["published"],
        hf_date=row["hf_date"],
        upvotes=row["upvotes"],
        comments=row["comments"],
        categories=tuple(json.loads(row["categories"] or "[]")),
        github_repo=row["github_repo"],
        sources=tuple(json.loads(row["sources"] or "[]")),
        first_seen=row["first_seen"],
        github_stars=row.get("github_stars"),
        project_page=row.get("project_page"),
        ai_summary=row.get("ai_summary") or "",
        ai_keywords=tuple(json.loads(row.get("ai_keywords") or "[]")),
    )


def _merge(old: dict, new: Paper) -> dict:
    """New values refresh old ones; first_seen, the earliest HF day and the first published date are kept."""
    merged = dict(old)
    merged["title"] = new.title or old["title"]
    merged["norm_title"] = normalize_title(merged["title"])
    if new.abstract:
        merged["abstract"] = new.abstract
    if new.authors:
        merged["authors"] = _json_list(new.authors)
    if new.arxiv_id and not old["arxiv_id"]:
        merged["arxiv_id"] = new.arxiv_id
    merged["published"] = old["published"] or new.published
    if new.hf_date:
        merged["hf_date"] = min(filter(None, [old["hf_date"], new.hf_date]))
    if new.upvotes is not None:
        merged["upvotes"] = new.upvotes
    if new.comments is not None:
        merged["comments"] = new.comments
    if new.categories:
        merged["categories"] = _json_list(new.categories, False)
    if new.github_repo:
        merged["github_repo"] = new.github_repo
    if new.github_stars is not None:
        merged["github_stars"] = new.github_stars
    if new.project_page:
        merged["project_page"] = new.project_page
    if new.ai_summary:
        merged["ai_summary"] = new.ai_summary
    if new.ai_keywords:
        merged["ai_keywords"] = _json_list(new.ai_keywords)
    sources = list(json.loads(old["sources"] or "[]"))
    sources += [s for s in new.sources if s not in sources]
    merged["sources"] = _json_list(tuple(sources), False)
    return merged


_ENCODE_UNICODE = json.JSONEncoder(ensure_ascii=False).encode
_ENCODE_ASCII = json.JSONEncoder().encode


def _json_list(values: tuple, unicode: bool = True) -> str:
    """Exactly `json.dumps(list(values), ensure_ascii=unicode)`, without its per-call overhead (hot at 80k rows)."""
    if not values:
        return "[]"
    return (_ENCODE_UNICODE if unicode else _ENCODE_ASCII)(list(values))


def _new_row(p: Paper, now: str, norm_title: Optional[str] = None) -> dict:
    return {
        "id": p.id,
        "arxiv_id": p.arxiv_id,
        "norm_title": norm_title if norm_title is not None else normalize_title(p.title),
        "title": p.title,
        "abstract": p.abstract or "",
        "authors": _json_list(p.authors),
        "published": p.published,
        "hf_date": p.hf_date,
        "upvotes": p.upvotes,
        "comments": p.comments,
        "categories": _json_list(p.categories, False),
        "github_repo": p.github_repo,
        "sources": _json_list(p.sources, False),
        "first_seen": p.first_seen or now,
        "updated_at": now,
        "github_stars": p.github_stars,
        "project_page": p.project_page,
        "ai_summary": p.ai_summary or "",
        "ai_keywords": _json_list(p.ai_keywords),
        "code_added_at": None,
    }


class PaperRepo:
    """All SQL about papers."""

    def __init__(self, db: Database):
        self.db = db

    def _rows(self, sql: str, params: Sequence = ()) -> list[dict]:
        return fetch_dicts(self.db, sql, params)

    def upsert_many(self, papers: Iterable[Paper], now: Optional[str] = None, batch: int = WRITE_BATCH,
                    seen: Optional[set[str]] = None) -> IngestReport:
        """Insert or merge papers. Same arXiv id -> one row; a title-only paper merges with its titled twin.
        Each `batch` papers are one write transaction, committed before the next is read (see WRITE_BATCH).

        A paper that changes nothing in a row this call (or the caller's `seen`, kept across calls for one file)
        already touched is counted `repeated` (named twice in one input), not `unchanged`."""
        now = now or utcnow_iso()
        seen = set() if seen is None else seen
        report = IngestReport()
        chunk: list[Paper] = []
        self.db.execute(f"PRAGMA wal_autocheckpoint={BULK_CHECKPOINT_PAGES}")
        try:
            for p in papers:
                chunk.append(p)
                if len(chunk) >= batch:
                    report.merge(self._upsert_chunk(chunk, now, seen))
                    chunk = []
            if chunk:
                report.merge(self._upsert_chunk(chunk, now, seen))
        finally:
            self.db.execute("PRAGMA wal_autocheckpoint=1000")  # SQLite's default again
        return report

    def _upsert_chunk(self, papers: list[Paper], now: str, seen: set[str]) -> IngestReport:
        report = IngestReport()
        valid: list[tuple[Paper, str]] = []  # each title is normalized once per chunk (a hot spot at 80k papers)
        for p in papers:
            nt = normalize_title(p.title) if p.title else ""
            if not nt:
                report.skipped += 1
                report.problems.append(f"skipped a paper without a title (id {p.id!r})")
            else:
                valid.append((p, nt))
        with self.db.conn:
            by_id: dict[str, dict] = {}
            by_title: dict[str, dict] = {}
            ids = list({p.arxiv_id for p, _ in valid if p.arxiv_id} | {p.id for p, _ in valid})
            titles = list({nt for _, nt in valid})
            for row in fetch_dicts_in(self.db, "SELECT * FROM papers WHERE id IN ({marks}) OR arxiv_id IN ({marks})",
                                      ids):
                by_id[row["id"]] = row
                if row["arxiv_id"]:
                    by_id[row["arxiv_id"]] = row
            for row in fetch_dicts_in(self.db, "SELECT * FROM papers WHERE norm_title IN ({marks})", titles):
                by_title.setdefault(row["norm_title"], row)
            inserts: list[dict] = []
            inserted_ids: set[str] = set()
            updates: dict[str, dict] = {}
            for p, nt in valid:
                old = by_id.get(p.arxiv_id or p.id)
                if old is None:
                    twin = by_title.get(nt)
                    # merge by title only when it cannot join two different arXiv papers
                    if twin is not None and (not p.arxiv_id or not twin["arxiv_id"]):
                        old = twin
                if old is None:
                    row = _new_row(p, now, nt)
                    inserts.append(row)
                    inserted_ids.add(row["id"])
                    by_id[row["id"]] = row
                    by_title.setdefault(nt, row)
                    seen.add(row["id"])
                    report.added += 1
                    continue
                repeated = old["id"] in seen
                seen.add(old["id"])
                merged = _merge(old, p)
                if merged["github_repo"] and not old["github_repo"] and old["id"] not in inserted_ids:
                    merged["code_added_at"] = now  # the paper was stored without code; now it has some
                if any(merged[k] != old[k] for k in COLUMNS if k != "updated_at"):
                    merged["updated_at"] = now
                    old.update(merged)  # a row inserted in this chunk is updated in place before its INSERT
                    if old["id"] not in inserted_ids:
                        updates[old["id"]] = old
                    report.updated += 1
                elif repeated:  # a second mention that adds nothing
                    report.repeated += 1
                    report.skipped += 1
                else:
                    report.unchanged += 1
                    report.skipped += 1
                if merged["arxiv_id"]:
                    by_id[merged["arxiv_id"]] = old
            if inserts:
                self._write(inserts, update=False)
            if updates:
                self._write(list(updates.values()), update=True)
        return report

    def _write(self, rows: list[dict], update: bool) -> None:
        """Write rows through a TEMP staging table and ONE INSERT/UPDATE statement.

        Why: the FTS triggers make FTS5 flush its pending index data at every statement boundary, so an
        `executemany` of N single-row statements builds N tiny segments and runs ~3x slower than one
        `INSERT ... SELECT` of the same N rows (the triggers still fire per row and keep the index in sync).
        """
        table = "temp.papers_staging"
        self.db.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS papers_staging AS SELECT {','.join(COLUMNS)} FROM main.papers WHERE 0"
        )
        cols = ",".join(COLUMNS)
        self.db.conn.executemany(
            f"INSERT INTO {table} ({cols}) VALUES ({','.join('?' * len(COLUMNS))})",
            [[r[c] for c in COLUMNS] for r in rows],
        )
        try:
            if update:
                sets = ",".join(f"{c}=s.{c}" for c in COLUMNS if c != "id")
                self.db.execute(f"UPDATE main.papers SET {sets} FROM {table} AS s WHERE main.papers.id = s.id")
            else:
                self.db.execute(f"INSERT INTO main.papers ({cols}) SELECT {cols} FROM {table} ORDER BY rowid")
        finally:
            self.db.execute(f"DELETE FROM {table}")

    def update_existing(self, papers: Iterable[Paper], now: Optional[str] = None) -> tuple[IngestReport, list[str]]:
        """Merge papers into rows that already exist (a new arXiv version); never insert. -> (report, absent ids)."""
        papers = list(papers)
        ids = list({p.id for p in papers})
        have = {r["id"] for r in fetch_dicts_in(self.db, "SELECT id FROM papers WHERE id IN ({marks})", ids)}
        report = self.upsert_many([p for p in papers if p.id in have], now=now)
        return report, [p.id for p in papers if p.id not in have]

    def get(self, paper_id: str) -> Optional[Paper]:
        rows = self._rows("SELECT * FROM papers WHERE id=? OR arxiv_id=? LIMIT 1", [paper_id, paper_id])
        return row_to_paper(rows[0]) if rows else None

    def get_many(self, ids: Sequence[str]) -> dict[str, Paper]:
        rows = fetch_dicts_in(self.db, "SELECT * FROM papers WHERE id IN ({marks})", ids)
        return {row["id"]: row_to_paper(row) for row in rows}

    def by_pks(self, pks: Sequence[int]) -> dict[int, Paper]:
        """Papers by internal rowid (the FTS rowid), for the search module."""
        rows = fetch_dicts_in(self.db, "SELECT * FROM papers WHERE pk IN ({marks})", pks)
        return {row["pk"]: row_to_paper(row) for row in rows}

    # -- the ingest sequence: a paper's pk is assigned inside its writing transaction and SQLite serializes
    # writers, so whatever a reader sees committed is exactly the pks up to its max: a digest's window is a pk range
    def committed_seq(self) -> int:
        """The highest ingest sequence number (pk) committed and visible to this connection."""
        return self.db.execute("SELECT coalesce(max(pk), 0) FROM papers").fetchone()[0]

    def fresh_in_window(self, lo: int, hi: int, floor: str) -> dict[int, tuple[str, int, int]]:
        """pk -> (id, upvotes, has code) of the papers lo < pk <= hi published or on HF on/after `floor`."""
        return {pk: (pid, upv or 0, code) for pk, pid, upv, code in self.db.execute(
            """SELECT pk, id, upvotes, github_repo IS NOT NULL FROM papers WHERE pk > ? AND pk <= ?
               AND (published >= ? OR hf_date >= ?)""", [lo, hi, floor, floor])}

    def newest_date(self) -> Optional[str]:
        """The latest publication or HF day of any paper (an offline demo's "today")."""
        return self.db.execute("SELECT max(max(coalesce(published, '')), max(coalesce(hf_date, ''))) FROM papers"
                               ).fetchone()[0] or None

    def pks_of(self, ids: Sequence[str]) -> dict[str, int]:
        return {r["id"]: r["pk"] for r in fetch_dicts_in(self.db, "SELECT id, pk FROM papers WHERE id IN ({marks})",
                                                         ids)}

    def latest_hf_day(self) -> Optional[str]:
        rows = self._rows("SELECT max(hf_date) AS d FROM papers")
        return rows[0]["d"] if rows else None

    def trending(self, hf_day: Optional[str] = None, limit: int = 10) -> list[Paper]:
        """The top papers of one Hugging Face day (default: the latest) by upvotes."""
        day = hf_day or self.latest_hf_day()
        if not day:
            return []
        return [
            row_to_paper(r)
            for r in self._rows(
                "SELECT * FROM papers WHERE hf_date=? ORDER BY coalesce(upvotes,0) DESC, comments DESC, id LIMIT ?",
                [day, limit],
            )
        ]

    def trending_between(self, first_day: str, last_day: str, limit: int = 10) -> list[Paper]:
        """The top papers of the HF days first_day..last_day (inclusive) by upvotes: `/trending week`."""
        return [
            row_to_paper(r)
            for r in self._rows(
                "SELECT * FROM papers WHERE hf_date BETWEEN ? AND ? "
                "ORDER BY coalesce(upvotes,0) DESC, comments DESC, id LIMIT ?",
                [first_day, last_day, limit],
            )
        ]

    def code_released_since(self, since: str, limit: int = 200) -> list[CodeRelease]:
        """Papers that gained a code repository at or after `since` (ISO UTC), newest first."""
        return [CodeRelease(row_to_paper(r), r["pk"], r["code_added_at"]) for r in self._rows(
            "SELECT * FROM papers WHERE code_added_at >= ? ORDER BY code_added_at DESC LIMIT ?", [since, limit])]

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM papers").fetchone()[0]

    def iter_all(self) -> Iterator[Paper]:
        for r in self._rows("SELECT * FROM papers ORDER BY pk"):
            yield row_to_paper(r)

    def stats(self) -> dict:
        """Counts, date ranges and sources, for `paperwire stats`."""
        row = self._rows(
            """SELECT count(*) AS papers, count(arxiv_id) AS with_arxiv_id, count(hf_date) AS on_hf,
                      min(published) AS published_min, max(published) AS published_max,
                      min(hf_date) AS hf_min, max(hf_date) AS hf_max,
                      min(first_seen) AS first_seen_min, max(first_seen) AS first_seen_max
               FROM papers"""
        )[0]
        sources = {
            r["s"]: r["n"]
            for r in self._rows(
                "SELECT j.value AS s, count(*) AS n FROM papers, json_each(papers.sources) j GROUP BY j.value"
            )
        }
        row["sources"] = sources
        return row
