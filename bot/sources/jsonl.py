"""JSON Lines -> Papers: the normalized corpus format and the arXiv daily-listing crawl.

Normalized rows (`../shared/data/papers.jsonl.gz`, `seeds/010_*.jsonl`):
`{"arxiv_id","title","abstract","authors","published","upvotes","source", ["hf_date","num_comments","categories"]}`;
`source == "hf-daily-papers"` -> Paper.sources ("hf",), anything else -> ("arxiv",).
Crawl rows (`arxiv_daily_listing_YYYY-MM-DD.jsonl`): `{"id","categories","pdf","abs","authors","title","comment","summary"}`;
they carry no date, so `published` is the date in the file name (the listing day), if there is one.
A line that is not JSON, or lacks a title, is reported and skipped; the rest of the file still loads.
"""
from __future__ import annotations

import json
from typing import Iterable, Iterator, Optional

from bot.models import Paper, title_key
from bot.sources import hf
from bot.sources.common import Problems, arxiv_id_or_none, clean_text, collapse, date_in_name, day, int_or_none, to_text

_HF = ("hf",)
_ARXIV = ("arxiv",)


def _strings(value, what: str = "authors") -> tuple[str, ...]:
    """A list of names/categories, whitespace collapsed, empties and non-strings dropped (a hot path).

    Absent -> (); present but not a list (a string would split into letters) -> ValueError."""
    if not isinstance(value, list):
        if value is None or value == "":
            return ()
        raise ValueError(f"{what} is not a list ({type(value).__name__})")
    if not value:
        return ()
    try:
        out = [" ".join(v.split()) for v in value]
    except AttributeError:  # a non-string item
        out = [" ".join(v.split()) for v in value if isinstance(v, str)]
    return tuple(out) if all(out) else tuple(v for v in out if v)


def _repo(value) -> Optional[str]:
    return value.strip() if isinstance(value, str) and value.strip() else None


def normalized_row(row: dict) -> Paper:
    """One normalized row -> Paper (the hot path of an 80k-row ingest: kept lean)."""
    title = row.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("row has no title")
    raw_id = row.get("arxiv_id")
    arxiv_id = arxiv_id_or_none(raw_id) if raw_id else None
    if raw_id and not arxiv_id:
        raise ValueError(f"row has an arxiv_id that is not an arXiv id: {str(raw_id)[:40]!r}")
    title = collapse(clean_text(title))
    abstract = row.get("abstract")
    if isinstance(abstract, str):
        abstract = clean_text(abstract)
    upvotes = row.get("upvotes")
    comments = row.get("num_comments", row.get("comments"))
    sources = row.get("sources")
    if isinstance(sources, list) and sources:
        sources = tuple(str(s) for s in sources)
    else:
        sources = _HF if row.get("source") == "hf-daily-papers" else _ARXIV
    return Paper(
        id=arxiv_id or title_key(title),
        title=title,
        abstract=collapse(abstract) if isinstance(abstract, str) else "",
        authors=_strings(row.get("authors")),
        arxiv_id=arxiv_id,
        published=day(row.get("published")),
        hf_date=day(row.get("hf_date")),
        upvotes=upvotes if type(upvotes) is int else int_or_none(upvotes),
        comments=comments if type(comments) is int else int_or_none(comments),
        categories=_strings(row.get("categories"), "categories"),
        github_repo=_repo(row.get("github_repo")),
        sources=sources,
    )


def crawl_row(row: dict, listing_date: Optional[str] = None) -> Paper:
    """One arXiv daily-listing crawl row -> Paper."""
    title = to_text(row.get("title"), "title")
    if not title:
        raise ValueError("row has no title")
    arxiv_id = arxiv_id_or_none(row.get("id")) or arxiv_id_or_none(row.get("abs"))
    if not arxiv_id:
        raise ValueError(f"row has no arXiv id ({str(row.get('id'))[:40]!r})")
    return Paper.make(
        title,
        arxiv_id,
        abstract=to_text(row.get("summary"), "summary"),
        authors=_strings(row.get("authors")),
        published=listing_date,
        categories=_strings(row.get("categories"), "categories"),
        sources=_ARXIV,
    )


def row_to_paper(row: dict, listing_date: Optional[str] = None) -> Paper:
    """Pick the row's format by its keys."""
    if "arxiv_id" in row or "source" in row:
        return normalized_row(row)
    if "paper" in row or "numComments" in row:
        return hf.parse_item(row, default_date=listing_date)
    if "id" in row or "abs" in row:
        return crawl_row(row, listing_date)
    return normalized_row(row)


def parse_lines(lines: Iterable[str | bytes], problems: Optional[list] = None, name: str = "") -> Iterator[Paper]:
    """Lines of JSON -> Papers; bad lines are reported with their line number and skipped."""
    sink = Problems(problems, name)
    listing_date = date_in_name(name)
    loads = json.loads
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            try:
                row = loads(line)
            except UnicodeDecodeError:  # a bad byte is replaced, the line still loads
                row = loads(line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line)
        except (ValueError, UnicodeDecodeError) as e:
            sink.add(f"line {n} skipped: not JSON ({str(e)[:80]})")
            continue
        except RecursionError:
            sink.add(f"line {n} skipped: JSON nested too deeply")
            continue
        if not isinstance(row, dict):
            sink.add(f"line {n} skipped: not a JSON object")
            continue
        try:
            yield row_to_paper(row, listing_date)
        except (ValueError, TypeError, AttributeError, RecursionError) as e:
            sink.add(f"line {n} skipped: {e or type(e).__name__}")


def parse_jsonl(data: bytes | str, problems: Optional[list] = None, name: str = "") -> Iterator[Paper]:
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    return parse_lines(data.splitlines(), problems, name)
