"""Pasted paper links -> paper cards: Telegram link cards and Slack unfurls share this.

`await link_reply(core, platform, chat_id, text)`: the cards for the arXiv / Hugging Face / alphaXiv / arXiv-DOI
links in a message (a paper not in the store is fetched and saved once), each paper at most once per chat per day
(recorded in SQLite the moment it is decided), nothing when the chat turned `/links off`.
`await unfurl_cards(core, platform, chat_id, urls)`: one card per URL for Slack's `chat.unfurl` (no daily limit:
Slack asks once per posted link).
Each card has Follow similar topic, Abstract and Share buttons.
"""
from __future__ import annotations

import logging
import re
from datetime import timezone
from typing import Optional

from bot import digests as dg
from bot.models import Button, Card, Paper, Reply
from bot.paper_ref import PaperRef, find_refs, parse_ref

log = logging.getLogger(__name__)

MAX_CARDS = 3  # per message: a pasted reading list must not flood the chat
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]{3,}")
_STOP = {"with", "from", "into", "towards", "toward", "using", "via", "what", "when", "your", "their", "than",
         "learning", "model", "models", "large", "language", "based", "approach", "method", "methods"}


def similar_topic(paper: Paper) -> str:
    """A topic that finds papers like this one: HF's first two AI keywords, else the title's first content words."""
    keys = [k for k in paper.ai_keywords if 2 < len(k) < 60][:2]
    if keys:
        return " OR ".join(f'"{k}"' for k in keys)
    words = [w for w in _WORD.findall(paper.title.split(":")[0]) if w.lower() not in _STOP][:3]
    return " ".join(words) or paper.title[:60]


def link_card(store, platform: str, chat_id: str, paper: Paper, now: str) -> Card:
    qid = store.chats.save_query(platform, chat_id, similar_topic(paper), now=now)
    card = dg.paper_card(paper)
    return Card(paper=card.paper, snippet=card.snippet,
                buttons=(Button("Follow similar topic", f"fol:{qid}"),) + card.buttons)


def _now(core) -> tuple[str, str]:
    t = core.clock().astimezone(timezone.utc)
    return t.isoformat(timespec="seconds"), t.date().isoformat()


async def _paper(core, ref: PaperRef, now: str) -> Optional[Paper]:
    from bot.sources.lookup import lookup_paper

    found = await lookup_paper(core.store, core.settings, ref.arxiv_id, now=now)
    if found.error:
        log.info("link card for %s: %s", ref.arxiv_id, found.error)
    return found.paper


async def link_reply(core, platform: str, chat_id: str, text: str, kind: str = "private") -> Optional[Reply]:
    """Cards for the paper links in a message, or None (no links, /links off, all shown today already)."""
    refs = find_refs(text, limit=MAX_CARDS)
    if not refs or not core.store.links.enabled(platform, chat_id):
        return None
    core.ensure_chat(platform, chat_id, kind)
    now, day = _now(core)
    cards = []
    for ref in refs:
        if core.store.links.last_card_day(platform, chat_id, ref.arxiv_id) == day:
            continue
        paper = await _paper(core, ref, now)
        if paper is None or not core.store.links.claim_card(platform, chat_id, paper.id, day, now):
            continue
        cards.append(link_card(core.store, platform, chat_id, paper, now))
    return Reply(cards=tuple(cards)) if cards else None


async def unfurl_cards(core, platform: str, chat_id: str, urls: list[str], kind: str = "group") -> dict[str, Card]:
    """URL -> card for each URL that names a paper (fetched if needed)."""
    core.ensure_chat(platform, chat_id, kind)
    now, _ = _now(core)
    out: dict[str, Card] = {}
    for url in urls[:MAX_CARDS * 2]:
        ref = parse_ref(url) or next(iter(find_refs(url, 1)), None)
        if ref is None:
            continue
        paper = await _paper(core, ref, now)
        if paper is not None:
            out[url] = link_card(core.store, platform, chat_id, paper, now)
    return out
