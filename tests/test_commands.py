"""The command grammar every platform shares: parsing, buttons, settings, admin rights, channels, bad input."""
from __future__ import annotations

import pytest

from bot.commands import resolve_zone
from bot.core import Core
from bot.models import ChannelInfo, Message, Paper
from store import Store


def papers(n: int = 12) -> list[Paper]:
    return [Paper.make(f"Flash attention variant {i}", f"2603.{i:05d}", abstract=f"Attention kernels, part {i}.",
                       published="2026-03-10", hf_date="2026-03-10", upvotes=100 - i, sources=("hf",))
            for i in range(n)]


@pytest.fixture
def core(store, clock):
    store.papers.upsert_many(papers(), now="2026-03-10T00:00:00+00:00")
    return Core(store, clock=clock)


async def say(core, text="", chat_id="c1", action=None, **kw):
    return await core.handle(Message("test", chat_id, "u1", text=text, action=action, **kw))


async def yes() -> bool:
    return True


async def no() -> bool:
    return False


async def test_bot_name_suffix_and_case_are_ignored(core):
    a = await say(core, "/search@PaperwireBot flash attention")
    b = await say(core, "/SEARCH flash attention")
    assert a.text == b.text and len(a.cards) == 5


async def test_plain_text_is_a_search_and_empty_text_is_help(core):
    r = await say(core, "flash attention")
    assert r.cards and "12 papers" in r.text
    assert "/follow" in (await say(core, "   ")).text


async def test_unknown_command_suggests_the_closest(core):
    r = await say(core, "/folow diffusion")
    assert r.error and "/follow" in r.text
    r = await say(core, "/xyzzy")
    assert r.error and "/help" in r.text


async def test_search_paging_with_stable_query_ids(tmp_path, clock):
    store = Store(tmp_path / "pw.db")
    store.papers.upsert_many(papers(), now="2026-03-10T00:00:00+00:00")
    core = Core(store, clock=clock)
    first = await say(core, "/search flash attention")
    more = [b for b in first.buttons if b.label == "More results"][0]
    store.close()
    store = Store(tmp_path / "pw.db")  # a restart: button ids still work
    core = Core(store, clock=clock)
    second = await say(core, action=more.action)
    assert {c.paper.id for c in second.cards}.isdisjoint({c.paper.id for c in first.cards})
    assert second.text.startswith("Results 6-10 of 12")
    third = await say(core, action=[b for b in second.buttons if b.label == "More results"][0].action)
    assert len(third.cards) == 2 and not [b for b in third.buttons if b.label == "More results"]
    again = await say(core, "/search flash attention")
    assert [b.action for b in again.buttons] == [b.action for b in first.buttons]  # same query, same qid
    store.close()


async def test_follow_this_search_button(core, store):
    r = await say(core, '/search "flash attention" -kernels')
    fol = [b for b in r.buttons if b.action.startswith("fol:")][0]
    r = await say(core, action=fol.action)
    assert "Following" in r.text
    assert [t["query"] for t in store.chats.topics("test", "c1")] == ['"flash attention" -kernels']


async def test_abstract_and_share_buttons(core):
    r = await say(core, "/search flash attention")
    card = r.cards[0]
    actions = {b.label: b.action for b in card.buttons}
    shown = await say(core, action=actions["Abstract"])
    assert shown.cards[0].show_abstract and shown.cards[0].paper.id == card.paper.id
    shared = await say(core, action=actions["Share"], user_name="Ada")
    assert shared.broadcast and "Ada" in shared.text and shared.cards[0].paper.id == card.paper.id


async def test_stale_or_forged_buttons_explain_themselves(core):
    for action in ("more:999:5", "fol:999", "abs:9999.99999", "dmore:77", "nonsense", "more:x:y", "unf:abc"):
        r = await say(core, action=action)
        assert r.text and "Traceback" not in r.text


async def test_time_and_timezone(core, store):
    assert (await say(core, "/time 7pm")).text.startswith("Digest time set to 19:00")
    assert store.chats.get("test", "c1").digest_time == "19:00"
    for bad in ("/time 25:00", "/time soon", "/time 12:60"):
        assert (await say(core, bad)).error
    r = await say(core, "/timezone america/new york")
    assert "America/New_York" in r.text and store.chats.get("test", "c1").tz == "America/New_York"
    r = await say(core, "/timezone Europe/Berln")
    assert r.error and "Europe/Berlin" in r.text
    assert store.chats.get("test", "c1").tz == "America/New_York"  # unchanged until accepted
    r = await say(core, action=r.buttons[0].action)
    assert store.chats.get("test", "c1").tz == "Europe/Berlin"
    assert (await say(core, "/timezone Mars/Olympus_Mons")).error


