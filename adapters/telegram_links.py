"""Telegram link cards: a message with paper links gets one card per paper (bot.links: once per paper per chat per
day, `/links on|off`). The bot sees such messages in private chats, and in groups where privacy mode is off or it is
an admin."""
from __future__ import annotations

import html
from dataclasses import replace

from telegram import Update
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import ContextTypes, MessageHandler, filters

from adapters.telegram_render import render
from adapters.telegram_send import send_chunk
from bot.links import link_reply
from bot.paper_ref import LINK_HINT, find_refs

KINDS: dict[str, str] = {ChatType.PRIVATE: "private", ChatType.GROUP: "group", ChatType.SUPERGROUP: "group",
         ChatType.CHANNEL: "channel"}


async def on_links(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Cards for the message's paper links. In a private chat, a message with no paper link after all is a search,
    as any other text."""
    from adapters.telegram import on_text

    message, chat = update.effective_message, update.effective_chat
    if not message or not chat:
        return
    hidden = [e.url for e in (message.entities or ()) if e.type == MessageEntityType.TEXT_LINK and e.url]
    text = " ".join([message.text or "", *hidden])
    reply = await link_reply(context.bot_data["core"], "telegram", str(chat.id), text,
                             kind=KINDS.get(chat.type, "group"))
    if reply is not None:  # each message previews its own paper's page (HF or arXiv), not whatever link came first
        urls = [c.paper.url for c in reply.cards]
        for chunk in render(reply):
            url = next((u for u in urls if f'href="{html.escape(u)}"' in chunk.text), urls[0])
            await send_chunk(context.application, chat.id, replace(chunk, preview_url=url))
    elif chat.type == ChatType.PRIVATE and not find_refs(text):
        await on_text(update, context)


def link_handler() -> MessageHandler:
    paper_links = filters.Regex(LINK_HINT) | filters.Entity(MessageEntityType.TEXT_LINK)
    return MessageHandler(filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE & paper_links, on_links)
