"""The scheduler loop: each tick asks the core what is due, hands each digest to `deliver`, and records the result.

The schedule lives in the database (claims), so this loop holds no state: a restart simply resumes ticking.
One failing delivery (or a failing tick) is logged and never stops the loop.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from bot.clock import Clock
from bot.models import DeliveryResult, Digest

log = logging.getLogger(__name__)

Deliver = Callable[[Digest], Awaitable[DeliveryResult]]
BATCH = 500  # slots claimed and built per slice of a tick


async def _deliver_one(core, deliver: Deliver, digest: Digest) -> None:
    try:
        result = await deliver(digest)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # an adapter bug or a network error: retry later, never twice at once
        log.exception("delivery of claim %s to %s failed", digest.claim_id, digest.chat.key)
        result = DeliveryResult("retry", detail=type(exc).__name__)
    try:
        core.record_delivery(digest, result)
    except Exception:
        log.exception("recording delivery of claim %s failed", digest.claim_id)


async def tick(core, deliver: Deliver, now, batch: int = BATCH) -> int:
    """One pass: deliver everything due at `now`, claimed `batch` slots at a time (the event loop breathes between
    slices, so platform handlers stay responsive at 10k chats). A slice's deliveries run concurrently: one chat
    waiting out a 429 must not hold up the others (adapters pace themselves to the platform's limits).
    Returns how many digests were attempted."""
    total = 0
    while True:
        due = core.due_digests(now, limit=batch)
        await asyncio.gather(*(_deliver_one(core, deliver, d) for d in due))
        total += len(due)
        if getattr(core, "last_claimed", 0) < batch:
            return total
        await asyncio.sleep(0)


async def run_scheduler(core, deliver: Deliver, clock: Clock, tick_seconds: float, stop: asyncio.Event) -> None:
    """Tick every `tick_seconds` until `stop` is set (the wait is cut short by `stop`)."""
    log.info("scheduler started (tick %ss)", tick_seconds)
    while not stop.is_set():
        try:
            n = await tick(core, deliver, clock())
            if n:
                log.info("scheduler: %d digest(s) handled", n)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduler tick failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=tick_seconds)
        except asyncio.TimeoutError:
            pass
    log.info("scheduler stopped")
