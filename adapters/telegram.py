"""Telegram adapter: python-telegram-bot 22 updates -> bot.models.Message -> one Core call -> HTML messages.

A translator only: the core owns the grammar, the rules and the schedule; telegram_render.py owns Telegram's limits.
Here: handlers, admin/channel look-ups the core asks for, delivery with Telegram's errors mapped to DeliveryResult,
and the two ways updates arrive (long polling by default; a webhook on the shared aiohttp app when configured).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from dataclasses import replace
from typing import Optional
from urllib.parse import urlparse

from aiohttp import web
from telegram import (BotCommand, BotCommandScopeAllChatAdministrators, BotCommandScopeAllGroupChats,
                      BotCommandScopeAllPrivateChats, BotCommandScopeDefault, Chat, InlineKeyboardMarkup, InputFile,
                      Update, User)
from telegram.constants import BotCommandLimit, ChatMemberStatus, ChatType
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (Application, ApplicationBuilder, CallbackQueryHandler, ChatMemberHandler,
                          CommandHandler, ContextTypes, InlineQueryHandler, MessageHandler, filters)

from adapters import telegram_learn
from adapters.telegram_render import Chunk, inline_results, render
from adapters.telegram_links import link_handler
from adapters.telegram_send import Redact, edit_in_place, rate_limiter, retry_seconds, send_chunk
from bot import registry
from bot.config import Settings
from bot.errors import FatalError
from bot.models import ChannelInfo, DeliveryResult, Digest, Message, Reply

log = logging.getLogger("paperwire.telegram")

ADMINS: set[str] = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR}
GONE: set[str] = {ChatMemberStatus.LEFT, ChatMemberStatus.BANNED}
KINDS: dict[str, str] = {ChatType.PRIVATE: "private", ChatType.GROUP: "group", ChatType.SUPERGROUP: "group",
         ChatType.CHANNEL: "channel"}
BLOCKED_HINTS = ("chat not found", "bot was kicked", "not a member", "have no rights", "not enough rights",
                 "chat_write_forbidden", "user is deactivated", "peer_id_invalid")
# loggers that may see the token or the webhook secret; logger filters hold for handlers added later, too
_LOGGERS = ("telegram", "telegram.Bot", "telegram.ext", "telegram.ext.ExtBot", "telegram.ext.Application",
            "telegram.ext.Updater", "telegram.request", "telegram.request.BaseRequest",
            "telegram.request.HTTPXRequest", "httpx", "httpcore", "paperwire.telegram")
CONCURRENCY = 64
PER_CHAT_INTERVAL = 1.0  # Telegram: about one message per second per chat (multi-part digests are paced)


def _chat_ref(chat_id: str) -> int | str:
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


async def send_reply(app: Application, chat_id: int | str, reply: Reply) -> None:
    message = None
    for chunk in render(reply):
        message = await send_chunk(app, chat_id, chunk)
    if reply.document is not None:
        await app.bot.send_document(chat_id, InputFile(reply.document.data, filename=reply.document.name))
    telegram_learn.remember(app.bot_data["core"], str(chat_id), message, reply)


def _chat_of(update: Update) -> Chat:
    """The update's chat: every handler below is registered for updates that have one."""
    chat = update.effective_chat
    if chat is None:
        raise ValueError(f"update {update.update_id} has no chat")
    return chat


def _message(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str = "", action: str | None = None) -> Message:
    """The neutral Message, with lazy platform look-ups the core may need (admin check, channel resolution)."""
    chat, user, bot = _chat_of(update), update.effective_user, context.bot
    kind = KINDS.get(chat.type, "group")

    async def is_admin() -> bool:
        return await actor_is_admin(update, bot, kind)

    async def resolve_channel(name: str) -> ChannelInfo:
        return await resolve(bot, user.id if user else None, name)

    return Message(platform="telegram", chat_id=str(chat.id), user_id=str(user.id if user else chat.id), text=text,
                   action=action, chat_kind=kind, user_name=user.full_name if user else "",
                   chat_title=chat.title or chat.full_name or "", is_admin=is_admin, resolve_channel=resolve_channel)


