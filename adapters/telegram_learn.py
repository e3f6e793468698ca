"""Telegram's side of feedback: 👍/👎 reactions on the bot's single-paper messages, `/import` with a .bib document,
and remembering which message shows which paper. Translation only; the core decides what a reaction means.

`message_reaction` updates come only when listed in allowed_updates (the adapter asks for Update.ALL_TYPES, which
includes it) and, in groups, only when the bot is an administrator; reactions by bots and anonymous channel counts
(`message_reaction_count`) are not votes.
"""
from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes, MessageHandler, MessageReactionHandler, filters

from bot import feedback as fb
from bot.models import Attachment, Reply

log = logging.getLogger("paperwire.telegram")

MAX_LIBRARY_BYTES = 5 * 1024 * 1024
LIKE_EMOJI = {"👍"}
DISLIKE_EMOJI = {"👎"}


def _emoji(reactions) -> set[str]:
    return {e for r in (reactions or ()) if (e := getattr(r, "emoji", None)) is not None}


async def on_reaction(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A user's reaction changed on a message: 👍/👎 on one of our single-paper messages is a vote (removing it
    withdraws the vote)."""
    change = update.message_reaction
    if change is None or change.user is None or change.user.is_bot:
        return
    core = context.bot_data["core"]
    chat_id = str(change.chat.id)
    paper_id = fb.message_paper(core, "telegram", chat_id, str(change.message_id))
    if paper_id is None:
        return
    new, old = _emoji(change.new_reaction), _emoji(change.old_reaction)
    value = 1 if new & LIKE_EMOJI else -1 if new & DISLIKE_EMOJI else 0
    if value == 0 and not (old & (LIKE_EMOJI | DISLIKE_EMOJI)):
        return  # some other emoji: not a vote
    fb.react(core, "telegram", chat_id, str(change.user.id), paper_id, value)


async def attachment_of(message, bot) -> Attachment | Reply | None:
    """The document sent with (or replied to by) an /import message, downloaded; a Reply when it is unusable."""
    doc = message.document or (message.reply_to_message.document if message.reply_to_message else None)
    if doc is None:
        return None
    if (doc.file_size or 0) > MAX_LIBRARY_BYTES:
        return Reply(text="That file is larger than 5 MB. Split the library, or use paperwire import-library on the "
                          "server.", error=True)
    try:
        file = await bot.get_file(doc.file_id)
        data = bytes(await file.download_as_bytearray())
    except TelegramError as e:
        log.warning("telegram: could not download an /import file: %s", type(e).__name__)
        return Reply(text="I could not download that file from Telegram. Please send it again.", error=True)
    return Attachment(name=doc.file_name or "library.bib", data=data[:MAX_LIBRARY_BYTES])


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A document whose caption is /import: the caption is the command, the file its attachment."""
    from adapters.telegram import _chat_of, _message, send_reply

    message = update.effective_message
    if message is None:
        return
    found = await attachment_of(message, context.bot)
    if isinstance(found, Reply):
        await send_reply(context.application, _chat_of(update).id, found)
        return
    msg = _message(update, context, text=message.caption or "/import")
    reply = await context.bot_data["core"].handle(replace(msg, attachment=found))
    await send_reply(context.application, _chat_of(update).id, reply)


def add_handlers(app) -> None:
    app.add_handler(MessageReactionHandler(on_reaction, message_reaction_types=MessageReactionHandler.MESSAGE_REACTION_UPDATED))
    app.add_handler(MessageHandler(filters.Document.ALL & filters.CaptionRegex(r"^/import(@\w+)?(\s|$)"), on_document))


def remember(core, chat_id: str, message, reply: Reply) -> None:
    """A message showing exactly one paper: reactions on it become votes on that paper."""
    if message is not None and len(reply.cards) == 1:
        fb.remember_message(core, "telegram", chat_id, str(message.message_id), reply.cards[0].paper.id)
