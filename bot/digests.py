"""Who is due: scheduling in each chat's time zone and cadence, claims as leases. (What they get: bot/digest_build.py.)

Scheduling is computed from the database rows on every tick, in each chat's own time zone (zoneinfo), so there is no
in-memory timetable to lose. A slot is (chat, local_date, kind); the store's unique claim key makes it exactly-once.
- DST: the local HH:MM of a day is resolved with fold=0, giving exactly one instant even when the time is skipped
  (spring forward: 02:30 -> 03:30 local) or repeated (fall back: the first 02:30).
- Downtime: a slot is due from its instant until LATE_LIMIT after it, then never (no pile of stale digests).
- A slot earlier than the subscription instant is never due (no digest for a day before the chat subscribed).
- Cadence: daily, weekdays, or weekly on one day; a weekly digest covers the 7 days (the freshness window).
- A claim is a lease: held while its holder renews it (LEASE), taken over at once when released or expired.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Optional, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.models import Button, Card, Chat, ClaimState, Paper, Slot
from bot.render import snippet

LATE_LIMIT = timedelta(hours=6)  # after downtime, a digest may be this late, then it is skipped
STALE_CLAIM = timedelta(minutes=10)  # a claim from before leases (no lease_until) is retried after this
LEASE = timedelta(seconds=30)  # a claim's holder renews it while working; expired, another process takes over
DIGEST_SIZE = 15  # papers shown in one digest at most (PER_TOPIC per section)
PER_TOPIC = 5  # papers per topic section at most (fewer when many topics share DIGEST_SIZE)
FRESH = timedelta(days=7)  # a digest holds papers published or featured on HF within this of its instant

_HHMM = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?$", re.IGNORECASE)


def iso(moment: datetime) -> str:
    """The store's instant format (papers.first_seen uses the same), so ISO strings compare in time order."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def parse_hhmm(text: str) -> Optional[str]:
    """'8:00', '08:00', '8', '8am', '8.30pm', '20h15' -> 'HH:MM'; None when it is not a time of day."""
    m = _HHMM.match((text or "").strip())
    if not m:
        return None
    hour, minute, ampm = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The chat's zone; a name that stopped existing in tzdata falls back to UTC rather than stopping its digests."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def scheduled_utc(local_date: date, hhmm: str, tz: ZoneInfo) -> datetime:
    """The one UTC instant of `hhmm` on `local_date` in `tz` (fold=0: a skipped time lands after the gap)."""
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime.combine(local_date, time(h, m), tzinfo=tz).astimezone(timezone.utc)


def open_slots(tz_name: str, hhmm: str, now: datetime) -> list[tuple[str, datetime]]:
    """(local_date, instant) slots whose instant is in (now - LATE_LIMIT, now]."""
    tz = zone(tz_name)
    today = now.astimezone(tz).date()
    out = []
    for d in (today, today - timedelta(days=1)):
        at = scheduled_utc(d, hhmm, tz)
        if at <= now < at + LATE_LIMIT:
            out.append((d.isoformat(), at))
    return out


def next_run(tz_name: str, hhmm: str, now: datetime, frequency: str = "daily") -> datetime:
    """The next instant (> now) of the chat's digest time on a day its cadence is due: for 'next digest at ...'."""
    tz = zone(tz_name)
    today = now.astimezone(tz).date()
    for k in range(0, 9):
        day = today + timedelta(days=k)
        at = scheduled_utc(day, hhmm, tz)
        if at > now and due_on(frequency, day):
            return at
    return scheduled_utc(today + timedelta(days=9), hhmm, tz)  # pragma: no cover


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_frequency(text: str) -> Optional[str]:
    """'daily' | 'weekdays' | 'weekly [mon..sun]' (default monday) -> the stored form; None when not one of them."""
    words = (text or "").lower().split()
    if words in (["daily"], ["weekdays"]):
        return words[0]
    if words and words[0] == "weekly" and len(words) <= 2:
        day = words[1][:3] if len(words) == 2 else "mon"
        return f"weekly:{day}" if day in WEEKDAYS else None
    return None


