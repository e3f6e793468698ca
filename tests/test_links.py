"""Pasted paper links (issue 10.5, 10.6): Slack unfurls through a really signed `link_shared` event and the fake Web
API; Telegram link cards through the real PTB Application, once per paper per chat per day, `/links on|off`."""
from __future__ import annotations

import json

from bot.links import similar_topic
from bot.models import Paper
from telegram_helpers import actions, running, say
from test_slack import core, served  # noqa: F401 - fixtures
from tests.slack_helpers import event_body, fake  # noqa: F401 - fixture


def link_event(*urls: str, channel: str = "C1") -> dict:
    return {"type": "link_shared", "channel": channel, "is_bot_user_member": True, "user": "U1",
            "message_ts": "1700000000.000100", "unfurl_id": "Uf1", "source": "conversations_history",
            "links": [{"domain": u.split("/")[2], "url": u} for u in urls], "event_ts": "1700000000.000200"}


async def test_slack_link_shared_gets_a_chat_unfurl_card(served, fake, core):
    url = "https://arxiv.org/abs/2407.08608v2"
    other = "https://huggingface.co/spaces/someone/demo"  # on an unfurl domain, but not a paper
    status, _ = await served.post(event_body(link_event(url, other)), json_body=True)
    assert status == 200
    (call,) = await fake.wait_for(lambda: fake.calls_to("chat.unfurl"))
    p = call.params
    assert (p["unfurl_id"], p["source"]) == ("Uf1", "conversations_history")
    unfurls = json.loads(p["unfurls"]) if isinstance(p["unfurls"], str) else p["unfurls"]
    assert list(unfurls) == [url]
    blocks = unfurls[url]["blocks"]
    text = blocks[0]["text"]["text"]
    assert "FlashAttention-3" in text and "Jay Shah" in text and "▲ 120" in text and "2024-07-12" in text
    values = [e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert values[0].startswith("fol:") and "abs:2407.08608" in values and "share:2407.08608" in values
    # the Follow similar topic button follows a topic from this channel's own saved query
    qid = int(values[0].split(":")[1])
    assert core.store.chats.get_query("slack", "T1/C1", qid)


async def test_slack_link_to_nothing_known_is_left_alone(served, fake, core):
    status, _ = await served.post(event_body(link_event("https://huggingface.co/models")), json_body=True)
    assert status == 200
    await served.post(event_body({"type": "app_home_opened", "user": "U1", "channel": "D9", "tab": "home",
                                  "event_ts": "1.3"}), json_body=True)
    await fake.wait_for(lambda: fake.calls_to("views.publish"))  # a later event is done: the first was too
    assert fake.calls_to("chat.unfurl") == []


async def test_telegram_link_card_once_per_paper_per_day(store, clock):
    async with running(store, clock) as (fake, _, _):
        [card] = await say(fake, 5, "have you seen https://arxiv.org/abs/2205.14135v2 ?")
        assert "FlashAttention: Fast and Memory-Efficient" in card["plain"]
        preview = card["link_preview_options"]
        preview = json.loads(preview) if isinstance(preview, str) else preview
        assert preview["url"] == "https://huggingface.co/papers/2205.14135" and not preview.get("is_disabled")
        kinds = [a.split(":")[0] for a in actions(card)]
        assert kinds[0] == "fol" and "abs" in kinds
        # the same paper again the same day (another link form): no second card; the next answer is /status's
        fake.send_text(5, "again: huggingface.co/papers/2205.14135")
        [status] = await say(fake, 5, "/status")
        assert status["plain"].startswith("Sources")
        # in a group where the bot sees messages: a card too (per chat)
        [group_card] = await say(fake, -100, "https://arxiv.org/pdf/2205.14135", user_id=9, kind="group")
        assert "FlashAttention" in group_card["plain"]
        # plain text without a paper link in a private chat is still a search
        [search] = await say(fake, 5, "denoising diffusion")
        assert "Denoising Diffusion Probabilistic Models" in search["plain"]
        # the next day it may be shown again
        clock.advance(days=1)
        [again] = await say(fake, 5, "https://arxiv.org/abs/2205.14135")
        assert "FlashAttention" in again["plain"]


async def test_telegram_links_off_and_on(store, clock):
    async with running(store, clock) as (fake, _, _):
        [shown] = await say(fake, 5, "/links")
        assert "Link cards are on" in shown["plain"]
        [off] = await say(fake, 5, "/links off")
        assert "off" in off["plain"]
        fake.send_text(5, "https://arxiv.org/abs/2006.11239")
        [status] = await say(fake, 5, "/status")  # nothing came for the link (and it was not searched)
        assert status["plain"].startswith("Sources")
        await say(fake, 5, "/links on")
        [card] = await say(fake, 5, "https://arxiv.org/abs/2006.11239")
        assert "Denoising Diffusion Probabilistic Models" in card["plain"]
        assert store.links.last_card_day("telegram", "5", "2006.11239") == "2026-03-11"


def test_similar_topic():
    assert similar_topic(Paper.make("X", "1", ai_keywords=("state space models", "Mamba", "SSM"))) == \
        '"state space models" OR "Mamba"'
    assert similar_topic(Paper.make("FlashAttention: Fast and Memory-Efficient Exact Attention", "2")) == \
        "FlashAttention"


async def test_link_settings_and_cards_follow_a_group_that_became_a_supergroup(store, clock):
    from bot.core import Core

    core = Core(store, clock=clock)
    core.ensure_chat("telegram", "-300", kind="group")
    store.links.set_enabled("telegram", "-300", False)
    assert store.links.claim_card("telegram", "-300", "2401.00001", "2026-03-11", now="2026-03-11T09:00:00+00:00")
    core.migrate_chat("telegram", "-300", "-1003000")
    assert store.links.enabled("telegram", "-1003000") is False  # /links off still holds
    assert not store.links.claim_card("telegram", "-1003000", "2401.00001", "2026-03-11",
                                      now="2026-03-11T09:05:00+00:00")  # that card was shown today already
    assert store.links.enabled("telegram", "-300") is True  # nothing left under the old id
