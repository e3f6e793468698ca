"""Sending within Telegram's limits, editing a pressed message in place, and keeping the token out of logs: the
plumbing under adapters/telegram.py.

Why not PTB's defaults: the stock AIORateLimiter allows a 30-message burst and answers any RetryAfter by pausing every
request; here the overall rate is paced evenly and a RetryAfter is waited out by the one chat that got it (see
bench/fanout.py for the measured difference).
"""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Optional

from telegram import InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter
from telegram.ext import AIORateLimiter, Application

from adapters.telegram_render import NO_PREVIEW, Chunk, extended, render, to_plain, without_button
from bot.models import Reply

log = logging.getLogger("paperwire.telegram")
logging.getLogger("httpx").setLevel(logging.WARNING)  # httpx logs request URLs at INFO, and they hold the token
# RetryAfter is waited out per chat in send_chunk; the limiter's own "hit after 0 retries" traceback is noise
logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)

SEND_ATTEMPTS = 4
OVERALL_RATE, BURST = 29.5, 1.4  # Telegram: 30 msg/s. Evenly paced: any 1 s window holds <= BURST + RATE < 31
GROUP_RATE_PER_MINUTE = 20


def rate_limiter() -> AIORateLimiter:
    """30 msg/s overall without bursts, 20 msg/min per group (PTB's group limiter), no global pause on RetryAfter."""
    return AIORateLimiter(overall_max_rate=BURST, overall_time_period=BURST / OVERALL_RATE,
                          group_max_rate=GROUP_RATE_PER_MINUTE, group_time_period=60, max_retries=0)


class Redact(logging.Filter):
    """Replaces the bot token and the webhook secret in any log line (message and traceback) that would carry them."""

    def __init__(self, secret: str, *more: str):
        super().__init__()
        self.secret = secret
        self.secrets = [(s, "<token>" if i == 0 else "<secret>") for i, s in enumerate((secret, *more)) if s]

    def _clean(self, text: str) -> str:
        for value, label in self.secrets:
            text = text.replace(value, label)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            clean = self._clean(message)
            if clean != message:
                record.msg, record.args = clean, ()
            if record.exc_text:
                record.exc_text = self._clean(record.exc_text)
        return True


def retry_seconds(error: RetryAfter) -> float:
    value = getattr(error, "_retry_after", None)  # what PTB's own limiter reads; the public attribute warns in 22.x
    return value.total_seconds() if isinstance(value, timedelta) else 1.0


async def send_chunk(app: Application, chat_id: int | str, chunk: Chunk, wait_out: bool = True):
    """Send one message; wait out a short RetryAfter for this chat (with `wait_out`; else it is raised for the
    caller to wait outside whatever it holds); fall back to plain text if HTML is refused."""
    text, mode = chunk.text, ParseMode.HTML
    mode_now: Optional[ParseMode] = mode
    for attempt in range(SEND_ATTEMPTS):
        try:
            preview = (LinkPreviewOptions(url=chunk.preview_url, prefer_small_media=True) if chunk.preview_url
                       else NO_PREVIEW)
            return await app.bot.send_message(chat_id, text, parse_mode=mode_now, reply_markup=chunk.keyboard,
                                              link_preview_options=preview)
        except RetryAfter as e:
            wait = retry_seconds(e)
            if not wait_out or attempt == SEND_ATTEMPTS - 1 or wait > 60:
                raise
            await asyncio.sleep(wait + 0.05)
        except BadRequest as e:
            if "can't parse entities" not in str(e).lower() or mode_now is None:
                raise
            log.error("Telegram refused our HTML (%s); sending plain text", e)
            text, mode_now = to_plain(chunk.text), None
    raise AssertionError("unreachable")


async def edit_in_place(app: Application, query, reply: Reply) -> bool:
    """Answer a button by editing the message it is under (editMessageText), like "More results" paging should;
    parts that do not fit follow as new messages. False when the message cannot be edited (too old, inaccessible):
    the caller posts the reply instead."""
    message = query.message
    chunks = render(reply)
    if not chunks or message is None or not getattr(message, "message_id", None) or not message.is_accessible:
        return False
    if reply.extend:
        return await extend_in_place(app, query, reply)
    first, *rest = chunks
    try:
        await query.edit_message_text(first.text, parse_mode=ParseMode.HTML, reply_markup=first.keyboard,
                                      link_preview_options=NO_PREVIEW)
    except BadRequest as e:
        if "not modified" not in str(e).lower():
            log.info("editMessageText refused (%s): posting the page instead", e)
            return False
    for chunk in rest:
        await send_chunk(app, message.chat_id, chunk)
    return True


async def extend_in_place(app: Application, query, reply: Reply) -> bool:
    """"Show K more": the papers join the message the button was under, if it still fits one message; otherwise the
    used-up button goes from that message and the papers follow as new messages."""
    message = query.message
    grown = extended(message.text_html or "", message.reply_markup, query.data or "", reply) if message.text else None
    try:
        if grown is not None:
            await query.edit_message_text(grown.text, parse_mode=ParseMode.HTML, reply_markup=grown.keyboard,
                                          link_preview_options=NO_PREVIEW)
            return True
        rows = without_button(message.reply_markup, query.data or "")
        await query.edit_message_reply_markup(reply_markup=InlineKeyboardMarkup(rows) if rows else None)
    except BadRequest as e:
        log.info("editing the pressed message was refused (%s): posting instead", e)
    for chunk in render(reply):
        await send_chunk(app, message.chat_id, chunk)
    return True
