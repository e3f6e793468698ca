"""/follow with a misspelled word or a chat question: the corrected topic is saved (and the reply says so), and the
misspelling and the correct spelling are one topic (follow, duplicate check, unfollow)."""
from __future__ import annotations

import pytest

from bot.core import Core
from bot.models import Message, Paper


TITLES = ["Diffusion models for video", "Latent diffusion at scale", "Mamba: linear-time models",
          "Qwen3 technical report", "Segmenting cataract surgery videos", "Diffusion policies", "Quit smoking apps"]


def papers(filler: int):
    """The titles above, plus `filler` older papers: corrections need an index big enough to know its words."""
    return [Paper.make(t, f"2603.{i:05d}", abstract=f"We study {t.lower()}.", published="2026-03-09")
            for i, t in enumerate(TITLES, 1)] + [
        Paper.make(f"Survey {i} of {w} methods", f"2501.{i:05d}", abstract="An older survey.", published="2025-01-01")
        for i, w in zip(range(filler), ["diffusion", "quit", "video", "latent"] * 250)]


@pytest.fixture
def core(store, clock):  # clock: 2026-03-11T06:00Z
    store.papers.upsert_many(papers(1000), now="2026-03-10T00:00:00+00:00")
    return Core(store, clock=clock)


async def say(core, text, chat_id="c1"):
    return await core.handle(Message("test", chat_id, "u1", text=text))


def saved(store, chat_id="c1"):
    return [t["query"] for t in store.chats.topics("test", chat_id)]


async def test_misspelled_topic_is_saved_corrected_and_said(core, store):
    r = await say(core, "/follow difusion -medical")
    assert not r.error
    assert "diffusion -medical" in r.text and "corrected: diffusion for difusion" in r.text
    assert "would have matched 3 papers" in r.text
    assert saved(store) == ["diffusion -medical"]


async def test_correct_spelling_after_the_misspelling_is_the_same_topic(core, store):
    await say(core, "/follow difusion")
    r = await say(core, "/follow diffusion")
    assert "already follow" in r.text
    r = await say(core, "/follow Difusion")
    assert "already follow" in r.text and "written differently" in r.text
    assert saved(store) == ["diffusion"]


async def test_a_topic_saved_misspelled_earlier_is_the_same_topic(core, store):
    await say(core, "/follow mamba")  # creates the chat
    store.chats.add_topic("test", "c1", "difusion", "difusion", now="2026-03-01T00:00:00+00:00")  # an older save
    r = await say(core, "/follow diffusion")
    assert "already follow" in r.text and saved(store) == ["mamba", "difusion"]
    r = await say(core, "/unfollow diffusion")
    assert "Unfollowed" in r.text and saved(store) == ["mamba"]


async def test_unfollow_accepts_the_misspelling(core, store):
    await say(core, "/follow diffusion")
    r = await say(core, "/unfollow difusion")
    assert "Unfollowed" in r.text and saved(store) == []


async def test_quoted_words_and_model_names_stay_as_typed(core, store):
    r = await say(core, '/follow "difusion"')
    assert "corrected" not in r.text
    r = await say(core, "/follow qwen4")  # a newer model than the index knows: not "qwen3"
    assert "corrected" not in r.text
    assert saved(store) == ['"difusion"', "qwen4"]


async def test_chat_question_follows_its_topic(core, store):
    r = await say(core, "/follow any new papers about diffusion?")
    assert "Following" in r.text and "left out: any new papers about" in r.text
    assert saved(store) == ["diffusion"]
    r = await say(core, "/follow diffusion")
    assert "already follow" in r.text


async def test_a_small_index_corrects_nothing(store, clock):
    """Topics are for papers to come: against a few papers a new word ("qubit") is not a typo of "quit"."""
    store.papers.upsert_many(papers(0), now="2026-03-10T00:00:00+00:00")
    core = Core(store, clock=clock)
    r = await say(core, "/follow topological qubit")
    assert "corrected" not in r.text and saved(store) == ["topological qubit"]
    r = await say(core, "/follow difusion")
    assert saved(store) == ["topological qubit", "difusion"]
