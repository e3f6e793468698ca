"""Slack link unfurls: a `link_shared` event for arxiv.org / huggingface.co / alphaxiv.org links -> `chat.unfurl`
with a paper card (title, authors, date, upvotes, code link, a short abstract) and its buttons (Follow similar topic,
Abstract, Share). Needs the `links:read` / `links:write` scopes, the domains under `unfurl_domains` and the
`link_shared` bot event (slack-manifest.yml)."""
from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from adapters.slack_render import actions_blocks, card_text
from bot.links import unfurl_cards
from bot.models import Card

log = logging.getLogger("paperwire.slack")

UNFURL_DOMAINS = ("arxiv.org", "huggingface.co", "alphaxiv.org")


def unfurl_blocks(card: Card) -> list[dict]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": card_text(card)}}] + actions_blocks(card.buttons)


async def on_link_shared(adapter, event: dict, chat_id: str, client) -> None:
    urls = [str(link.get("url", ""))[:500] for link in event.get("links") or [] if isinstance(link, dict)]
    if not urls:
        return
    cards = await adapter._run(lambda: unfurl_cards(adapter.core, "slack", chat_id, urls))
    if not isinstance(cards, dict) or not cards:  # nothing that names a paper (or the core failed: logged there)
        return
    unfurls = {url: {"blocks": unfurl_blocks(card)} for url, card in cards.items()}
    where = ({"unfurl_id": event["unfurl_id"], "source": event["source"]}
             if event.get("unfurl_id") and event.get("source") else
             {"channel": event.get("channel", ""), "ts": event.get("message_ts", "")})
    try:
        await client.chat_unfurl(unfurls=unfurls, **where)
    except SlackApiError as e:
        log.warning("slack: chat.unfurl failed: %s", e.response.get("error"))
