"""Delivery you can trust: parts fixed with the claim and recorded one by one, claims as leases, takeover, two
processes racing, a store that cannot write, SIGTERM. Deterministic: an injected clock, fakes that wait on events."""
from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from datetime import timedelta

import pytest

from bot import digests as dg
from bot.core import Core
from bot.models import DeliveryResult, Message, Paper
from bot.scheduler import deliver_digest, run_scheduler, tick
from store import Store

NOON = "2026-03-11T08:00:00+00:00"


class Sender:
    """A platform that splits every digest into `n` parts and remembers what it sent (and what it was asked)."""

    platform = "test"

    def __init__(self, n: int = 3):
        self.n = n
        self.sent: list[str] = []
        self.fail: set[str] = set()  # payloads answered "retry" once
        self.gate: asyncio.Event | None = None  # sends wait for it (a slow platform)
        self.started = asyncio.Event()
        self.version = "a"

    def parts(self, digest) -> list[str]:
        return [f"{digest.chat.chat_id}/{digest.kind}/{self.version}{i}" for i in range(self.n)]

    async def send_part(self, digest, payload: str) -> DeliveryResult:
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        if payload in self.fail:
            self.fail.discard(payload)
            return DeliveryResult("retry", detail="flaky")
        self.sent.append(payload)
        return DeliveryResult("sent", message_ref=f"m{len(self.sent)}")


async def subscribe(core, chat_id: str) -> None:
    r = await core.handle(Message("test", chat_id, "u1", text="/follow diffusion"))
    assert not r.error


def papers(store, *titles: str, start: int = 1) -> None:
    store.papers.upsert_many([Paper.make(t, f"2603.{start + i:05d}", abstract="About it.", published="2026-03-11")
                              for i, t in enumerate(titles)], now="2026-03-11T07:00:00+00:00")


def claim_row(store, claim_id: int) -> dict:
    return store.deliveries.get_claim(claim_id)


@pytest.fixture
def two(tmp_path, clock):
    """Two processes on one database file (a rolling restart)."""
    a, b = Store(tmp_path / "pw.db"), Store(tmp_path / "pw.db")
    yield Core(a, clock=clock), Core(b, clock=clock)
    a.close()
    b.close()


async def test_parts_are_fixed_with_the_claim_and_a_retry_resumes_at_the_first_unsent(store, clock):
    core, sender = Core(store, clock=clock), Sender()
    await subscribe(core, "c1")
    papers(store, "Diffusion one")
    clock.set(NOON)
    [d] = core.due_digests()
    sender.fail = {"c1/digest/a1"}
    result = await deliver_digest(core, sender, d)
    assert result.status == "retry" and sender.sent == ["c1/digest/a0"]
    core.record_delivery(d, result)
    parts = store.deliveries.parts(d.claim_id)
    assert [(p.sent, p.message_id) for p in parts] == [(True, "m1"), (False, None), (False, None)]
    sender.version = "b"  # a rebuilt digest renders differently: the stored parts win
    [again] = core.due_digests(clock.advance(minutes=3))
    assert again.claim_id == d.claim_id
    result = await deliver_digest(core, sender, again)
    assert result.status == "sent" and result.message_ref == "m1,m2,m3"
    assert sender.sent == ["c1/digest/a0", "c1/digest/a1", "c1/digest/a2"]  # no part twice
    core.record_delivery(again, result)
    assert claim_row(store, d.claim_id)["status"] == "sent"


async def test_a_crash_between_send_and_record_repeats_only_that_part(two, clock):
    a, b = two
    sender = Sender()
    await subscribe(a, "c1")
    papers(a.store, "Diffusion one")
    clock.set(NOON)
    [d] = a.due_digests()
    real = a.part_sent
    calls = []

    def crash_on_second(part, message_id):  # the process dies after part 1 was sent, before it was recorded
        calls.append(part.index)
        if part.index == 1:
            raise SystemExit("kill -9")
        real(part, message_id)

    a.part_sent = crash_on_second
    with pytest.raises(SystemExit):
        await deliver_digest(a, sender, d)
    assert b.due_digests(clock.advance(seconds=30)) == []  # the lease still holds: no takeover yet
    [taken] = b.due_digests(clock.advance(seconds=40))  # expired: the other process takes over
    result = await deliver_digest(b, sender, taken)
    assert result.status == "sent"
    assert Counter(sender.sent) == {"c1/digest/a0": 1, "c1/digest/a1": 2, "c1/digest/a2": 1}  # one part, once more


