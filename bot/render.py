"""Platform-neutral text helpers every adapter renders with: short author lists, snippets, highlight spans, chunking."""
from __future__ import annotations

import re
from typing import Iterable, Sequence, TypeVar
from urllib.parse import urlsplit

from bot.models import Card, Paper

T = TypeVar("T")


def short_authors(authors: Sequence[str], keep: int = 3) -> str:
    """`A, B, C et al.` — a 3,303-author paper must not fill a message."""
    names = [a for a in authors if a]
    if not names:
        return ""
    names = [truncate(" ".join(a.split()), 80) for a in names]  # a hostile 10k-character "author" stays short
    if len(names) <= keep:
        return ", ".join(names)
    return ", ".join(names[:keep]) + " et al."


def _term_regex(terms: Iterable[str]) -> re.Pattern | None:
    words = sorted({t.strip().lower() for t in terms if t and t.strip()}, key=len, reverse=True)
    if not words:
        return None
    # a matched term highlights its inflections too: "diffusion" marks "diffusions"
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)


def window(text: str, pos: int, length: int = 240) -> str:
    """About `length` characters of text around position `pos` (from the start when `pos` is early or -1),
    cut at word boundaries, with ellipses where text was left out."""
    if len(text) <= length:
        return text
    start = text.rfind(" ", 0, pos - length // 3) + 1 if pos > length // 3 else 0
    end = start + length
    if end < len(text):
        cut = text.rfind(" ", start, end)
        end = cut if cut > start else end
    piece = text[start:end].strip()
    return ("… " if start > 0 else "") + piece + (" …" if end < len(text) else "")


def paper_links(p: Paper) -> list[tuple[str, str]]:
    """A card's extra links as (label, https URL): the code repository (with its stars) and the project page."""
    out: list[tuple[str, str]] = []
    if p.github_repo and safe_url(p.github_repo):  # only URLs that parse as http(s) with a valid host become links
        out.append((f"code ★{p.github_stars}" if p.github_stars else "code", p.github_repo))
    if p.project_page and safe_url(p.project_page) and p.project_page != p.github_repo:
        out.append(("project page", p.project_page))
    return out


def card_body(card: Card) -> str:
    """The text under a card's title: the snippet, or the whole abstract (plus HF's AI summary) when asked."""
    p = card.paper
    if card.show_abstract:
        extra = f"\n\nAI summary (Hugging Face): {p.ai_summary}" if p.ai_summary else ""
        return (p.abstract or "") + extra if p.abstract else p.ai_summary
    return card.snippet or snippet(p, card.matched) or p.ai_summary


def snippet(paper: Paper, terms: Sequence[str] = (), length: int = 240) -> str:
    """A piece of the abstract, centred on the first matched term when there is one, cut at word boundaries."""
    text = paper.abstract or ""
    if len(text) <= length:
        return text
    rx = _term_regex(terms)
    m = rx.search(text) if rx else None
    return window(text, m.start() if m else -1, length)


def highlight_spans(text: str, terms: Sequence[str]) -> list[tuple[str, bool]]:
    """Split text into (piece, is_match) so each adapter can bold matches in its own markup, escaping the rest."""
    rx = _term_regex(terms)
    if not rx or not text:
        return [(text, False)] if text else []
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in rx.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((m.group(0), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def pack(items: Sequence[T], size_of, limit: int, reserve: int = 0) -> list[list[T]]:
    """Group items in order so each group's total size stays <= limit (an item alone never splits)."""
    groups: list[list[T]] = []
    current: list[T] = []
    used = reserve
    for item in items:
        n = size_of(item)
        if current and used + n > limit:
            groups.append(current)
            current, used = [], reserve
        current.append(item)
        used += n
    if current:
        groups.append(current)
    return groups


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ellipsis))].rstrip() + ellipsis


_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_URL_BAD = re.compile(r"[\s\"'<>\\^`{|}\x00-\x1f\x7f]")
MAX_URL = 2048


def safe_url(url: str | None) -> str | None:
    """The URL if it is an http(s) URL with a host that parses (labels of letters, digits and hyphens, a dotted name
    or an IPv4 address), nothing a markup could trip over (spaces, quotes, <>, |, control characters); else None.
    Telegram silently drops an `<a href>` whose host does not parse, and Slack's `<url|label>` breaks on `|` or `>`:
    such links are shown as text instead."""
    if not url or len(url) > MAX_URL or _URL_BAD.search(url):
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port  # .port raises on a malformed port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    labels = ascii_host.rstrip(".").split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        return None
    if labels[-1].isdigit() and not (len(labels) == 4 and all(x.isdigit() and int(x) < 256 for x in labels)):
        return None  # a numeric top-level label is only fine as a dotted IPv4 address
    del port
    return url


def short_list(items: Sequence[str], limit: int = 300, each: int = 80) -> str:
    """`a, b, c and 6 more` within `limit` characters (each item cut to `each`): 'why'/'Matched' lines for papers
    matching many long topics stay short."""
    names = [truncate(" ".join(x.split()), each) for x in items if x and x.strip()]
    out = ""
    for i, name in enumerate(names):
        rest = len(names) - i - 1
        candidate = (out + ", " if out else "") + name
        reserve = len(f" and {rest} more") if rest else 0
        if len(candidate) + reserve > limit and out:
            return out + f" and {len(names) - i} more"
        out = candidate
    return truncate(out, limit)


def date_label(paper: Paper) -> str:
    """One date rule everywhere: the arXiv date; the Hugging Face day only labelled as such."""
    if paper.published and paper.hf_date and paper.hf_date != paper.published:
        return f"{paper.published} (HF daily {paper.hf_date})"
    if paper.published:
        return paper.published
    return f"HF daily {paper.hf_date}" if paper.hf_date else ""


def fit_escaped(text: str, limit: int, escape, ellipsis: str = "…") -> str:
    """`escape(text)` cut to at most `limit` characters at a character boundary of the *unescaped* text, so no entity
    (`&amp;`, `&lt;`) is ever split: truncate first, escape after."""
    out = escape(text)
    if len(out) <= limit:
        return out
    room = limit - len(ellipsis)
    used, cut = 0, 0
    for i, ch in enumerate(text):
        n = len(escape(ch))
        if used + n > room:
            break
        used, cut = used + n, i + 1
    return escape(text[:cut].rstrip()) + ellipsis
