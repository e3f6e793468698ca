"""Message polish, each tried as a new user would (issue 12 item 7): time zones people actually type, bare settings
commands that show the value, no next-time promises while paused, no "pick 1-1", caps not shown as counts, answers
about @team pointing at @team's commands, one date rule everywhere, console chats seeing only their own digests."""
from __future__ import annotations

import io
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core import Core
from bot.models import ChannelInfo, Digest, Message, Paper, Reply
from bot.plain import render as plain
from bot.render import date_label
from bot.timezones import resolve

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)  # northern summer: offsets with DST in force


def test_offsets_mean_what_people_mean():
    for text, hours in (("GMT+1", 1), ("UTC+2", 2), ("utc-5", -5), ("+3", 3), ("GMT-08:00", -8), ("UTC+14", 14)):
        zone = resolve(text, NOW).zone
        assert NOW.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() == hours * 3600, (text, zone)
    assert resolve("GMT+1", NOW).zone == "Etc/GMT-1"  # POSIX sign: Etc/GMT+1 would be UTC-1
    assert "daylight" in resolve("UTC+2", NOW).note
    half = resolve("UTC+5:30", NOW)
    assert half.zone is None and half.choices[0] == "Asia/Kolkata"
    assert all(NOW.astimezone(ZoneInfo(z)).utcoffset().total_seconds() == 5.5 * 3600 for z in half.choices)


def test_abbreviations_and_cities():
    assert resolve("IST").choices == ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem")
    assert resolve("IST").zone is None
    assert resolve("PST").zone == "America/Los_Angeles" and resolve("est").zone == "America/New_York"
    for city, zone in (("Berlin", "Europe/Berlin"), ("new york", "America/New_York"), ("San Francisco",
                       "America/Los_Angeles"), ("Bangalore", "Asia/Kolkata"), ("munich", "Europe/Berlin"),
                       ("Tokyo", "Asia/Tokyo"), ("UTC", "UTC")):
        assert resolve(city).zone == zone, city
    assert resolve("Europe/Berln").choices == ("Europe/Berlin",)
    assert resolve("Mars/Olympus_Mons").zone is None and resolve("x" * 500).zone is None


@pytest.fixture
def core(store, clock):
    store.papers.upsert_many([Paper.make(f"Diffusion paper {i}", f"2603.{i:05d}", abstract="diffusion models",
                                         published="2026-03-09", hf_date="2026-03-10") for i in range(3)],
                             now="2026-03-10T00:00:00+00:00")
    return Core(store, clock=clock)


async def say(core, text="", action=None, **kw) -> Reply:
    return await core.handle(Message("test", "c1", "u1", text=text, action=action, **kw))


async def test_timezone_command_asks_for_ambiguous_and_sets_offsets_right(core, store):
    r = await say(core, "/timezone IST")
    assert not r.error and [b.action for b in r.buttons] == ["tz:Asia/Kolkata", "tz:Europe/Dublin",
                                                              "tz:Asia/Jerusalem"]
    assert store.chats.get("test", "c1").tz == "UTC"  # nothing set until one is chosen
    await say(core, action=r.buttons[2].action)
    assert store.chats.get("test", "c1").tz == "Asia/Jerusalem"
    r = await say(core, "/timezone GMT+1")
    assert store.chats.get("test", "c1").tz == "Etc/GMT-1" and "UTC+01:00" in r.text
    await say(core, "/tz Munich")
    assert store.chats.get("test", "c1").tz == "Europe/Berlin"


async def test_bare_settings_commands_show_the_current_value(core):
    for text, shown in (("/time", "08:00"), ("/timezone", "UTC"), ("/quiet", "silent")):
        r = await say(core, text, chat_kind="group", is_admin=_no)  # showing is open to everyone
        assert not r.error and shown in r.text, (text, r.text)


async def _no() -> bool:
    return False


async def test_paused_chats_are_not_promised_a_next_time(core):
    await say(core, "/follow diffusion")
    assert "next" in (await say(core, "/settings")).text
    await say(core, "/pause")
    for text in ("/settings", "/digest", "/time", "/time 09:00", "/follow models"):
        r = await say(core, text)
        body = r.text + r.footer
        assert "next " not in body.lower().replace("next digest", ""), (text, body)
        assert "paused" in body.lower(), text


async def test_single_choice_is_not_a_range(core):
    await say(core, "/follow diffusion")
    r = await say(core, "/unfollow 7")
    assert r.error and "pick 1 " in r.text and "1-1" not in r.text


async def test_capped_totals_are_not_shown_as_counts(store, clock):
    from bot import search

    store.papers.upsert_many([Paper.make(f"Diffusion paper {i}", f"2604.{i:05d}", abstract="diffusion")
                              for i in range(8)], now="2026-03-10T00:00:00+00:00")
    core = Core(store, clock=clock)
    old = search.STRICT_CAP
    search.STRICT_CAP = 5  # a tiny cap: 8 matches counted as "cap + 1"
    try:
        r = await say(core, "/search diffusion")
    finally:
        search.STRICT_CAP = old
    assert r.text.startswith("More than 5 papers") and "6 papers" not in r.text


async def test_answers_about_a_channel_point_at_its_commands(core):
    async def resolve_channel(handle: str) -> ChannelInfo:
        return ChannelInfo(chat_id="-100", title="Team")

    r = await say(core, "/follow @team diffusion", resolve_channel=resolve_channel)
    assert "/time @team HH:MM" in r.footer and "/timezone @team" in r.footer
    r = await say(core, "/follow @team diffusion", resolve_channel=resolve_channel)
    assert "already follow" in r.text and "/topics @team" in r.text
    r = await say(core, "/topics @team", resolve_channel=resolve_channel)
    assert "/unfollow @team NUMBER" in r.footer


def test_one_date_rule():
    p = Paper.make("X", "2608.00001", published="2026-08-17", hf_date="2026-08-19")
    assert date_label(p) == "2026-08-17 (HF daily 2026-08-19)"
    assert date_label(Paper.make("Y", "2608.00002", published="2026-08-17")) == "2026-08-17"
    assert date_label(Paper.make("Z", None, hf_date="2026-08-19")) == "HF daily 2026-08-19"
    from bot.models import Card

    text, _ = plain(Reply(cards=(Card(p),)))
    assert "2026-08-17 (HF daily 2026-08-19)" in text


async def test_console_prints_only_its_own_digests(store, clock):
    from adapters import console

    core = Core(store, clock=clock)
    mine = Digest(claim_id=1, chat=core.ensure_chat("console", "ada"), kind="digest", local_date="2026-03-10",
                  reply=Reply(text="ADA-DIGEST"))
    other = Digest(claim_id=2, chat=core.ensure_chat("console", "bob"), kind="digest", local_date="2026-03-10",
                   reply=Reply(text="BOB-DIGEST"))
    out = io.StringIO()
    deliver = console.make_deliver("ada", lambda t: out.write(t + "\n"))
    assert (await deliver(mine)).status == "sent" and "ADA-DIGEST" in out.getvalue()
    result = await deliver(other)  # bob's stays pending for bob's own console
    assert result.status == "retry" and "BOB-DIGEST" not in out.getvalue()
