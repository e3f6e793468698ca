"""Code alerts: a paper a chat was sent, or that matches one of its topics, later gains a code repository (HF's
`githubRepo` appears) -> the chat's next digest carries one "Code released" line for it, once (store/links.py
`code_alerts`, recorded when the digest's content is fixed, so a retried or resumed digest carries the same line)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Sequence

from bot.models import Chat, CodeRelease
from bot.render import truncate

LOOKBACK = timedelta(days=8)  # code released longer ago than this is old news
PER_DIGEST = 5


def recent_releases(store, now: datetime) -> list[CodeRelease]:
    since = (now - LOOKBACK).astimezone(timezone.utc).isoformat(timespec="seconds")
    return store.papers.code_released_since(since)


def code_lines(store, searcher, chat: Chat, topics: Sequence[str], releases: Sequence[CodeRelease], *,
               mark: bool, now: str) -> list[str]:
    since = chat.digest_since or chat.subscribed_at or ""
    mine = [r for r in releases if r.at >= since and r.paper.github_repo]
    if not mine:
        return []
    untold = store.links.untold_code(chat.platform, chat.chat_id, [r.paper.id for r in mine])
    mine = [r for r in mine if r.paper.id in untold]
    if not mine:
        return []
    sent = {pid for cpk, pid in store.deliveries.delivered([r.paper.id for r in mine]) if cpk == chat.pk}
    matched: set[str] = set()
    rest = {r.pk: r.paper.id for r in mine if r.paper.id not in sent}
    if rest and topics:
        for hits, _ in searcher.match_window(list(topics), min(rest) - 1, max(rest)).values():
            matched |= {rest[pk] for pk in hits if pk in rest}
    chosen = [r for r in mine if r.paper.id in sent or r.paper.id in matched][:PER_DIGEST]
    if mark and chosen:
        store.links.mark_code_told(chat.platform, chat.chat_id, [(r.paper.id, r.paper.github_repo) for r in chosen],
                                   now)
    return [f"Code released: {truncate(r.paper.title, 120)} - {r.paper.github_repo}" for r in chosen]
