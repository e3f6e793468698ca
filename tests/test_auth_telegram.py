"""Who may change a Telegram chat: the actor, never the message. Real PTB Application against the fake Bot API.

Channels: a button sits under the bot's own channel post (`sender_chat` = the channel), so the presser is asked about
with getChatMember. Groups: a non-admin's press is refused; an anonymous admin (a message sent as the group itself)
counts; a message sent as another channel does not; a failing getChatMember refuses (fails closed). Every stored id
behind a button (saved search, topic) belongs to one chat: crafted data from another chat is refused.
"""
from __future__ import annotations

import logging

from aiohttp import ClientSession, web

from bot.commands import CHECK_FAILED, NOT_ADMIN
from telegram_helpers import actions, running, say

CHANNEL, ADMIN, SUBSCRIBER = -1001, 5, 77
GROUP, MEMBER, GROUP_ADMIN = -100, 9, 10


async def answer(fake, chat_id: int, data: str, user_id: int, kind: str = "private") -> dict:
    """Press a button; the parameters of the bot's answerCallbackQuery for it (the alert a refusal shows)."""
    before = len(fake.calls_of("answerCallbackQuery"))
    fake.press(chat_id, data, user_id=user_id, kind=kind)
    calls = await fake.wait_for(lambda: fake.calls_of("answerCallbackQuery")[before:])
    return calls[0].params


def channel_setup(fake):
    fake.add_chat(CHANNEL, "channel", "ML News", "mlnews")
    fake.set_member(CHANNEL, fake.bot_id, "administrator")
    fake.set_member(CHANNEL, ADMIN, "creator")
    fake.set_member(CHANNEL, SUBSCRIBER, "member")


async def test_channel_subscriber_presses_are_refused_and_the_admin_is_not(store, clock):
    """The issue's three crafted presses (unfollow, time zone, follow a saved search), under the bot's channel post."""
    async with running(store, clock) as (fake, _, core):
        channel_setup(fake)
        await say(fake, ADMIN, "/follow @mlnews diffusion")
        [topic] = core.store.chats.topics("telegram", str(CHANNEL))
        [found] = await say(fake, CHANNEL, "/search attention", kind="channel")  # an admin's channel post
        fol = next(a for a in actions(found) if a.startswith("fol:"))
        presses = [f"unf:{topic['id']}", "tz:Asia/Tokyo", fol]
        for data in presses:
            refused = await answer(fake, CHANNEL, data, SUBSCRIBER, kind="channel")
            assert refused.get("show_alert") and refused["text"] == NOT_ADMIN, (data, refused)
        assert [t["query"] for t in core.store.chats.topics("telegram", str(CHANNEL))] == ["diffusion"]
        assert core.store.chats.settings("telegram", str(CHANNEL))["tz"] == "UTC"
        asked = [c.params["user_id"] for c in fake.calls_of("getChatMember") if c.params["chat_id"] == CHANNEL]
        assert asked.count(SUBSCRIBER) == 3  # the presser was asked about, every time
        for data in presses:  # the same presses by the channel's admin go through
            accepted = await answer(fake, CHANNEL, data, ADMIN, kind="channel")
            assert not accepted.get("show_alert"), (data, accepted)
        await fake.wait_for(lambda: core.store.chats.settings("telegram", str(CHANNEL))["tz"] == "Asia/Tokyo")
        await fake.wait_for(lambda: [t["query"] for t in core.store.chats.topics("telegram", str(CHANNEL))]
                            == ["attention"])


async def test_group_non_admin_settings_presses_are_refused(store, clock):
    async with running(store, clock) as (fake, _, core):
        fake.add_chat(GROUP, "supergroup", "Reading group")
        fake.set_member(GROUP, MEMBER, "member")
        fake.set_member(GROUP, GROUP_ADMIN, "administrator")
        await say(fake, GROUP, "/follow diffusion", user_id=GROUP_ADMIN, kind="supergroup")
        [found] = await say(fake, GROUP, "/search attention", user_id=MEMBER, kind="supergroup")  # search is open
        fol = next(a for a in actions(found) if a.startswith("fol:"))
        [topics] = await say(fake, GROUP, "/topics", user_id=MEMBER, kind="supergroup")
        [unf] = [a for a in actions(topics) if a.startswith("unf:")]
        for data in (fol, unf, "tz:Europe/Berlin"):
            refused = await answer(fake, GROUP, data, MEMBER, kind="supergroup")
            assert refused.get("show_alert") and refused["text"] == NOT_ADMIN, (data, refused)
        assert [t["query"] for t in core.store.chats.topics("telegram", str(GROUP))] == ["diffusion"]
        assert core.store.chats.settings("telegram", str(GROUP))["tz"] == "UTC"
        more = next(a for a in actions(found) if a.startswith("more:"))
        opened = await answer(fake, GROUP, more, MEMBER, kind="supergroup")  # paging is not a setting
        assert not opened.get("show_alert")
        accepted = await answer(fake, GROUP, "tz:Europe/Berlin", GROUP_ADMIN, kind="supergroup")
        assert not accepted.get("show_alert")
        await fake.wait_for(lambda: core.store.chats.settings("telegram", str(GROUP))["tz"] == "Europe/Berlin")


