"""The Core: the one object adapters talk to. Platform-neutral; it knows chats, papers and time, never a platform.

CONTRACT (adapters rely on exactly this):
- `await core.handle(message) -> Reply`: every command text ("/search q", "/follow t", ...) and every button press
  (`message.action` = a Button.action the core produced earlier). Never raises on user input.
- `core.search(text, limit=5, offset=0) -> SearchResult`: for inline mode / direct lookups.
- `core.first_time(key, keep) -> bool`: remembers a platform request id (in the store) so replays and retries are
  handled once.
- `core.overview(platform, chat_id) -> Reply`: a chat's topics (with unfollow buttons) and settings (Slack App Home).
- `core.due_digests(now=None) -> list[Digest]`: claims and returns what is due now (digests and trending posts).
- `core.record_delivery(digest, result)`: the adapter's DeliveryResult feeds back (sent / blocked / migrated / retry).
- `core.deactivate_chat(platform, chat_id, reason)`, `core.migrate_chat(platform, old_id, new_id)`: platform events;
  `core.deactivate_chats(platform, prefix, reason)`: every chat whose id starts with prefix (Slack uninstall).
Extras for the CLI: `preview_due(now)` (what is due, without claiming) and `preview_digest(platform, chat_id, now)`.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Optional

from bot import digests as dg
from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.models import Chat, DeliveryResult, Digest, Message, Reply, SearchResult

log = logging.getLogger(__name__)

MAX_RETRY_DELAY = timedelta(minutes=30)


class Core:
    def __init__(self, store, settings: Optional[Settings] = None, clock: Clock = system_clock):
        self.store = store
        self.settings = settings or Settings()
        self.clock = clock
        self._searcher = None
        self._commands = None
        self.last_claimed = 0  # slots claimed (or re-claimed) by the last due_digests call
        self._tick_matches = dg.TickMatches()
        self._pending: list = []  # the current tick's planned slots, when due_digests works in slices
        self._pending_now: Optional[datetime] = None

    @property
    def searcher(self):
        if self._searcher is None:
            from bot.search import Searcher

            self._searcher = Searcher(self.store)
        return self._searcher

    @property
    def builder(self) -> dg.DigestBuilder:
        return dg.DigestBuilder(self.store, self.searcher)

    def _tick_builder(self) -> dg.DigestBuilder:
        """For due_digests: slices of one tick share their topic matches (see TickMatches)."""
        return dg.DigestBuilder(self.store, self.searcher, matches=self._tick_matches)

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

    # -- scheduling --------------------------------------------------------------------------------------------------
    def _plan(self, now: datetime):
        today = now.date()
        rows = self.store.chats.schedulable()
        claims = self.store.chats.claims_between((today - timedelta(days=2)).isoformat(),
                                                 (today + timedelta(days=2)).isoformat())
        return rows, dg.plan(rows, claims, now)

    def due_digests(self, now: Optional[datetime] = None, limit: Optional[int] = None) -> list[Digest]:
        """Claim due slots (INSERT OR IGNORE / conditional re-claim), build their content, return the sendable.

        Slots whose content is empty (and the chat did not opt in to 'nothing new') are closed at once.
        `limit` claims at most that many slots (retries first); `last_claimed` tells whether more may be waiting,
        so the scheduler can work in slices and keep the event loop responsive."""
        now = now or self.clock()
        if limit is None:
            _, (new, retry) = self._plan(now)
        else:  # slices of one tick share one plan (the claims keep it exactly-once regardless)
            if self._pending_now != now:
                _, (new, retry) = self._plan(now)
                self._pending, self._pending_now = [(True, c) for c in retry] + [(False, s) for s in new], now
            take, self._pending = self._pending[:limit], self._pending[limit:]
            retry = [x for is_retry, x in take if is_retry]
            new = [x for is_retry, x in take if not is_retry]
        self.last_claimed = len(new) + len(retry)
        if not new and not retry:
            if limit is None or not self._pending:
                self._tick_matches = dg.TickMatches()  # nothing due: let the last tick's index and cards go
            return []
        owned = self.store.chats.claim(new, retry, token=uuid.uuid4().hex, now=dg.iso(now),
                                       stale_before=dg.iso(now - dg.STALE_CLAIM))
        built = self._tick_builder().build(owned, now)
        self.store.chats.set_contents(
            [(b.row["claim_id"], b.paper_ids, b.window_start, b.window_end or dg.iso(now), b.source_day)
             for b in built])
        empty = [b.row["claim_id"] for b in built if b.reply is None]
        if empty:
            self.store.chats.finish(empty, status="empty", now=dg.iso(now))
        return [self._digest(b) for b in built if b.reply is not None]

    def preview_due(self, now: Optional[datetime] = None) -> list[Digest]:
        """What `due_digests` would return now, claiming nothing (for `paperwire push --dry-run`)."""
        now = now or self.clock()
        rows, (new, retry) = self._plan(now)
        by_pk = {r["pk"]: r for r in rows}
        claims = [c for c in (self.store.chats.get_claim(cid) for cid in retry) if c]
        slots = list(new) + [(c["chat_pk"], c["local_date"], c["kind"]) for c in claims]
        pending = [dict(by_pk[pk], claim_id=0, local_date=d, slot=k) for pk, d, k in slots if pk in by_pk]
        return [self._digest(b) for b in self.builder.build(pending, now) if b.reply is not None]

    def preview_digest(self, platform: str, chat_id: str, now: Optional[datetime] = None,
                       kind: str = "digest") -> Optional[Digest]:
        """What this chat's next digest would hold if it were sent now (no claim, nothing recorded)."""
        now = now or self.clock()
        row = self.store.chats.settings(platform, chat_id)
        if row is None:
            return None
        local_date = now.astimezone(dg.zone(row["tz"])).date().isoformat()
        built = self.builder.build([dict(row, claim_id=0, local_date=local_date, slot=kind)], now)
        return self._digest(built[0]) if built else None

    @staticmethod
    def _digest(b: dg.Built) -> Digest:
        from bot.commands import chat_of

        return Digest(claim_id=b.row["claim_id"], chat=chat_of(b.row), kind=b.row["slot"],
                      local_date=b.row["local_date"], reply=b.reply or Reply(), paper_ids=tuple(b.paper_ids))

    def record_delivery(self, digest: Digest, result: DeliveryResult) -> None:
        now = self.clock()
        chats = self.store.chats
        status = result.status
        if status == "sent":
            chats.finish([digest.claim_id], status="sent", now=dg.iso(now), message_ref=result.message_ref)
        elif status == "blocked":
            self.deactivate_chat(digest.chat.platform, digest.chat.chat_id, result.detail or "blocked")
            chats.retry_later(digest.claim_id, retry_at=dg.iso(now), max_attempts=0)
        elif status == "migrated" and result.new_chat_id:
            self.migrate_chat(digest.chat.platform, digest.chat.chat_id, result.new_chat_id)
            chats.retry_later(digest.claim_id, retry_at=dg.iso(now))
        else:  # "retry" (or anything unknown): later, with a growing delay, never twice at once
            claim = chats.get_claim(digest.claim_id) or {}
            delay = min(timedelta(minutes=2 ** min(int(claim.get("attempts") or 1), 5)), MAX_RETRY_DELAY)
            chats.retry_later(digest.claim_id, retry_at=dg.iso(now + delay))
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
