"""Bounded topics: a followed topic is matched at every digest, so its size is limited (characters, words, ORs,
words no paper contains), each refusal naming its limit; and the work a digest tick does per topic stays bounded.
(Timings for 200 chats x 50 topics: bench/topic_limits.py.)"""
from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pytest

from bot import search_plan
from bot.core import Core
from bot.models import Message, Paper
from bot.query import TOPIC_MAX_CHARS, TOPIC_MAX_ORS, TOPIC_MAX_UNKNOWN, TOPIC_MAX_WORDS, parse

WORDS = ["diffusion", "attention", "transformer", "retrieval", "segmentation", "quantization", "distillation",
         "alignment", "reasoning", "robotics", "compression", "tokenizer", "benchmark", "multilingual", "sparsity",
         "graphs", "speech", "protein", "weather", "planning"]
NOW = datetime(2026, 3, 11, 8, 0, tzinfo=timezone.utc)


def corpus() -> list[Paper]:
    pairs = list(itertools.combinations(WORDS, 2))
    return [Paper.make(f"{a.title()} meets {b} at scale", f"2603.{i:05d}", abstract=f"We study {a} and {b}.",
                       published="2026-03-10") for i, (a, b) in enumerate(pairs)]


@pytest.fixture
def core(store, clock, monkeypatch):
    monkeypatch.setattr("bot.search.UNKNOWN_MIN_PAPERS", 100)  # the corpus here is 190 papers
    store.papers.upsert_many(corpus(), now="2026-03-10T00:00:00+00:00")
    return Core(store, clock=clock)


async def follow(core, topic: str, chat_id: str = "c1"):
    return await core.handle(Message("test", chat_id, "u1", text=f"/follow {topic}"))


async def test_each_limit_is_refused_with_a_message_naming_it(core, store):
    long = "diffusion " + "x" * TOPIC_MAX_CHARS
    many = " ".join(WORDS[: TOPIC_MAX_WORDS + 1])
    ors = " OR ".join(WORDS[: TOPIC_MAX_ORS + 2])
    typos = "difusion atention transformr"
    for topic, limit in ((long, f"at most {TOPIC_MAX_CHARS} characters"), (many, f"at most {TOPIC_MAX_WORDS} words"),
                         (ors, f"at most {TOPIC_MAX_ORS} ORs"), (typos, f"at most {TOPIC_MAX_UNKNOWN}")):
        r = await follow(core, topic)
        assert r.error and limit in r.text, (topic, r.text)
    assert "difusion" in r.text and "appear in no paper" in r.text
    assert store.chats.topics("test", "c1") == []


async def test_unknown_words_are_not_counted_while_the_index_is_young(store, clock):
    store.papers.upsert_many(corpus()[:20], now="2026-03-10T00:00:00+00:00")  # fewer than UNKNOWN_MIN_PAPERS
    r = await follow(Core(store, clock=clock), "robot manipulation")
    assert "Following" in r.text, r.text


async def test_the_largest_accepted_topics_follow(core, store):
    words = WORDS[: TOPIC_MAX_WORDS - 1] + ["hymba"]  # one new name no paper has yet is fine
    largest = " OR ".join(words[: TOPIC_MAX_ORS + 1]) + " " + " ".join(words[TOPIC_MAX_ORS + 1:])
    assert len(largest) <= TOPIC_MAX_CHARS
    r = await follow(core, largest)
    assert "Following" in r.text, r.text
    r = await follow(core, 'author:"Yann LeCun" "state space" OR diffusion -medical since:7d')
    assert "Following" in r.text, r.text
    assert len(store.chats.topics("test", "c1")) == 2


async def test_follow_this_search_button_applies_the_same_limits(core, store):
    found = await core.handle(Message("test", "c1", "u1", text="/search " + " OR ".join(WORDS[:8])))
    fol = next(b.action for b in found.buttons if b.action.startswith("fol:"))
    r = await core.handle(Message("test", "c1", "u1", action=fol))
    assert r.error and f"at most {TOPIC_MAX_ORS} ORs" in r.text
    assert store.chats.topics("test", "c1") == []