async def actor_is_admin(update: Update, bot, kind: str) -> bool:
    """May the actor of this update change the chat's settings? The actor, never the message a button sits under.

    - private chat: its owner, always;
    - a button press: the presser (`callback_query.from_user`), asked with getChatMember - a channel post's (or the
      bot's own post's) `sender_chat` says nothing about who pressed;
    - a message with `sender_chat`: the chat itself speaking (an anonymous group admin, or a post in the channel,
      which only its admins can make) counts; a message sent as any other channel (a user's personal channel, a
      linked channel's automatic forward) does not;
    - any other message: its sender, asked with getChatMember.
    Asking the platform can fail: the error propagates and the core refuses (fails closed) with its own message.
    """
    chat = _chat_of(update)
    if kind == "private":
        return True
    query = update.callback_query
    actor: Optional[User]
    if query is not None:
        actor = query.from_user
    else:
        message = update.effective_message
        if message is not None and message.sender_chat is not None:
            return message.sender_chat.id == chat.id and not message.is_automatic_forward
        actor = update.effective_user
    if actor is None:
        return False
    try:
        member = await bot.get_chat_member(chat.id, actor.id)
    except Exception as e:
        log.warning("admin check: getChatMember failed for chat %s user %s: %s: %s",
                    chat.id, actor.id, type(e).__name__, e)
        raise
    return member.status in ADMINS


async def resolve(bot, user_id: int | None, name: str) -> ChannelInfo:
    """'@name' -> the channel, if both the user and this bot are its administrators (the bot must be able to post)."""
    name = name if name.startswith("@") else "@" + name
    try:
        chat = await bot.get_chat(name)
        if chat.type != ChatType.CHANNEL:
            return ChannelInfo(error=f"{name} is not a channel.")
        me = await bot.get_chat_member(chat.id, bot.id)
        if me.status not in ADMINS or getattr(me, "can_post_messages", True) is False:
            return ChannelInfo(error=f"Add me to {name} as an administrator who can post messages, then try again.")
        if user_id is None or (await bot.get_chat_member(chat.id, user_id)).status not in ADMINS:
            return ChannelInfo(error=f"Only administrators of {name} can connect it.")
    except (BadRequest, Forbidden):
        return ChannelInfo(error=f"I can't see {name}. Add me to the channel as an administrator, then try again.")
    except TelegramError:
        return ChannelInfo(error="Telegram did not answer. Please try again in a minute.")
    return ChannelInfo(chat_id=str(chat.id), title=chat.title or name)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command (or free text in a private chat): the text goes to the core verbatim; the core owns the grammar."""
    message = update.effective_message
    if not message or not message.text:
        return
    msg = _message(update, context, text=message.text)
    if message.text.startswith("/import") and message.text[1:].split(None, 1)[0].split("@", 1)[0] == "import":
        found = await telegram_learn.attachment_of(message, context.bot)  # `/import` as a reply to a .bib file
        if isinstance(found, Reply):
            await send_reply(context.application, _chat_of(update).id, found)
            return
        msg = replace(msg, attachment=found)
    reply = await context.bot_data["core"].handle(msg)
    await send_reply(context.application, _chat_of(update).id, reply)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press: its callback data is a core-made action; an error shows as an alert, anything else is posted."""
    query = update.callback_query
    if query is None:
        return
    if update.effective_chat is None:  # a button under an inline-mode message: no chat to check it against
        await query.answer("This button works only in a chat with me.", show_alert=True)
        return
    reply = await context.bot_data["core"].handle(_message(update, context, action=query.data or ""))
    if reply.error and len(reply.text) <= 200 and not reply.cards:
        await query.answer(reply.text, show_alert=True)
        return
    if reply.toast:  # a vote or a save: acknowledged on the button, no new message
        await query.answer(reply.text[:200])
        return
    await query.answer()
    if reply.replace and await edit_in_place(context.application, query, reply):
        return
    await send_reply(context.application, update.effective_chat.id, reply)


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Inline mode (`@Bot flash attention` in any chat): core search results as articles, paged by offset."""
    query = update.inline_query
    if query is None:
        return
    offset = int(query.offset) if query.offset.isdigit() else 0
    if not query.query.strip():
        await query.answer([], cache_time=5)
        return
    result = context.bot_data["core"].search(query.query, limit=10, offset=offset)
    more = result.hits and offset + len(result.hits) < result.total
    await query.answer(inline_results(result), cache_time=30, next_offset=str(offset + len(result.hits)) if more else "")


async def on_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was blocked, kicked or left: stop scheduling for that chat."""
    change = update.my_chat_member
    if change is not None and change.new_chat_member.status in GONE:
        context.bot_data["core"].deactivate_chat("telegram", str(change.chat.id), f"bot {change.new_chat_member.status}")


