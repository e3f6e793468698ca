"""Reply -> Telegram HTML messages. Pure functions: no network, no Core, easy to test with hostile titles.

Why a separate module: Telegram's limits (4096 characters *after entity parsing*, 64-byte callback data, HTML where every
`<`, `>` and `&` in paper text must be escaped) are rendering rules, and the adapter should stay a translator.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache
from dataclasses import dataclass
from typing import Optional, Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
)
from telegram.constants import InlineKeyboardButtonLimit, InlineKeyboardMarkupLimit, MessageLimit

from bot.models import Button, Card, Reply, SearchResult
from bot.render import (card_body, date_label, highlight_spans, pack, paper_links, safe_url, short_authors, short_list,
                        truncate)

MAX_TEXT = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096 after entity parsing (counted here in UTF-16 units, the stricter)
MAX_CALLBACK = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)  # 64 bytes of callback_data
MAX_BUTTONS = int(InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER)  # 100 per inline keyboard
PER_ROW = int(InlineKeyboardMarkupLimit.BUTTONS_PER_ROW)  # 8 (the server keeps only the first 12 of a row)
MAX_ENTITIES = int(MessageLimit.MESSAGE_ENTITIES)  # 100: Telegram ignores the entities after that
LABEL = 64  # characters of a button label we keep (Telegram shows far fewer on a phone)
WHY = 300  # characters of the "Matched: ..." line: a paper matching 9 long topics must not burst a message
SEPARATOR = "\n\n"
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Chunk:
    """One Telegram message: HTML text and its inline keyboard (None when there are no buttons)."""

    text: str
    keyboard: Optional[InlineKeyboardMarkup] = None
    preview_url: Optional[str] = None  # a link preview of this page (a link card's paper); default: no preview


def esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def to_plain(markup: str) -> str:
    """What Telegram shows once the entities are parsed: tags removed, entities unescaped."""
    return html.unescape(_TAG.sub("", markup))


def visible_len(markup: str) -> int:
    """Length after entity parsing, in UTF-16 code units (>= len(); emoji and rare scripts count double)."""
    return len(to_plain(markup).encode("utf-16-le")) // 2


def link(url: Optional[str], label: str) -> str:
    """`<a href>` only for a URL that parses as http(s) with a valid host; otherwise the label as plain text."""
    url = safe_url(url)
    return f'<a href="{esc(url)}">{esc(label)}</a>' if url else esc(label)


def highlighted(text: str, terms: Sequence[str], most: int = 8) -> str:
    """Escape everything; bold the first `most` matched terms (bot.render.highlight_spans decides what matches).
    Telegram ignores entities after the 100th of a message, so a card spends few of them."""
    out, bold = [], 0
    for piece, hit in highlight_spans(text, terms):
        if hit and bold < most:
            bold += 1
            out.append(f"<b>{esc(piece)}</b>")
        else:
            out.append(esc(piece))
    return "".join(out)


_ENTITY = re.compile(r"<(?:b|i|a)[ >]")


def entity_count(markup: str) -> int:
    return len(_ENTITY.findall(markup))


@lru_cache(maxsize=4096)  # cards are frozen and shared by chats following the same topic: render each once
def card_html(card: Card, number: Optional[int] = None, limit: int = MAX_TEXT) -> str:
    """One paper: linked title, short authors, date, upvotes, snippet (or abstract), and why it was picked."""
    p = card.paper
    head = f"<b>{number}.</b> " if number is not None else ""
    lines = [head + link(p.url, truncate(p.title, 300))]
    meta = [esc(short_authors(p.authors))] if p.authors else []
    if date_label(p):
        meta.append(esc(date_label(p)))
    if p.upvotes is not None:
        meta.append(f"▲ {p.upvotes}")
    meta += [link(url, label) for label, url in paper_links(p)]
    if meta:
        lines.append(f"<i>{' · '.join(meta[:1])}</i>" + "".join(" · " + m for m in meta[1:]))
    if card.why:
        lines.append("Matched: " + esc(short_list(card.why, WHY)))
    fixed = "\n".join(lines)
    body = card_body(card)
    room = limit - visible_len(fixed) - 1
    while body and room > 20:
        out = lines[:]
        out.insert(len(lines) - (1 if card.why else 0), highlighted(truncate(body, room), card.matched))
        excess = visible_len("\n".join(out)) - limit
        if excess <= 0:
            return "\n".join(out)
        room -= excess
    return fixed


def _text_blocks(text: str, limit: int) -> list[str]:
    """Plain text -> escaped blocks that each fit, split at line breaks (a single huge line is cut)."""
    blocks: list[str] = []
    for line in (text or "").split("\n"):
        while visible_len(esc(line)) > limit:
            blocks.append(esc(line[: limit // 2]))
            line = line[limit // 2 :]
        blocks.append(esc(line))
    groups = pack(blocks, lambda b: visible_len(b) + 1, limit + 1)
    return ["\n".join(g) for g in groups if any(g)]


@lru_cache(maxsize=4096)  # PTB objects are immutable and slow to build
def button(b: Button) -> Optional[InlineKeyboardButton]:
    """A Button as Telegram wants it; None when its callback data would exceed 64 bytes (Telegram would reject it)."""
    label = truncate(" ".join((b.label or "").split()), LABEL) or "·"
    if b.url:
        url = safe_url(b.url)
        return InlineKeyboardButton(label, url=url) if url else None
    if not b.action or len(b.action.encode("utf-8")) > MAX_CALLBACK:
        return None
    return InlineKeyboardButton(label, callback_data=b.action)


def keyboard(rows: Sequence[Sequence[Button]], prefixes: Sequence[str] = ()) -> Optional[InlineKeyboardMarkup]:
    """Rows of at most 8 buttons (a longer row wraps), at most 100 buttons in all (the rest are dropped)."""
    out, count = [], 0
    for i, row in enumerate(rows):
        prefix = prefixes[i] if i < len(prefixes) else ""
        made = [x for x in (button(Button(prefix + b.label, b.action, b.url)) for b in row) if x]
        made = made[: max(0, MAX_BUTTONS - count)]
        count += len(made)
        out += [made[j : j + PER_ROW] for j in range(0, len(made), PER_ROW)]
    return InlineKeyboardMarkup(out) if out else None


def render(reply: Reply, limit: int = MAX_TEXT) -> list[Chunk]:
    """A Reply -> messages that each fit Telegram's limit, split only between blocks (text lines, papers, footer).

    Cards are numbered across the whole reply so per-paper buttons can say which paper they belong to; reply-level
    buttons go on the last message.
    """
    items: list[tuple[str, Optional[tuple[Button, ...]], str]] = []  # (html, card buttons, label prefix)
    extra: dict[int, list[Button]] = {}  # item index -> a row of section buttons under it
    items += [(b, None, "") for b in _text_blocks(reply.text, limit)]
    cards = list(reply.cards) + [c for sec in reply.sections for c in sec.cards]
    first = max(1, reply.first_number)
    numbered = len(cards) > 1 or first > 1  # a second page keeps counting: 6, 7, ...
    for i, card in enumerate(reply.cards, first):
        items.append((card_html(card, i if numbered else None, limit), card.buttons, f"{i}· " if numbered else ""))
    i = first - 1 + len(reply.cards)
    for sec in reply.sections:  # a topic's section: its title, its cards, its "Show K more" button
        items += [(f"<b>{b}</b>", None, "") for b in _text_blocks(sec.title, limit - 7)]
        for card in sec.cards:
            i += 1
            items.append((card_html(card, i if numbered else None, limit), card.buttons, f"{i}· " if numbered else ""))
        if sec.buttons:
            extra[len(items) - 1] = list(sec.buttons)
    items += [(b, None, "") for b in _text_blocks(reply.footer, limit)]
    if not items:
        return []
    groups = _group(items, limit, len(reply.buttons), extra)
    chunks = []
    for n, group in enumerate(groups):
        rows, prefixes = [], []
        for k in group:
            it = items[k]
            if it[1]:
                rows.append(list(it[1]))
                prefixes.append(it[2])
            if k in extra:
                rows.append(extra[k])
                prefixes.append("")
        if n == len(groups) - 1 and reply.buttons:
            rows.append(list(reply.buttons))
            prefixes.append("")
        chunks.append(Chunk(SEPARATOR.join(items[k][0] for k in group), keyboard(rows, prefixes)))
    return chunks


def _group(items: list, limit: int, reply_buttons: int, extra: dict) -> list[list[int]]:
    """Item indexes in order, grouped so each message stays within the length (after entity parsing), 100 entities
    (more are ignored by Telegram) and 100 buttons, counting the reply's own buttons on the last message."""
    groups: list[list[int]] = []
    current: list[int] = []
    used: tuple[int, ...] = (0, 0, 0)
    for n, (markup, buttons, _prefix) in enumerate(items):
        size = (visible_len(markup) + len(SEPARATOR), entity_count(markup),
                len(buttons or ()) + len(extra.get(n, ())) + (reply_buttons if n == len(items) - 1 else 0))
        total: tuple[int, ...] = tuple(a + b for a, b in zip(used, size, strict=True))
        if current and (total[0] > limit + len(SEPARATOR) or total[1] > MAX_ENTITIES or total[2] > MAX_BUTTONS):
            groups.append(current)
            current, total = [], size
        current.append(n)
        used = total
    if current:
        groups.append(current)
    return groups


