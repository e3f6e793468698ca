"""Reference libraries in and out: BibTeX and Zotero CSV -> (arXiv id, title) entries; saved papers -> BibTeX.

Pure text work: never raises on a user's file (a broken entry is skipped and counted), no store, no network.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Iterable, Optional

from bot.models import Paper, normalize_title
from bot.paper_ref import find_refs, parse_ref

MAX_ENTRIES = 5000
_ENTRY = re.compile(r"@\s*([A-Za-z]+)\s*[{(]")
_FIELD = re.compile(r"\s*([A-Za-z][\w\-:.]*)\s*=\s*")
# "arXiv preprint arXiv:2205.14135" (journal / note fields): find_refs takes links only, not ids in free text
_ARXIV_COLON = re.compile(r"arxiv:\s*\S+", re.IGNORECASE)
_BARE = re.compile(r"^\s*(\d{4}\.\d{4,5})(v\d+)?\s*$")


@dataclass(frozen=True)
class Entry:
    """One reference from a library file: an arXiv id when the entry names one, and its title."""

    title: str = ""
    arxiv_id: Optional[str] = None

    @property
    def norm_title(self) -> str:
        return normalize_title(self.title)


def paper_ref(text: str) -> Optional[str]:
    """An arXiv id from a library field: an id or link (bot.paper_ref), a link inside text, or `arXiv:ID` in text."""
    ref = parse_ref(text or "")
    if ref is None:
        refs = find_refs(text or "", limit=1)
        ref = refs[0] if refs else None
    if ref is None:
        m = _ARXIV_COLON.search(text or "")
        ref = parse_ref(m.group(0)) if m else None
    return ref.arxiv_id if ref else None


def _value(text: str, i: int) -> tuple[str, int]:
    """A field value at text[i]: {braced {nested}}, "quoted", or a bare word/number. Returns (value, end)."""
    if i >= len(text):
        return "", i
    if text[i] == "{":
        depth, j = 0, i
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    return text[i + 1:j], j + 1
            j += 1
        return text[i + 1:], len(text)
    if text[i] == '"':
        j = text.find('"', i + 1)
        j = len(text) if j < 0 else j
        return text[i + 1:j], j + 1
    m = re.match(r"[^,}\s]*", text[i:])  # always matches (possibly empty)
    return (m.group(0), i + m.end()) if m else ("", i)


def _clean(value: str) -> str:
    return " ".join(value.replace("{", "").replace("}", "").split())


def _keep(entries: list[Entry], title: str, arxiv: Optional[str]) -> int:
    """Append an entry that names a paper (by arXiv id or title); an entry naming neither counts 1 as unreadable."""
    if arxiv or title:
        entries.append(Entry(title=title, arxiv_id=arxiv))
        return 0
    return 1


def parse_bibtex(text: str) -> tuple[list[Entry], int]:
    """Entries with an arXiv id or a title, and how many entries had neither (or could not be read)."""
    entries: list[Entry] = []
    bad = 0
    for m in _ENTRY.finditer(text):
        kind = m.group(1).lower()
        if kind in ("comment", "string", "preamble"):
            continue
        i = text.find(",", m.end())
        if i < 0:
            bad += 1
            continue
        fields: dict[str, str] = {}
        i += 1
        while i < len(text):
            f = _FIELD.match(text, i)
            if not f:
                break
            value, i = _value(text, f.end())
            fields[f.group(1).lower()] = value
            while i < len(text) and text[i] in " \t\r\n#":
                i += 1
            if i < len(text) and text[i] == ",":
                i += 1
            else:
                break
        arxiv = None
        prefix = fields.get("archiveprefix", "").lower()
        if fields.get("eprint") and (prefix in ("", "arxiv") or _BARE.match(fields["eprint"])):
            arxiv = paper_ref(_clean(fields["eprint"]))
        for key in ("url", "doi", "journal", "note", "howpublished", "eprint"):
            if arxiv:
                break
            if fields.get(key):
                arxiv = paper_ref(_clean(fields[key]))
        bad += _keep(entries, _clean(fields.get("title", "")), arxiv)
        if len(entries) >= MAX_ENTRIES:
            break
    return entries, bad


def parse_zotero_csv(text: str) -> tuple[list[Entry], int]:
    """A Zotero CSV export: Title, Url, DOI, Extra (`arXiv: 2401.12345`), Archive Location columns."""
    entries: list[Entry] = []
    bad = 0
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    for row in reader:
        row = {(k or "").strip().lower(): (v or "") for k, v in row.items() if isinstance(v, str)}
        arxiv = None
        for key in ("url", "doi", "extra", "archive location", "publication title", "report number"):
            arxiv = paper_ref(row.get(key, ""))
            if arxiv:
                break
        bad += _keep(entries, " ".join(row.get("title", "").split()), arxiv)
        if len(entries) >= MAX_ENTRIES:
            break
    return entries, bad


def parse_library(data: bytes, filename: str = "") -> tuple[list[Entry], int, Optional[str]]:
    """(entries, unreadable count, error): BibTeX or Zotero CSV, told apart by name, then by content."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    name = (filename or "").lower()
    looks_csv = name.endswith(".csv") or (not name.endswith(".bib") and "@" not in text[:2000]
                                          and "title" in text[:500].lower() and "," in text[:500])
    entries, bad = parse_zotero_csv(text) if looks_csv else parse_bibtex(text)
    if not entries:
        kind = "Zotero CSV" if looks_csv else "BibTeX"
        return [], bad, f"I found no references in that file (read as {kind}). Send a .bib file or a Zotero CSV export."
    return entries, bad, None


# -- export -----------------------------------------------------------------------------------------------------
_SPECIAL = re.compile(r"([&%#_])")


def _tex(value: str) -> str:
    value = _SPECIAL.sub(r"\\\1", value)
    if value.count("{") != value.count("}"):
        value = value.replace("{", "").replace("}", "")
    return value


def _key(paper: Paper, used: set[str]) -> str:
    last = (paper.authors[0].split()[-1] if paper.authors and paper.authors[0].split() else "paper")
    year = (paper.published or paper.hf_date or "")[:4]
    word = next((w for w in normalize_title(paper.title).split() if len(w) > 3), "")
    base = re.sub(r"[^a-z0-9]", "", (last + year + word).lower()) or "paper"
    key, n = base, 1
    while key in used:
        n += 1
        key = f"{base}{chr(ord('a') + n - 2)}" if n <= 27 else f"{base}{n}"
    used.add(key)
    return key


def to_bibtex(papers: Iterable[Paper]) -> str:
    """@misc entries with arXiv eprint fields (what arXiv's own 'Export BibTeX citation' gives)."""
    used: set[str] = set()
    out = []
    for p in papers:
        lines = [f"@misc{{{_key(p, used)},", f"  title = {{{_tex(p.title)}}},"]
        if p.authors:
            lines.append(f"  author = {{{_tex(' and '.join(p.authors[:50]) + (' and others' if len(p.authors) > 50 else ''))}}},")
        if day := p.published or p.hf_date:
            lines.append(f"  year = {{{day[:4]}}},")
        if p.arxiv_id:
            lines += [f"  eprint = {{{p.arxiv_id}}},", "  archivePrefix = {arXiv},"]
            cats = [c for c in p.categories if re.fullmatch(r"[a-z\-]+(\.[A-Za-z\-]+)?", c)]
            if cats:
                lines.append(f"  primaryClass = {{{cats[0]}}},")
        lines.append(f"  url = {{{p.url}}},")
        lines.append("}")
        out.append("\n".join(lines))
    return "\n\n".join(out) + ("\n" if out else "")