async def test_a_released_claim_is_taken_over_at_once(two, clock):
    a, b = two
    await subscribe(a, "c1")
    papers(a.store, "Diffusion one")
    clock.set(NOON)
    [d] = a.due_digests()
    assert b.due_digests() == []
    assert a.release_held() == 1
    [taken] = b.due_digests()  # the same instant: no stale-claim wait
    assert taken.claim_id == d.claim_id and claim_row(b.store, d.claim_id)["attempts"] == 1
    assert not a.hold(d)  # the old holder cannot send any more


async def test_two_processes_racing_send_each_part_exactly_once(two, clock):
    a, b = two
    for i in range(12):
        await subscribe(a, f"c{i}")
    papers(a.store, "Diffusion one", "Diffusion two")
    sender = Sender()
    clock.set(NOON)
    sent = await asyncio.gather(tick(a, sender, clock(), batch=5), tick(b, sender, clock(), batch=5))
    assert sum(sent) == 12
    assert len(sender.sent) == 36 and len(set(sender.sent)) == 36
    assert await tick(b, sender, clock.advance(minutes=20)) == 0


async def test_a_process_that_lost_its_lease_stops_sending(two, clock):
    a, b = two
    await subscribe(a, "c1")
    papers(a.store, "Diffusion one")
    clock.set(NOON)
    sender = Sender()
    [d] = a.due_digests()
    sender.gate = asyncio.Event()
    slow = asyncio.create_task(deliver_digest(a, sender, d))  # a hangs inside part 0 ...
    await sender.started.wait()
    [taken] = b.due_digests(clock.advance(minutes=2))  # ... long enough for its lease to expire
    sender.gate.set()
    done_b = await deliver_digest(b, sender, taken)
    assert done_b.status == "sent" and await slow is None  # a finished its part, then saw it lost the lease
    assert Counter(sender.sent)["c1/digest/a1"] == 1 and Counter(sender.sent)["c1/digest/a2"] == 1


async def test_a_store_that_cannot_record_stops_the_ticks_sends_until_it_can(store, clock):
    core, sender = Core(store, clock=clock), Sender(n=2)
    for i in range(5):
        await subscribe(core, f"c{i}")
    papers(store, "Diffusion one")
    clock.set(NOON)
    real = store.deliveries.part_sent
    full = {"on": False}

    def part_sent(*args, **kw):
        if full["on"]:
            raise sqlite3.OperationalError("database or disk is full")
        full["on"] = True  # the first part records, then the disk is full
        return real(*args, **kw)

    store.deliveries.part_sent = part_sent
    assert await tick(core, sender, clock(), batch=1) == 1  # the tick stops at the first failed write
    assert len(sender.sent) == 2  # one recorded part, one sent whose record failed; nothing after it
    store.deliveries.part_sent = real  # space again: the claim resumes once its lease lapses
    await tick(core, sender, clock.advance(minutes=2))
    counts = Counter(sender.sent)
    assert len(counts) == 10 and sum(counts.values()) == 11  # every part out; the unrecorded one at most twice
    assert await tick(core, sender, clock.advance(minutes=30)) == 0


async def test_sigterm_lets_the_part_in_flight_finish_records_it_and_releases_the_rest(two, clock):
    a, b = two
    await subscribe(a, "c1")
    papers(a.store, "Diffusion one")
    clock.set(NOON)
    sender = Sender()
    sender.gate = asyncio.Event()
    stop = asyncio.Event()
    running = asyncio.create_task(run_scheduler(a, sender, clock, tick_seconds=60, stop=stop, drain=5))
    await sender.started.wait()  # part 0 is in flight
    stop.set()  # SIGTERM
    sender.gate.set()
    await asyncio.wait_for(running, timeout=10)
    assert sender.sent == ["c1/digest/a0"]  # finished and recorded; part 1 never started
    [claim] = a.store.deliveries.claims_between("2026-03-11", "2026-03-11")
    assert claim.status == "retry" and claim.attempts == 0  # released, not counted as an attempt
    [taken] = b.due_digests(clock())  # another process, at once
    assert (await deliver_digest(b, sender, taken)).status == "sent"
    assert sender.sent == ["c1/digest/a0", "c1/digest/a1", "c1/digest/a2"]


async def test_leases_are_renewed_while_working(store, clock):
    core = Core(store, clock=clock)
    await subscribe(core, "c1")
    papers(store, "Diffusion one")
    clock.set(NOON)
    [d] = core.due_digests()
    clock.advance(seconds=50)
    assert core.renew_leases() == 1
    other = Core(store, clock=clock)
    assert other.due_digests(clock.advance(seconds=30)) == []  # renewed at +50 s: still held at +80 s
    assert other.due_digests(clock.advance(seconds=40))  # not renewed since: taken over


