"""arXiv's per-category daily listing feed -> the day's announcements (info.arxiv.org/help/rss_specifications.html).

`https://rss.arxiv.org/rss/cs.CL` (RSS 2.0) or `https://rss.arxiv.org/atom/cs.CL` (Atom) holds the whole day's
announcement for a category; both shapes are read:
- the channel's `pubDate` (Atom: `updated`) is the announcement date (New York time);
- each item: `title`, `link` (abs URL), `description` = "arXiv:2402.14008v1 Announce Type: new \\nAbstract: ..."
  (Atom: `summary`), `guid` "oai:arXiv.org:2402.14008v1" (Atom: `id`), one `category` per category (Atom: `term`),
  `arxiv:announce_type` new | cross | replace | replace-cross, `dc:creator` "A. One, B. Two";
- no items: no announcement that day (weekends and holidays; the channel lists `skipDays`).
`new` and `cross` are papers announced today; `replace` and `replace-cross` are new versions of earlier papers.
Parsed with defusedxml (bot.sources.arxiv.xml_root); a bad item is skipped with its reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Optional

from bot.models import Paper
from bot.sources.arxiv import ARXIV, ATOM, xml_root
from bot.sources.common import Problems, arxiv_id_or_none, clean_text, collapse

DC = "{http://purl.org/dc/elements/1.1/}"
NEW_TYPES = ("new", "cross")
REPLACE_TYPES = ("replace", "replace-cross")
_PREFIX = re.compile(r"^\s*arXiv:(\S+)\s+Announce Type:\s*([\w-]+)\s*(?:Abstract:)?\s*", re.IGNORECASE)
_OAI = re.compile(r"^oai:arXiv\.org:(.+)$", re.IGNORECASE)
_AND = re.compile(r",\s*|\s+and\s+")


@dataclass
class Listing:
    """One category's announcement. `day` None: the feed did not say (then the fetch date is used)."""

    category: str
    day: Optional[str] = None
    new: list[Paper] = field(default_factory=list)  # new + cross: papers announced today
    replaced: list[Paper] = field(default_factory=list)  # replace + replace-cross: new versions of older papers
    incomplete: list[str] = field(default_factory=list)  # ids whose title or abstract the feed lacked
    items: int = 0
    problems: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # announce type -> items

    @property
    def announced(self) -> bool:
        """False: an empty listing, i.e. no announcement that day (weekend, holiday)."""
        return self.items > 0


def _day(value: str) -> Optional[str]:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).date().isoformat()  # RSS: "Fri, 23 Feb 2024 00:00:00 -0500"
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()  # Atom
    except ValueError:
        return None


def _text(el, tag: str) -> str:
    found = el.find(tag)
    return collapse(clean_text(found.text)) if found is not None and found.text else ""


def _authors(text: str) -> tuple[str, ...]:
    return tuple(n for n in (collapse(a) for a in _AND.split(text or "")) if n)


def _item(el, atom: bool, day: Optional[str]) -> tuple[str, Paper, bool]:
    """(announce type, paper, details complete) or ValueError with a reason."""
    desc = _text(el, f"{ATOM}summary" if atom else "description")
    m = _PREFIX.match(desc)
    kind = (_text(el, f"{ARXIV}announce_type") or (m.group(2) if m else "")).lower()
    if kind not in NEW_TYPES + REPLACE_TYPES:
        raise ValueError(f"unknown announce type {kind[:20]!r}")
    guid = _text(el, f"{ATOM}id" if atom else "guid")
    g = _OAI.match(guid)
    link = el.find(f"{ATOM}link") if atom else el.find("link")
    href = (link.get("href", "") if atom else (link.text or "")) if link is not None else ""
    arxiv_id = arxiv_id_or_none(g.group(1) if g else None) or arxiv_id_or_none(m.group(1) if m else None) \
        or arxiv_id_or_none(href.strip())
    if not arxiv_id:
        raise ValueError(f"item has no arXiv id ({guid[:40]!r})")
    title = _text(el, f"{ATOM}title" if atom else "title")
    abstract = desc[m.end():] if m else desc
    creators = el.findall(f"{DC}creator")
    authors = tuple(a for c in creators for a in _authors(collapse(c.text or "")))
    if not authors and atom:
        authors = tuple(n for n in (_text(a, f"{ATOM}name") for a in el.findall(f"{ATOM}author")) if n)
    cats = [c.get("term", "") if atom else (c.text or "") for c in el.findall(f"{ATOM}category" if atom else "category")]
    paper = Paper.make(
        title or arxiv_id, arxiv_id, abstract=abstract, authors=authors, published=day,
        categories=tuple(dict.fromkeys(collapse(c) for c in cats if c and c.strip())), sources=("arxiv",),
    )
    return kind, paper, bool(title and abstract)


def parse_listing(data: bytes | str, category: str, problems: Optional[list] = None,
                  name: str = "", default_day: Optional[str] = None) -> Listing:
    """A listing feed -> Listing; ValueError when the document is not an RSS or Atom feed."""
    root = xml_root(data)
    atom = root.tag == f"{ATOM}feed"
    if not atom and root.tag != "rss":
        raise ValueError(f"not an RSS or Atom feed (root element {str(root.tag)[:60]!r})")
    channel = root if atom else root.find("channel")
    if channel is None:
        raise ValueError("an RSS document without a channel")
    day = _day(_text(channel, f"{ATOM}updated" if atom else "pubDate")) or default_day
    listing = Listing(category=category, day=day)
    sink = Problems(problems, name)
    items = channel.findall(f"{ATOM}entry" if atom else "item")
    listing.items = len(items)
    for i, el in enumerate(items):
        try:
            kind, paper, complete = _item(el, atom, day)
        except ValueError as e:
            sink.add(f"item {i} skipped: {e}")
            continue
        listing.counts[kind] = listing.counts.get(kind, 0) + 1
        (listing.new if kind in NEW_TYPES else listing.replaced).append(paper)
        if not complete:
            listing.incomplete.append(paper.id)
    if problems is not None:
        listing.problems = problems
    return listing