def describe_frequency(frequency: str) -> str:
    if frequency.startswith("weekly:"):
        day = frequency.split(":", 1)[1]
        return f"weekly on {['Mondays', 'Tuesdays', 'Wednesdays', 'Thursdays', 'Fridays', 'Saturdays', 'Sundays'][WEEKDAYS.index(day)]}"
    return {"weekdays": "on weekdays (Mon-Fri)"}.get(frequency, "daily")


def due_on(frequency: str, local_date: date) -> bool:
    """Is a digest of this cadence due on this local day?"""
    if frequency == "weekdays":
        return local_date.weekday() < 5
    if frequency.startswith("weekly:"):
        day = frequency.split(":", 1)[1]
        return day in WEEKDAYS and local_date.weekday() == WEEKDAYS.index(day)
    return True


def plan(chats: Sequence[Chat], claims: Sequence[ClaimState], now: datetime) -> tuple[list[Slot], list[int]]:
    """From chats and recent claims: slots to claim fresh, and claim ids to take over (released, due for a
    retry, or whose lease expired)."""
    by_slot = {(c.chat_pk, c.local_date, c.kind): c for c in claims}
    now_s, stale_before = iso(now), iso(now - STALE_CLAIM)
    cache: dict[tuple[str, str], list[tuple[str, datetime]]] = {}
    new: list[Slot] = []
    retry: list[int] = []
    for chat in chats:
        wanted: list[tuple[str, str, Optional[str], str]] = []
        if chat.subscribed_at:
            wanted.append(("digest", chat.digest_time, chat.subscribed_at, chat.frequency))
        if chat.trending_n:
            wanted.append(("trending", chat.trending_time or chat.digest_time, chat.trending_since, "daily"))
        for kind, hhmm, since, frequency in wanted:
            key = (chat.tz, hhmm)
            slots = cache.get(key)
            if slots is None:
                slots = cache[key] = open_slots(chat.tz, hhmm, now)
            for local_date, at in slots:
                if since and iso(at) < since:
                    continue
                if frequency != "daily" and not due_on(frequency, date.fromisoformat(local_date)):
                    continue
                claim = by_slot.get((chat.pk, local_date, kind))
                if claim is None:
                    new.append(Slot(chat.pk, local_date, kind))
                elif claim.status == "claimed" and (claim.lease_until or "") < now_s and (
                        claim.lease_until is not None or claim.claimed_at < stale_before):
                    retry.append(claim.id)  # its holder died or hung: the lease expired
                elif claim.status == "retry" and (claim.retry_at or "") <= now_s:
                    retry.append(claim.id)
    return new, retry


def paper_buttons(paper_id: str, share: bool = True) -> tuple[Button, ...]:
    """The buttons every paper card carries: Abstract, (Share,) 👍, 👎, Save, Similar (bot/commands_learn.py)."""
    abstract = Button("Abstract", f"abs:{paper_id}")
    learn = (Button("👍", f"up:{paper_id}"), Button("👎", f"dn:{paper_id}"), Button("Save", f"sv:{paper_id}"),
             Button("Similar", f"sim:{paper_id}"))
    return ((abstract, Button("Share", f"share:{paper_id}")) if share else (abstract,)) + learn


def paper_card(paper: Paper, matched: Sequence[str] = (), why: Sequence[str] = (), share: bool = True) -> Card:
    return Card(paper=paper, matched=tuple(matched), why=tuple(why), snippet=snippet(paper, matched),
                buttons=paper_buttons(paper.id, share))


@lru_cache(maxsize=64)
def label(local_date: str) -> str:
    d = date.fromisoformat(local_date)
    return f"{d:%a} {d.day} {d:%b}"
