"""Slack adapter: a translator between slack-bolt (AsyncApp) and the Core. No commands, rules or SQL live here.

`/papers QUERY` is acknowledged at once (Slack gives 3 s), then answered ephemerally through `response_url`.
`/papers follow T` becomes the core text `/follow T`; anything that is not a known subcommand is `/search ...`.
Buttons carry the core's `Button.action` in their `value`; a Reply with `broadcast=True` (e.g. "Share in channel")
is posted publicly with chat.postMessage.

Chat ids are `TEAM/CONVERSATION` (e.g. `T123/C456`; in a DM the conversation is the user id, `T123/U789`), so one
database serves many workspaces and `deliver()` knows which workspace token to use without another lookup.
"""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import re
import time
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any, Optional

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_bolt_request, to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (AsyncConnectionErrorRetryHandler,
                                                         AsyncRateLimitErrorRetryHandler)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.redact import MaskSecrets
from adapters.slack_guard import RequestGuard
from adapters.slack_render import extended_blocks, home_view, reply_messages, to_core_text, unescape
from bot import feedback as fb
from bot.config import Settings
from bot.errors import FatalError
from bot.models import ChannelInfo, DeliveryResult, Digest, Message, Reply
from store.slack_oauth import installation_store, oauth_state_store

log = logging.getLogger("paperwire.slack")

PLATFORM = "slack"
# the bot is gone from that conversation: stop sending there (the core deactivates the chat), never retry
BLOCKED = {"not_in_channel", "channel_not_found", "is_archived", "account_inactive", "invalid_auth",
           "token_revoked", "user_not_found", "cannot_dm_bot"}
# im:history: DMs to the app; links:*: link_shared + chat.unfurl; reactions:read: 👍/👎 on single-paper messages
SCOPES = ["commands", "chat:write", "chat:write.public", "users:read", "im:history", "links:read", "links:write",
          "reactions:read"]
VOTES = {"+1": 1, "thumbsup": 1, "-1": -1, "thumbsdown": -1}  # reaction names (a skin tone follows "::")
ACK_FIRST_MAX_WAIT = 0.25  # s: an answer waits at most this long for pending acks (bounds starvation under load)


def chat_key(team: Optional[str], conversation: str) -> str:
    return f"{team or '-'}/{conversation}"


def split_key(chat_id: str) -> tuple[Optional[str], str]:
    team, _, conv = chat_id.rpartition("/")
    return (team if team and team != "-" else None), conv


def build_client(settings: Settings, token: Optional[str] = None) -> AsyncWebClient:
    """One Web API client for everything: base_url from settings (proxies, tests) and 429s retried after Retry-After."""
    return AsyncWebClient(token=token, base_url=settings.slack_api_url,
                          retry_handlers=[AsyncConnectionErrorRetryHandler(),
                                          AsyncRateLimitErrorRetryHandler(max_retry_count=2)])


def oauth_settings(settings: Settings, data_dir: Path) -> Optional[AsyncOAuthSettings]:
    """Multi-workspace install: slack_sdk's SQLite installation and state stores in a folder next to the database."""
    if not (settings.slack_client_id and settings.slack_client_secret):
        return None
    cid = settings.slack_client_id
    return AsyncOAuthSettings(
        client_id=cid, client_secret=settings.slack_client_secret, scopes=SCOPES, user_scopes=[],
        installation_store=installation_store(data_dir, cid), state_store=oauth_state_store(data_dir),
    )


def create_adapter(core, settings: Settings) -> "SlackAdapter":
    return SlackAdapter(core, settings)