async def test_anonymous_admin_counts_and_another_channel_does_not(store, clock):
    async with running(store, clock) as (fake, _, core):
        group = fake.add_chat(GROUP, "supergroup", "Reading group")
        other = fake.add_chat(-1009, "channel", "Someone's channel")
        [ok] = await say(fake, GROUP, "/follow diffusion", kind="supergroup", sender_chat=group)
        assert "Following" in ok["plain"]
        assert not fake.calls_of("getChatMember")  # the group itself spoke: nothing to ask
        [refused] = await say(fake, GROUP, "/timezone Asia/Tokyo", kind="supergroup", sender_chat=other)
        assert refused["plain"] == NOT_ADMIN
        [forwarded] = await say(fake, GROUP, "/pause", kind="supergroup", sender_chat=other, automatic_forward=True)
        assert forwarded["plain"] == NOT_ADMIN
        row = core.store.chats.settings("telegram", str(GROUP))
        assert row["tz"] == "UTC" and not row["paused"]
        assert [t["query"] for t in core.store.chats.topics("telegram", str(GROUP))] == ["diffusion"]


async def test_failing_admin_check_fails_closed_with_a_clear_message(store, clock, caplog):
    caplog.set_level(logging.WARNING)
    async with running(store, clock) as (fake, _, core):
        fake.add_chat(GROUP, "supergroup", "Reading group")
        fake.set_member(GROUP, GROUP_ADMIN, "administrator")  # an admin, but Telegram cannot say so right now
        fake.inject("getChatMember", "500", times=2)
        [typed] = await say(fake, GROUP, "/follow diffusion", user_id=GROUP_ADMIN, kind="supergroup")
        assert typed["plain"] == CHECK_FAILED
        pressed = await answer(fake, GROUP, "tz:Asia/Tokyo", GROUP_ADMIN, kind="supergroup")
        assert pressed.get("show_alert") and pressed["text"] == CHECK_FAILED
        assert core.store.chats.topics("telegram", str(GROUP)) == []
        assert core.store.chats.settings("telegram", str(GROUP))["tz"] == "UTC"
        assert sum("getChatMember failed" in r.getMessage() for r in caplog.records) == 2
        assert sum("admin check failed (refused)" in r.getMessage() for r in caplog.records) == 2
        [works] = await say(fake, GROUP, "/follow diffusion", user_id=GROUP_ADMIN, kind="supergroup")
        assert "Following" in works["plain"]  # Telegram answers again: so does the check


async def test_crafted_ids_from_another_chat_are_refused(store, clock):
    """Chat 5's saved search and topic, pressed (crafted) in chat 6: nothing is shown, followed or removed."""
    async with running(store, clock) as (fake, _, core):
        [secret] = await say(fake, 5, "/search confidential merger target zeta attention")
        fol = next(a for a in actions(secret) if a.startswith("fol:"))
        qid = fol.split(":")[1]
        await say(fake, 5, "/follow diffusion")
        [topic] = core.store.chats.topics("telegram", "5")
        for data in (f"more:{qid}:5", f"more:{qid}:0", fol, f"unf:{topic['id']}", "more:99999999999999999999:0",
                     "unf:٣", "fol:-1"):
            got = await answer(fake, 6, data, 6)
            assert got.get("show_alert") and ("expired" in got["text"] or "no longer followed" in got["text"]), data
            assert "merger" not in str(got)
        assert not [m for m in fake.sent if m["chat_id"] == 6 and "merger" in m["plain"]]
        assert core.store.chats.topics("telegram", "6") == []
        assert [t["query"] for t in core.store.chats.topics("telegram", "5")] == ["diffusion"]
        [own] = await say(fake, 5, "/search attention")  # the owner's buttons still work
        more = next(a for a in actions(own) if a.startswith("more:"))
        assert not (await answer(fake, 5, more, 5)).get("show_alert")


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_webhook_refuses_non_objects_with_400_and_no_secret_is_logged(store, clock, unused_tcp_port, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "s3cret-Webhook_Token-42"
    late = _Collect()  # a handler added after the adapter was built (e.g. by a logging config) is covered too
    app = web.Application()
    hook = "https://bot.example.org/telegram/hook"
    async with running(store, clock, web_app=app, telegram_webhook_url=hook,
                       telegram_webhook_secret=secret) as (fake, adapter, _):
        logging.getLogger().addHandler(late)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
        url = f"http://127.0.0.1:{unused_tcp_port}/telegram/hook"
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
        bodies = [b"[]", b"[1, 2]", b"42", b"null", b'"text"', b"true", b"{}", b'{"update_id": "x"}', b"{not json",
                  b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000, b'{"update_id": 7, "message": []}']
        try:
            async with ClientSession() as http:
                for body in bodies:
                    async with http.post(url, data=body, headers=headers) as r:
                        assert r.status == 400, body[:20]
                        assert "Traceback" not in await r.text()
                update = {"update_id": 1, **fake.message_update(5, "/start")}
                async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}) as r:
                    assert r.status == 200
            await fake.wait_sent(1, chat_id=5)
            adapter.app.bot._LOGGER.debug("late line with %s", secret)
        finally:
            await runner.cleanup()
            logging.getLogger().removeHandler(late)
    assert "setWebhook" in caplog.text  # PTB logged the call's parameters at DEBUG: the secret was in them
    assert secret not in caplog.text and secret not in "\n".join(late.lines)
    assert any("late line with <secret>" in line for line in late.lines)
