"""The Telegram adapter end to end in-process: real Updates through the real PTB Application, the real Core and an
in-memory Store, against the fake Bot API server (which rejects bad HTML, long messages and long callback data)."""
from __future__ import annotations

import logging

import pytest
from aiohttp import ClientSession, web

from bot.errors import FatalError
from fake_telegram import TOKEN, FakeTelegram
from telegram_helpers import HOSTILE, actions, press, running, say, settings


async def test_start_registers_commands_and_welcomes(store, clock):
    async with running(store, clock) as (fake, _, _):
        names = {c["command"] for c in fake.commands}
        assert {"search", "follow", "unfollow", "topics", "time", "timezone", "pause", "resume", "digest",
                "trending", "channel", "settings", "help", "start", "quiet"} <= names
        # command scopes: group members see what anyone may run, group admins and private chats everything
        menus = {scope: {c["command"] for c in cmds} for scope, cmds in fake.menus.items()}
        assert menus["all_private_chats"] == names
        assert {"follow", "time", "pause", "channel", "search", "topics"} <= menus["all_chat_administrators"]
        assert {"search", "topics", "trending", "settings", "help"} <= menus["all_group_chats"]
        assert not {"follow", "unfollow", "time", "timezone", "pause", "resume", "quiet"} & menus["all_group_chats"]
        [reply] = await say(fake, 5, "/start")
        assert reply["parse_mode"] == "HTML" and "/follow" in reply["plain"] and "Try:" in reply["plain"]


async def test_search_renders_escaped_cards_and_buttons(store, clock):
    async with running(store, clock) as (fake, _, _):
        [reply] = await say(fake, 5, "/search flash attention")
        assert HOSTILE in reply["plain"]  # the fake parsed our HTML: the hostile title shows verbatim
        assert "&lt;script&gt;" in reply["text"] and "<script>" not in reply["text"]
        assert '<a href="https://huggingface.co/papers/2205.14135">' in reply["text"]
        assert "<b>Attention</b>" in reply["text"] or "<b>attention</b>" in reply["text"]
        assert "Tri Dao, Daniel Y. Fu, Stefano Ermon et al." in reply["plain"] and "▲ 321" in reply["plain"]
        kinds = {a.split(":")[0] for a in actions(reply)}
        assert {"abs", "fol"} <= kinds


async def test_more_results_and_follow_this_search_buttons(store, clock):
    async with running(store, clock) as (fake, _, _):
        [first] = await say(fake, 5, "/search attention")
        more = next(a for a in actions(first) if a.startswith("more:"))
        [page2] = await press(fake, 5, more, message_id=first["message_id"])
        assert page2["plain"] != first["plain"] and "Sparse attention variant" in page2["plain"]
        # the page replaced the message the button was under (editMessageText), numbered on: 6, 7, ...
        assert page2.get("edited") and page2["message_id"] == first["message_id"]
        assert "\n6. " in page2["plain"] and "\n1. " not in page2["plain"]
        assert len([m for m in fake.sent if m["chat_id"] == 5]) == 1 + 1
        follow = next(a for a in actions(first) if a.startswith("fol:"))
        await press(fake, 5, follow)
        [topics] = await say(fake, 5, "/topics")
        assert "attention" in topics["plain"]


async def test_follow_topics_unfollow_button_and_abstract(store, clock):
    async with running(store, clock) as (fake, _, _):
        [followed] = await say(fake, 5, "/follow diffusion")
        assert "diffusion" in followed["plain"].lower()
        [topics] = await say(fake, 5, "/topics")
        unf = [a for a in actions(topics) if a.startswith("unf:")]
        assert len(unf) == 1
        [gone] = await press(fake, 5, unf[0])
        assert "Unfollowed" in gone["plain"]
        [empty] = await say(fake, 5, "/topics")
        assert "No topics" in empty["plain"]
        [abstract] = await press(fake, 5, "abs:2205.14135")
        assert "IO-aware exact attention algorithm that uses tiling" in abstract["plain"]
        assert fake.calls_of("answerCallbackQuery")


