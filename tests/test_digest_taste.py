"""The learned taste in the digest: a chat's votes re-order its next digest's sections and add "Picked for you";
a chat without enough feedback gets the plain relevance order."""
from __future__ import annotations

import random
from datetime import datetime, timezone

from bot.core import Core
from bot.models import Message, Paper
from tests.learn_data import THEMES, ids_of, theme_papers


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def loose(theme: str, n: int, start: int) -> list[Paper]:
    """Papers of a theme that do not mention "study": they match no topic of the test chats."""
    rng = random.Random(start)
    words = THEMES[theme][0].split()
    return [Paper.make(f"{words[i % len(words)].title()} {rng.choice(words)} {rng.choice(words)} note {start + i}",
                       f"2603.{start + i:05d}", abstract=" ".join(rng.choice(words) for _ in range(40)) + ".",
                       published="2026-03-10", sources=("arxiv",)) for i in range(n)]


async def say(core, text: str, chat_id: str, action=None):
    return await core.handle(Message("test", chat_id, "u1", text=text, action=action))


def section_ids(digest) -> list[list[str]]:
    return [[c.paper.id for c in s.cards] for s in digest.reply.sections]


async def teach(store, clock) -> tuple[Core, list[Paper]]:
    """Chat "fan" likes protein papers and dislikes speech ones; chat "plain" has one like; new papers arrive."""
    old = theme_papers(per_theme=6, day="2026-03-08", start=0, seed=1)
    store.papers.upsert_many(old, now="2026-03-10T12:00:00+00:00")
    core = Core(store, clock=clock)
    for chat in ("fan", "plain"):
        await say(core, "/follow study", chat)
    for pid in ids_of(old, "protein")[:4]:  # chat "fan" likes protein papers (the least upvoted), dislikes speech
        assert (await say(core, "", "fan", action=f"up:{pid}")).toast
    for pid in ids_of(old, "audio")[:2]:
        await say(core, "", "fan", action=f"dn:{pid}")
    await say(core, "", "plain", action=f"up:{ids_of(old, 'protein')[0]}")  # one like: below 3, nothing changes
    new = theme_papers(per_theme=3, day="2026-03-10", start=100, seed=2) + loose("protein", 3, 200) + loose("audio", 3, 300)
    store.papers.upsert_many(new, now="2026-03-11T07:00:00+00:00")
    await core.learner.settle()  # the background refits the votes asked for
    assert await core.learner.refresh("test", "fan") is not None and await core.learner.refresh("test", "plain") is None
    return core, new


async def test_votes_change_the_next_digest_order_and_add_picks(store, clock):
    core, new = await teach(store, clock)
    digests = {d.chat.chat_id: d for d in core.due_digests(at("2026-03-11T08:00:00+00:00"))}
    fan, plain = digests["fan"], digests["plain"]
    liked = set(ids_of(new, "protein"))
    fan_study, plain_study = section_ids(fan)[0], section_ids(plain)[0]
    assert set(fan_study[:3]) <= liked  # the model's order: the liked theme first
    assert not set(plain_study[:3]) & liked  # the same topic in relevance order (upvotes): protein papers come last
    # "Picked for you": papers matching no topic, of the liked theme, with the terms that made them score
    assert [s.title for s in fan.reply.sections][-1].startswith("Picked for you")
    picked = [p.paper.id for p in fan.picks]
    assert 1 <= len(picked) <= 3 and set(picked) <= {p.id for p in loose("protein", 3, 200)}
    assert all(p.matched for p in fan.picks) and set(picked) <= set(fan.paper_ids)
    assert not plain.picks and not any(s.title.startswith("Picked") for s in plain.reply.sections)
    assert Core.digest_json(fan)["picks"][0]["why"]


async def test_the_scheduler_s_worker_thread_uses_the_same_models(tmp_path, clock):
    from bot.scheduler import Builder
    from store import Store

    store = Store(tmp_path / "pw.db")
    core, new = await teach(store, clock)
    builder = Builder(core)
    assert builder.threaded
    try:
        due, _ = await builder.due(at("2026-03-11T08:00:00+00:00"), 10)
    finally:
        builder.close()
    fan = {d.chat.chat_id: d for d in due}["fan"]
    assert set(section_ids(fan)[0][:3]) <= set(ids_of(new, "protein")) and fan.picks
    store.close()
