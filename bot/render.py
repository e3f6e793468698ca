"""Platform-neutral text helpers every adapter renders with: short author lists, snippets, highlight spans, chunking."""
from __future__ import annotations

import re
from typing import Iterable, Sequence, TypeVar

from bot.models import Card, Paper

T = TypeVar("T")


def short_authors(authors: Sequence[str], keep: int = 3) -> str:
    """`A, B, C et al.` — a 3,303-author paper must not fill a message."""
    names = [a for a in authors if a]
    if not names:
        return ""
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
    out = []
    if p.github_repo and p.github_repo.startswith("https://"):
        out.append((f"code ★{p.github_stars}" if p.github_stars else "code", p.github_repo))
    if p.project_page and p.project_page.startswith("https://") and p.project_page != p.github_repo:
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
