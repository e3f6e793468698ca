"""Slack text in and out: slash-command text -> core command text, and Reply -> Block Kit within Slack's limits.

Why a module of its own: the limits are easy to break and silent until a real workspace rejects a message
(`invalid_blocks`, `msg_blocks_too_long`). Everything here is pure (dicts in, dicts out) so it is tested without Slack:
<= 50 blocks per message, section text <= 3000 chars, a message total well under Slack's ~12k, mrkdwn-escaped text
(`&`, `<`, `>` only), a plain `text` fallback for notifications, and long replies split into several messages.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Iterable, Optional, Sequence

from bot import registry
from bot.models import Button, Card, Reply
from bot.render import (card_body, date_label, fit_escaped, highlight_spans, paper_links, safe_url, short_authors,
                        short_list, truncate)

MAX_BLOCKS = 50  # per message (Block Kit)
MAX_HOME_BLOCKS = 100  # per App Home view
SECTION_CHARS = 3000  # text of one section / context element
MESSAGE_CHARS = 10_000  # our budget for one message's serialized blocks: Slack rejects around 12-13k
BUTTON_LABEL = 75  # plain_text of a button
ACTIONS_PER_BLOCK = 25
VALUE_CHARS = 2000  # a button's value
URL_CHARS = 3000  # a button's url
ACTION_PREFIX = "pw"  # action_id prefix: Slack wants unique ids per message; the value carries Button.action


def escape(text: str) -> str:
    """mrkdwn escaping: Slack only treats `&`, `<`, `>` as control characters."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slash-command text arrives HTML-escaped; the core wants what the user typed."""
    return (text or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def subcommands() -> frozenset[str]:
    """`/papers WORD ...`: the core's command names (bot/registry.py; not aliases: `/papers stop words` is a search)."""
    return frozenset(c.name for c in registry.commands())


def to_core_text(text: str) -> str:
    """`/papers follow T` -> `/follow T`; `/papers flash attention` -> `/search flash attention`; empty -> `/help`.
    A command word followed by words its command does not take is a search (`/papers time series`)."""
    text = unescape(text).strip()
    if not text:
        return "/help"
    first, _, rest = text.partition(" ")
    word = first.lstrip("/").lower()
    spec = registry.lookup(word) if word in subcommands() else None
    if spec is not None and spec.accepts(rest):  # `/papers time series` is a search, `/papers time 08:30` is not
        return f"/{word} {rest.strip()}".rstrip()
    return f"/search {text}"


@lru_cache(maxsize=4)
def _core_command(names: frozenset[str]) -> re.Pattern:
    return re.compile(r"(?<![\w/:.])/(" + "|".join(sorted(names, key=len, reverse=True)) + r")\b")


def slack_commands(text: str) -> str:
    """The core speaks of `/follow T`; in Slack that is typed `/papers follow T`."""
    return _core_command(subcommands()).sub(r"/papers \1", text or "")


def bold_matches(text: str, terms: Sequence[str]) -> str:
    """Escape `text` and wrap the matched words in mrkdwn `*bold*`."""
    return "".join(f"*{escape(piece)}*" if hit else escape(piece) for piece, hit in highlight_spans(text, terms))


def _link(url: str, label: str) -> str:
    """`<url|label>` for a URL that parses as http(s) with a valid host; the label alone otherwise.
    `|` separates URL and label in a Slack link: keep the label unambiguous."""
    safe = safe_url(url)
    label = escape(label).replace("|", "¦")
    return f"<{safe}|{label}>" if safe else label


WHY = 300  # characters of the "Matched: ..." line


def card_text(card: Card, number: int | None = None) -> str:
    """One paper as mrkdwn (<= 3000 characters, never cut inside an entity): linked bold title, short authors ·
    date · upvotes · code, snippet with matches in bold, the topics that matched."""
    p = card.paper
    meta = [escape(short_authors(p.authors))] if p.authors else []
    if date_label(p):
        meta.append(escape(date_label(p)))
    if p.upvotes is not None:
        meta.append(f"▲ {p.upvotes}")
    meta += [_link(url, label) for label, url in paper_links(p)]
    head = f"{number}. " if number is not None else ""
    lines = [f"{head}*{_link(p.url, truncate(' '.join(p.title.split()), 300))}*"]
    if meta:
        lines.append(" · ".join(meta))
    tail = ["_Matched: " + escape(short_list(card.why, WHY)) + "_"] if card.why else []
    body = card_body(card) or ""
    room = SECTION_CHARS - len("\n".join(lines + tail)) - 1
    n = min(len(body), room)
    while body and n > 20:  # escaping and bold marks grow the text: shrink the plain text until it fits
        piece = bold_matches(truncate(body, n), card.matched)
        if len(piece) <= room:
            return "\n".join(lines + [piece] + tail)
        n -= max(len(piece) - room, 10)
    return "\n".join(lines + tail)


def _section(mrkdwn: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _escaped_pieces(line: str, limit: int) -> list[str]:
    """One plain line -> escaped pieces of <= limit characters, cut between characters of the plain text."""
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for ch in line:
        e = escape(ch)
        if used + len(e) > limit:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(e)
        used += len(e)
    pieces.append("".join(current))
    return pieces


def text_sections(text: str) -> list[dict]:
    """Plain text -> escaped sections of <= 3000 chars, cut at line breaks where possible (never inside an entity)."""
    out, current = [], ""
    for raw in (text or "").split("\n"):
        *whole, line = _escaped_pieces(raw, SECTION_CHARS)
        if whole:  # a single monster line: hard cut
            if current:
                out.append(current)
                current = ""
            out.extend(whole)
        if current and len(current) + 1 + len(line) > SECTION_CHARS:
            out.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current.strip():
        out.append(current)
    return [_section(s) for s in out]


# Slack's words for some core buttons: a share posts in the channel, a follow is the channel's, a page is 5 papers
SLACK_LABELS = {"share": "Share in channel", "fol": "Follow in this channel", "more": "Next 5"}


def button_element(button: Button, index: int) -> dict | None:
    """A Block Kit button; None for a link button whose URL does not parse (Slack would refuse the message)."""
    label = SLACK_LABELS.get(button.action.split(":", 1)[0], button.label) if button.action else button.label
    label = truncate(" ".join((label or "").split()), BUTTON_LABEL) or "·"
    el = {"type": "button", "action_id": f"{ACTION_PREFIX}:{index}",
          "text": {"type": "plain_text", "text": label, "emoji": True}}
    if button.action:
        el["value"] = button.action[:VALUE_CHARS]
    if button.url:
        url = safe_url(button.url)
        if not url or len(url) > URL_CHARS:
            return None
        el["url"] = url
    return el


def actions_blocks(buttons: Sequence[Button], start: int = 0) -> list[dict]:
    made = [(i, b) for i, b in enumerate(buttons) if button_element(b, 0) is not None]
    buttons = [b for _, b in made]
    blocks = []
    for i in range(0, len(buttons), ACTIONS_PER_BLOCK):
        chunk = buttons[i : i + ACTIONS_PER_BLOCK]
        blocks.append({"type": "actions",
                       "elements": [button_element(b, start + i + j) for j, b in enumerate(chunk)]})
    return blocks


def _units(reply: Reply) -> list[list[dict]]:
    """The reply as indivisible groups of blocks (a card stays with its buttons)."""
    units = [[s] for s in text_sections(slack_commands(reply.text))] if reply.text else []
    counter = 0
    first = max(1, reply.first_number)
    numbered = len(reply.cards) + sum(len(s.cards) for s in reply.sections) > 1 or first > 1  # page 2: 6, 7, ...
    number = first - 1
    for card in reply.cards:
        number += 1
        i = number
        unit = [_section(card_text(card, i if numbered else None))]
        if card.buttons:
            unit += actions_blocks(card.buttons, counter)
            counter += len(card.buttons)
        units.append(unit)
    for sec in reply.sections:  # a topic's section: its title, its cards, its "Show K more" button
        units.append([_section(f"*{escape(truncate(sec.title, 300))}*")])
        for card in sec.cards:
            number += 1
            unit = [_section(card_text(card, number if numbered else None))]
            if card.buttons:
                unit += actions_blocks(card.buttons, counter)
                counter += len(card.buttons)
            units.append(unit)
        if sec.buttons:
            units[-1] = units[-1] + actions_blocks(sec.buttons, counter)
            counter += len(sec.buttons)
    if reply.footer:
        units.append([{"type": "context", "elements": [{"type": "mrkdwn",
                                                        "text": fit_escaped(slack_commands(reply.footer),
                                                                            SECTION_CHARS, escape)}]}])
    if reply.buttons:  # each actions block (<= 25 buttons) may go to the next message if this one is full
        units += [[b] for b in actions_blocks(reply.buttons, 1000)]
    return units


def _size(blocks: Iterable[dict]) -> int:
    return sum(len(json.dumps(b, ensure_ascii=False)) for b in blocks)


def _fallback_plain(reply: Reply) -> str:
    parts = [slack_commands(reply.text)] if reply.text else []
    cards = (list(reply.cards) + [c for s in reply.sections for c in s.cards])[:10]
    parts += [f"• {truncate(c.paper.title, 300)}" for c in cards]
    return "\n".join(parts) or "Paperwire"


def fallback_text(reply: Reply, limit: int = SECTION_CHARS) -> str:
    """The notification / screen-reader text Slack shows when blocks cannot be: truncated, then escaped."""
    return fit_escaped(_fallback_plain(reply), limit, escape)


def reply_messages(reply: Reply) -> list[dict]:
    """Reply -> one or more `{"text", "blocks"}` payloads, each within the block and size limits, in order."""
    messages: list[list[dict]] = []
    current: list[dict] = []
    for unit in _units(reply):
        if current and (len(current) + len(unit) > MAX_BLOCKS or _size(current) + _size(unit) > MESSAGE_CHARS):
            messages.append(current)
            current = []
        current.extend(unit)
    if current or not messages:
        messages.append(current)
    text = fallback_text(reply)
    out = []
    for i, blocks in enumerate(messages):
        payload: dict = {"text": text if i == 0 else fallback_text(reply, 200) + " (continued)"}
        if blocks:
            payload["blocks"] = blocks
        out.append(payload)
    return out


def home_view(reply: Reply, title: str = "Paperwire") -> dict:
    """The App Home tab: a header and the overview reply, cut to the 100-block limit of a view."""
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    for unit in _units(reply):
        if len(blocks) + len(unit) > MAX_HOME_BLOCKS:
            break
        blocks.extend(unit)
    return {"type": "home", "blocks": blocks}


def extended_blocks(original: Sequence[dict], pressed: str, reply: Reply) -> list[dict] | None:
    """"Show K more" in Slack: the pressed message's blocks with the used-up button removed and the reply's blocks
    inserted where it was; None when that would not fit one message (the caller posts the reply instead)."""
    blocks: list[dict] = []
    at: Optional[int] = None
    for block in original:
        if block.get("type") == "actions" and any(e.get("value") == pressed for e in block.get("elements", ())):
            at = len(blocks)
            rest = [e for e in block["elements"] if e.get("value") != pressed]
            if rest:
                blocks.append({**block, "elements": rest})
                at += 1
            continue
        blocks.append(block)
    if at is None:
        return None
    used = {e.get("action_id") for b in blocks for e in b.get("elements", ()) if isinstance(e, dict)}
    new = [b for unit in _units(reply) for b in unit]
    for b in new:  # action ids stay unique within the message
        for e in b.get("elements", ()):
            if e.get("type") == "button":
                base, n = e["action_id"], 0
                while e["action_id"] in used:
                    n += 1
                    e["action_id"] = f"{base}.{n}"
                used.add(e["action_id"])
    out = blocks[:at] + new + blocks[at:]
    if len(out) > MAX_BLOCKS or _size(out) > MESSAGE_CHARS:
        return None
    return out
