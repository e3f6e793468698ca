"""When digests are due: time zones, DST days, downtime catch-up, claims across restarts, delivery results, pause."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from bot.clock import FixedClock
from bot.core import Core
from bot.models import DeliveryResult, Message, Paper
from bot.scheduler import run_scheduler, tick
from store import Store


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def add_papers(store, when: datetime, *titles: str, start: int = 1) -> list[str]:
    papers = [Paper.make(t, f"2603.{start + i:05d}", abstract=f"About {t}.", published=when.date().isoformat(),
                         sources=("arxiv",)) for i, t in enumerate(titles)]
    store.papers.upsert_many(papers, now=when.isoformat(timespec="seconds"))
    return [p.id for p in papers]


async def send(core: Core, text: str, chat_id: str = "c1", **kw):
    return await core.handle(Message(platform="test", chat_id=chat_id, user_id="u1", text=text, **kw))


async def subscribe(core, clock, tz="UTC", hhmm="08:00", topic="diffusion", chat_id="c1"):
    await send(core, f"/timezone {tz}", chat_id)
    await send(core, f"/time {hhmm}", chat_id)
    r = await send(core, f"/follow {topic}", chat_id)
    assert not r.error, r.text


def sweep(core: Core, clock: FixedClock, until: datetime, step=timedelta(minutes=10), status="sent") -> list:
    """Tick like the scheduler would until `until`, delivering everything; returns all digests."""
    got = []
    while clock() < until:
        for d in core.due_digests(clock()):
            got.append((clock(), d))
            core.record_delivery(d, DeliveryResult(status))
        clock.advance(seconds=step.total_seconds())
    return got


@pytest.fixture
def core(store, clock):
    return Core(store, clock=clock)


async def test_local_time_in_far_zone(core, store, clock):
    clock.now = at("2026-03-10T12:00:00+00:00")
    await subscribe(core, clock, tz="Asia/Tokyo", hhmm="08:00")  # 08:00 JST = 23:00 UTC the day before
    add_papers(store, at("2026-03-10T13:00:00+00:00"), "Diffusion one")
    clock.now = at("2026-03-10T22:59:00+00:00")
    assert core.due_digests(clock()) == []
    clock.now = at("2026-03-10T23:00:00+00:00")
    [d] = core.due_digests(clock())
    assert d.local_date == "2026-03-11" and d.chat.tz == "Asia/Tokyo"


@pytest.mark.parametrize("day,expect_utc", [
    ("2026-03-29", "2026-03-29T01:30:00+00:00"),  # spring forward: 02:30 does not exist in Berlin
    ("2026-10-25", "2026-10-25T00:30:00+00:00"),  # fall back: 02:30 happens twice; the first counts
])
async def test_dst_days_send_once(core, store, clock, day, expect_utc):
    clock.now = at(f"{day}T00:00:00+00:00") - timedelta(days=1)
    await subscribe(core, clock, tz="Europe/Berlin", hhmm="02:30")
    await send(core, "/quiet off")  # every day's digest is sent, new papers or not
    got = sweep(core, clock, at(f"{day}T00:00:00+00:00") + timedelta(days=1), step=timedelta(minutes=5))
    on_day = [(t, d) for t, d in got if d.local_date == day]
    assert len(on_day) == 1
    assert on_day[0][0] == at(expect_utc)
    assert len({d.local_date for _, d in got}) == len(got)  # one per local day, never two


async def test_downtime_catch_up_at_most_six_hours_late_then_once(core, store, clock):
    await subscribe(core, clock)  # 06:00 UTC, digest at 08:00 UTC
    add_papers(store, at("2026-03-11T07:00:00+00:00"), "Diffusion late")
    clock.now = at("2026-03-11T13:59:00+00:00")  # the bot was down from 07:00 to 13:59
    [d] = core.due_digests(clock())
    core.record_delivery(d, DeliveryResult("sent"))
    assert core.due_digests(clock.advance(minutes=1)) == []
    assert core.due_digests(clock.advance(hours=3)) == []


async def test_too_late_is_skipped_not_piled_up(core, store, clock):
    await subscribe(core, clock)
    add_papers(store, at("2026-03-11T07:00:00+00:00"), "Diffusion missed")
    clock.now = at("2026-03-11T14:01:00+00:00")
    assert core.due_digests(clock()) == []
    # the next day's digest still carries the paper: the window runs from the previous digest
    clock.now = at("2026-03-12T08:00:00+00:00")
    [d] = core.due_digests(clock())
    assert d.local_date == "2026-03-12" and len(d.paper_ids) == 1


async def test_never_for_a_day_before_subscribing(core, store, clock):
    clock.now = at("2026-03-11T09:00:00+00:00")  # after today's 08:00
    await subscribe(core, clock)
    add_papers(store, at("2026-03-11T09:30:00+00:00"), "Diffusion fresh")
    assert core.due_digests(clock.advance(hours=1)) == []
    [d] = core.due_digests(at("2026-03-12T08:00:00+00:00"))
    assert d.local_date == "2026-03-12"


async def test_restart_between_claim_and_mark_retries_stale_claim_once(tmp_path, clock):
    path = tmp_path / "pw.db"
    store = Store(path)
    core = Core(store, clock=clock)
    await subscribe(core, clock)
    add_papers(store, at("2026-03-11T07:00:00+00:00"), "Diffusion crash")
    clock.now = at("2026-03-11T08:00:00+00:00")
    [first] = core.due_digests(clock())  # claimed ... and the process dies before sending
    store.close()

    store2 = Store(path)
    core2 = Core(store2, clock=clock)
    assert core2.due_digests(clock.advance(seconds=20)) == []  # a held lease is not stolen
    [again] = core2.due_digests(clock.advance(seconds=20))  # the lease (30 s) expired: taken over, same claim
    assert again.claim_id == first.claim_id and again.paper_ids == first.paper_ids
    core2.record_delivery(again, DeliveryResult("sent"))
    assert core2.due_digests(clock.advance(minutes=30)) == []
    store2.close()


async def test_crash_after_send_repeats_at_most_one_message(core, store, clock):
    await subscribe(core, clock)
    add_papers(store, at("2026-03-11T07:00:00+00:00"), "Diffusion sent twice at most")
    clock.now = at("2026-03-11T08:00:00+00:00")
    sent = core.due_digests(clock())  # delivered, but the mark was lost
    got = sweep(core, clock, at("2026-03-11T20:00:00+00:00"))
    assert len(sent) + len(got) == 2
    got += sweep(core, clock, at("2026-03-12T09:00:00+00:00"))
    assert len(got) == 1  # next day: nothing new, no repeat of the paper


async def test_retry_later_without_duplicates(core, store, clock):
    await subscribe(core, clock)
    add_papers(store, at("2026-03-11T07:00:00+00:00"), "Diffusion flaky")
    clock.now = at("2026-03-11T08:00:00+00:00")
    [d] = core.due_digests(clock())
    core.record_delivery(d, DeliveryResult("retry", detail="429"))
    assert core.due_digests(clock()) == []
    [again] = core.due_digests(clock.advance(minutes=5))
    assert again.claim_id == d.claim_id
    core.record_delivery(again, DeliveryResult("sent"))
    assert sweep(core, clock, at("2026-03-11T23:00:00+00:00")) == []


async def test_blocked_deactivates_until_the_chat_talks_again(core, store, clock):
    await subscribe(core, clock)
    add_papers(store, at("2026-03-11T07:00:00+00:00"), "Diffusion blocked")
    clock.now = at("2026-03-11T08:00:00+00:00")
    [d] = core.due_digests(clock())
    core.record_delivery(d, DeliveryResult("blocked", detail="Forbidden: bot was blocked by the user"))
    assert store.chats.get("test", "c1").active is False
    assert sweep(core, clock, at("2026-03-12T12:00:00+00:00")) == []
    await send(core, "/topics")  # the user unblocked the bot and wrote to it
    assert store.chats.get("test", "c1").active is True
    clock.now = at("2026-03-13T08:00:00+00:00")
    assert len(core.due_digests(clock())) == 1


async def test_migrated_chat_keeps_follows_and_gets_the_digest_on_its_new_id(core, store, clock):
    await subscribe(core, clock, chat_id="-100")
    add_papers(store, at("2026-03-11T07:00:00+00:00"), "Diffusion migrated")
    clock.now = at("2026-03-11T08:00:00+00:00")
    [d] = core.due_digests(clock())
    core.record_delivery(d, DeliveryResult("migrated", new_chat_id="-100999"))
    assert store.chats.get("test", "-100") is None
    assert [t["query"] for t in store.chats.topics("test", "-100999")] == ["diffusion"]
    [again] = core.due_digests(clock.advance(seconds=30))
    assert again.chat.chat_id == "-100999" and again.paper_ids == d.paper_ids
    core.record_delivery(again, DeliveryResult("sent"))
    assert sweep(core, clock, at("2026-03-11T22:00:00+00:00")) == []


async def test_pause_and_resume(core, store, clock):
    await subscribe(core, clock)
    r = await send(core, "/pause")
    assert "Paused" in r.text
    add_papers(store, at("2026-03-11T07:00:00+00:00"), "Diffusion while paused")
    assert sweep(core, clock, at("2026-03-12T12:00:00+00:00")) == []
    await send(core, "/resume")
    add_papers(store, at("2026-03-12T13:00:00+00:00"), "Diffusion after resume", start=50)
    got = sweep(core, clock, at("2026-03-13T12:00:00+00:00"))
    assert len(got) == 1
    titles = [c.paper.title for sec in got[0][1].reply.sections for c in sec.cards]
    assert titles == ["Diffusion after resume"]  # papers seen while paused are skipped


async def test_group_schedule_changes_need_an_admin(core, store, clock):
    async def no() -> bool:
        return False

    r = await core.handle(Message("test", "g1", "u2", text="/time 09:00", chat_kind="group", is_admin=no))
    assert r.error and "admin" in r.text
    assert store.chats.get("test", "g1").digest_time == "08:00"


async def test_scheduler_loop_delivers_and_survives_a_failing_adapter(core, store, clock):
    await subscribe(core, clock, chat_id="ok")
    await subscribe(core, clock, chat_id="boom")
    add_papers(store, at("2026-03-11T07:00:00+00:00"), "Diffusion loop")
    clock.now = at("2026-03-11T08:00:00+00:00")
    delivered = []

    async def deliver(digest):
        if digest.chat.chat_id == "boom":
            raise RuntimeError("network down")
        delivered.append(digest.chat.chat_id)
        return DeliveryResult("sent")

    stop = asyncio.Event()
    task = asyncio.create_task(run_scheduler(core, deliver, clock, 0.01, stop))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if delivered:
            break
    stop.set()
    await asyncio.wait_for(task, 2)
    assert delivered == ["ok"]
    # the failed one is retried later, once
    clock.advance(minutes=5)
    assert await tick(core, deliver, clock()) == 1


async def test_a_tick_works_in_slices_and_still_delivers_everything_once(core, store, clock):
    for i in range(7):
        await subscribe(core, clock, chat_id=f"s{i}")
    add_papers(store, at("2026-03-11T07:00:00+00:00"), "Diffusion for all")
    sent = []

    async def deliver(digest):
        sent.append(digest.chat.chat_id)
        return DeliveryResult("sent")

    assert await tick(core, deliver, at("2026-03-11T08:00:00+00:00"), batch=3) == 7
    assert sorted(sent) == [f"s{i}" for i in range(7)]
    assert await tick(core, deliver, at("2026-03-11T08:01:00+00:00"), batch=3) == 0


async def test_a_removed_workspace_deactivates_all_its_chats(core, store, clock):
    for cid in ("T1/C1", "T1/U2", "T10/C1"):
        await subscribe(core, clock, chat_id=cid)
    assert core.deactivate_chats("test", "T1/", reason="app_uninstalled") == 2
    assert [store.chats.get("test", c).active for c in ("T1/C1", "T1/U2", "T10/C1")] == [False, False, True]
    add_papers(store, at("2026-03-11T07:00:00+00:00"), "Diffusion for the rest")
    assert [d.chat.chat_id for d in core.due_digests(at("2026-03-11T08:00:00+00:00"))] == ["T10/C1"]


async def test_slices_of_one_tick_match_each_chat_on_its_own_topics(core, store, clock):
    topics = ["diffusion", "mamba", "agents", "diffusion", "speech"]
    for i, t in enumerate(topics):
        await subscribe(core, clock, chat_id=f"t{i}", topic=t)
    add_papers(store, at("2026-03-11T07:00:00+00:00"), "Diffusion A", "Mamba B", "Agents C", "Speech D")
    now = at("2026-03-11T08:00:00+00:00")
    got = {}
    while True:
        for d in core.due_digests(now, limit=2):
            got[d.chat.chat_id] = sorted(c.paper.title for sec in d.reply.sections for c in sec.cards)
            core.record_delivery(d, DeliveryResult("sent"))
        if core.last_claimed < 2:
            break
        if len(got) == 2:  # a paper committed between two slices of the same tick: it is the next digest's
            add_papers(store, at("2026-03-11T07:30:00+00:00"), "Speech E", start=10)
    assert got == {"t0": ["Diffusion A"], "t1": ["Mamba B"], "t2": ["Agents C"], "t3": ["Diffusion A"],
                   "t4": ["Speech D"]}
    [d] = core.due_digests(at("2026-03-12T08:00:00+00:00"))
    assert d.chat.chat_id == "t4" and d.paper_ids == ("2603.00010",)


async def test_frequency_weekdays_and_weekly_set_which_days_are_due(core, store, clock):
    clock.now = at("2026-03-09T06:00:00+00:00")  # a Monday
    await subscribe(core, clock)
    r = await send(core, "/frequency weekly fri")
    assert "weekly on Fridays" in r.text and "Fri 13 Mar" in r.text and "7 days" in r.text
    assert "Frequency: weekly on Fridays (/frequency)" in (await send(core, "/settings")).text
    assert (await send(core, "/frequency hourly")).error and (await send(core, "/frequency weekly funday")).error
    got = []
    for day in range(9, 23):  # two weeks
        add_papers(store, at(f"2026-03-{day:02d}T07:00:00+00:00"), f"Diffusion {day}", start=day * 10)
        for d in core.due_digests(at(f"2026-03-{day:02d}T08:00:00+00:00")):
            got.append(d.local_date)
            core.record_delivery(d, DeliveryResult("sent"))
    assert got == ["2026-03-13", "2026-03-20"]
    await send(core, "/frequency weekdays")
    days = []
    for day in range(23, 30):
        add_papers(store, at(f"2026-03-{day:02d}T07:00:00+00:00"), f"Diffusion {day}", start=day * 10)
        for d in core.due_digests(at(f"2026-03-{day:02d}T08:00:00+00:00")):
            days.append(d.local_date)
            core.record_delivery(d, DeliveryResult("sent"))
    assert days == ["2026-03-23", "2026-03-24", "2026-03-25", "2026-03-26", "2026-03-27"]
    assert "frequency" in (await send(core, "/help")).text


async def test_a_tick_that_ends_on_a_full_slice_says_nothing_more_is_waiting(core, store, clock, monkeypatch):
    for i in range(4):
        await subscribe(core, clock, chat_id=f"s{i}")
    add_papers(store, at("2026-03-11T07:00:00+00:00"), "Diffusion A")
    plans = []
    real_plan = core._plan
    monkeypatch.setattr(core, "_plan", lambda now: plans.append(now) or real_plan(now))
    now = at("2026-03-11T08:00:00+00:00")
    assert len(core.due_digests(now, limit=2)) == 2 and core.more_waiting
    assert len(core.due_digests(now, limit=2)) == 2 and not core.more_waiting  # the scheduler stops here
    assert len(plans) == 1  # both slices shared one plan; no third call needed to learn the tick is over


async def test_the_garbage_collector_waits_while_a_slice_is_built_and_comes_back_after(core, store, clock,
                                                                                       monkeypatch):
    import gc

    await subscribe(core, clock)
    add_papers(store, at("2026-03-11T07:00:00+00:00"), "Diffusion A")
    from bot.digest_build import DigestBuilder

    seen = []
    real_build = DigestBuilder._build

    def build(self, *a):
        seen.append(gc.isenabled())
        return real_build(self, *a)

    monkeypatch.setattr(DigestBuilder, "_build", build)
    assert gc.isenabled()
    assert len(core.due_digests(at("2026-03-11T08:00:00+00:00"))) == 1
    assert seen == [False] and gc.isenabled()

    def broken(*a):
        raise RuntimeError("a bug while building")

    monkeypatch.setattr(DigestBuilder, "_build", broken)
    await subscribe(core, clock, chat_id="c2")
    with pytest.raises(RuntimeError):
        core.due_digests(at("2026-03-12T08:00:00+00:00"))
    assert gc.isenabled()  # restored even when building fails