# -- the claim rules, each guarded by a test that fails when the rule is broken -----------------------------------
async def test_a_claimed_slot_is_never_claimed_again(store, clock):
    core = Core(store, clock=clock)
    await subscribe(core, "c1")
    papers(store, "Diffusion one")
    clock.set(NOON)
    [d] = core.due_digests()
    core.record_delivery(d, DeliveryResult("sent"))
    chat = store.chats.get("test", "c1")
    from bot.models import Slot

    won = store.deliveries.claim([Slot(chat.pk, d.local_date, "digest")], [d.claim_id], holder="x", token="t",
                                 now=dg.iso(clock()), lease_until=dg.iso(clock() + dg.LEASE))
    assert won == [] and claim_row(store, d.claim_id)["status"] == "sent"  # OR REPLACE / no guard would win


async def test_retries_stop_after_the_attempt_cap(store, clock):
    core = Core(store, clock=clock)
    await subscribe(core, "c1")
    papers(store, "Diffusion one")
    clock.set(NOON)
    attempts = 0
    for _ in range(20):
        for d in core.due_digests(clock()):
            attempts += 1
            core.record_delivery(d, DeliveryResult("retry"))
        clock.advance(minutes=31)
        if clock().hour >= 14:
            break
    assert attempts == 8
    [claim] = store.deliveries.claims_between("2026-03-11", "2026-03-11")
    assert claim.status == "failed"


async def test_a_blocked_chat_fails_its_claim_and_is_deactivated(store, clock):
    core = Core(store, clock=clock)
    await subscribe(core, "c1")
    papers(store, "Diffusion one")
    clock.set(NOON)
    [d] = core.due_digests()
    core.record_delivery(d, DeliveryResult("blocked", detail="bot was blocked"))
    assert claim_row(store, d.claim_id)["status"] == "failed"
    store.chats.ensure("test", "c1", now=dg.iso(clock()))  # the chat talks again the same day
    assert core.due_digests(clock.advance(minutes=5)) == []  # that day's digest is not re-sent


async def test_an_empty_claim_is_closed_and_moves_the_window(store, clock):
    core = Core(store, clock=clock)
    await subscribe(core, "c1")
    papers(store, "Graph networks")
    clock.set(NOON)
    assert core.due_digests() == []
    [claim] = store.deliveries.claims_between("2026-03-11", "2026-03-11")
    assert claim.status == "empty" and store.chats.get("test", "c1").digest_seq == store.papers.committed_seq()


async def test_a_migrated_chat_keeps_its_own_history_when_both_ids_exist(store, clock):
    core = Core(store, clock=clock)
    await subscribe(core, "-100")
    papers(store, "Diffusion one")
    clock.set(NOON)
    [d] = core.due_digests()
    core.record_delivery(d, DeliveryResult("sent"))
    await core.handle(Message("test", "-200", "u1", text="/follow mamba"))  # the supergroup id already exists
    core.migrate_chat("test", "-100", "-200")
    assert [t["query"] for t in store.chats.topics("test", "-200")] == ["diffusion", "mamba"]
    chat = store.chats.get("test", "-200")
    assert store.deliveries.delivered(["2603.00001"]) == {(chat.pk, "2603.00001")}
    assert core.due_digests(clock.advance(minutes=5)) == []  # the old row's claim: today's digest went out


async def test_yesterdays_slot_is_still_due_after_midnight_downtime(store, clock):
    core = Core(store, clock=clock)
    clock.set("2026-03-11T20:00:00+00:00")
    await core.handle(Message("test", "c1", "u1", text="/time 23:30"))
    await subscribe(core, "c1")
    papers(store, "Diffusion one")
    [d] = core.due_digests(clock.set("2026-03-12T01:00:00+00:00"))  # down from 23:00 to 01:00
    assert d.local_date == "2026-03-11"


async def test_a_held_lease_cannot_be_taken_over_even_by_a_planner_that_thinks_it_expired(store, clock):
    core = Core(store, clock=clock)
    await subscribe(core, "c1")
    papers(store, "Diffusion one")
    clock.set(NOON)
    [d] = core.due_digests()
    later = clock() + timedelta(seconds=20)  # within the lease: a racing process's stale plan must not win
    won = store.deliveries.claim([], [d.claim_id], holder="other", token="t2", now=dg.iso(later),
                                 lease_until=dg.iso(later + dg.LEASE))
    assert won == [] and core.hold(d)


