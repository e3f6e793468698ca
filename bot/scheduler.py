"""The scheduler loop: each tick claims what is due, sends it part by part, and records every part as it goes.

The schedule lives in the database (claims as leases, parts, deliveries), so this loop holds no state a restart
needs: a restart, a retry or another process taking over resumes at the first unsent part.
- One mechanism for every platform: a sender turns a digest into parts (`parts(digest) -> [payload]`, fixed and
  stored with the claim before anything is sent) and sends one part (`send_part(digest, payload)`); each part is
  recorded sent, with the platform's message id, the moment the platform confirms it. A plain `deliver(digest)`
  callable (the console, tests) is one part.
- Before each part the lease is renewed with the part's start (`core.start_part`, one write): a process that lost
  its lease stops, and a store that cannot write stops every send of the tick (no send whose result cannot be
  recorded). They resume on a later tick.
- One unconfirmed send at a time per process (`TickState.gate`; PAPERWIRE_SENDS_IN_FLIGHT raises it, and with it
  how many parts a crash can repeat): a part is marked started, sent, and recorded sent before the next part's
  request goes out. A send whose answer never got recorded (kill -9 between the platform's
  answer and the commit) is the only possible duplicate, so a crash duplicates at most one part. Waiting (a chat's
  pacing, a 429's Retry-After) happens outside the gate: the adapter answers "wait" and the part queues again.
  The cost is throughput: one round trip plus one commit per part (Telegram allows 30 msg/s in any case).
- Stopping (SIGTERM): no new slice is claimed and no new part starts; the part in flight finishes within DRAIN
  seconds and is recorded; every claim still held is released, so another process takes it over at once.
- Building a slice (matching, ranking, rendering each digest's parts and fixing them with the claims) runs in a
  worker thread with its own SQLite connection: the event loop keeps answering commands while a 10k-chat tick builds.
  The delivery bookkeeping (part started, part sent, the result) is written by the same thread, so
  a write waiting for another process's lock (a long import) holds up only the send that needs it.
"""
from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Awaitable, Callable, Optional

from bot import metrics
from bot.clock import Clock
from bot.models import DeliveryResult, Digest

log = logging.getLogger(__name__)

Deliver = Callable[[Digest], Awaitable[DeliveryResult]]
BATCH = 500  # slots claimed and built per slice of a tick
DRAIN = 10.0  # seconds in-flight sends may take to finish when stopping
RENEW = 10.0  # seconds between lease renewals while working (the lease is bot.digests.LEASE)
WAITS = 8  # a part put off ("wait") this many times is left to a later tick
MAX_WAIT = 60.0  # a longer Retry-After is waited out by a later tick, not by a held claim


class Whole:
    """A sender for a plain `deliver(digest)` callable: the whole digest is one part."""

    def __init__(self, deliver: Deliver):
        self.deliver = deliver

    def parts(self, digest: Digest) -> list[str]:
        return [""]

    async def send_part(self, digest: Digest, payload: str) -> DeliveryResult:
        return await self.deliver(digest)


def as_sender(deliver):
    return deliver if hasattr(deliver, "send_part") else Whole(deliver)


class TickState:
    """Why sending must stop (the process is stopping, or the store failed to record), and the gate that lets one
    send at a time be unconfirmed (shared by every tick of one scheduler)."""

    def __init__(self, stop: Optional[asyncio.Event] = None, gate: Optional[asyncio.Semaphore] = None,
                 worker: Optional["Builder"] = None):
        self.stop = stop
        self.gate = gate or asyncio.Semaphore(1)
        self.worker = worker  # where the delivery bookkeeping is written (off the loop); None: inline
        self.store_failed = False

    @property
    def halted(self) -> bool:
        return self.store_failed or (self.stop is not None and self.stop.is_set())

    async def pause(self, seconds: float) -> bool:
        """Wait before trying a part again; True when sending must stop instead."""
        if self.stop is None:
            await asyncio.sleep(seconds)
        else:
            await stopped_within(self.stop, seconds)
        return self.halted


