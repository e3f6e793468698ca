"""A digest's window: papers committed after the chat's last digest (the ingest sequence) and fresh (published or
on HF within 7 days); one Tick per window; `paperwire digest --json`; the follow preview's freshness rule."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from click.testing import CliRunner

from adapters.cli import cli
from adapters.wiring import open_store
from bot.core import Core
from bot.models import DeliveryResult, Message, Paper
from store import Store


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def p(i: int, title: str, published: str = "2026-03-10", **kw) -> Paper:
    return Paper.make(title, f"2603.{i:05d}", abstract="A study.", published=published, sources=("arxiv",), **kw)


def ingest(store, *papers: Paper, batch: int = 10000) -> None:
    store.papers.upsert_many(list(papers), now="2026-03-11T07:00:00+00:00", batch=batch)


async def say(core, text, chat_id="c1"):
    return await core.handle(Message("test", chat_id, "u1", text=text))


def ids(d) -> list[str]:
    return [dp.paper.id for s in d.sections for dp in s.papers]


async def test_an_archive_import_never_floods_a_digest(store, clock):
    core = Core(store, clock=clock)
    await say(core, "/follow diffusion")
    ingest(store, *[p(i, f"Old diffusion {i}", published="2025-05-01") for i in range(20)],
           p(50, "Diffusion from last week", published="2026-03-04"),
           p(51, "Diffusion on HF today", published="2025-12-01", hf_date="2026-03-11", upvotes=3),
           p(52, "Diffusion eight days ago", published="2026-03-03"))
    [d] = core.due_digests(at("2026-03-11T08:00:00+00:00"))
    assert sorted(ids(d)) == ["2603.00050", "2603.00051"]  # published or featured within 7 days, nothing older
    assert d.sections[0].count == 2


async def test_mixed_windows_in_one_slice_each_chat_its_own_start(store, clock):
    core = Core(store, clock=clock)
    await say(core, "/follow diffusion", "fresh")
    await say(core, "/follow diffusion", "paused")
    await say(core, "/pause", "paused")
    ingest(store, p(1, "Diffusion while paused"))
    await say(core, "/resume", "paused")
    ingest(store, p(2, "Diffusion after resume"))
    got = {d.chat.chat_id: sorted(ids(d)) for d in core.due_digests(at("2026-03-11T08:00:00+00:00"))}
    assert got == {"fresh": ["2603.00001", "2603.00002"], "paused": ["2603.00002"]}


async def test_a_later_slice_with_an_earlier_window_gets_a_new_tick(store, clock):
    core = Core(store, clock=clock)
    await say(core, "/follow diffusion", "a")  # chat pk 1: claimed in the first slice
    await say(core, "/follow diffusion", "b")
    await say(core, "/pause", "b")
    ingest(store, p(1, "Diffusion one"))
    await say(core, "/follow diffusion", "late")  # a's window starts after paper 1 ... but a is first in the plan
    store.chats.update("test", "a", digest_seq=store.papers.committed_seq())
    await say(core, "/resume", "b")
    store.chats.update("test", "b", digest_seq=0)  # b reaches back further than the first slice did
    ingest(store, p(2, "Diffusion two"))
    now = at("2026-03-11T08:00:00+00:00")
    got = {}
    while True:
        for d in core.due_digests(now, limit=1):
            got[d.chat.chat_id] = sorted(ids(d))
        if core.last_claimed < 1:
            break
    assert got == {"a": ["2603.00002"], "b": ["2603.00001", "2603.00002"], "late": ["2603.00002"]}


async def test_an_import_committed_after_the_digest_was_built_is_in_the_next_one(tmp_path, clock):
    path = tmp_path / "pw.db"
    store, other = Store(path), Store(path)
    core = Core(store, clock=clock)
    await say(core, "/follow diffusion")
    built = []

    def papers():  # the import commits in chunks of 2; the 08:00 digest is built while it runs
        for i in range(6):
            if i == 2:
                built.extend(core.due_digests(at("2026-03-11T08:00:00+00:00")))
            yield p(i, f"Diffusion {i}", published="2026-03-11")

    other.papers.upsert_many(papers(), now="2026-03-11T07:59:00+00:00", batch=2)
    [d] = built
    assert sorted(ids(d)) == ["2603.00000", "2603.00001"]  # what was committed when it was built
    core.record_delivery(d, DeliveryResult("sent"))
    [d2] = core.due_digests(at("2026-03-12T08:00:00+00:00"))
    assert sorted(ids(d2)) == [f"2603.{i:05d}" for i in range(2, 6)]  # the rest, the next time: nothing lost
    store.close()
    other.close()


async def test_follow_preview_uses_the_freshness_rule_and_says_when_the_data_is_old(store, clock):
    core = Core(store, clock=clock)  # 2026-03-11
    ingest(store, p(1, "Diffusion recent", published="2026-03-09"), p(2, "Diffusion old", published="2025-01-01"))
    r = await say(core, "/follow diffusion")
    assert "In the last 7 days it would have matched 1 paper" in r.text
    offline = Store(":memory:")
    demo = Core(offline, clock=clock)
    ingest(offline, p(1, "Diffusion demo", published="2025-06-20"), p(2, "Diffusion older", published="2025-06-01"))
    r = await say(demo, "/follow diffusion")
    assert "newest 7 days in the database (2025-06-14 to 2025-06-20" in r.text and "matched 1 paper" in r.text
    assert [c.paper.title for c in r.cards] == ["Diffusion demo"]
    offline.close()


def test_digest_json_is_one_object_in_the_documented_shape(tmp_path):
    db = str(tmp_path / "pw.db")
    runner = CliRunner()
    res = runner.invoke(cli, ["--db", db, "chat", "--as", "bob", "--no-scheduler"],
                        input="/follow diffusion\n/follow mamba\n/quit\n", obj=open_store)
    assert res.exit_code == 0, res.output
    store = Store(db)
    store.papers.upsert_many([Paper.make("Diffusion tomorrow", "2999.00001", published="2030-01-01", upvotes=4,
                                         hf_date="2030-01-01"),
                              Paper.make("Mamba diffusion", "2999.00002", published="2029-12-30")],
                             now="2030-01-01T06:00:00+00:00")
    store.close()
    res = runner.invoke(cli, ["--db", db, "digest", "--chat", "console:bob", "--now", "2030-01-01T07:30:00Z", "--json"],
                        obj=open_store)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out) == {"chat", "window", "sections", "picks", "notes"} and out["chat"] == "console:bob"
    assert out["picks"] == []  # no votes in this chat: no "Picked for you" (bot/digest_taste.py)
    assert set(out["window"]) == {"start", "end"} and out["window"]["end"].startswith("2030-01-01T07:30")
    assert [s["topic"] for s in out["sections"]] == ["diffusion", "mamba"]
    first = out["sections"][0]["papers"][0]
    assert first == {"id": "2999.00001", "arxiv_id": "2999.00001", "title": "Diffusion tomorrow",
                     "published": "2030-01-01", "hf_date": "2030-01-01", "upvotes": 4, "matched": ["diffusion"]}
    both = out["sections"][1]["papers"][0]
    assert both["id"] == "2999.00002" and both["matched"] == ["diffusion", "mamba"]
    assert out["sections"][0]["count"] == 2 and out["sections"][1]["count"] == 1
