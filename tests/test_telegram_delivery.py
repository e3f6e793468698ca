"""Delivering digests through the real PTB bot to the fake: what Telegram answers becomes sent / blocked / migrated /
retry, the core records it, and no failure ever makes a chat receive a message twice."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from bot.models import Card, Chat, Digest, Paper, Reply
from claims import held
from telegram_helpers import press, running, say


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


async def due_digest(fake, core, store, clock, chat_id: int, kind: str = "private", user_id=None) -> Digest:
    """A real digest from the core: follow at 06:00, new papers at 07:00, due at 08:00."""
    if kind != "private":
        fake.set_member(chat_id, user_id, "administrator")
    await say(fake, chat_id, "/follow diffusion", user_id=user_id, kind=kind)
    fresh = [Paper.make(f"Diffusion model number {i}", f"2603.{900 + i:05d}", abstract=f"Diffusion study {i}.",
                        published="2026-03-11", authors=("D. Iffusion",)) for i in range(3)]
    store.papers.upsert_many(fresh, now="2026-03-11T07:00:00+00:00")
    clock.set("2026-03-11T08:00:00+00:00")
    [digest] = core.due_digests(clock())
    assert digest.chat.chat_id == str(chat_id)
    return digest


def long_digest(chat_id: str, n: int = 8, claim_id: int = 1) -> Digest:
    cards = tuple(Card(Paper.make(f"Paper {i} <on> long abstracts & splitting", f"2603.{500 + i:05d}",
                                  abstract=f"Sentence {i} about diffusion. " * 40), show_abstract=True)
                  for i in range(n))
    return Digest(claim_id=claim_id, chat=Chat("telegram", chat_id), kind="digest", local_date="2026-03-11",
                  reply=Reply(text="Your digest", cards=cards, footer="Change what you follow with /topics."))


async def test_digest_is_sent_once_and_recorded(store, clock):
    async with running(store, clock) as (fake, adapter, core):
        digest = await due_digest(fake, core, store, clock, 5)
        result = await adapter.deliver(digest)
        assert result.status == "sent" and result.message_ref
        core.record_delivery(digest, result)
        sent = [m for m in fake.sent if m["chat_id"] == 5]
        assert "Diffusion model number 0" in sent[-1]["plain"]
        assert core.due_digests(clock()) == []
        [more] = await press(fake, 5, "abs:2603.00900")  # the digest's buttons work after delivery
        assert "Diffusion study 0." in more["plain"]


async def test_long_digest_is_split_at_paper_boundaries(store, clock):
    async with running(store, clock) as (fake, adapter, core):
        digest = held(core, long_digest("77"))
        result = await adapter.deliver(digest)
        assert result.status == "sent"
        parts = [m for m in fake.sent if m["chat_id"] == 77]
        assert len(parts) >= 2 and all(len(p["plain"]) <= 4096 for p in parts)  # the fake also refuses longer
        for i in range(8):
            holders = [p for p in parts if f"Paper {i} <on> long abstracts & splitting" in p["plain"]]
            assert len(holders) == 1 and f"Sentence {i} about diffusion." in holders[0]["plain"]
        assert parts[0]["plain"].startswith("Your digest") and parts[-1]["plain"].endswith("/topics.")
        assert parts[1]["t"] - parts[0]["t"] >= 0.95  # one message per second per chat


async def test_blocked_bot_deactivates_the_chat(store, clock):
    async with running(store, clock) as (fake, adapter, core):
        digest = await due_digest(fake, core, store, clock, 5)
        fake.inject("sendMessage", "blocked", chat_id=5)
        result = await adapter.deliver(digest)
        assert result.status == "blocked"
        core.record_delivery(digest, result)
        assert not store.chats.settings("telegram", "5")["active"]
        fake.inject("sendMessage", "not_found")
        assert (await adapter.deliver(held(core, long_digest("-404", n=1)))).status == "blocked"


async def test_migrated_group_keeps_its_follows(store, clock):
    async with running(store, clock) as (fake, adapter, core):
        digest = await due_digest(fake, core, store, clock, -300, kind="group", user_id=9)
        fake.inject("sendMessage", "migrate", chat_id=-300, new_chat_id=-1003000)
        result = await adapter.deliver(digest)
        assert result.status == "migrated" and result.new_chat_id == "-1003000"
        core.record_delivery(digest, result)
        assert [t["query"] for t in store.chats.topics("telegram", "-1003000")] == ["diffusion"]
        [again] = core.due_digests(clock())  # the same day's digest, now for the supergroup
        assert again.chat.chat_id == "-1003000"
        assert (await adapter.deliver(again)).status == "sent"
        assert [m["chat_id"] for m in fake.sent if "Diffusion model number 0" in m["plain"]] == [-1003000]


async def test_flood_wait_is_honoured_without_duplicates(store, clock):
    async with running(store, clock) as (fake, adapter, core):
        digest = await due_digest(fake, core, store, clock, 5)
        fake.inject("sendMessage", "429", chat_id=5, retry_after=1)
        t0 = time.monotonic()
        result = await adapter.deliver(digest)
        assert result.status == "sent" and time.monotonic() - t0 >= 1.0
        assert len([m for m in fake.sent if "Diffusion model number 0" in m["plain"]]) == 1


async def test_transient_failures_retry_and_never_repeat_a_part(store, clock):
    async with running(store, clock, read_timeout=0.5) as (fake, adapter, core):
        digest = held(core, long_digest("88"))
        fake.inject("sendMessage", "500", chat_id=88, skip=1)  # part 1 goes through, part 2 fails
        first = await adapter.deliver(digest)
        assert first.status == "retry" and "Internal Server Error" in first.detail
        fake.inject("sendMessage", "timeout", chat_id=88, delay=1.5)
        second = await adapter.deliver(digest)
        assert second.status == "retry" and "TimedOut" in second.detail
        assert (await adapter.deliver(digest)).status == "sent"
        texts = [m["plain"] for m in fake.sent if m["chat_id"] == 88]
        assert len(texts) == len(set(texts)) >= 2
        for i in range(8):
            assert sum(f"Paper {i} <on>" in t for t in texts) == 1