def without_button(markup: Optional[InlineKeyboardMarkup], data: str) -> list[list[InlineKeyboardButton]]:
    """A message's keyboard rows minus the pressed callback button (a "Show K more" is used up)."""
    rows = [[b for b in row if b.callback_data != data] for row in (markup.inline_keyboard if markup else ())]
    return [row for row in rows if row]


_NUMBER = re.compile(r"^(\d+)\. ", re.M)


def extended(original_html: str, markup: Optional[InlineKeyboardMarkup], data: str, reply: Reply,
             limit: int = MAX_TEXT) -> Optional[Chunk]:
    """The pressed message with `reply` added under it (cards numbered on from the message's last number), as one
    message within every limit; None when it would not fit (the caller then posts the reply as new messages)."""
    numbers = [int(n) for n in _NUMBER.findall(to_plain(original_html))]
    if numbers and reply.first_number <= 1:
        import dataclasses

        reply = dataclasses.replace(reply, first_number=max(numbers) + 1)
    chunks = render(reply, limit)
    if len(chunks) != 1:
        return None
    text = original_html + SEPARATOR + chunks[0].text
    rows = without_button(markup, data) + [list(r) for r in (chunks[0].keyboard.inline_keyboard
                                                             if chunks[0].keyboard else ())]
    if (visible_len(text) > limit or entity_count(text) > MAX_ENTITIES
            or sum(len(r) for r in rows) > MAX_BUTTONS or any(len(r) > PER_ROW for r in rows)):
        return None
    return Chunk(text, InlineKeyboardMarkup(rows) if rows else None)


NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def inline_results(result: SearchResult) -> list[InlineQueryResultArticle]:
    """Search hits -> inline-mode articles; choosing one posts the paper card in the chat."""
    articles = []
    for hit in result.hits:
        p = hit.paper
        desc = " · ".join(x for x in (short_authors(p.authors), date_label(p),
                                      f"▲ {p.upvotes}" if p.upvotes is not None else "") if x)
        content = InputTextMessageContent(card_html(Card(paper=p, matched=hit.matched)), parse_mode="HTML",
                                          link_preview_options=NO_PREVIEW)
        articles.append(InlineQueryResultArticle(id=p.id.encode("utf-8")[:64].decode("utf-8", "ignore"),
                                                 title=truncate(p.title, 200), description=truncate(desc, 200),
                                                 input_message_content=content, url=safe_url(p.url)))
    return articles
