"""The Core: the one object adapters talk to. Platform-neutral; it knows chats, papers and time, never a platform.

CONTRACT (adapters rely on exactly this):
- `await core.handle(message) -> Reply`: every command text ("/search q", "/follow t", ...) and every button press
  (`message.action` = a Button.action the core produced earlier). Never raises on user input.
- `core.search(text, limit=5, offset=0) -> SearchResult`: for inline mode / direct lookups.
- `core.first_time(key, keep) -> bool`: remembers a platform request id (in the store) so replays and retries are
  handled once.
- `core.overview(platform, chat_id) -> Reply`: a chat's topics (with unfollow buttons) and settings (Slack App Home).
- `core.due_digests(now=None) -> list[Digest]`: claims (as leases held by `core.holder`) and returns what is due now.
- parts: `core.fix_parts(digest, payloads) -> [Part]` (the first stored set wins), `core.start_part/part_sent`,
  `core.hold(digest)` (renew one lease; False when lost), `core.renew_leases()`, `core.release_held()`.
- `core.record_delivery(digest, result)`: the adapter's DeliveryResult feeds back (sent / blocked / migrated / retry).
- `core.deactivate_chat(platform, chat_id, reason)`, `core.migrate_chat(platform, old_id, new_id)`: platform events;
  `core.deactivate_chats(platform, prefix, reason)`: every chat whose id starts with prefix (Slack uninstall).
Extras for the CLI: `preview_due(now)` (what is due, without claiming), `preview_digest(platform, chat_id, now)` and
`digest_json(digest)`; for /follow: `follow_preview(topic)`.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Optional

from bot import digests as dg
from bot import metrics
from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.collector import collector_paused
from bot.digest_build import Built, DigestBuilder, Tick
from bot.models import Chat, Claim, DeliveryResult, Digest, Hit, Message, Part, Reply, SearchResult, Slot

if TYPE_CHECKING:
    from bot.commands import Commands

log = logging.getLogger(__name__)

MAX_RETRY_DELAY = timedelta(minutes=30)


class Core:
    def __init__(self, store, settings: Optional[Settings] = None, clock: Clock = system_clock,
                 holder: Optional[str] = None):
        self.store = store
        self.settings = settings or Settings()
        self.clock = clock
        self.holder = holder or uuid.uuid4().hex[:16]  # this process's name on the leases it holds
        self._searcher = None
        self._learner = None
        self._commands: Optional["Commands"] = None
        self.last_claimed = 0  # slots claimed (or re-claimed) by the last due_digests call
        self.more_waiting = False  # the last call left due slots of its tick for the next slice
        self._tick: Optional[Tick] = None  # the current tick's shared work: one window, one instant
        self._pending: list = []  # the current tick's planned slots, when due_digests works in slices
        self._pending_now: Optional[datetime] = None
        self._pending_hi: Optional[int] = None

    @property
    def searcher(self):
        if self._searcher is None:
            from bot.search import Searcher

            self._searcher = Searcher(self.store)
        return self._searcher

    @property
    def learner(self):
        """Feedback-trained models and similar papers (bot/taste.py), built lazily off the event loop."""
        if self._learner is None:
            from bot.taste import Learner

            self._learner = Learner(self.store)
        return self._learner

    @property
    def builder(self) -> DigestBuilder:
        return DigestBuilder(self.store, self.searcher, taste=self.learner)

    # -- chat text and buttons ---------------------------------------------------------------------------------------
    async def handle(self, message: Message) -> Reply:
        if self._commands is None:
            from bot.commands import Commands

            self._commands = Commands(self)
        try:
            return await self._commands.dispatch(message)
        except Exception:  # user input must never surface as a stack trace
            log.exception("command failed: platform=%s chat=%s", message.platform, message.chat_id)
            return Reply(text="Sorry, something went wrong on my side. Please try again in a moment.", error=True)

    def search(self, text: str, limit: int = 5, offset: int = 0) -> SearchResult:
        with metrics.search_timer():
            return self.searcher.search(text, limit=limit, offset=offset, now=self.clock())

    def first_time(self, key: str, keep: timedelta) -> bool:
        """True the first time a platform request id (a signature, an event id) is seen within `keep`; every later
        call (any process sharing the database) gets False, so a replay or a retry is handled once."""
        now = self.clock()
        return self.store.seen.first_time(key, now=dg.iso(now), expires_at=dg.iso(now + keep))

    def overview(self, platform: str, chat_id: str) -> Reply:
        from bot.commands import Commands

        return Commands(self).overview(platform, chat_id)

    def ensure_chat(self, platform: str, chat_id: str, kind: str = "private", title: str = "",
                    tz: Optional[str] = None) -> Chat:
        return self.store.chats.ensure(platform, chat_id, now=dg.iso(self.clock()), kind=kind, title=title, tz=tz)

    def follow_preview(self, topic: str, now: Optional[datetime] = None, limit: int = 3) -> tuple[int, list[Hit], str]:
        """(matches, the best `limit`, the period) of a topic over the last 7 days, with the digests' own engine and
        freshness rule. A database with nothing that recent (an offline demo) previews the newest 7 days it has."""
        now = now or self.clock()
        hi = self.store.papers.committed_seq()
        tick = Tick(self.store, self.searcher, now, 0, hi)
        period = "in the last 7 days"
        if not tick.meta:
            newest = self.store.papers.newest_date()
            if newest:
                from datetime import date, time, timezone

                end = datetime.combine(date.fromisoformat(newest[:10]), time(12), tzinfo=timezone.utc)
                tick = Tick(self.store, self.searcher, end + timedelta(days=1), 0, hi)
                period = (f"in the newest 7 days in the database ({tick.floor} to {newest[:10]}; nothing is more "
                          "recent: an offline demo?)")
        tick.match([topic])
        m = tick.topics[topic]
        best = [tick.ranked[r] for r in m.head(limit)]
        tick.load(best)
        hits = [Hit(tick.papers[pk], 1.0, m.terms) for pk in best if pk in tick.papers]
        return len(m), hits, period

    # -- scheduling --------------------------------------------------------------------------------------------------
    def _plan(self, now: datetime) -> tuple[list[Chat], tuple[list[Slot], list[int]]]:
        today = now.date()
        chats = self.store.chats.schedulable()
        claims = self.store.deliveries.claims_between((today - timedelta(days=2)).isoformat(),
                                                      (today + timedelta(days=2)).isoformat())
        return chats, dg.plan(chats, claims, now)

    def due_digests(self, now: Optional[datetime] = None, limit: Optional[int] = None) -> list[Digest]:
        """Claim due slots (INSERT OR IGNORE / conditional take-over) as leases, build their content, return the
        sendable. Slots whose content is empty (and the chat did not opt in to 'nothing new') are closed at once.
        `limit` claims at most that many slots (retries first); `more_waiting` tells whether more are waiting,
        so the scheduler can work in slices. Slices of one tick share one plan, one committed sequence and one
        Tick; the next tick starts afresh."""
        now = now or self.clock()
        with collector_paused():  # a slice allocates ~100k objects that live until it is sent (digest_build)
            return self._due_digests(now, limit)

    def _due_digests(self, now: datetime, limit: Optional[int]) -> list[Digest]:
        if limit is None or self._pending_now != now:
            _, (new, retry) = self._plan(now)
            self._pending = [(True, c) for c in retry] + [(False, s) for s in new]
            self._pending_now, self._pending_hi, self._tick = now, self.store.papers.committed_seq(), None
        n = len(self._pending) if limit is None else limit
        take, self._pending = self._pending[:n], self._pending[n:]
        retry = [x for is_retry, x in take if is_retry]
        new = [x for is_retry, x in take if not is_retry]
        self.last_claimed = len(new) + len(retry)
        self.more_waiting = bool(self._pending)
        hi = self._pending_hi
        if not self._pending:
            self._pending_now = None  # the tick is over: its Tick goes with the last slice
        if not new and not retry:
            self._tick = None
            return []
        owned = self.store.deliveries.claim(new, retry, holder=self.holder, token=uuid.uuid4().hex,
                                            now=dg.iso(now), lease_until=dg.iso(now + dg.LEASE))
        built, tick = self.builder.build(owned, now, self._tick, hi)
        self._tick = tick if self._pending else None
        self.store.deliveries.set_contents(
            [(b.claim.id, b.paper_ids, [{"topic": s.topic, "more": list(s.more_ids)} for s in b.sections],
              b.seq_lo, b.seq_hi, b.window_end or dg.iso(now), b.source_day) for b in built])
        empty = [b.claim.id for b in built if b.reply is None]
        if empty:
            self.store.deliveries.finish(empty, status="empty", now=dg.iso(now))
            for b in built:
                if b.reply is None:
                    metrics.digests_empty(b.claim.chat.platform, b.claim.kind)
        return [self._digest(b) for b in built if b.reply is not None]

    def preview_due(self, now: Optional[datetime] = None) -> list[Digest]:
        """What `due_digests` would return now, claiming nothing (for `paperwire push --dry-run`)."""
        now = now or self.clock()
        chats, (new, retry) = self._plan(now)
        by_pk = {c.pk: c for c in chats}
        claims = [c for c in (self.store.deliveries.get_claim(cid) for cid in retry) if c]
        slots = [(s.chat_pk, s.local_date, s.kind) for s in new]
        slots += [(c["chat_pk"], c["local_date"], c["kind"]) for c in claims]
        pending = [Claim(0, by_pk[pk], k, d) for pk, d, k in slots if pk in by_pk]
        built, _ = self.builder.build(pending, now)
        return [self._digest(b) for b in built if b.reply is not None]

    def preview_digest(self, platform: str, chat_id: str, now: Optional[datetime] = None,
                       kind: str = "digest") -> Optional[Digest]:
        """What this chat's next digest would hold if it were built now (no claim, nothing recorded)."""
        now = now or self.clock()
        chat = self.store.chats.get(platform, chat_id)
        if chat is None:
            return None
        local_date = now.astimezone(dg.zone(chat.tz)).date().isoformat()
        built, _ = self.builder.build([Claim(0, chat, kind, local_date)], now)
        return self._digest(built[0]) if built else None

    @staticmethod
    def _digest(b: Built) -> Digest:
        c = b.claim
        return Digest(claim_id=c.id, chat=c.chat, kind=c.kind, local_date=c.local_date, reply=b.reply or Reply(),
                      paper_ids=tuple(b.paper_ids), sections=tuple(b.sections), picks=tuple(b.picks),
                      notes=tuple(b.notes),
                      window_start=b.window_start, window_end=b.window_end, seq_lo=b.seq_lo, seq_hi=b.seq_hi)

    @staticmethod
    def digest_json(d: Digest) -> dict:
        """The digest as `paperwire digest --json` prints it (later additions go beside "sections")."""
        return {
            "chat": d.chat.key,
            "window": {"start": d.window_start, "end": d.window_end},
            "sections": [{"topic": s.topic, "count": s.count, "papers": [
                {"id": dp.paper.id, "arxiv_id": dp.paper.arxiv_id, "title": dp.paper.title,
                 "published": dp.paper.published, "hf_date": dp.paper.hf_date, "upvotes": dp.paper.upvotes,
                 "matched": list(dp.matched)} for dp in s.papers]} for s in d.sections],
            "picks": [{"id": dp.paper.id, "arxiv_id": dp.paper.arxiv_id, "title": dp.paper.title,
                       "published": dp.paper.published, "upvotes": dp.paper.upvotes, "why": list(dp.matched)}
                      for dp in d.picks],
            "notes": list(d.notes),
        }

    # -- delivery: parts, leases, results ----------------------------------------------------------------------------
    def _lease_until(self) -> str:
        return dg.iso(self.clock() + dg.LEASE)

    def fix_parts(self, digest: Digest, payloads: list[str]) -> list[Part]:
        """Store the parts this digest will be sent as, unless a previous attempt fixed them already."""
        return self.store.deliveries.fix_parts(digest.claim_id, payloads)

    def with_parts(self, digests: list[Digest], render) -> list[Digest]:
        """The digests with their parts rendered (`render(digest) -> [payload]`) and fixed, in one transaction."""
        fixed = self.store.deliveries.fix_parts_many([(d.claim_id, render(d)) for d in digests])
        return [replace(d, parts=tuple(fixed[d.claim_id])) for d in digests]

    def hold(self, digest: Digest) -> bool:
        """Renew this digest's lease before a send; False when another process took it over."""
        return self.store.deliveries.hold(digest.claim_id, self.holder, self._lease_until())

    def renew_leases(self) -> int:
        return self.store.deliveries.renew(self.holder, self._lease_until())

    def release_held(self) -> int:
        """Give back every claim this process holds (shutdown): another process takes them over at once."""
        held = self.store.deliveries.held(self.holder)
        self.store.deliveries.release(held, self.holder, dg.iso(self.clock()))
        return len(held)

    def start_part(self, part: Part) -> bool:
        """Renew the lease and mark the part started (one write); False when another process took the claim over."""
        return self.store.deliveries.start_part(part.claim_id, part.index, self.holder, self._lease_until(),
                                                dg.iso(self.clock()))

    def part_sent(self, part: Part, message_id: Optional[str]) -> None:
        self.store.deliveries.part_sent(part.claim_id, part.index, message_id, dg.iso(self.clock()))

    def record_delivery(self, digest: Digest, result: DeliveryResult) -> None:
        now = self.clock()
        store = self.store.deliveries
        status = result.status
        if status == "sent":
            store.finish([digest.claim_id], status="sent", now=dg.iso(now), message_ref=result.message_ref)
        elif status == "blocked":
            self.deactivate_chat(digest.chat.platform, digest.chat.chat_id, result.detail or "blocked")
            store.retry_later(digest.claim_id, retry_at=dg.iso(now), max_attempts=0)
        elif status == "migrated" and result.new_chat_id:
            self.migrate_chat(digest.chat.platform, digest.chat.chat_id, result.new_chat_id)
            store.retry_later(digest.claim_id, retry_at=dg.iso(now))
        else:  # "retry" (or anything unknown): later, with a growing delay, never twice at once
            claim = store.get_claim(digest.claim_id) or {}
            delay = min(timedelta(minutes=2 ** min(int(claim.get("attempts") or 1), 5)), MAX_RETRY_DELAY)
            store.retry_later(digest.claim_id, retry_at=dg.iso(now + delay))
            if status != "retry":
                log.warning("unknown delivery status %r for claim %s", status, digest.claim_id)

    def deactivate_chat(self, platform: str, chat_id: str, reason: str = "") -> None:
        log.info("deactivating chat %s:%s (%s)", platform, chat_id, reason)
        self.store.chats.deactivate(platform, chat_id, reason)

    def deactivate_chats(self, platform: str, chat_id_prefix: str, reason: str = "") -> int:
        """Deactivate all chats whose id starts with the prefix (a whole Slack workspace removed the app)."""
        if not chat_id_prefix:
            return 0
        n = self.store.chats.deactivate_prefix(platform, chat_id_prefix, reason)
        log.info("deactivated %d %s chats under %s (%s)", n, platform, chat_id_prefix, reason)
        return n

    def migrate_chat(self, platform: str, old_id: str, new_id: str) -> None:
        log.info("chat %s:%s moved to %s", platform, old_id, new_id)
        self.store.chats.migrate(platform, old_id, new_id)
        self.store.links.migrate(platform, old_id, new_id)
