"""Feedback through the real Bolt app with really signed requests: 👍/👎/Save buttons answered ephemerally,
withdrawing a vote, `reaction_added` / `reaction_removed` on the bot's single-paper message, /papers saved export."""
from __future__ import annotations

import pytest

from adapters.slack import SlackAdapter
from bot.config import Settings
from bot.core import Core
from tests.slack_helpers import (  # noqa: F401 - `fake` is a fixture
    fake, PAPERS, SECRET, Served, action_body, command_body, event_body)

CHAT = "T1/C1"
PID = "2407.08608"


@pytest.fixture
def core(store, clock):
    store.papers.upsert_many(PAPERS, now="2026-03-11T05:00:00+00:00")
    return Core(store, Settings(), clock=clock)


@pytest.fixture
async def served(fake, core, tmp_path):
    settings = Settings(db_path=str(tmp_path / "pw.db"), slack_bot_token="xoxb-test", slack_signing_secret=SECRET,
                        slack_api_url=fake.base_url)
    async with Served(SlackAdapter(core, settings, min_post_interval=0)) as s:
        yield s


def values(message: dict) -> list[str]:
    return [e.get("value") for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


async def answer(served, fake, body: str, rid: str) -> dict:
    assert (await served.post(body)) == (200, "")
    found = await fake.wait_for(lambda: [m for r, m in fake.responses if r == rid])
    return found[0]


async def test_buttons_vote_withdraw_and_save_answer_ephemerally(served, fake, core):
    first = await answer(served, fake, command_body("flashattention", fake.response_url("r1")), "r1")
    assert {f"up:{PID}", f"dn:{PID}", f"sv:{PID}", f"sim:{PID}"} <= set(values(first))
    liked = await answer(served, fake, action_body(f"up:{PID}", fake.response_url("a1")), "a1")
    assert liked["response_type"] == "ephemeral" and liked["text"].startswith("👍 Liked")
    assert core.store.learning.labels("slack", CHAT) == {PID: 1}
    again = await answer(served, fake, action_body(f"up:{PID}", fake.response_url("a2")), "a2")
    assert again["text"] == "Vote withdrawn." and core.store.learning.labels("slack", CHAT) == {}
    await answer(served, fake, action_body(f"sv:{PID}", fake.response_url("a3")), "a3")
    assert core.store.learning.saved("slack", CHAT) == [PID]
    export = await answer(served, fake, command_body("saved export", fake.response_url("r2")), "r2")
    blob = str(export)
    assert f"eprint = {{{PID}}}" in blob and "@misc{" in blob
    assert not fake.calls_to("chat.postMessage")  # no public message for any of it


async def test_reactions_on_a_shared_paper_are_votes(served, fake, core):
    first = await answer(served, fake, command_body("flashattention", fake.response_url("r1")), "r1")
    share = next(v for v in values(first) if v == f"share:{PID}")
    assert (await served.post(action_body(share, fake.response_url("s1")))) == (200, "")
    await fake.wait_for(lambda: fake.calls_to("chat.postMessage"))
    # the ts Slack gave the posted message, as the adapter remembered it (the fake numbers them from 1700000000.000001)
    ts = await fake.wait_for(lambda: next((t for t in (f"1700000000.{i:06d}" for i in range(1, 5))
                                           if core.store.learning.message_paper("slack", CHAT, t) == PID), None))

    def reaction(kind: str, name: str, user: str = "U7", item_ts: str = ts) -> str:
        return event_body({"type": kind, "user": user, "reaction": name, "item_user": "UBOT", "event_ts": "1.3",
                           "item": {"type": "message", "channel": "C1", "ts": item_ts}})

    assert (await served.post(reaction("reaction_added", "+1::skin-tone-3"), json_body=True))[0] == 200
    await fake.wait_for(lambda: core.store.learning.labels("slack", CHAT))
    assert core.store.learning.labels("slack", CHAT) == {PID: 1}
    await served.post(reaction("reaction_removed", "+1"), json_body=True)
    await fake.wait_for(lambda: not core.store.learning.labels("slack", CHAT))
    await served.post(reaction("reaction_added", "thumbsdown", user="U8"), json_body=True)
    await served.post(reaction("reaction_added", "-1", item_ts="999.999"), json_body=True)  # not our message
    await served.post(reaction("reaction_added", "tada", user="U9"), json_body=True)  # not a vote
    await fake.wait_for(lambda: core.store.learning.labels("slack", CHAT))
    assert core.store.learning.labels("slack", CHAT) == {PID: -1}
    assert core.store.learning.counts("slack", CHAT)["voters"] == 1
