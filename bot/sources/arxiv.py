"""arXiv API Atom XML -> Papers.

The XML is untrusted, so it is parsed with defusedxml (no entity expansion, no external entities).
Ids come as abs URLs with a version (`http://arxiv.org/abs/math/0502287v1`): the version is stripped.
Titles and summaries carry hard line wraps and a leading space: whitespace is collapsed.
Categories: `arxiv:primary_category` first, then the other arXiv categories, then MSC/ACM class strings
(`53D10, 53D15`), kept as written.
"""
from __future__ import annotations

import re
from typing import Iterator, Optional

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from bot.models import Paper
from bot.sources.common import Problems, arxiv_id_or_none, collapse, day

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
_ARXIV_CATEGORY = re.compile(r"^[a-z\-]+(\.[A-Za-z\-]+)?$")


def _text(el, path: str) -> str:
    found = el.find(path)
    return collapse(found.text) if found is not None and found.text else ""


def _categories(entry) -> tuple[str, ...]:
    primary = entry.find(f"{ARXIV}primary_category")
    terms = [primary.get("term", "")] if primary is not None else []
    terms += [c.get("term", "") for c in entry.findall(f"{ATOM}category")]
    seen: list[str] = []
    for t in (collapse(t) for t in terms):
        if t and t not in seen:
            seen.append(t)
    arxiv_cats = [t for t in seen if _ARXIV_CATEGORY.match(t)]
    others = [t for t in seen if not _ARXIV_CATEGORY.match(t)]
    # the primary stays first even when it is not a standard code
    if seen and seen[0] in others:
        others.remove(seen[0])
        arxiv_cats.insert(0, seen[0])
    return tuple(arxiv_cats + others)


def parse_entry(entry) -> Paper:
    """One <entry> -> Paper; ValueError for an API error entry or an entry without id/title."""
    raw_id = _text(entry, f"{ATOM}id")
    title = _text(entry, f"{ATOM}title")
    if "/api/errors" in raw_id:
        raise ValueError(f"arXiv API error: {_text(entry, f'{ATOM}summary')[:200] or title}")
    arxiv_id = arxiv_id_or_none(raw_id)
    if not arxiv_id:
        raise ValueError(f"entry has no arXiv id ({raw_id[:60]!r})")
    if not title:
        raise ValueError(f"entry {arxiv_id} has no title")
    authors = tuple(n for n in (_text(a, f"{ATOM}name") for a in entry.findall(f"{ATOM}author")) if n)
    return Paper.make(
        title,
        arxiv_id,
        abstract=_text(entry, f"{ATOM}summary"),
        authors=authors,
        published=day(_text(entry, f"{ATOM}published")),
        categories=_categories(entry),
        sources=("arxiv",),
    )


_XML_INVALID = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xml_root(data: bytes | str):
    """Parse untrusted XML safely; bytes that are not UTF-8 and control characters XML forbids are replaced
    (one bad byte must not drop a whole document). ValueError with a short reason for a document that fails."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="replace")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        data = data.decode("utf-8", errors="replace").encode("utf-8")
    data = _XML_INVALID.sub("\ufffd".encode("utf-8"), data)
    try:
        return SafeET.fromstring(data)
    except DefusedXmlException as e:
        raise ValueError(f"refused unsafe XML ({type(e).__name__})") from None
    except (SafeET.ParseError, ValueError) as e:
        raise ValueError(f"not valid XML ({str(e)[:80]})") from None


def _total(root) -> Optional[int]:
    found = root.find(f"{OPENSEARCH}totalResults")
    try:
        return int(found.text) if found is not None and found.text else None
    except ValueError:
        return None


def total_results(data: bytes | str) -> Optional[int]:
    """`opensearch:totalResults` of a feed (for paging), or None."""
    try:
        return _total(xml_root(data))
    except ValueError:
        return None


def parse_atom_doc(data: bytes | str, problems: Optional[list] = None,
                   name: str = "") -> tuple[list[Paper], int, Optional[int]]:
    """An arXiv API answer -> (papers, entries seen, totalResults). ValueError when it is not an Atom feed."""
    root = xml_root(data)
    if root.tag != f"{ATOM}feed":
        raise ValueError(f"not an Atom feed (root element {str(root.tag)[:60]!r})")
    sink = Problems(problems, name)
    papers: list[Paper] = []
    entries = root.findall(f"{ATOM}entry")
    for i, entry in enumerate(entries):
        try:
            papers.append(parse_entry(entry))
        except ValueError as e:
            sink.add(f"entry {i} skipped: {e}")
    return papers, len(entries), _total(root)


def parse_atom(data: bytes | str, problems: Optional[list] = None, name: str = "") -> Iterator[Paper]:
    """Bytes of an arXiv API response -> Papers; a bad entry is reported and skipped, a bad document reported."""
    try:
        papers, _, _ = parse_atom_doc(data, problems, name)
    except ValueError as e:
        Problems(problems, name).add(str(e))
        return
    yield from papers