def _tick_work(clock, monkeypatch, topics: list[str], per_chat: int = 10) -> dict:
    """One due_digests for `chats` chats of `per_chat` topics each, on a fresh store: its SQL statements and
    spelling-suggestion lookups, per topic."""
    from store import Store

    chats = len(topics) // per_chat
    store = Store(":memory:")
    try:
        store.papers.upsert_many(corpus(), now="2026-03-10T00:00:00+00:00")
        seq = store.db.execute("SELECT max(pk) FROM papers").fetchone()[0]
        store.chats.import_chats(
            [("test", f"k{i}", "UTC", "08:00", [(t, parse(t).canonical()) for t in topics[i * per_chat:(i + 1) * per_chat]])
             for i in range(chats)], now="2026-03-10T12:00:00+00:00", seq=seq)
        store.papers.upsert_many([Paper.make(f"Fresh {a} and {b} results", f"2603.9{i:04d}", published="2026-03-10")
                                  for i, (a, b) in enumerate(itertools.combinations(WORDS, 2))],
                                 now="2026-03-11T07:00:00+00:00")
        core = Core(store, clock=clock)
        core.searcher.search("warm")
        counts = {"sql": 0, "suggest": 0}
        real = search_plan.Lexicon._suggest

        def counted(self, word):
            counts["suggest"] += 1
            return real(self, word)

        monkeypatch.setattr(search_plan.Lexicon, "_suggest", counted)
        store.db.conn.set_trace_callback(lambda _sql: counts.__setitem__("sql", counts["sql"] + 1))
        digests = core.due_digests(NOW)
        store.db.conn.set_trace_callback(None)
        monkeypatch.undo()
        return {**{k: v / (chats * per_chat) for k, v in counts.items()}, "digests": len(digests)}
    finally:
        store.close()


def _letters(i: int) -> str:
    out = ""
    while True:
        i, r = divmod(i, 26)
        out += chr(97 + r)
        if not i:
            return out


def topic_sets(n: int) -> dict[str, list[str]]:
    """Every topic distinct (unknown words too, so no cache helps): plain 2-word topics, the largest /follow
    accepts (TOPIC_MAX_WORDS words, TOPIC_MAX_ORS ORs, TOPIC_MAX_UNKNOWN unknown words), and the unbounded
    topics of issue 8 (24 typo words, 80 ORs of unknown words) that it now refuses."""
    combos = itertools.cycle(itertools.combinations(WORDS, TOPIC_MAX_WORDS))
    plain = [f"{a} {b}" for a, b in itertools.islice(itertools.cycle(itertools.combinations(WORDS, 2)), n)]
    maximal = []
    for i in range(n):
        w = list(next(combos))
        for k in range(TOPIC_MAX_UNKNOWN):
            w[k] = w[k][:-2] + "zz" + _letters(i)
        maximal.append(" OR ".join(w[: TOPIC_MAX_ORS + 1]) + " " + " ".join(w[TOPIC_MAX_ORS + 1:]))
    unbounded = [" ".join(w[:-2] + "zz" + _letters(i) for w in WORDS[:24]) + " "
                 + " OR ".join(f"zq{i}x{k}" for k in range(80)) for i in range(n)]
    return {"plain": plain, "maximal": maximal, "unbounded": unbounded}


def test_work_per_digest_topic_is_bounded_at_the_limits(clock, monkeypatch):
    """Deterministic work counts, not timings: the largest topics /follow accepts do a small multiple of a plain
    topic's SQL and exactly TOPIC_MAX_UNKNOWN spelling lookups (the expensive part, ~2 ms each on 20k papers);
    the unbounded topics it now refuses do 24x the SQL and a lookup per unknown word."""
    from bot.query import topic_limit_error, unknown_words_error

    sets = topic_sets(100)
    assert len(set(sets["maximal"])) == 100
    for t in sets["maximal"]:
        assert topic_limit_error(t, parse(t)) is None and len(t) <= TOPIC_MAX_CHARS
    assert all(topic_limit_error(t, parse(t)) for t in sets["unbounded"])
    assert unknown_words_error(("a", "b")) and not unknown_words_error(("a",) * TOPIC_MAX_UNKNOWN)
    sets["unbounded"] = sets["unbounded"][:30]  # per topic is what counts; these are slow
    work = {kind: _tick_work(clock, monkeypatch, topics) for kind, topics in sets.items()}
    assert work["plain"]["suggest"] == 0 and work["plain"]["digests"] == 10  # the tick did build digests
    assert work["maximal"]["suggest"] == TOPIC_MAX_UNKNOWN
    # measured: 3.6x (the unknown words' stemming; a plain topic's full and title matches are one statement)
    assert work["maximal"]["sql"] <= 4 * work["plain"]["sql"], work
    assert work["unbounded"]["suggest"] >= 20 * max(1, TOPIC_MAX_UNKNOWN), work  # measured: 88 lookups per topic
    assert work["unbounded"]["sql"] >= 10 * work["plain"]["sql"], work  # measured: 24x