async def test_free_text_in_private_chat_searches(store, clock):
    async with running(store, clock) as (fake, _, _):
        [reply] = await say(fake, 5, "denoising diffusion")
        assert "Denoising Diffusion Probabilistic Models" in reply["plain"]


async def test_group_commands_addressed_to_this_bot_only(store, clock):
    async with running(store, clock) as (fake, _, _):
        [reply] = await say(fake, -100, "/search@PaperwireBot flashattention", user_id=9, kind="group")
        assert "FlashAttention" in reply["plain"]
        fake.send_text(-100, "/search@SomeOtherBot diffusion", user_id=9, kind="group")
        [helped] = await say(fake, -100, "/help@PaperwireBot", user_id=9, kind="group")
        assert "/search QUERY" in helped["plain"]  # the other bot's command produced nothing in between


async def test_group_settings_need_an_admin(store, clock):
    async with running(store, clock) as (fake, _, core):
        fake.set_member(-100, 9, "member")
        [refused] = await say(fake, -100, "/follow diffusion", user_id=9, kind="group")
        assert "admin" in refused["plain"].lower()
        assert core.store.chats.topics("telegram", "-100") == []
        assert fake.calls_of("getChatMember")[-1].params["user_id"] == 9
        fake.set_member(-100, 9, "administrator")
        [ok] = await say(fake, -100, "/follow diffusion", user_id=9, kind="group")
        assert [t["query"] for t in core.store.chats.topics("telegram", "-100")] == ["diffusion"], ok["plain"]
        [everyone] = await say(fake, -100, "/topics", user_id=10, kind="group")  # reading is open to all
        assert "diffusion" in everyone["plain"]


async def test_channel_connect_checks_both_admins(store, clock):
    async with running(store, clock) as (fake, _, core):
        fake.add_chat(-1001, "channel", "ML News", "mlnews")
        fake.set_member(-1001, fake.bot_id, "administrator")
        fake.set_member(-1001, 5, "member")
        [refused] = await say(fake, 5, "/channel @mlnews trending 5 09:00")
        assert "administrators of @mlnews" in refused["plain"]
        [unknown] = await say(fake, 5, "/channel @nosuchchannel trending 5 09:00")
        assert "can't see @nosuchchannel" in unknown["plain"]
        fake.set_member(-1001, 5, "creator")
        [ok] = await say(fake, 5, "/channel @mlnews trending 5 09:00")
        row = core.store.chats.settings("telegram", "-1001")
        assert row and row["trending_n"] == 5 and row["trending_time"] == "09:00", ok["plain"]
        fake.set_member(-1001, fake.bot_id, "member")
        [no_bot] = await say(fake, 5, "/channel @mlnews off")
        assert "Add me to @mlnews as an administrator" in no_bot["plain"]


async def test_inline_mode_offers_papers(store, clock):
    async with running(store, clock) as (fake, _, _):
        fake.inline("flash attention")
        call = await fake.wait_for(lambda: fake.calls_of("answerInlineQuery"))
        results = call[0].params["results"]
        assert results and results[0]["type"] == "article"
        assert any("FlashAttention" in r["title"] for r in results)
        content = results[0]["input_message_content"]
        assert content["parse_mode"] == "HTML" and "<a href=" in content["message_text"]


async def test_kicked_bot_deactivates_chat_and_migration_keeps_follows(store, clock):
    async with running(store, clock) as (fake, _, core):
        fake.set_member(-200, 9, "administrator")
        await say(fake, -200, "/follow diffusion", user_id=9, kind="group")
        fake.migrate(-200, -1002000)
        await fake.wait_for(lambda: core.store.chats.topics("telegram", "-1002000"))
        assert [t["query"] for t in core.store.chats.topics("telegram", "-1002000")] == ["diffusion"]
        await say(fake, 6, "/start")
        fake.bot_status(6, "kicked")
        await fake.wait_for(lambda: not core.store.chats.settings("telegram", "6")["active"])