def test_zone_resolution():
    assert resolve_zone("Europe/Berlin") == ("Europe/Berlin", None)
    assert resolve_zone("tokyo") == ("Asia/Tokyo", None)
    assert resolve_zone("Amrica/Chicago")[1] == "America/Chicago"
    assert resolve_zone("")[0] is None


async def test_admin_checks_in_groups(core, store):
    group = dict(chat_id="g1", chat_kind="group")
    for text in ("/follow mamba", "/time 09:00", "/pause", "/channel trending 5 09:00", "/timezone Asia/Tokyo"):
        r = await say(core, text, is_admin=no, **group)
        assert r.error and "admin" in r.text, text
    row = store.chats.settings("test", "g1")
    assert (row["digest_time"], row["paused"], row["trending_n"], row["tz"]) == ("08:00", 0, None, "UTC")
    assert store.chats.topics("test", "g1") == []
    # everyone may search, list and look at trending and settings
    for text in ("/search attention", "/topics", "/trending 3", "/settings", "/channel", "/digest"):
        assert not (await say(core, text, is_admin=no, **group)).error, text
    assert "Following" in (await say(core, "/follow mamba", is_admin=yes, **group)).text
    assert "Following" in (await say(core, "/follow flash", **group)).text  # adapter cannot tell: allowed


async def test_channel_settings_in_the_chat_itself(core, store):
    assert "No daily trending post" in (await say(core, "/channel")).text
    r = await say(core, "/channel trending 5 09:30")
    assert "top 5" in r.text and "09:30" in r.text
    await say(core, "/channel topics on")
    row = store.chats.settings("test", "c1")
    assert (row["trending_n"], row["trending_time"], row["trending_topics"]) == (5, "09:30", 1)
    assert "topics" in (await say(core, "/channel")).text
    for bad in ("/channel trending 99", "/channel trending 5 nine", "/channel sideways"):
        assert (await say(core, bad)).error, bad
    await say(core, "/channel off")
    assert store.chats.settings("test", "c1")["trending_n"] is None


async def test_channel_from_a_private_chat(core, store):
    async def resolve(handle: str) -> ChannelInfo:
        if handle == "@lab":
            return ChannelInfo(chat_id="-1001", title="Lab channel")
        return ChannelInfo(error="I'm not an admin in that channel.")

    r = await say(core, "/channel @lab trending 3 10:00", resolve_channel=resolve)
    assert "Lab channel" in r.text
    assert store.chats.settings("test", "-1001")["trending_n"] == 3
    assert store.chats.get("test", "-1001").kind == "channel"
    await say(core, "/follow @lab diffusion", resolve_channel=resolve)
    assert [t["query"] for t in store.chats.topics("test", "-1001")] == ["diffusion"]
    assert store.chats.topics("test", "c1") == []
    r = await say(core, "/topics @lab", resolve_channel=resolve)
    assert "1. diffusion" in r.text and not r.buttons
    r = await say(core, "/channel @other trending 3", resolve_channel=resolve)
    assert r.error and "admin" in r.text
    r = await say(core, "/channel @lab off")  # no resolver on this platform
    assert r.error


async def test_trending_command(core):
    r = await say(core, "/trending 3")
    assert [c.paper.upvotes for c in r.cards] == [100, 99, 98]
    assert "2026-03-10" in r.text
    assert (await say(core, "/trending lots")).error
    assert len((await say(core, "/trending")).cards) == 10


async def test_settings_pause_resume_quiet(core, store):
    await say(core, "/follow attention")
    assert "paused" not in (await say(core, "/settings")).text.split("Digests:")[1].split("\n")[0]
    await say(core, "/pause")
    assert "paused" in (await say(core, "/settings")).text
    assert "Resumed" in (await say(core, "/resume")).text
    assert "not paused" in (await say(core, "/resume")).text
    await say(core, "/quiet off")
    assert store.chats.get("test", "c1").notify_empty is True
    assert (await say(core, "/quiet maybe")).error
    ov = core.overview("test", "c1")
    assert "attention" in ov.text and ov.buttons[0].action.startswith("unf:")


async def test_every_action_fits_in_64_bytes(core):
    r = await say(core, "/search " + "attention " * 50)
    for b in list(r.buttons) + [b for c in r.cards for b in c.buttons]:
        assert len(b.action.encode()) <= 64
