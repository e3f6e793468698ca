"""Test helper: a hand-made Digest backed by a real claim held by the core (parts are recorded against claims)."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import date, timedelta

from bot import digests as dg
from bot.models import Digest, Slot


def held(core, digest: Digest) -> Digest:
    """The digest with the id of a fresh claim for its chat and day, held by `core` (as due_digests would)."""
    chat = core.store.chats.ensure(digest.chat.platform, digest.chat.chat_id, now=dg.iso(core.clock()),
                                   kind=digest.chat.kind)
    now = core.clock()
    day = date.fromisoformat(digest.local_date)
    for k in range(60):  # the same chat, day and kind is one slot: another digest takes the next free day
        local_date = (day + timedelta(days=k)).isoformat()
        won = core.store.deliveries.claim([Slot(chat.pk, local_date, digest.kind)], [], holder=core.holder,
                                          token=uuid.uuid4().hex, now=dg.iso(now), lease_until=dg.iso(now + dg.LEASE))
        if won:
            return dataclasses.replace(digest, claim_id=won[0].id, local_date=local_date)
    raise AssertionError("no free slot")