async def test_webhook_mode_checks_the_secret(store, clock, unused_tcp_port):
    app = web.Application()
    hook = "https://bot.example.org/telegram/hook"
    async with running(store, clock, web_app=app, telegram_webhook_url=hook,
                       telegram_webhook_secret="s3cret-Token_1") as (fake, adapter, _):
        assert fake.webhook["url"] == hook and fake.webhook["secret_token"] == "s3cret-Token_1"
        assert not fake.calls_of("getUpdates")  # no polling in webhook mode
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
        update = {"update_id": 1, **fake.message_update(5, "/start")}
        url = f"http://127.0.0.1:{unused_tcp_port}/telegram/hook"
        try:
            async with ClientSession() as http:
                for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                    async with http.post(url, json=update, headers=headers) as r:
                        assert r.status == 403
                assert not fake.sent
                async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1"}) as r:
                    assert r.status == 200
            [reply] = await fake.wait_sent(1, chat_id=5)
            assert "/follow" in reply["plain"]
        finally:
            await runner.cleanup()


async def test_token_never_reaches_logs_or_errors(store, clock, caplog):
    caplog.set_level(logging.DEBUG)
    async with running(store, clock) as (fake, _, _):
        fake.inject("sendMessage", "500")
        fake.send_text(5, "/help")
        await fake.wait_for(lambda: any(not c.ok for c in fake.calls_of("sendMessage")))
        await say(fake, 5, "/search flash")
    assert caplog.records and TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text
    async with FakeTelegram(token="999:other-token") as wrong:  # the server rejects our token at start-up
        from adapters.telegram import TelegramAdapter
        from bot.core import Core

        adapter = TelegramAdapter(Core(store, clock=clock), settings(wrong))
        with pytest.raises(FatalError) as info:
            await adapter.start(web.Application())
        assert "rejected TELEGRAM_BOT_TOKEN" in str(info.value)
        assert TOKEN not in str(info.value) and TOKEN.split(":")[1] not in str(info.value)
    assert TOKEN.split(":")[1] not in caplog.text


async def test_every_command_answers_through_telegram(store, clock):
    expected = [("/help", "/search QUERY"), ("/follow diffusion", "diffusion"), ("/topics", "diffusion"),
                ("/time 07:30", "07:30"), ("/timezone Europe/Berlin", "Europe/Berlin"), ("/pause", "Paused"),
                ("/resume", "Resumed"), ("/digest", "digest"), ("/trending 3", "Trending"), ("/settings", "07:30"),
                ("/channel", "trending"), ("/channel trending 3 09:00", "09:00"), ("/quiet off", "nothing new"),
                ("/unfollow diffusion", "Unfollowed"), ("/nonsense", "")]
    async with running(store, clock) as (fake, _, _):
        for text, fragment in expected:
            [reply] = await say(fake, 5, text)
            assert fragment.lower() in reply["plain"].lower(), (text, reply["plain"])


async def test_show_more_for_a_topic_grows_the_digest_message_in_place(store, clock):
    """"Show K more for this topic" under a delivered digest: the papers join that message (editMessageText),
    numbered on, and the used-up button is gone; nothing new is posted."""
    from datetime import timedelta

    from bot.models import Paper

    async with running(store, clock) as (fake, adapter, core):
        await say(fake, 5, "/follow diffusion")
        clock.advance(hours=1)
        store.papers.upsert_many([Paper.make(f"Diffusion study {i}", f"2603.{500 + i:05d}", abstract="Diffusion.",
                                             published="2026-03-10", upvotes=i) for i in range(8)],
                                 now=clock().isoformat(timespec="seconds"))
        [digest] = core.due_digests(clock() + timedelta(hours=2))
        result = await adapter.deliver(digest)
        core.record_delivery(digest, result)
        sent = [m for m in fake.sent if m["chat_id"] == 5]
        last = sent[-1]
        more = next(a for a in actions(last) if a.startswith("dsec:"))
        before = len(sent)
        fake.press(5, more, message=last)
        [edit] = (await fake.wait_sent(before + 1, chat_id=5))[before:]
        assert edit.get("edited") and edit["message_id"] == last["message_id"]
        assert edit["plain"].startswith(last["plain"])  # the digest stays, the rest of the topic joins it
        assert "3 more for “diffusion”" in edit["plain"] and "\n6. " in edit["plain"]
        assert more not in actions(edit) and any(a.startswith("abs:") for a in actions(edit))
