"""Following topics: the 7-day preview, normalized duplicates, the 50-topic cap, unfollowing, the topic list."""
from __future__ import annotations

import pytest

from bot.core import Core
from bot.models import Message, Paper


def paper(i: int, title: str, published: str, upvotes: int = 0, abstract: str = "") -> Paper:
    return Paper.make(title, f"2603.{i:05d}", abstract=abstract or f"We study {title.lower()}.",
                      published=published, upvotes=upvotes)


@pytest.fixture
def core(store, clock):  # clock: 2026-03-11T06:00Z
    store.papers.upsert_many([
        paper(1, "Diffusion models for video", "2026-03-10", upvotes=40),
        paper(2, "Latent diffusion at scale", "2026-03-06", upvotes=90),
        paper(3, "Diffusion for medical imaging", "2026-03-09", upvotes=10),
        paper(4, "Score-based diffusion revisited", "2026-03-05", upvotes=5),
        paper(5, "Old diffusion paper", "2026-02-01", upvotes=500),  # outside the 7 days
        paper(6, "Mamba: linear-time sequence modeling", "2026-03-10", upvotes=7),
    ], now="2026-03-10T00:00:00+00:00")
    return Core(store, clock=clock)


async def say(core, text, chat_id="c1", **kw):
    return await core.handle(Message("test", chat_id, "u1", text=text, **kw))


async def test_follow_preview_counts_last_seven_days_with_top_three(core):
    r = await say(core, "/follow diffusion")
    assert not r.error
    assert "would have matched 4 papers" in r.text  # papers 1-4; the February one is older than 7 days
    assert len(r.cards) == 3
    assert "2603.00005" not in {c.paper.id for c in r.cards}
    assert "08:00 (UTC)" in r.footer


async def test_follow_preview_respects_exclusions(core):
    r = await say(core, "/follow diffusion -medical")
    assert "would have matched 3 papers" in r.text
    assert "2603.00003" not in {c.paper.id for c in r.cards}


async def test_normalized_duplicates_are_refused_kindly(core, store):
    await say(core, "/follow diffusion -medical")
    r = await say(core, "/follow   -Medical DIFFUSION ")
    assert not r.error and "already follow" in r.text and "written differently" in r.text
    r = await say(core, "/follow diffusion -medical")
    assert "already follow" in r.text and "written differently" not in r.text
    assert len(store.chats.topics("test", "c1")) == 1


async def test_same_topic_in_two_chats_is_fine(core, store):
    await say(core, "/follow mamba", chat_id="a")
    r = await say(core, "/follow mamba", chat_id="b")
    assert "Following" in r.text
    assert len(store.chats.topics("test", "b")) == 1


async def test_at_most_fifty_topics(core, store):
    for i in range(50):
        r = await say(core, f"/follow topic{i}")
        assert "Following" in r.text, r.text
    r = await say(core, "/follow one more")
    assert r.error and "50" in r.text
    assert len(store.chats.topics("test", "c1")) == 50


async def test_bad_topics_get_a_clear_message(core, store):
    for text in ("/follow", "/follow -only -exclusions", '/follow since:yesterday diffusion'):
        r = await say(core, text)
        assert r.error and r.text and "Traceback" not in r.text
    assert store.chats.topics("test", "c1") == []


async def test_topics_are_numbered_with_unfollow_buttons(core):
    await say(core, "/follow diffusion")
    await say(core, '/follow "state space" OR mamba')
    r = await say(core, "/topics")
    assert "1. diffusion" in r.text and '2. "state space" OR mamba' in r.text
    assert [b.label for b in r.buttons] == ["Unfollow 1", "Unfollow 2"]
    assert all(b.action.startswith("unf:") and len(b.action.encode()) <= 64 for b in r.buttons)


async def test_unfollow_by_number_text_and_button(core, store):
    for t in ("diffusion", "mamba", "author:Hinton"):
        await say(core, f"/follow {t}")
    r = await say(core, "/unfollow 2")
    assert "mamba" in r.text
    r = await say(core, "/unfollow AUTHOR:hinton")
    assert "Hinton" in r.text and not r.error
    [button] = (await say(core, "/topics")).buttons
    r = await core.handle(Message("test", "c1", "u1", action=button.action))
    assert "Unfollowed" in r.text
    assert store.chats.topics("test", "c1") == []


async def test_unfollow_mistakes(core):
    await say(core, "/follow diffusion")
    assert (await say(core, "/unfollow 7")).error
    assert (await say(core, "/unfollow transformers")).error
    assert (await say(core, "/unfollow")).error


async def test_unfollow_button_of_another_chat_does_nothing(core, store):
    await say(core, "/follow diffusion", chat_id="a")
    [button] = (await say(core, "/topics", chat_id="a")).buttons
    r = await core.handle(Message("test", "b", "u9", action=button.action))
    assert "no longer followed" in r.text
    assert len(store.chats.topics("test", "a")) == 1


async def test_first_follow_starts_the_subscription_and_last_unfollow_ends_it(core, store, clock):
    await say(core, "/follow diffusion")
    row = store.chats.settings("test", "c1")
    assert row["subscribed_at"] == "2026-03-11T06:00:00+00:00"
    clock.advance(hours=1)
    await say(core, "/follow mamba")
    assert store.chats.settings("test", "c1")["subscribed_at"] == "2026-03-11T06:00:00+00:00"
    await say(core, "/unfollow 1")
    await say(core, "/unfollow 1")
    assert store.chats.settings("test", "c1")["subscribed_at"] is None