async def chats_due(store, clock, n: int) -> Core:
    """A core whose chats c0..c{n-1} follow diffusion, one matching paper committed, the clock at digest time."""
    core = Core(store, clock=clock)
    for i in range(n):
        await subscribe(core, f"c{i}")
    papers(store, "Diffusion one")
    clock.set(NOON)
    return core


class Watching(Sender):
    """A sender that yields inside each send (so concurrent sends would overlap) and checks, at every request,
    how many sends are in flight and that every earlier send is already recorded in the store."""

    def __init__(self, store, n: int = 2):
        super().__init__(n)
        self.store, self.in_flight, self.most = store, 0, 0
        self.unrecorded_seen: list[int] = []

    def recorded(self) -> int:
        return self.store.db.execute("SELECT count(*) FROM delivery_parts WHERE sent_at IS NOT NULL").fetchone()[0]

    async def send_part(self, digest, payload: str) -> DeliveryResult:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        self.unrecorded_seen.append(len(self.sent) - self.recorded())
        for _ in range(3):
            await asyncio.sleep(0)
        self.in_flight -= 1
        return await super().send_part(digest, payload)


async def test_one_send_is_unconfirmed_at_a_time_so_a_crash_can_repeat_at_most_one_part(store, clock):
    core = await chats_due(store, clock, 6)
    sender = Watching(store)
    assert await tick(core, sender, clock()) == 6  # six digests delivered concurrently ...
    assert len(sender.sent) == 12 and sender.most == 1  # ... but one request in flight at any moment
    assert set(sender.unrecorded_seen) == {0}  # and each went out only after the one before it was recorded


async def test_sends_in_flight_widens_the_gate_when_the_operator_asks(store, clock):
    core = await chats_due(store, clock, 6)
    sender, stop = Watching(store), asyncio.Event()
    running = asyncio.create_task(run_scheduler(core, sender, clock, tick_seconds=60, stop=stop, sends_in_flight=2))
    while len(sender.sent) < 12:
        await asyncio.sleep(0)
    stop.set()
    await asyncio.wait_for(running, timeout=10)
    assert sender.most == 2  # PAPERWIRE_SENDS_IN_FLIGHT=2: two requests overlap (and a crash may repeat two)


class Pacing(Sender):
    """A platform that answers "wait" (nothing sent) the first time each payload in `wait_for` is offered."""

    def __init__(self, wait_for: dict[str, float]):
        super().__init__(n=1)
        self.wait_for = dict(wait_for)
        self.offered: list[str] = []

    async def send_part(self, digest, payload: str) -> DeliveryResult:
        self.offered.append(payload)
        if payload in self.wait_for:
            return DeliveryResult("wait", retry_after=self.wait_for.pop(payload), detail="pacing")
        return await super().send_part(digest, payload)


async def test_a_part_told_to_wait_waits_outside_the_gate_and_then_goes_out_once(store, clock):
    core = await chats_due(store, clock, 3)
    sender = Pacing({"c0/digest/a0": 0.0})
    assert await tick(core, sender, clock()) == 3
    assert sender.sent.count("c0/digest/a0") == 1 and len(sender.sent) == 3
    assert sender.offered.index("c1/digest/a0") < len(sender.offered) - 1  # others went while c0 waited
    assert sender.offered[-1] == "c0/digest/a0"
    [claim] = [c for c in store.deliveries.claims_between("2026-03-11", "2026-03-11") if c.chat_pk ==
               store.chats.get("test", "c0").pk]
    assert claim.status == "sent" and claim.attempts == 1  # a wait is not a failed attempt


async def test_a_long_retry_after_is_left_to_a_later_tick_and_stopping_ends_a_wait(store, clock):
    core = Core(store, clock=clock)
    await subscribe(core, "c1")
    papers(store, "Diffusion one")
    clock.set(NOON)
    [d] = core.due_digests()
    far = await deliver_digest(core, Pacing({"c1/digest/a0": 3600.0}), d)
    assert far.status == "retry" and "3600" in far.detail  # the claim is not held for an hour
    from bot.scheduler import TickState

    stop = asyncio.Event()
    state = TickState(stop)
    sender = Pacing({"c1/digest/a0": 30.0})
    waiting = asyncio.create_task(deliver_digest(core, sender, d, state))
    while not sender.offered:
        await asyncio.sleep(0)
    stop.set()  # SIGTERM while the part waits out its pacing
    assert await asyncio.wait_for(waiting, timeout=5) is None  # stopped at once, nothing sent
    assert sender.sent == [] and not store.deliveries.parts(d.claim_id)[0].sent


