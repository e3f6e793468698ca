"""arXiv ids and paper links as people paste them -> one versionless arXiv id. Pure; never raises on user text.

Shared by `/paper`, Slack unfurls, Telegram link cards, and anything else that takes "an id or a link" (BibTeX
import, `/similar`): use `parse_ref(text)` for one argument, `find_refs(text)` for the links inside a message.

Accepted:
- new-style ids `2405.21060`, `2405.21060v2`, `arXiv:2405.21060`; old-style `math/0502287`, `hep-th/9901001v1`,
  `math.DG/0502287` (-> `math/0502287`);
- `arxiv.org/abs|pdf|html/ID` (also `export.` / `www.`, `.pdf`, trailing slash, query, fragment),
- `huggingface.co/papers/ID`, `alphaxiv.org/abs|overview|pdf/ID`,
- `doi.org/10.48550/arXiv.ID` (arXiv's own DOIs) and a bare `10.48550/arXiv.ID`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

_NEW = r"(?P<new>\d{4}\.\d{4,5})"
_OLD = r"(?P<old>[a-z][a-z\-]{1,15}(?:\.[A-Z]{2})?/\d{7})"
_VERSION = r"(?:v(?P<version>\d{1,3}))?"
_ID = rf"(?:{_NEW}|{_OLD}){_VERSION}"

_BARE = re.compile(rf"^(?:arxiv:\s*)?{_ID}$", re.IGNORECASE)
_HOSTS = {
    "arxiv": r"(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/",
    "hf": r"(?:www\.)?huggingface\.co/papers/",
    "alphaxiv": r"(?:www\.)?alphaxiv\.org/(?:abs|overview|pdf)/",
    "doi": r"(?:(?:dx\.)?doi\.org/)?10\.48550/arxiv\.",
}
_URL = re.compile(
    r"(?:https?://)?(?P<host>" + "|".join(f"(?P<{k}>{v})" for k, v in _HOSTS.items()) + rf"){_ID}"
    r"(?:\.pdf)?(?![\w.]*\d)",
    re.IGNORECASE,
)
# a cheap pre-check for "this text may hold a paper link" (adapters filter messages with it)
LINK_HINT = r"(?i)(?:arxiv\.org/|huggingface\.co/papers/|alphaxiv\.org/|10\.48550/arxiv\.)"
# the YYMM of a new-style id: 07..99 for the year, 01..12 for the month
_YYMM = re.compile(r"^(\d{2})(0[1-9]|1[0-2])\.")


@dataclass(frozen=True)
class PaperRef:
    """A paper reference: the versionless arXiv id, the version if one was given, and where it came from."""

    arxiv_id: str
    version: Optional[int] = None
    source: str = "id"  # id | arxiv | hf | alphaxiv | doi
    text: str = ""  # the matched text, as written

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"


def _make(m: re.Match, source: str) -> Optional[PaperRef]:
    new, old = m.group("new"), m.group("old")
    if new:
        if not _YYMM.match(new):
            return None
        # four digits after the dot until 1412, five from 1501
        if (new[:4] >= "1501") != (len(new) == 10):
            return None
        aid = new
    else:
        archive, number = old.split("/")
        aid = f"{archive.split('.')[0].lower()}/{number}"  # `math.DG/0502287` is the paper `math/0502287`
    version = int(m.group("version")) if m.group("version") else None
    return PaperRef(aid, version, source, m.group(0))


def parse_ref(text: str) -> Optional[PaperRef]:
    """One id or link (the whole argument) -> PaperRef, or None when it is neither."""
    value = (text or "").strip().strip("<>").strip().rstrip(".,;:)")
    if not value or len(value) > 300:
        return None
    m = _BARE.match(value)
    if m:
        return _make(m, "id")
    m = _URL.match(value)
    if m and _URL_TAIL.match(value, m.end()):
        return _make(m, _source(m))
    return None


_URL_TAIL = re.compile(r"(?:/|[?#].*)?$")


def _source(m: re.Match) -> str:
    return next(k for k in _HOSTS if m.group(k))


def find_refs(text: str, limit: int = 5) -> list[PaperRef]:
    """The paper links in a message (arXiv, Hugging Face, alphaXiv, arXiv DOIs), each paper once, in order.

    Bare ids are not picked out of free text (a version number or a date could look like one)."""
    out: list[PaperRef] = []
    seen: set[str] = set()
    for m in _URL.finditer(text or ""):
        if m.group("doi") and "10.48550" not in m.group(0).lower():
            continue
        ref = _make(m, _source(m))
        if ref and ref.arxiv_id not in seen:
            seen.add(ref.arxiv_id)
            out.append(ref)
            if len(out) >= limit:
                break
    return out
