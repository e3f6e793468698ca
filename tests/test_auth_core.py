"""Authorization rules in the core, platform-neutral: stored button targets belong to one chat, admin checks fail
closed, and the suite itself notices a crash hidden by Core.handle's catch-all."""
from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from bot.commands import CHECK_FAILED, NOT_ADMIN
from bot.core import Core
from bot.models import Message, Paper
from store import Store


@pytest.fixture
def core(store, clock):
    store.papers.upsert_many([Paper.make(f"Flash attention variant {i}", f"2603.{i:05d}", published="2026-03-10",
                                         abstract="Attention kernels: confidential merger target zeta.") for i in range(8)],
                             now="2026-03-10T00:00:00+00:00")
    return Core(store, clock=clock)


async def say(core, text="", chat_id="a", action=None, **kw):
    return await core.handle(Message("test", chat_id, "u1", text=text, action=action, **kw))


def action(reply, prefix: str) -> str:
    return next(b.action for b in reply.buttons if b.action.startswith(prefix))


async def test_saved_queries_belong_to_the_chat_that_searched(core, store):
    secret = await say(core, "/search confidential merger target zeta attention", chat_id="a")
    fol, more = action(secret, "fol:"), action(secret, "more:")
    for crafted in (more, fol, more.replace(":5", ":0")):
        r = await say(core, action=crafted, chat_id="b")
        assert r.error and "expired" in r.text and "merger" not in r.text, crafted
    assert store.chats.topics("test", "b") == []
    same = await say(core, "/search confidential merger target zeta attention", chat_id="b")
    assert action(same, "fol:") != fol  # the same text in another chat is another id
    assert not (await say(core, action=more, chat_id="a")).error  # the owner's buttons work
    assert "Following" in (await say(core, action=fol, chat_id="a")).text


async def test_claims_and_topics_of_another_chat_are_refused(core, store, clock):
    await say(core, "/follow attention", chat_id="a")
    [topic] = store.chats.topics("test", "a")
    r = await say(core, action=f"unf:{topic['id']}", chat_id="b")
    assert r.error and "no longer followed" in r.text
    assert len(store.chats.topics("test", "a")) == 1
    for forged in ("dmore:1", "dmore:99999999999999999999999", "more:1:99999999999999999999999", "unf:²", "fol:"):
        assert (await say(core, action=forged, chat_id="b")).error, forged


async def test_admin_check_that_raises_fails_closed(core, store):
    async def broken() -> bool:
        raise TimeoutError("the platform did not answer")

    group = {"chat_kind": "group", "chat_id": "g"}
    for text in ("/follow attention", "/timezone Asia/Tokyo", "/pause"):
        r = await say(core, text, is_admin=broken, **group)
        assert r.error and r.text == CHECK_FAILED, text
    for act in ("tz:Asia/Tokyo", "unf:1"):
        assert (await say(core, action=act, is_admin=broken, **group)).text == CHECK_FAILED
    row = store.chats.settings("test", "g")
    assert row["tz"] == "UTC" and not row["paused"] and store.chats.topics("test", "g") == []

    async def no() -> bool:
        return False

    assert (await say(core, "/pause", is_admin=no, **group)).text == NOT_ADMIN


def test_old_unowned_saved_queries_expire_and_their_ids_are_not_reused(tmp_path):
    from store.chats import migrations

    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(str(path)))
    migrations.apply(db, stop_before="m002_saved_query_owner")  # the schema before owners existed
    db.execute("INSERT INTO saved_queries (id, text, created_at) VALUES (41, 'old private query', 'x')")
    db.conn.commit()
    db.conn.close()
    store = Store(path)
    try:
        store.chats.ensure("test", "a", now="2026-03-11T00:00:00+00:00")
        assert store.chats.get_query("test", "a", 41) is None
        assert store.chats.save_query("test", "a", "old private query", now="t") > 41
    finally:
        store.close()


@pytest.mark.core_errors_expected
async def test_a_crash_inside_the_core_is_answered_politely_and_caught_by_the_suite(core, store, monkeypatch,
                                                                                   _core_must_not_crash):
    def boom(*a, **kw):
        raise RuntimeError("a bug")

    monkeypatch.setattr(store.chats, "topics", boom)
    r = await say(core, "/topics")
    assert r.error and "went wrong" in r.text and "a bug" not in r.text
    [record] = _core_must_not_crash.records  # without the marker, conftest would fail this test
    assert "command failed" in record.getMessage() and record.exc_info[0] is RuntimeError
