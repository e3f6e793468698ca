"""What a digest holds: new papers since the last one, matched topics, ranking, 'more', dedupe, empty days, trending."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.core import Core
from bot.models import DeliveryResult, Message, Paper


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def ingest(store, when: str, *papers: Paper) -> None:
    store.papers.upsert_many(list(papers), now=at(when).isoformat(timespec="seconds"))


def p(i: int, title: str, abstract: str = "", upvotes=None, hf_date=None, arxiv_id=None, sources=("arxiv",)) -> Paper:
    return Paper.make(title, arxiv_id or f"2603.{i:05d}", abstract=abstract or "A study.", published="2026-03-10",
                      upvotes=upvotes, hf_date=hf_date, sources=sources)


async def say(core, text="", chat_id="c1", action=None):
    return await core.handle(Message("test", chat_id, "u1", text=text, action=action))


@pytest.fixture
def core(store, clock):  # 2026-03-11T06:00Z, digest at 08:00 UTC
    return Core(store, clock=clock)


def cards(d):
    """Every card of a digest, section by section."""
    return [c for sec in d.reply.sections for c in sec.cards] + list(d.reply.cards)


def due_one(core, when: str):
    ds = core.due_digests(at(when))
    assert len(ds) == 1, ds
    return ds[0]


async def test_new_papers_since_subscribing_that_match_any_topic(core, store):
    ingest(store, "2026-03-11T05:00:00+00:00", p(1, "Diffusion before the follow"))
    await say(core, "/follow diffusion")
    await say(core, "/follow mamba")
    ingest(store, "2026-03-11T07:00:00+00:00",
           p(2, "Video diffusion with mamba blocks"), p(3, "Mamba for speech"), p(4, "Graph neural networks"))
    d = due_one(core, "2026-03-11T08:00:00+00:00")
    why = {c.paper.id: set(c.why) for c in cards(d)}
    assert why == {"2603.00002": {"diffusion", "mamba"}, "2603.00003": {"mamba"}}
    assert d.kind == "digest" and d.local_date == "2026-03-11"
    # one section per topic, the paper matching both appears once (under its best topic), naming both
    assert sorted(s.topic for s in d.sections) == ["diffusion", "mamba"]
    assert sum(len(s.papers) for s in d.sections) == 2
    assert "2 new papers" in d.reply.text


async def test_ranking_uses_relevance_then_upvotes(core, store):
    await say(core, "/follow diffusion")
    ingest(store, "2026-03-11T07:00:00+00:00",
           p(1, "A study of priors", abstract="We use diffusion briefly.", upvotes=3),
           p(2, "Diffusion transformers", upvotes=1),
           p(3, "Diffusion policies", upvotes=300))
    d = due_one(core, "2026-03-11T08:00:00+00:00")
    assert [c.paper.id for c in cards(d)] == ["2603.00003", "2603.00002", "2603.00001"]
    assert cards(d)[0].matched == ("diffusion",)


async def test_a_few_per_topic_then_a_button_for_the_rest_of_that_topic(core, store):
    await say(core, "/follow diffusion")
    ingest(store, "2026-03-11T07:00:00+00:00", *[p(i, f"Diffusion {i}", upvotes=i) for i in range(14)])
    d = due_one(core, "2026-03-11T08:00:00+00:00")
    [sec] = d.reply.sections
    assert len(sec.cards) == 5 and d.sections[0].count == 14
    [more] = sec.buttons
    assert more.label == "Show 9 more for this topic" and more.action == f"dsec:{d.claim_id}:0"
    core.record_delivery(d, DeliveryResult("sent", message_ref="m1"))
    rest = await say(core, action=more.action)
    assert len(rest.cards) == 9
    assert {c.paper.id for c in rest.cards}.isdisjoint({c.paper.id for c in cards(d)})
    assert (await say(core, action=more.action, chat_id="intruder")).error


async def test_one_broad_topic_does_not_crowd_out_the_others(core, store):
    for topic in ("diffusion -medical", "robot manipulation", "large language model reasoning",
                  'author:"Yann LeCun"'):
        await say(core, f"/follow {topic}")
    ingest(store, "2026-03-11T07:00:00+00:00",
           *[p(i, f"Diffusion model number {i}", upvotes=100 + i) for i in range(20)],
           p(30, "Robot manipulation with tactile sensing"), p(31, "Dexterous robot manipulation"),
           p(32, "Large language model reasoning traces"),
           Paper.make("World models", "2603.00033", authors=("Yann LeCun",), published="2026-03-10"),
           p(34, "Diffusion for robot manipulation", upvotes=500))
    d = due_one(core, "2026-03-11T08:00:00+00:00")
    by_topic = {s.topic: [dp.paper.id for dp in s.papers] for s in d.sections}
    assert set(by_topic) == {"diffusion -medical", "robot manipulation", "large language model reasoning",
                             'author:"Yann LeCun"'}
    assert len(by_topic["diffusion -medical"]) <= 3
    shown = [pid for ids in by_topic.values() for pid in ids]
    assert len(shown) == len(set(shown))  # a paper matching two topics appears once, naming both
    both = next(dp for s in d.sections for dp in s.papers if dp.paper.id == "2603.00034")
    assert set(both.matched) == {"diffusion -medical", "robot manipulation"}
    # sections are ordered by their best paper
    assert d.sections[0].papers[0].paper.id == "2603.00034"


async def test_a_paper_matching_two_topics_is_shown_under_its_title_match_then_its_better_place(core, store):
    await say(core, "/follow diffusion")
    await say(core, "/follow mamba")
    ingest(store, "2026-03-11T07:00:00+00:00",
           *[p(i, f"Mamba variant {i}", upvotes=1000 - i) for i in (1, 2, 3)],
           p(4, "Mamba blocks", abstract="We use diffusion.", upvotes=100),  # title: mamba (4th); abstract: diffusion
           p(5, "Diffusion with mamba", upvotes=50),  # title in both: 5th under mamba, 1st under diffusion
           p(6, "Diffusion priors", upvotes=10))
    d = due_one(core, "2026-03-11T08:00:00+00:00")
    by_topic = {s.topic: [dp.paper.id for dp in s.papers] for s in d.sections}
    # under diffusion, 2603.00004 would be 3rd (the first non-title match): its title match decides, not its place
    assert by_topic == {"mamba": ["2603.00001", "2603.00002", "2603.00003", "2603.00004"],
                        "diffusion": ["2603.00005", "2603.00006"]}
    named = {dp.paper.id: set(dp.matched) for s in d.sections for dp in s.papers}
    assert named["2603.00004"] == named["2603.00005"] == {"diffusion", "mamba"}


async def test_an_excluded_word_outside_the_title_still_excludes_a_title_match(core, store):
    await say(core, "/follow diffusion -medical")
    ingest(store, "2026-03-11T07:00:00+00:00", p(1, "Diffusion models", abstract="For medical imaging."),
           p(2, "Diffusion priors", abstract="For video."), p(3, "A study", abstract="Diffusion for audio."))
    d = due_one(core, "2026-03-11T08:00:00+00:00")
    assert [(dp.paper.id, d.sections[0].count) for dp in d.sections[0].papers] == [("2603.00002", 2), ("2603.00003", 2)]


async def test_a_new_version_or_second_source_is_not_new(core, store):
    await say(core, "/follow diffusion")
    ingest(store, "2026-03-11T07:00:00+00:00", p(1, "Diffusion once", arxiv_id="2603.00001v1"))
    d = due_one(core, "2026-03-11T08:00:00+00:00")
    core.record_delivery(d, DeliveryResult("sent"))
    # the next day: v2 on arXiv and the same paper on Hugging Face, plus one genuinely new paper
    ingest(store, "2026-03-12T06:00:00+00:00", p(1, "Diffusion once", arxiv_id="2603.00001v2"),
           p(1, "Diffusion once", upvotes=50, hf_date="2026-03-12", sources=("hf",)), p(2, "Diffusion twice"))
    d2 = due_one(core, "2026-03-12T08:00:00+00:00")
    assert d2.paper_ids == ("2603.00002",)


async def test_a_paper_is_never_delivered_twice_even_if_windows_overlap(core, store):
    await say(core, "/follow diffusion")
    ingest(store, "2026-03-11T07:00:00+00:00", p(1, "Diffusion overlap"))
    core.record_delivery(due_one(core, "2026-03-11T08:00:00+00:00"), DeliveryResult("sent"))
    store.chats.update("test", "c1", digest_seq=0)  # a window reaching back over a paper already sent
    ingest(store, "2026-03-12T06:00:00+00:00", p(2, "Diffusion fresh"))
    assert due_one(core, "2026-03-12T08:00:00+00:00").paper_ids == ("2603.00002",)


async def test_nothing_matched_is_silent_by_default(core, store):
    await say(core, "/follow diffusion")
    ingest(store, "2026-03-11T07:00:00+00:00", p(1, "Graph networks"))
    assert core.due_digests(at("2026-03-11T08:00:00+00:00")) == []
    assert core.due_digests(at("2026-03-11T08:30:00+00:00")) == []  # closed, not pending


async def test_opted_in_empty_days_say_so(core, store):
    await say(core, "/follow diffusion")
    await say(core, "/quiet off")
    ingest(store, "2026-03-11T07:00:00+00:00", p(1, "Graph networks"), p(2, "Speech codecs"))
    d = due_one(core, "2026-03-11T08:00:00+00:00")
    assert d.reply.text == "Nothing new for your topics today (2 new papers checked)." and not cards(d)
    core.record_delivery(d, DeliveryResult("sent"))
    d = due_one(core, "2026-03-12T08:00:00+00:00")  # no ingest at all that day
    assert d.reply.text == "Nothing new today: no new papers arrived since your last digest."


async def test_preview_claims_nothing(core, store, clock):
    await say(core, "/follow diffusion")
    ingest(store, "2026-03-11T07:00:00+00:00", p(1, "Diffusion preview"))
    clock.now = at("2026-03-11T07:30:00+00:00")
    r = await say(core, "/digest")
    assert "Preview" in r.text and [c.paper.id for s in r.sections for c in s.cards] == ["2603.00001"]
    assert len(core.preview_due(at("2026-03-11T08:00:00+00:00"))) == 1
    assert due_one(core, "2026-03-11T08:00:00+00:00").paper_ids == ("2603.00001",)


async def test_trending_post_top_n_by_upvotes_once_per_hf_day(core, store):
    await say(core, "/channel trending 2 09:00")
    ingest(store, "2026-03-11T07:00:00+00:00",
           *[p(i, f"Paper {i}", upvotes=u, hf_date="2026-03-11", sources=("hf",)) for i, u in enumerate([5, 50, 20])],
           p(9, "Yesterday's star", upvotes=999, hf_date="2026-03-10", sources=("hf",)))
    assert core.due_digests(at("2026-03-11T08:59:00+00:00")) == []
    d = due_one(core, "2026-03-11T09:00:00+00:00")
    assert d.kind == "trending" and [c.paper.upvotes for c in cards(d)] == [50, 20]
    assert "2026-03-11" in d.reply.text
    core.record_delivery(d, DeliveryResult("sent"))
    # no new Hugging Face day (a weekend): no repeat of the same list
    assert core.due_digests(at("2026-03-12T09:00:00+00:00")) == []
    ingest(store, "2026-03-13T06:00:00+00:00", p(20, "Friday paper", upvotes=7, hf_date="2026-03-13", sources=("hf",)))
    assert due_one(core, "2026-03-13T09:00:00+00:00").paper_ids == ("2603.00020",)


async def test_trending_post_filtered_by_topics(core, store):
    await say(core, "/follow diffusion")
    await say(core, "/channel trending 5 09:00")
    await say(core, "/channel topics on")
    ingest(store, "2026-03-11T05:00:00+00:00",
           p(1, "Diffusion at scale", upvotes=3, hf_date="2026-03-11", sources=("hf",)),
           p(2, "Agents everywhere", upvotes=300, hf_date="2026-03-11", sources=("hf",)))
    core.record_delivery(due_one(core, "2026-03-11T08:00:00+00:00"), DeliveryResult("sent"))
    d = due_one(core, "2026-03-11T09:00:00+00:00")
    assert d.paper_ids == ("2603.00001",) and cards(d)[0].why == ("diffusion",)


async def test_card_snippet_centres_on_the_matched_topic(core, store):
    await say(core, "/follow mamba")
    abstract = "Intro words here. " * 30 + "We propose a Mamba layer for speech. " + "Closing words. " * 20
    ingest(store, "2026-03-11T07:00:00+00:00", p(1, "A sequence model", abstract=abstract))
    [card] = cards(due_one(core, "2026-03-11T08:00:00+00:00"))
    assert card.snippet.startswith("… ") and "Mamba layer" in card.snippet and len(card.snippet) <= 250
    assert card.why == ("mamba",) and [b.action for b in card.buttons] == [
        "abs:2603.00001", "share:2603.00001", "up:2603.00001", "dn:2603.00001", "sv:2603.00001", "sim:2603.00001"]


async def test_every_card_names_the_topics_of_its_own_chat(core, store):
    # chat a follows `diffusion -medical`, chat b `diffusion`: same paper, same matched word, different "why"
    await say(core, "/follow diffusion -medical", chat_id="a")
    await say(core, "/follow diffusion", chat_id="b")
    await say(core, "/follow diffusion", chat_id="c")
    await say(core, "/follow speech", chat_id="c")
    ingest(store, "2026-03-11T07:00:00+00:00", p(1, "Diffusion for speech"))
    why = {d.chat.chat_id: cards(d)[0].why for d in core.due_digests(at("2026-03-11T08:00:00+00:00"))}
    assert why == {"a": ("diffusion -medical",), "b": ("diffusion",), "c": ("diffusion", "speech")}


async def test_papers_loaded_in_the_same_second_as_the_first_follow_are_not_new(core, store):
    ingest(store, "2026-03-11T06:00:00+00:00", p(1, "Diffusion seeded on first run"))
    await say(core, "/follow diffusion")  # the clock also reads 06:00:00
    ingest(store, "2026-03-11T06:00:01+00:00", p(2, "Diffusion a second later"))
    assert due_one(core, "2026-03-11T08:00:00+00:00").paper_ids == ("2603.00002",)