async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup with a new id: its follows and settings move along."""
    message = update.effective_message
    if message is not None and message.migrate_to_chat_id:
        context.bot_data["core"].migrate_chat("telegram", str(message.chat.id), str(message.migrate_to_chat_id))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.warning("Telegram update failed: %s: %s", type(context.error).__name__, context.error)


# Telegram's command menus per scope (the most specific scope wins): members of a group see what anyone may run,
# its admins and private chats see everything. All derived from bot/registry.py.
MENU_SCOPES = ((BotCommandScopeDefault(), "private"), (BotCommandScopeAllPrivateChats(), "private"),
               (BotCommandScopeAllGroupChats(), "group"), (BotCommandScopeAllChatAdministrators(), "admins"))


async def set_menus(bot) -> None:
    for scope, which in MENU_SCOPES:
        try:
            menu = registry.menu(which)[: BotCommandLimit.MAX_COMMAND_NUMBER]  # 100 at most per menu
            await bot.set_my_commands([BotCommand(n, d) for n, d in menu], scope=scope)
        except TelegramError as e:
            log.warning("setMyCommands (%s) failed: %s", scope.type, e)


def build_application(core, settings: Settings, read_timeout: float = 10.0) -> Application:
    """The PTB Application: rate-limited (30 msg/s overall, 20 msg/min per group), pointed at a custom server if set."""
    builder = (ApplicationBuilder().token(settings.telegram_token or "").read_timeout(read_timeout)
               .get_updates_read_timeout(read_timeout + 30)
               .rate_limiter(rate_limiter()))
    if settings.telegram_api_base_url:
        base = settings.telegram_api_base_url.rstrip("/")
        builder = builder.base_url(base + "/bot").base_file_url(base + "/file/bot")
    if settings.telegram_webhook_url:
        builder = builder.updater(None)
    app = builder.build()
    app.bot_data["core"] = core
    app.add_handler(CommandHandler(registry.words(), on_text, filters=filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST))
    app.add_handler(link_handler())  # paper links -> cards (adapters/telegram_links.py); before free-text search
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & filters.UpdateType.MESSAGE, on_text))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(InlineQueryHandler(on_inline))
    telegram_learn.add_handlers(app)
    app.add_handler(ChatMemberHandler(on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(on_error)
    return app


class TelegramAdapter:
    """What the runner sees: start/stop and deliver(digest) -> DeliveryResult."""

    platform = "telegram"

    def __init__(self, core, settings: Settings, read_timeout: float = 10.0):
        self.core, self.settings = core, settings
        token = settings.telegram_token or ""
        self.secret = settings.telegram_webhook_secret or hashlib.sha256(token.encode()).hexdigest()[:48]
        # before PTB logs its API URL (with the token) or setWebhook's parameters (with the secret) at DEBUG
        self._redact = Redact(token, self.secret)
        self._redacted = [*logging.getLogger().handlers, *map(logging.getLogger, _LOGGERS)]
        for where in self._redacted:
            where.addFilter(self._redact)
        self.app = build_application(core, settings, read_timeout)
        self._slots = asyncio.Semaphore(CONCURRENCY)  # callers may gather thousands: render only as fast as we send
        self._accepted: dict[str, float] = {}  # chat id -> when its last part was accepted (pacing only)

    async def start(self, web_app: web.Application) -> None:
        base = (self.settings.telegram_api_base_url or "https://api.telegram.org").rstrip("/")
        try:
            await self.app.initialize()
        except InvalidToken:
            raise FatalError(f"Telegram ({base}) rejected TELEGRAM_BOT_TOKEN: check the token @BotFather gave you") \
                from None
        except NetworkError as e:  # includes TimedOut; its text may hold the token: name the type only
            raise FatalError(f"cannot reach the Telegram Bot API at {base} ({type(e).__name__}): check "
                             "TELEGRAM_API_BASE_URL and the network") from None
        except TelegramError as e:
            raise FatalError(f"Telegram start-up failed at {base}: {type(e).__name__}") from None
        await set_menus(self.app.bot)
        await self.app.start()
        url = self.settings.telegram_webhook_url
        if url:
            web_app.router.add_post(urlparse(url).path or "/telegram", self._webhook)
            await self.app.bot.set_webhook(url, secret_token=self.secret, allowed_updates=Update.ALL_TYPES)
        elif self.app.updater is not None:
            await self.app.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=25)
        log.info("Telegram started as @%s (%s)", self.app.bot.username, "webhook" if url else "long polling")

    async def _webhook(self, request: web.Request) -> web.Response:
        """Telegram's POST: accepted only with our secret token; the update joins PTB's queue."""
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update object")
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as e:
            log.warning("Telegram webhook: a body that is not an update was refused (%s)", type(e).__name__)
            return web.Response(status=400, text="bad update")
        await self.app.update_queue.put(update)
        return web.Response(text="ok")

    async def stop(self) -> None:
        if self.app.updater and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        for where in self._redacted:
            where.removeFilter(self._redact)

    # ---- delivery: the scheduler fixes the parts (our rendering) with the claim, then sends them one by one -------
    def parts(self, digest: Digest) -> list[str]:
        """The digest as Telegram messages, each one JSON payload (text + inline keyboard)."""
        return [json.dumps({"text": c.text, "keyboard": c.keyboard.to_dict() if c.keyboard else None},
                           ensure_ascii=False) for c in render(digest.reply)]

    async def deliver(self, digest: Digest) -> DeliveryResult:
        """Send a whole digest through the store's part records (what the scheduler does part by part)."""
        from bot.scheduler import deliver_digest

        return await deliver_digest(self.core, self, digest) or DeliveryResult("retry", detail="stopped")

    async def send_part(self, digest: Digest, payload: str) -> DeliveryResult:
        """Send one part; map Telegram's answer to sent (with the message id) / blocked / migrated / retry / wait.
        Parts to one chat go >= 1 s apart (per-chat limit), timed from the previous part's acceptance; until then,
        and after a RetryAfter, the answer is "wait" (the scheduler waits without holding its send gate)."""
        data = json.loads(payload)
        keyboard = InlineKeyboardMarkup.de_json(data["keyboard"], self.app.bot) if data.get("keyboard") else None
        chunk, chat_id = Chunk(data["text"], keyboard), _chat_ref(digest.chat.chat_id)
        last = self._accepted.get(digest.chat.chat_id)
        if last is not None and last + PER_CHAT_INTERVAL > time.monotonic():
            return DeliveryResult("wait", retry_after=last + PER_CHAT_INTERVAL - time.monotonic(),
                                  detail="one message per second per chat")
        async with self._slots:
            try:
                message = await send_chunk(self.app, chat_id, chunk, wait_out=False)
                self._accepted[digest.chat.chat_id] = time.monotonic()
                if len(self._accepted) > 50_000:
                    self._accepted.clear()
            except ChatMigrated as e:
                return DeliveryResult("migrated", new_chat_id=str(e.new_chat_id), detail="group became a supergroup")
            except (Forbidden, BadRequest) as e:
                if isinstance(e, BadRequest) and not any(hint in str(e).lower() for hint in BLOCKED_HINTS):
                    return DeliveryResult("retry", detail=f"BadRequest: {e}")
                return DeliveryResult("blocked", detail=str(e))
            except RetryAfter as e:
                return DeliveryResult("wait", retry_after=retry_seconds(e), detail="Telegram said RetryAfter")
            except TelegramError as e:  # TimedOut, NetworkError (5xx)
                return DeliveryResult("retry", detail=f"{type(e).__name__}: {e}")
        return DeliveryResult("sent", message_ref=str(message.message_id) if message else None)


def create_adapter(core, settings: Settings) -> TelegramAdapter:
    return TelegramAdapter(core, settings)
