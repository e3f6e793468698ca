"""Hugging Face daily papers JSON -> Papers.

Shapes accepted (all seen upstream):
- `api/daily_papers`: a list of wrappers `{"paper": {...}, "numComments": N, "title", "summary", ...}`;
  upvotes live inside `paper`, the comment count on the wrapper;
- `api/papers/search`: the same wrappers, or flat paper objects;
- archived dumps: items stored as Python `repr` strings, and the list wrapped as `{"data": [...]}`.
Authors flagged `hidden` are dropped; titles and abstracts have their whitespace collapsed.
"""
from __future__ import annotations

import ast
import json
from typing import Iterator, Optional

from bot.models import Paper
from bot.sources.common import Problems, arxiv_id_or_none, collapse, day, int_or_none


def items_of(doc) -> Optional[list]:
    """The item list of a decoded response, or None when the shape is not one we know."""
    if isinstance(doc, dict):
        for key in ("data", "papers", "items"):
            if isinstance(doc.get(key), list):
                return doc[key]
        if "paper" in doc or "title" in doc:
            return [doc]
        return None
    return doc if isinstance(doc, list) else None


def _as_dict(item):
    if isinstance(item, str):  # a Python repr of the item, as 22 archived upstream files store them
        try:
            item = ast.literal_eval(item)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
    return item if isinstance(item, dict) else None


def _authors(raw) -> tuple[str, ...]:
    names = []
    for a in raw or ():
        if isinstance(a, str):
            name = a
        elif isinstance(a, dict) and not a.get("hidden"):
            name = a.get("name") or ""
        else:
            continue
        name = collapse(name)
        if name:
            names.append(name)
    return tuple(names)


def parse_item(item, hf_date: Optional[str] = None, default_date: Optional[str] = None) -> Paper:
    """One item -> Paper; raises ValueError (with a short reason) for a malformed item.

    `hf_date` (the `?date=` asked for) wins; else `paper.submittedOnDailyAt`; else `default_date` (from a file name).
    """
    wrapper = _as_dict(item)
    if wrapper is None:
        raise ValueError("item is not an object")
    paper = wrapper.get("paper") if isinstance(wrapper.get("paper"), dict) else wrapper
    title = collapse(paper.get("title") or wrapper.get("title"))
    if not title:
        raise ValueError("item has no title")
    raw_id = paper.get("id")
    arxiv_id = arxiv_id_or_none(raw_id)
    if raw_id and not arxiv_id:
        raise ValueError(f"item has an id that is not an arXiv id: {str(raw_id)[:40]!r}")
    comments = wrapper.get("numComments", paper.get("numComments"))
    repo = paper.get("githubRepo")
    return Paper.make(
        title,
        arxiv_id,
        abstract=collapse(paper.get("summary") or wrapper.get("summary")),
        authors=_authors(paper.get("authors")),
        published=day(paper.get("publishedAt")) or day(wrapper.get("publishedAt")),
        hf_date=hf_date or day(paper.get("submittedOnDailyAt")) or default_date,
        upvotes=int_or_none(paper.get("upvotes")),
        comments=int_or_none(comments),
        github_repo=repo.strip() if isinstance(repo, str) and repo.strip() else None,
        sources=("hf",),
    )


def parse_items(items, problems: Problems, hf_date: Optional[str] = None,
                default_date: Optional[str] = None) -> Iterator[Paper]:
    for i, item in enumerate(items):
        try:
            yield parse_item(item, hf_date=hf_date, default_date=default_date)
        except (ValueError, TypeError, AttributeError) as e:
            problems.add(f"item {i} skipped: {e}")


def parse_hf(data: bytes | str, problems: Optional[list] = None, name: str = "",
             hf_date: Optional[str] = None, default_date: Optional[str] = None) -> Iterator[Paper]:
    """Bytes of an HF response (or archived dump) -> Papers; bad items are reported, not fatal."""
    sink = Problems(problems, name)
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        sink.add(f"not valid JSON ({e})")
        return
    items = items_of(doc)
    if items is None:
        sink.add("unexpected JSON shape: expected a list of papers")
        return
    yield from parse_items(items, sink, hf_date=hf_date, default_date=default_date)