class SlackAdapter:
    platform = PLATFORM

    def __init__(self, core, settings: Settings, data_dir: Optional[Path] = None, min_post_interval: float = 1.0):
        self.core, self.settings = core, settings
        self.data_dir = data_dir or Path(settings.db_path).resolve().parent / "slack"
        self.client = build_client(settings, settings.slack_bot_token)
        self.oauth = oauth_settings(settings, self.data_dir)
        self.app = AsyncApp(client=self.client, signing_secret=settings.slack_signing_secret or "",
                            oauth_settings=self.oauth, name="paperwire", logger=log)
        self.min_post_interval = min_post_interval  # Slack allows about 1 message/s per channel
        self._last_post: dict[str, float] = {}
        self._in_flight, self._idle, self._turn = 0, asyncio.Event(), asyncio.Lock()
        self._idle.set()
        self.ack_first = True  # bench/slack_ack.py turns it off for its baseline
        self._socket: Optional[Any] = None  # AsyncSocketModeHandler, imported only in Socket Mode
        self._guard = RequestGuard(core, settings.slack_signing_secret or "")
        self._mask = MaskSecrets([settings.slack_signing_secret or "", settings.slack_client_secret or ""])
        self._masked = self._mask.attach(("slack_sdk", "slack_bolt", "paperwire.slack"))
        self._register()

    # ---- lifecycle -------------------------------------------------------------------------------------------
    async def start(self, web_app: web.Application) -> None:
        # the first search builds the core's in-memory indexes (~5 s on 80k papers): not while Slack waits for acks
        self.core.search("paperwire", limit=1)
        flow = self.app.oauth_flow
        if flow is not None:
            web_app.router.add_get(flow.install_path, self._oauth_get)
            web_app.router.add_get(flow.redirect_uri_path, self._oauth_get)
        if self.settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            await self._check_bot_token()  # else slack_sdk retries an unreachable or refused Slack forever, noisily

            self._socket = AsyncSocketModeHandler(self.app, app_token=self.settings.slack_app_token)
            # in the background: slack_sdk retries a failed connection forever, and /healthz must come up meanwhile
            self._connecting = asyncio.create_task(self._socket.connect_async(), name="slack-socket-mode")
            log.info("slack: Socket Mode (connecting)")
        else:
            if not self.settings.slack_signing_secret:
                raise RuntimeError("SLACK_SIGNING_SECRET is required for Slack in HTTP mode (or set SLACK_APP_TOKEN)")
            web_app.router.add_post("/slack/events", self._events)
            log.info("slack: HTTP mode at POST /slack/events")

    async def _check_bot_token(self) -> None:
        """`auth.test` once before Socket Mode: a refused token or an unreachable Slack is one FatalError line."""
        api = self.settings.slack_api_url
        try:
            await self.client.auth_test()
        except SlackApiError as e:
            raise FatalError(f"Slack ({api}) refused SLACK_BOT_TOKEN: {e.response.get('error')} "
                             "(check the Bot User OAuth Token, xoxb-...)") from None
        except (OSError, asyncio.TimeoutError) as e:  # aiohttp's connection errors are OSErrors
            raise FatalError(f"cannot reach the Slack Web API at {api} ({type(e).__name__}): check the network "
                             "or SLACK_API_URL") from None

    async def stop(self) -> None:
        if self._socket is not None:
            self._connecting.cancel()
            await self._socket.close_async()
        self._mask.detach(self._masked)

    async def _events(self, request: web.Request) -> web.Response:
        self._in_flight += 1
        self._idle.clear()
        try:
            body = await self._guard.screen(request)
            if isinstance(body, web.Response):
                return body
            try:
                bolt_request = AsyncBoltRequest(body=body, query=request.query_string,
                                                headers=request.headers)  # type: ignore[arg-type]
                if not isinstance(bolt_request.body, dict):
                    raise ValueError("not an object")
            except Exception as e:  # a correctly signed body Bolt cannot parse (e.g. `payload=` that is not JSON)
                log.warning("slack: a signed request with an unreadable body was refused (%s)", type(e).__name__)
                return web.Response(status=400, text="bad request")
            return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _oauth_get(self, request: web.Request) -> web.Response:
        flow, bolt_req = self.app.oauth_flow, await to_bolt_request(request)
        if flow is None:  # routes exist only with OAuth configured
            return web.Response(status=404)
        if request.path == flow.install_path:
            return await to_aiohttp_response(await flow.handle_installation(bolt_req))
        return await to_aiohttp_response(await flow.handle_callback(bolt_req))

    # ---- inbound ---------------------------------------------------------------------------------------------
    def _register(self) -> None:
        app = self.app
        app.middleware(self._guard.drop_repeated_events)
        app.command(re.compile(r"^/"))(self._on_command)
        app.action(re.compile(r"^pw:"))(self._on_action)
        app.event("app_home_opened")(self._on_home)
        app.event("message")(self._on_message)
        app.event("reaction_added")(self._on_reaction)
        app.event("reaction_removed")(self._on_reaction)
        app.event("app_uninstalled")(self._on_uninstalled)
        app.event("tokens_revoked")(self._on_uninstalled)
        app.event("link_shared")(self._on_link_shared)

    async def _on_command(self, ack, body, context, respond, client) -> None:
        await ack()
        msg = self._message(context, client, channel=body.get("channel_id", ""), text=to_core_text(body.get("text", "")),
                            channel_name=body.get("channel_name", ""), user_name=body.get("user_name", ""))
        await self._answer(msg, respond, client, body.get("channel_id"))

    async def _on_action(self, ack, body, context, respond, client) -> None:
        await ack()
        value = (body.get("actions") or [{}])[0].get("value")
        if not value:  # a link button: Slack reports the click, there is nothing to do
            return
        user = context.user_id or body.get("user", {}).get("id", "")
        if (body.get("view") or {}).get("type") == "home":
            msg = self._message(context, client, channel=user, action=value)
            await self._run(lambda: self.core.handle(msg))
            await self._publish_home(client, context.team_id, user)
            return
        channel = body.get("channel") or {}
        msg = self._message(context, client, channel=channel.get("id", ""), action=value,
                            channel_name=channel.get("name", ""), user_name=body.get("user", {}).get("name", ""))
        await self._answer(msg, respond, client, channel.get("id"), original=body.get("message"))

    async def _on_message(self, event, context, client) -> None:
        """A plain message in the app's DM (`message.im`) is a search, as in a Telegram private chat; the answer is
        posted in the DM. Channel messages (a mention also arrives as `message`), edits, deletions and bot posts
        (our own answers included) are not ours to answer."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return
        text = unescape(event.get("text") or "").strip()
        if not text:
            return
        channel = event.get("channel", "")
        core_text = "/help" if text.lower().lstrip("/") == "help" else "/search " + text
        msg = self._message(context, client, channel=channel, text=core_text, channel_name="directmessage")
        reply = await self._run(lambda: self.core.handle(msg))
        await self._post(client, None, channel, reply)

    async def _on_link_shared(self, event, context, client) -> None:
        from adapters.slack_links import on_link_shared

        team = context.team_id or context.enterprise_id
        await on_link_shared(self, event, chat_key(team, str(event.get("channel", ""))), client)

    async def _on_home(self, event, context, client) -> None:
        if event.get("tab", "home") == "home":
            await self._publish_home(client, context.team_id, event["user"])

    async def _on_reaction(self, event, context) -> None:
        """👍/👎 on one of the bot's single-paper messages is the reacting user's vote; removing it withdraws it."""
        item = event.get("item") or {}
        value = VOTES.get((event.get("reaction") or "").split("::", 1)[0])
        user = event.get("user") or ""
        if item.get("type") != "message" or value is None or not user or user == context.bot_user_id:
            return
        chat = chat_key(context.team_id or context.enterprise_id, item.get("channel", ""))
        paper_id = fb.message_paper(self.core, PLATFORM, chat, item.get("ts", ""))
        if paper_id is not None:
            fb.react(self.core, PLATFORM, chat, user, paper_id, value if event.get("type") == "reaction_added" else 0)

    async def _on_uninstalled(self, event, context) -> None:
        """The workspace removed the app (or revoked its bot token): forget the token, its chats stop receiving posts."""
        if event.get("type") == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
            return  # only user tokens (we ask for none): the bot still works
        team = context.team_id or context.enterprise_id
        if self.oauth is not None:
            await self.oauth.installation_store.async_delete_all(enterprise_id=context.enterprise_id, team_id=team)
        count = self.core.deactivate_chats(PLATFORM, chat_key(team, ""), reason=f"slack {event.get('type')}")
        log.warning("slack: workspace %s removed the app (%s); %d chats deactivated", team, event.get("type"), count)

    def _message(self, context, client, *, channel: str, text: str = "", action: Optional[str] = None,
                 channel_name: str = "", user_name: str = "") -> Message:
        """A Bolt request -> Message. DMs (D... / "directmessage") belong to the user; channels to everyone in them."""
        user, team = context.user_id or "", context.team_id or context.enterprise_id
        direct = channel.startswith("D") or channel_name == "directmessage" or channel == user or not channel
        settings = self.settings

        async def is_admin() -> bool:
            if not settings.slack_admins_only:
                return True
            try:
                u = (await client.users_info(user=user))["user"]
                return bool(u.get("is_admin") or u.get("is_owner") or u.get("is_primary_owner"))
            except Exception as e:  # fails closed: the core refuses and says it could not check
                detail = e.response.get("error") if isinstance(e, SlackApiError) else type(e).__name__
                log.warning("slack: users.info failed for the admin check of %s: %s", user, detail)
                raise

        async def resolve_channel(_ref: str) -> ChannelInfo:
            return ChannelInfo(error="In Slack, run /papers inside that channel: it applies to the channel it is typed in.")

        return Message(platform=PLATFORM, chat_id=chat_key(team, user if direct else channel), user_id=user,
                       text=text, action=action, chat_kind="private" if direct else "group", user_name=user_name,
                       chat_title="" if direct else channel_name, is_admin=is_admin, resolve_channel=resolve_channel)

    async def _run(self, call):
        """Run core work only when no Slack request is waiting for its ack: a big search must not delay an ack."""
        async with self._turn:
            if self.ack_first:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._idle.wait(), timeout=ACK_FIRST_MAX_WAIT)
            try:
                result = call()
                return (await result) if inspect.isawaitable(result) else result
            except Exception:  # the core promises not to raise; if it does, the user still gets an answer
                log.exception("slack: core failed")
                return Reply(text="Sorry, something went wrong. Please try again.", error=True)

    async def _answer(self, msg: Message, respond, client, channel: Optional[str],
                      original: Optional[dict] = None) -> None:
        reply = await self._run(lambda: self.core.handle(msg))
        if reply.replace and reply.extend and original and original.get("blocks") and msg.action:
            grown = extended_blocks(original["blocks"], msg.action, reply)  # "Show K more": into the message
            if grown is not None:
                await respond(replace_original=True, text=original.get("text") or "Paperwire", blocks=grown)
                return
        if reply.broadcast and channel:
            result = await self._post(client, None, channel, reply, chat_id=msg.chat_id)
            if result.status == "sent":
                return
            reply = Reply(text="I can't post in this conversation. Invite me with `/invite @Paperwire` and try again."
                          if result.status == "blocked" else "Slack is busy, please try again in a minute.",
                          error=True)
        if reply.document is not None:  # an ephemeral answer cannot carry a file: the text follows the reply
            body = reply.document.data.decode("utf-8", "replace")
            reply = dc_replace(reply, footer=(reply.footer + "\n" if reply.footer else "") + body, document=None)
        for i, payload in enumerate(reply_messages(reply)):
            # "Next 5": the page replaces the message it was pressed on (response_url replace_original)
            replace = reply.replace and not reply.extend and msg.action is not None and i == 0
            await respond(response_type="ephemeral", replace_original=replace, **payload)

    async def _publish_home(self, client, team: Optional[str], user: str) -> None:
        overview = await self._run(lambda: self.core.overview(PLATFORM, chat_key(team, user)))
        try:
            await client.views_publish(user_id=user, view=home_view(overview))
        except SlackApiError as e:
            log.warning("slack: views.publish failed: %s", e.response.get("error"))

    # ---- outbound --------------------------------------------------------------------------------------------
    async def _token_for(self, team: Optional[str]) -> Optional[str]:
        if self.oauth is not None and team:
            bot = await self.oauth.installation_store.async_find_bot(enterprise_id=None, team_id=team)
            if bot is not None:
                return bot.bot_token
        return self.settings.slack_bot_token

    async def _post_one(self, client, token: Optional[str], channel: str, payload: dict,
                        wait_out: bool = True) -> DeliveryResult:
        """One chat.postMessage, paced per channel (without `wait_out`, the pacing is answered "wait" for the
        scheduler to wait outside its send gate); Slack errors mapped to a DeliveryResult (ts as message_ref)."""
        wait = self._last_post.get(channel, 0.0) + self.min_post_interval - time.monotonic()
        if wait > 0 and not wait_out:
            return DeliveryResult("wait", retry_after=wait, detail="one message per second per channel")
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            kwargs = {"token": token} if token else {}
            resp = await client.chat_postMessage(channel=channel, unfurl_links=False, **payload, **kwargs)
            return DeliveryResult("sent", message_ref=resp.get("ts") or "")
        except Exception as e:  # an API error, or network trouble after the client's own retries
            error = (e.response.get("error") or "unknown") if isinstance(e, SlackApiError) else type(e).__name__
            if error in BLOCKED:
                log.info("slack: cannot post to %s: %s (not retried)", channel, error)
                return DeliveryResult("blocked", detail=error)
            log.warning("slack: posting to %s failed (%s); will retry later", channel, error)
            return DeliveryResult("retry", detail=error)
        finally:
            self._last_post[channel] = time.monotonic()

    async def _post(self, client, token: Optional[str], channel: str, reply: Reply,
                    chat_id: Optional[str] = None) -> DeliveryResult:
        """Post an interactive Reply publicly (a shared paper: several messages if it is long)."""
        refs: list[str] = []
        for payload in reply_messages(reply):
            result = await self._post_one(client, token, channel, payload)
            if result.status != "sent":
                return result if not refs else DeliveryResult("sent", message_ref=",".join(refs))
            refs.append(result.message_ref or "")
        if chat_id and len(reply.cards) == 1:  # one paper: 👍/👎 reactions on it become votes
            for ts in refs:
                fb.remember_message(self.core, PLATFORM, chat_id, ts, reply.cards[0].paper.id)
        return DeliveryResult("sent", message_ref=",".join(refs))

    # ---- delivery: the scheduler fixes the parts (our rendering) with the claim, then sends them one by one -------
    def parts(self, digest: Digest) -> list[str]:
        """The digest or trending post as chat.postMessage payloads (JSON), within Slack's block and size limits."""
        return [json.dumps(payload, ensure_ascii=False) for payload in reply_messages(digest.reply)]

    async def send_part(self, digest: Digest, payload: str) -> DeliveryResult:
        """One part -> chat.postMessage in the chat's workspace. A part that fails is retried later, from itself."""
        team, channel = split_key(digest.chat.chat_id)
        token = await self._token_for(team)
        if not token:
            log.warning("slack: no installation for workspace %s; chat %s deactivated", team, digest.chat.chat_id)
            return DeliveryResult("blocked", detail="not installed")
        result = await self._post_one(self.client, token, channel, json.loads(payload), wait_out=False)
        if result.status == "blocked":
            log.warning("slack: %s %s not delivered, Slack says %s: the chat is deactivated",
                        digest.kind, digest.chat.chat_id, result.detail)
        return result

    async def deliver(self, digest: Digest) -> DeliveryResult:
        """Send a whole digest through the store's part records (what the scheduler does part by part)."""
        from bot.scheduler import deliver_digest

        return await deliver_digest(self.core, self, digest) or DeliveryResult("retry", detail="stopped")
