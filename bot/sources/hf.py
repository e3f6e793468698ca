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
import re
from typing import Iterator, Optional

from bot.models import Paper
from bot.sources.common import Problems, arxiv_id_or_none, clean_text, collapse, day, int_or_none, to_text

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_WS = re.compile(r"[ \t\n\r]*")


def _skip_ws(text: str, i: int) -> int:
    """The index of the first non-whitespace character at or after i (the pattern always matches)."""
    m = _WS.match(text, i)
    return m.end() if m else i
_DECODER = json.JSONDecoder()


class _Bad:
    """A list element that could not be decoded on its own (kept so its index is reported)."""

    def __init__(self, reason: str):
        self.reason = reason


def _skip_value(text: str, i: int) -> int:
    """The end of the JSON container starting at `i`, found without recursion (for one `json` cannot nest into)."""
    depth = 0
    for m in _TOKEN.finditer(text, i):
        t = m.group()
        if t in "[{":
            depth += 1
        elif t in "]}":
            depth -= 1
            if depth == 0:
                return m.end()
    raise ValueError("not valid JSON (the list never ends: truncated answer?)")


def _decode_list(text: str, start: int) -> list:
    """A top-level JSON list decoded element by element: an element nested too deeply for `json` becomes a
    `_Bad` item (the others still load), and a worker thread gives the GIL back between elements."""
    decode = _DECODER.raw_decode
    items: list = []
    i = _skip_ws(text, start + 1)
    if text.startswith("]", i):
        return items
    while True:
        try:
            obj, i = decode(text, i)
            items.append(obj)
        except RecursionError:
            i = _skip_value(text, i)
            items.append(_Bad("nested too deeply"))
        except ValueError as e:
            raise ValueError(f"not valid JSON ({str(e)[:80]})") from None
        i = _skip_ws(text, i)
        if text.startswith(",", i):
            i = _skip_ws(text, i + 1)
        elif text.startswith("]", i):
            break
        else:
            raise ValueError(f"not valid JSON (expected ',' or ']' at char {i})")
    if text[i + 1:].strip():
        raise ValueError(f"not valid JSON (extra data after char {i})")
    return items


def decode_items(data: bytes | str) -> list:
    """The item list of an HF answer; ValueError (with a short reason) when it is not one.

    Bytes that are not UTF-8 are replaced (one bad byte does not drop a page); a list with one element nested
    too deeply for `json` is split into its elements so the others still load.
    """
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    start = _skip_ws(text, 0)
    if text.startswith("[", start):
        return _decode_list(text, start)
    try:
        doc = json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except ValueError as e:
        raise ValueError(f"not valid JSON ({str(e)[:80]})") from None
    items = items_of(doc)
    if items is None:
        raise ValueError("unexpected JSON shape: expected a list of papers")
    return items


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
    if isinstance(item, _Bad):
        raise ValueError(item.reason)
    if isinstance(item, str):  # a Python repr of the item, as 22 archived upstream files store them
        try:
            item = ast.literal_eval(item)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
    return item if isinstance(item, dict) else None


def _authors(raw) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError(f"authors is not a list of names ({type(raw).__name__})")
    names = []
    for a in raw:
        if isinstance(a, str):
            name = a
        elif isinstance(a, dict) and not a.get("hidden"):
            name = a.get("name") or ""
        else:
            continue
        if not isinstance(name, str):
            continue
        name = collapse(clean_text(name))
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
    title = to_text(paper.get("title") or wrapper.get("title"), "title")
    if not title:
        raise ValueError("item has no title")
    raw_id = paper.get("id")
    arxiv_id = arxiv_id_or_none(raw_id)
    if raw_id and not arxiv_id:
        raise ValueError(f"item has an id that is not an arXiv id: {str(raw_id)[:40]!r}")
    comments = wrapper.get("numComments", paper.get("numComments"))
    repo = _url(paper.get("githubRepo"))
    keywords = paper.get("ai_keywords")
    return Paper.make(
        title,
        arxiv_id,
        abstract=to_text(paper.get("summary") or wrapper.get("summary"), "summary"),
        authors=_authors(paper.get("authors")),
        published=day(paper.get("publishedAt")) or day(wrapper.get("publishedAt")),
        hf_date=hf_date or day(paper.get("submittedOnDailyAt")) or default_date,
        upvotes=int_or_none(paper.get("upvotes")),
        comments=int_or_none(comments),
        github_repo=repo,
        github_stars=int_or_none(paper.get("githubStars")) if repo else None,
        project_page=_url(paper.get("projectPage")),
        ai_summary=to_text(paper.get("ai_summary") if isinstance(paper.get("ai_summary"), str) else None, "ai_summary"),
        ai_keywords=tuple(collapse(clean_text(k)) for k in keywords[:20] if isinstance(k, str) and k.strip())
        if isinstance(keywords, list) else (),
        sources=("hf",),
    )


def _url(value) -> Optional[str]:
    """An http(s) link as given, or None (a link a card shows must be one a client can open)."""
    if isinstance(value, str) and value.strip().lower().startswith(("https://", "http://")) and len(value) < 500:
        return value.strip()
    return None


def parse_items(items, problems: Problems, hf_date: Optional[str] = None,
                default_date: Optional[str] = None) -> Iterator[Paper]:
    for i, item in enumerate(items):
        try:
            yield parse_item(item, hf_date=hf_date, default_date=default_date)
        except (ValueError, TypeError, AttributeError, RecursionError) as e:
            problems.add(f"item {i} skipped: {e or type(e).__name__}")


def parse_hf(data: bytes | str, problems: Optional[list] = None, name: str = "",
             hf_date: Optional[str] = None, default_date: Optional[str] = None) -> Iterator[Paper]:
    """Bytes of an HF response (or archived dump) -> Papers; bad items are reported, not fatal."""
    sink = Problems(problems, name)
    try:
        items = decode_items(data)
    except ValueError as e:
        sink.add(str(e))
        return
    yield from parse_items(items, sink, hf_date=hf_date, default_date=default_date)