async def test_parts_are_rendered_and_fixed_in_the_builders_thread_not_on_the_event_loop(tmp_path, clock):
    import threading

    store = Store(tmp_path / "pw.db")
    core = await chats_due(store, clock, 3)

    class Recording(Sender):
        threads: list[str] = []

        def parts(self, digest):
            self.threads.append(threading.current_thread().name)
            return super().parts(digest)

    sender, stop = Recording(n=2), asyncio.Event()
    running = asyncio.create_task(run_scheduler(core, sender, clock, tick_seconds=60, stop=stop))
    while len(sender.sent) < 6:
        await asyncio.sleep(0)
    stop.set()
    await asyncio.wait_for(running, timeout=10)
    assert len(sender.threads) == 3  # once per digest: the loop does not render them again
    assert all(name.startswith("digests") for name in sender.threads)
    assert threading.current_thread().name not in sender.threads
    store.close()


async def test_idle_ticks_leave_no_waiters_behind(store, clock):
    core, stop = Core(store, clock=clock), asyncio.Event()
    ticks = []
    real = core.due_digests
    core.due_digests = lambda *a, **kw: ticks.append(1) or real(*a, **kw)
    running = asyncio.create_task(run_scheduler(core, Sender(), clock, tick_seconds=0.001, stop=stop))
    while len(ticks) < 20:
        await asyncio.sleep(0.001)
    waiting = [t for t in asyncio.all_tasks() if "Event.wait" in repr(t.get_coro())]
    stop.set()
    await asyncio.wait_for(running, timeout=10)
    assert len(waiting) <= 2  # this tick's stop watcher (and the lease renewal's), not one per past tick


async def test_the_delivery_bookkeeping_is_written_off_the_event_loop(tmp_path, clock):
    store = Store(tmp_path / "pw.db")
    core = await chats_due(store, clock, 3)

    def on_the_loop(*a, **kw):
        raise AssertionError("a delivery write on the event loop's connection")

    for name in ("start_part", "part_sent", "finish", "fix_parts_many"):
        setattr(store.deliveries, name, on_the_loop)  # the loop's own store: must not be written by the scheduler
    sender, stop = Sender(n=2), asyncio.Event()
    running = asyncio.create_task(run_scheduler(core, sender, clock, tick_seconds=60, stop=stop))
    while len(sender.sent) < 6:
        await asyncio.sleep(0)
    reader = Store(tmp_path / "pw.db")
    for _ in range(500):  # the last record is written after the last send
        claims = reader.deliveries.claims_between("2026-03-11", "2026-03-11")
        if all(c.status == "sent" for c in claims):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(running, timeout=10)
    assert len(claims) == 3 and all(c.status == "sent" for c in claims)
    assert len(sender.sent) == 6  # nothing failed, nothing resent
    reader.close()
    store.close()


async def test_leases_are_renewed_while_a_slow_slice_is_still_building(tmp_path, clock, monkeypatch):
    import threading

    from bot import scheduler
    from bot.digest_build import DigestBuilder

    store = Store(tmp_path / "pw.db")
    core = await chats_due(store, clock, 1)
    monkeypatch.setattr(scheduler, "RENEW", 0.01)
    renewed, seen = threading.Event(), []
    real_renew, real_build = core.renew_leases, DigestBuilder._build
    monkeypatch.setattr(core, "renew_leases", lambda: renewed.set() or real_renew())

    def slow_build(self, *a):
        seen.append(renewed.wait(timeout=5))  # a build longer than a renewal period: renewals must not wait for it
        return real_build(self, *a)

    monkeypatch.setattr(DigestBuilder, "_build", slow_build)
    sender, stop = Sender(n=1), asyncio.Event()
    running = asyncio.create_task(run_scheduler(core, sender, clock, tick_seconds=60, stop=stop))
    while not sender.sent:
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(running, timeout=10)
    assert seen and seen[0] is True
    store.close()


async def test_a_part_put_off_again_and_again_is_left_to_a_later_tick(store, clock):
    from bot.scheduler import WAITS

    core = await chats_due(store, clock, 1)
    [d] = core.due_digests()

    class Always(Pacing):
        async def send_part(self, digest, payload: str) -> DeliveryResult:
            self.offered.append(payload)
            return DeliveryResult("wait", retry_after=0.0, detail="pacing")

    sender = Always({})
    result = await asyncio.wait_for(deliver_digest(core, sender, d), timeout=10)  # without the cap: never returns
    assert result.status == "retry" and f"put off {WAITS} times" in result.detail  # the claim is not held forever
    assert len(sender.offered) == WAITS and sender.sent == []