async def stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds`, or less when `stop` is set meanwhile; True when it was."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
        return True
    except asyncio.TimeoutError:
        return False


class StoreFailed(Exception):
    pass


async def _write(state: TickState, core, what: str, fn):
    """`fn(core)`: a write of the delivery bookkeeping, in the worker's thread (its own connection: a write that
    waits for another process's lock, a long import, must not stall the event loop) when there is one."""
    try:
        if state.worker is not None and state.worker.threaded:
            return await state.worker.call(fn)
        return fn(core)
    except Exception:
        state.store_failed = True
        log.exception("the store could not record %s: no more sends this tick", what)
        raise StoreFailed(what) from None


async def deliver_digest(core, sender, digest: Digest, state: Optional[TickState] = None) -> Optional[DeliveryResult]:
    """Send a claimed digest part by part. The result to record; None when sending stopped before the end (lease
    lost, store failing, stopping): the claim is then left to its lease or released, and resumes where it stopped."""
    state = state or TickState()
    sender = as_sender(sender)
    try:
        parts = list(digest.parts) or await _write(state, core, "the parts",
                                                   lambda c: c.fix_parts(digest, sender.parts(digest)))
        refs = [p.message_id or "" for p in parts if p.sent]
        for part in parts:
            if part.sent:
                continue
            result = await _send_part(core, sender, digest, part, state)
            if result is None or result.status != "sent":
                return result
            refs.append(result.message_ref or "")
        return DeliveryResult("sent", message_ref=",".join(r for r in refs if r) or None)
    except StoreFailed:
        return None


async def _send_part(core, sender, digest: Digest, part, state: TickState) -> Optional[DeliveryResult]:
    """One part through the gate: lease renewed, marked started, sent, recorded sent. None: sending stopped."""
    for _ in range(WAITS):
        async with state.gate:
            if state.halted:
                return None
            if not await _write(state, core, "a part start", lambda c: c.start_part(part)):  # + the lease
                log.info("claim %s was taken over by another process: stopping here", digest.claim_id)
                return None
            try:
                result = await sender.send_part(digest, part.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # an adapter bug or a network error: retry later, never twice at once
                log.exception("delivery of claim %s to %s failed", digest.claim_id, digest.chat.key)
                result = DeliveryResult("retry", detail=type(exc).__name__)
            if result.status == "sent":
                ref = result.message_ref
                await _write(state, core, "a sent part", lambda c: c.part_sent(part, ref))
                metrics.scheduler_progress()
        if result.status != "wait":
            return result
        if result.retry_after > MAX_WAIT:
            return DeliveryResult("retry", detail=f"asked to wait {result.retry_after:.0f} s: {result.detail}")
        if await state.pause(result.retry_after):
            return None
    return DeliveryResult("retry", detail=f"put off {WAITS} times: {result.detail}")


async def _deliver_one(core, sender, digest: Digest, state: TickState) -> None:
    result = await deliver_digest(core, sender, digest, state)
    if result is None:
        return
    metrics.digest_result(digest, result)
    try:
        await _write(state, core, f"the delivery of claim {digest.claim_id}", lambda c: c.record_delivery(digest, result))
    except StoreFailed:
        pass


class Builder:
    """Builds slices of digests off the event loop: a worker thread with its own SQLite connection (the same
    database file, the same lease holder) claims, builds, renders the parts (`sender.parts`) and fixes them.
    An in-memory database has no second connection: built inline."""

    def __init__(self, core, sender=None):
        self.core, self.sender = core, sender
        self._worker = None
        self._pool: Optional[ThreadPoolExecutor] = None

    def _core(self):
        if self._worker is None:
            from bot.core import Core

            self._worker = Core(self.core.store.reopen(), self.core.settings, clock=self.core.clock,
                                holder=self.core.holder)
            self._worker._learner = self.core.learner  # one feature space and set of chat models per process
        return self._worker

    @property
    def threaded(self) -> bool:
        return getattr(self.core.store, "path", ":memory:") != ":memory:"

    def _slice(self, core, now, limit: int) -> tuple[list[Digest], bool]:
        due = core.due_digests(now, limit=limit)
        if due and self.sender is not None:
            due = core.with_parts(due, self.sender.parts)
        return due, core.more_waiting

    async def call(self, fn):
        """`fn(worker_core)` in the worker thread, after whatever it is doing (the delivery bookkeeping)."""
        if not self.threaded:
            return fn(self.core)
        return await asyncio.get_running_loop().run_in_executor(self._executor(), lambda: fn(self._core()))

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="digests")
        return self._pool

    async def due(self, now, limit: int) -> tuple[list[Digest], bool]:
        if not self.threaded:
            return self._slice(self.core, now, limit)

        return await self.call(lambda core: self._slice(core, now, limit))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._worker is not None:
            self._worker.store.close()
            self._worker = None


async def tick(core, deliver, now, batch: int = BATCH, builder: Optional[Builder] = None,
               state: Optional[TickState] = None) -> int:
    """One pass: deliver everything due at `now`, claimed `batch` slots at a time. A slice's deliveries run
    concurrently: one chat waiting out a 429 must not hold up the others (adapters pace themselves).
    Returns how many digests were attempted."""
    sender = as_sender(deliver)
    state = state or TickState()
    total = 0
    while not state.halted:
        if builder is not None:
            due, more = await builder.due(now, batch)
        else:
            due, more = core.due_digests(now, limit=batch), core.more_waiting
        metrics.scheduler_progress()
        await asyncio.gather(*(_deliver_one(core, sender, d, state) for d in due))
        total += len(due)
        if not more:
            break
        await asyncio.sleep(0)
    return total


async def _renew(core, stop: asyncio.Event) -> None:
    """On the loop's own connection, not the builder's thread: a slice that takes long to build must not hold up
    the renewal of the leases it is building for (one short UPDATE every RENEW seconds)."""
    while not await stopped_within(stop, RENEW):
        try:
            core.renew_leases()
        except Exception:
            log.exception("renewing leases failed")


async def run_scheduler(core, deliver, clock: Clock, tick_seconds: float, stop: asyncio.Event,
                        drain: float = DRAIN, sends_in_flight: int = 1) -> None:
    """Tick every `tick_seconds` until `stop` is set; then let in-flight parts finish (at most `drain` seconds),
    and release every claim still held so another process takes over at once."""
    log.info("scheduler started (tick %ss)", tick_seconds)
    builder = Builder(core, as_sender(deliver))
    renewing = asyncio.create_task(_renew(core, stop), name="lease-renewal")
    gate = asyncio.Semaphore(sends_in_flight)  # unconfirmed sends per process, across ticks
    try:
        while not stop.is_set():
            state = TickState(stop, gate, builder)
            started = time.perf_counter()
            work = asyncio.ensure_future(tick(core, deliver, clock(), builder=builder, state=state))
            stopping = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()  # else one waiter per tick piles up until shutdown
            if work not in done:  # stopping mid-tick: no new part starts; the one in flight gets `drain` seconds
                try:
                    await asyncio.wait_for(asyncio.shield(work), timeout=drain)
                except asyncio.TimeoutError:
                    work.cancel()
                    await asyncio.gather(work, return_exceptions=True)
            if work.done() and not work.cancelled():
                if work.exception() is not None:
                    log.error("scheduler tick failed", exc_info=work.exception())
                elif work.result():
                    log.info("scheduler: %d digest(s) handled", work.result())
            if stop.is_set():
                break
            metrics.observe_tick(time.perf_counter() - started)  # also the heartbeat /healthz judges
            await stopped_within(stop, tick_seconds)
    finally:
        renewing.cancel()
        await asyncio.gather(renewing, return_exceptions=True)
        try:
            released = core.release_held()
            if released:
                log.info("released %d claim(s) for another process to take over", released)
        except Exception:
            log.exception("releasing claims failed (their leases expire instead)")
        builder.close()
    log.info("scheduler stopped")
