"""A fake Telegram Bot API server on 127.0.0.1 for tests and benchmarks.

It speaks the real wire format, so the real python-telegram-bot `Bot` talks to it unchanged (`base_url=fake.base_url`):
POST /bot<token>/<method>, form-encoded (or JSON) parameters where non-string values are JSON-encoded, answers
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ..., "parameters": {...}}`.

It validates what Telegram validates (HTML entities, 4096 characters after entity parsing, 64-byte callback data), records
every call, long-polls `getUpdates` with offsets, can inject failures, and can enforce flood limits
(30 msg/s overall, 1 msg/s per chat) with a share of random 429s for the fan-out benchmark.
"""
from __future__ import annotations

import asyncio
import html
import itertools
import json
import random
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from aiohttp import web

TOKEN = "123456:fake-TOKEN-for-tests_0123456789abcdef"
ANONYMOUS_ADMIN_BOT, CHANNEL_BOT = 1087968824, 136817688  # Telegram's `from` for messages sent on behalf of a chat
STRING_FIELDS = {"text", "parse_mode", "query", "callback_query_id", "inline_query_id", "url", "secret_token",
                 "next_offset", "switch_pm_text", "switch_pm_parameter", "inline_message_id", "language_code",
                 "ip_address", "business_connection_id"}
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler", "span",
                "blockquote", "tg-emoji"}
_MARKUP = re.compile(r"<(/?)([a-zA-Z-]+)((?:\s[^<>]*)?)>|&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);|[<>&]")


class ApiError(Exception):
    def __init__(self, code: int, description: str, **parameters):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def parse_html(text: str) -> str:
    """Telegram's HTML parse mode: returns the visible text or raises ApiError like the real server."""
    stack, out, pos = [], [], 0
    for m in _MARKUP.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
        tok = m.group(0)
        if m.group(2):
            tag = m.group(2).lower()
            if tag not in ALLOWED_TAGS:
                raise ApiError(400, f"Bad Request: can't parse entities: unsupported start tag \"{tag}\"")
            if m.group(1):
                if not stack or stack.pop() != tag:
                    raise ApiError(400, f"Bad Request: can't parse entities: unexpected end tag \"{tag}\"")
            else:
                stack.append(tag)
        elif tok.startswith("&") and len(tok) > 1:
            out.append(html.unescape(tok))
        else:
            raise ApiError(400, f"Bad Request: can't parse entities: unescaped {tok!r} at byte offset {m.start()}")
    out.append(text[pos:])
    if stack:
        raise ApiError(400, f"Bad Request: can't parse entities: can't find end tag corresponding to \"{stack[-1]}\"")
    return "".join(out)


_HREF = re.compile(r'<a\s+href="([^"]*)"')
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$|^\d{1,3}(?:\.\d{1,3}){3}$")


