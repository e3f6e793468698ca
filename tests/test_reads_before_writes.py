"""A message or a search that changes nothing writes nothing: every write waits for another process's write lock
(a long `paperwire ingest`), and on the event loop that wait is a stalled bot."""
from __future__ import annotations

import sqlite3

import pytest

from store import Store

T0 = "2026-03-11T09:00:00+00:00"


def test_a_known_chat_and_a_repeated_query_need_no_write_lock(tmp_path):
    path = tmp_path / "pw.db"
    bot = Store(path)
    chat = bot.chats.ensure("telegram", "42", now=T0, kind="group", title="Lab")
    qid = bot.chats.save_query("telegram", "42", "flash attention", now=T0)
    bot.db.execute("PRAGMA busy_timeout=0")  # a write now would fail at once: "database is locked"
    other = sqlite3.connect(path)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock (an import mid-batch)
    try:
        assert bot.chats.ensure("telegram", "42", now=T0, kind="group", title="Lab") == chat
        assert bot.chats.ensure("telegram", "42", now=T0) == chat  # no title given: nothing to change
        assert bot.chats.save_query("telegram", "42", "flash attention", now=T0) == qid
        with pytest.raises(sqlite3.OperationalError, match="locked"):  # what does change still writes
            bot.chats.ensure("telegram", "42", now=T0, title="Lab (renamed)")
    finally:
        other.rollback()
        other.close()
    assert bot.chats.ensure("telegram", "42", now=T0, title="Lab (renamed)").title == "Lab (renamed)"
    assert bot.chats.save_query("telegram", "42", "mamba", now=T0) != qid
    bot.close()