def _valid_link(url: str) -> bool:
    """tdlib's rule, roughly: http(s)/tg URL whose host parses; no whitespace or control characters."""
    from urllib.parse import urlsplit

    if any(c.isspace() or ord(c) < 32 for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return False
    if parts.scheme == "tg":
        return True
    return parts.scheme in ("http", "https") and bool(_HOST.match(host))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    method: str
    params: dict
    t: float
    ok: bool = True
    error: str = ""


@dataclass
class Rule:
    method: str
    kind: str
    chat_id: Any = None
    times: int = 1
    extra: dict = field(default_factory=dict)


class FakeTelegram:
    """Start with `async with FakeTelegram() as fake:`; point PTB at `fake.base_url`; read `fake.sent`."""

    def __init__(self, token: str = TOKEN, username: str = "PaperwireBot", bot_id: int = 123456):
        self.token, self.username, self.bot_id = token, username, bot_id
        self.calls: list[Call] = []
        self.sent: list[dict] = []  # every accepted sendMessage (and editMessageText, with "edited": True)
        self.updates: list[dict] = []
        self.rules: list[Rule] = []
        self.chats: dict[int, dict] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.commands: list[dict] = []
        self.menus: dict[str, list[dict]] = {}  # setMyCommands by scope type
        self.webhook: Optional[dict] = None
        self.limits: Optional[dict] = None
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
        self._window: deque[float] = deque()
        self._last_by_chat: dict[Any, float] = {}
        self._rng = random.Random(0)
        self.rejected: dict[str, int] = {"overall": 0, "per_chat": 0, "random": 0}  # flood-limit 429s by cause
        self._runner: Optional[web.AppRunner] = None
        self._closing = False
        self.url = ""
        self.files: dict[str, bytes] = {}  # file_id -> bytes users "uploaded" (getFile + download)
        self.documents: list[dict] = []  # every accepted sendDocument: chat_id, name, data, caption

    # ---- lifecycle -------------------------------------------------------------------------------------------
    async def __aenter__(self) -> "FakeTelegram":
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc) -> None:
        self._closing = True
        self._new_update.set()  # end pending long polls now, not at their timeout
        if self._runner:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """What PTB's `ApplicationBuilder().base_url()` wants (the token is appended by PTB)."""
        return self.url + "/bot"

    # ---- configuration ---------------------------------------------------------------------------------------
    def inject(self, method: str, kind: str, chat_id: Any = None, times: int = 1, **extra) -> None:
        """Fail the next `times` calls of `method` (optionally only for one chat).

        kind: "429" (extra retry_after), "blocked" (403), "kicked" (403), "not_found" (400 chat not found),
        "migrate" (extra new_chat_id), "500", "timeout" (extra delay seconds; nothing is delivered).
        extra skip=N lets N matching calls succeed first (e.g. fail the second part of a split message).
        """
        self.rules.append(Rule(method, kind, chat_id, times, extra))

    def enforce_limits(self, overall: int = 30, per_chat_s: float = 1.0, random_429: float = 0.0, seed: int = 0):
        """Telegram's flood limits for sendMessage: over them (or by random share) -> 429 retry_after=1."""
        self.limits = {"overall": overall, "per_chat_s": per_chat_s, "random_429": random_429}
        self._rng = random.Random(seed)

    def add_chat(self, chat_id: int, kind: str = "private", title: str = "", username: str = "") -> dict:
        chat = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = title or f"User{chat_id}"
        else:
            chat["title"] = title or f"Chat {chat_id}"
        if username:
            chat["username"] = username
        self.chats[chat_id] = chat
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """status: creator | administrator | member | restricted | left | kicked."""
        self.members[(chat_id, user_id)] = status

    # ---- updates ---------------------------------------------------------------------------------------------
    def user(self, user_id: int) -> dict:
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "username": f"user{user_id}"}

    def _chat(self, chat_id: int, kind: str = "private") -> dict:
        return self.chats.get(chat_id) or self.add_chat(chat_id, kind)

    def enqueue(self, update: dict) -> dict:
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        self._new_update.set()
        return update

    def message_update(self, chat_id: int, text: str, user_id: Optional[int] = None, kind: str = "private",
                       sender_chat: Optional[dict] = None, automatic_forward: bool = False) -> dict:
        """A user's text message as Telegram sends it (commands carry a bot_command entity at offset 0).

        A channel post carries `sender_chat` = the channel. `sender_chat` on a group message: sent on behalf of a chat -
        the group itself (an anonymous admin; `from` is then @GroupAnonymousBot) or another channel (`from` is
        @Channel_Bot), e.g. a linked channel's automatic forward."""
        chat = self._chat(chat_id, kind)
        msg = {"message_id": next(self._ids), "date": int(time.time()), "chat": chat, "text": text}
        if kind == "channel":
            msg["sender_chat"] = chat
        elif sender_chat is not None:
            msg["sender_chat"] = sender_chat
            anonymous = sender_chat["id"] == chat_id
            msg["from"] = {"id": ANONYMOUS_ADMIN_BOT if anonymous else CHANNEL_BOT, "is_bot": True,
                           "first_name": "Group" if anonymous else "Channel",
                           "username": "GroupAnonymousBot" if anonymous else "Channel_Bot"}
            if automatic_forward:
                msg["is_automatic_forward"] = True
        else:
            msg["from"] = self.user(user_id if user_id is not None else chat_id)
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"channel_post" if kind == "channel" else "message": msg}

    def send_text(self, chat_id: int, text: str, user_id: Optional[int] = None, kind: str = "private",
                  **kw) -> dict:
        return self.enqueue(self.message_update(chat_id, text, user_id, kind, **kw))

    def press(self, chat_id: int, data: str, user_id: Optional[int] = None, message_id: int = 1,
              kind: str = "private", message: Optional[dict] = None) -> dict:
        """A press on an inline button of a message the bot sent in `chat_id` (in a channel: the bot's channel post,
        whose `sender_chat` is the channel; `from` is always the user who pressed). `message`: one of `sent`, so
        the update carries its text and keyboard as Telegram's does (its entities are left out)."""
        chat = self._chat(chat_id, kind)
        msg = {"message_id": message_id, "date": int(time.time()), "chat": chat, "text": "…"}
        if message is not None:
            msg.update(message_id=message["message_id"], text=message["plain"])
            if message.get("reply_markup"):
                msg["reply_markup"] = message["reply_markup"]
        if chat["type"] == "channel":
            msg["sender_chat"] = chat
        else:
            msg["from"] = {"id": self.bot_id, "is_bot": True, "first_name": "Paperwire", "username": self.username}
        query = {"id": str(next(self._ids)), "from": self.user(user_id if user_id is not None else chat_id),
                 "chat_instance": f"ci{chat_id}", "data": data, "message": msg}
        return self.enqueue({"callback_query": query})

    def inline(self, query: str, user_id: int = 42, offset: str = "") -> dict:
        return self.enqueue({"inline_query": {"id": str(next(self._ids)), "from": self.user(user_id),
                                              "query": query, "offset": offset}})

    def bot_status(self, chat_id: int, new: str, old: str = "member", kind: str = "private", by: int = 7) -> dict:
        """The bot's own membership changed (blocked in private chats, kicked/left in groups)."""
        bot = {"id": self.bot_id, "is_bot": True, "first_name": "Paperwire", "username": self.username}
        member = lambda s: {"status": s, "user": bot, **({"until_date": 0} if s == "kicked" else {})}  # noqa: E731
        return self.enqueue({"my_chat_member": {"chat": self._chat(chat_id, kind), "from": self.user(by),
                                                "date": int(time.time()), "old_chat_member": member(old),
                                                "new_chat_member": member(new)}})

    def migrate(self, old_id: int, new_id: int) -> dict:
        """The service message Telegram posts in a group when it becomes a supergroup."""
        self.add_chat(new_id, "supergroup", self._chat(old_id, "group").get("title", ""))
        msg = {"message_id": next(self._ids), "date": int(time.time()), "chat": self.chats[old_id],
               "from": self.user(7), "migrate_to_chat_id": new_id}
        return self.enqueue({"message": msg})

    def document_update(self, chat_id: int, data: bytes, name: str = "library.bib", caption: str = "",
                        user_id: Optional[int] = None, kind: str = "private") -> dict:
        """A user sends a file (optionally with a caption such as "/import"); the bytes are served by getFile."""
        file_id = f"doc{next(self._ids)}"
        self.files[file_id] = data
        msg = {"message_id": next(self._ids), "date": int(time.time()), "chat": self._chat(chat_id, kind),
               "from": self.user(user_id if user_id is not None else chat_id),
               "document": {"file_id": file_id, "file_unique_id": "u" + file_id, "file_name": name,
                            "file_size": len(data), "mime_type": "text/x-bibtex"}}
        if caption:
            msg["caption"] = caption
            if caption.startswith("/"):
                msg["caption_entities"] = [{"type": "bot_command", "offset": 0, "length": len(caption.split()[0])}]
        return self.enqueue({"message": msg})

    def reaction(self, chat_id: int, message_id: int, user_id: int, new: tuple[str, ...] = (),
                 old: tuple[str, ...] = ()) -> dict:
        """A user's reactions on a message changed from `old` to `new` emoji (the `message_reaction` update)."""
        emoji = lambda xs: [{"type": "emoji", "emoji": e} for e in xs]  # noqa: E731
        return self.enqueue({"message_reaction": {"chat": self._chat(chat_id), "message_id": message_id,
                                                  "user": self.user(user_id), "date": int(time.time()),
                                                  "old_reaction": emoji(old), "new_reaction": emoji(new)}})

    # ---- waiting ---------------------------------------------------------------------------------------------
    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Poll the record until predicate() is truthy; fail loudly on timeout (never a blind sleep)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"fake Telegram: condition not met within {timeout}s; sent={self.sent[-5:]}")
            await asyncio.sleep(0.01)

    async def wait_sent(self, n: int = 1, chat_id: Any = None, timeout: float = 10.0) -> list[dict]:
        pick = lambda: [m for m in self.sent if chat_id is None or m["chat_id"] == chat_id]  # noqa: E731
        await self.wait_for(lambda: len(pick()) >= n, timeout)
        return pick()

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # ---- the server ------------------------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict:
        if request.content_type == "application/json":
            return await request.json()
        raw = dict(await request.post()) if request.can_read_body else dict(request.query)
        out = {}
        for key, value in raw.items():
            if key in STRING_FIELDS:
                out[key] = value
                continue
            try:
                out[key] = json.loads(value)
            except (TypeError, ValueError):
                out[key] = value  # e.g. chat_id="@channel"
        return out

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params = await self._params(request)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        try:
            await self._apply_rules(method, params)
            handler = getattr(self, "_m_" + method, None)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = await handler(params)
        except ApiError as e:
            call.ok, call.error = False, e.description
            body = {"ok": False, "error_code": e.code, "description": e.description}
            if e.parameters:
                body["parameters"] = e.parameters
            return web.json_response(body, status=e.code)
        return web.json_response({"ok": True, "result": result})

    async def _apply_rules(self, method: str, params: dict) -> None:
        for rule in self.rules:
            if rule.times <= 0 or rule.method != method:
                continue
            if rule.chat_id is not None and params.get("chat_id") != rule.chat_id:
                continue
            if rule.extra.get("skip", 0) > 0:  # let this many matching calls through first
                rule.extra["skip"] -= 1
                continue
            rule.times -= 1
            kind = rule.kind
            if kind == "429":
                n = rule.extra.get("retry_after", 1)
                raise ApiError(429, f"Too Many Requests: retry after {n}", retry_after=n)
            if kind in ("blocked", "kicked"):
                raise ApiError(403, "Forbidden: bot was blocked by the user" if kind == "blocked"
                               else "Forbidden: bot was kicked from the group chat")
            if kind == "not_found":
                raise ApiError(400, "Bad Request: chat not found")
            if kind == "migrate":
                raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                               migrate_to_chat_id=rule.extra["new_chat_id"])
            if kind == "500":
                raise ApiError(500, "Internal Server Error")
            if kind == "timeout":
                await asyncio.sleep(rule.extra.get("delay", 3.0))
                raise ApiError(504, "Gateway Timeout")
            raise ValueError(kind)

    def _flood_check(self, chat_id: Any) -> None:
        if not self.limits:
            return
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        over = len(self._window) >= self.limits["overall"]
        self._window.append(now)  # every attempt counts against the overall limit, accepted or not
        last = self._last_by_chat.get(chat_id)
        too_soon = last is not None and now - last < self.limits["per_chat_s"] - 0.02
        cause = "overall" if over else "per_chat" if too_soon else None
        if cause is None and self._rng.random() < self.limits["random_429"]:
            cause = "random"
        if cause:
            self.rejected[cause] += 1
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._last_by_chat[chat_id] = now

    def _check_text(self, params: dict) -> str:
        text = params.get("text", "")
        visible = parse_html(text) if str(params.get("parse_mode", "")).upper() == "HTML" else text
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(visible) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
        for row in rows:
            if len(row) > 12:  # the real server silently keeps the first 12 (tdlib ReplyMarkup.cpp): be loud here
                raise ApiError(400, f"fake: {len(row)} buttons in one row; Telegram would drop all after the 12th")
            for b in row:
                if len(b.get("callback_data", "").encode("utf-8")) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if "url" in b and not _valid_link(b["url"]):
                    raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
        if sum(len(row) for row in rows) > 100:
            raise ApiError(400, "Bad Request: REPLY_MARKUP_TOO_LONG")
        if str(params.get("parse_mode", "")).upper() == "HTML":
            for href in _HREF.findall(text):  # the real server silently drops such links ("Wrong URL host")
                if not _valid_link(html.unescape(href)):
                    raise ApiError(400, f"fake: link {href[:60]!r} has no valid host; Telegram would drop it")
        return visible

    def _lookup_chat(self, chat_id: Any) -> dict:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self.chats.values():
                if chat.get("username", "").lower() == chat_id[1:].lower():
                    return chat
        elif chat_id in self.chats:
            return self.chats[chat_id]
        raise ApiError(400, "Bad Request: chat not found")

    # ---- methods ---------------------------------------------------------------------------------------------
    async def _m_getMe(self, p):
        return {"id": self.bot_id, "is_bot": True, "first_name": "Paperwire", "username": self.username,
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True}

    async def _m_setMyCommands(self, p):
        scope = (p.get("scope") or {}).get("type", "default")
        for c in p.get("commands", []):  # the Bot API's rules for a command menu entry
            if not re.fullmatch(r"[a-z0-9_]{1,32}", c["command"]) or not 1 <= len(c["description"]) <= 256:
                raise ApiError(400, f"Bad Request: BOT_COMMAND_INVALID ({c['command']})")
        self.menus[scope] = p.get("commands", [])
        if scope == "default":
            self.commands = self.menus[scope]
        return True

    async def _m_deleteWebhook(self, p):
        self.webhook = None
        return True

    async def _m_setWebhook(self, p):
        self.webhook = p
        return True

    async def _m_getUpdates(self, p):
        offset, limit = int(p.get("offset") or 0), int(p.get("limit") or 100)
        deadline = time.monotonic() + float(p.get("timeout") or 0)
        while True:
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed ones are gone
            if self.updates or time.monotonic() >= deadline or self._closing:
                return self.updates[:limit]
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                pass

    async def _m_sendMessage(self, p):
        chat_id = p.get("chat_id")
        visible = self._check_text(p)
        chat = self._lookup_chat(chat_id) if isinstance(chat_id, str) else self._chat(chat_id)
        self._flood_check(chat["id"])
        msg = {"message_id": next(self._ids), "date": int(time.time()), "chat": chat, "text": visible,
               "from": {"id": self.bot_id, "is_bot": True, "first_name": "Paperwire", "username": self.username}}
        self.sent.append({"chat_id": chat["id"], "text": p["text"], "plain": visible, "message_id": msg["message_id"],
                          "reply_markup": p.get("reply_markup"), "parse_mode": p.get("parse_mode"),
                          "link_preview_options": p.get("link_preview_options"), "t": time.monotonic()})
        return msg

    async def _m_editMessageText(self, p):
        visible = self._check_text(p)
        chat = self._chat(p.get("chat_id"))
        self.sent.append({"chat_id": chat["id"], "text": p["text"], "plain": visible, "edited": True,
                          "message_id": p.get("message_id"), "reply_markup": p.get("reply_markup"),
                          "t": time.monotonic()})
        return {"message_id": p.get("message_id"), "date": int(time.time()), "chat": chat, "text": visible}

    async def _m_editMessageReplyMarkup(self, p):
        self._check_text({"text": "x", "reply_markup": p.get("reply_markup")})
        chat = self._chat(p.get("chat_id"))
        self.sent.append({"chat_id": chat["id"], "text": None, "plain": None, "edited": True, "markup_only": True,
                          "message_id": p.get("message_id"), "reply_markup": p.get("reply_markup"),
                          "t": time.monotonic()})
        return {"message_id": p.get("message_id"), "date": int(time.time()), "chat": chat, "text": "…"}

    async def _m_answerCallbackQuery(self, p):
        return True

    async def _m_getFile(self, p):
        file_id = p.get("file_id")
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": "u" + file_id, "file_size": len(self.files[file_id]),
                "file_path": f"documents/{file_id}"}

    async def _file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id])

    async def _m_sendDocument(self, p):
        chat = self._chat(p.get("chat_id"))
        doc = p.get("document")
        data = doc.file.read() if hasattr(doc, "file") else str(doc).encode()
        self.documents.append({"chat_id": chat["id"], "name": getattr(doc, "filename", ""), "data": data,
                               "caption": p.get("caption")})
        return {"message_id": next(self._ids), "date": int(time.time()), "chat": chat,
                "document": {"file_id": "sent", "file_unique_id": "sent"},
                "from": {"id": self.bot_id, "is_bot": True, "first_name": "Paperwire", "username": self.username}}

    async def _m_answerInlineQuery(self, p):
        return True

    async def _m_getChat(self, p):
        chat = self._lookup_chat(p.get("chat_id"))
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": {
            "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False, "premium_subscription": False,
            "gifts_from_channels": False}}

    async def _m_getChatMember(self, p):
        chat = self._lookup_chat(p.get("chat_id"))
        user_id = int(p.get("user_id"))
        status = self.members.get((chat["id"], user_id), "member" if chat["type"] != "channel" else "left")
        user = ({"id": user_id, "is_bot": True, "first_name": "Paperwire", "username": self.username}
                if user_id == self.bot_id else self.user(user_id))
        member: dict = {"status": status, "user": user}
        if status == "administrator":
            member.update({k: True for k in (
                "can_be_edited", "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users",
                "can_post_stories", "can_edit_stories", "can_delete_stories", "can_post_messages")}, is_anonymous=False)
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "kicked":
            member["until_date"] = 0
        elif status == "restricted":
            member.update({"is_member": True, "until_date": 0, **{k: False for k in (
                "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
                "can_send_video_notes", "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
                "can_add_web_page_previews", "can_change_info", "can_invite_users", "can_pin_messages",
                "can_manage_topics")}})
        return member
