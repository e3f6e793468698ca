"""Who is due, what they get, and why each paper matched.

Scheduling is computed from the database rows on every tick, in each chat's own time zone (zoneinfo), so there is no
in-memory timetable to lose. A slot is (chat, local_date, kind); the store's unique claim key makes it exactly-once.
- DST: the local HH:MM of a day is resolved with fold=0, giving exactly one instant even when the time is skipped
  (spring forward: 02:30 -> 03:30 local) or repeated (fall back: the first 02:30).
- Downtime: a slot is due from its instant until LATE_LIMIT after it, then never (no pile of stale digests).
- A slot earlier than the subscription instant is never due (no digest for a day before the chat subscribed).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from itertools import chain
from typing import Optional, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.models import Button, Card, Hit, Paper, Reply
from bot.render import snippet, window

LATE_LIMIT = timedelta(hours=6)  # after downtime, a digest may be this late, then it is skipped
STALE_CLAIM = timedelta(minutes=10)  # a claim not marked sent by then is retried (crash between claim and send)
MAX_WINDOW = timedelta(days=7)  # a digest never reaches back further than this
DIGEST_SIZE = 10

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


def next_run(tz_name: str, hhmm: str, now: datetime) -> datetime:
    """The next instant (> now) of the chat's daily time: for 'next digest at ...' answers."""
    tz = zone(tz_name)
    today = now.astimezone(tz).date()
    for k in range(0, 3):
        at = scheduled_utc(today + timedelta(days=k), hhmm, tz)
        if at > now:
            return at
    return scheduled_utc(today + timedelta(days=3), hhmm, tz)  # pragma: no cover


def plan(rows: Sequence[dict], claims: Sequence[dict], now: datetime) -> tuple[list[tuple[int, str, str]], list[int]]:
    """From chat rows and recent claims: slots to claim fresh, and claim ids to retry (stale or asked to retry)."""
    by_slot = {(c["chat_pk"], c["local_date"], c["kind"]): c for c in claims}
    stale_before, now_s = iso(now - STALE_CLAIM), iso(now)
    cache: dict[tuple[str, str], list[tuple[str, datetime]]] = {}
    new: list[tuple[int, str, str]] = []
    retry: list[int] = []
    for row in rows:
        wanted = []
        if row["subscribed_at"]:
            wanted.append(("digest", row["digest_time"], row["subscribed_at"]))
        if row["trending_n"]:
            wanted.append(("trending", row["trending_time"] or row["digest_time"], row["trending_since"]))
        for kind, hhmm, since in wanted:
            key = (row["tz"], hhmm)
            slots = cache.get(key)
            if slots is None:
                slots = cache[key] = open_slots(row["tz"], hhmm, now)
            for local_date, at in slots:
                if since and iso(at) < since:
                    continue
                claim = by_slot.get((row["pk"], local_date, kind))
                if claim is None:
                    new.append((row["pk"], local_date, kind))
                elif (claim["status"] == "claimed" and claim["claimed_at"] < stale_before) or (
                    claim["status"] == "retry" and (claim["retry_at"] or "") <= now_s
                ):
                    retry.append(claim["id"])
    return new, retry


@dataclass
class Built:
    """The content for one slot: `reply` None means nothing to send (the claim is closed as 'empty')."""

    row: dict
    reply: Optional[Reply]
    paper_ids: list[str] = field(default_factory=list)
    window_start: Optional[str] = None
    window_end: Optional[str] = None
    source_day: Optional[str] = None


def paper_buttons(paper_id: str, share: bool = True) -> tuple[Button, ...]:
    """The buttons every paper card carries."""
    abstract = Button("Abstract", f"abs:{paper_id}")
    return (abstract, Button("Share", f"share:{paper_id}")) if share else (abstract,)


def paper_card(paper: Paper, matched: Sequence[str] = (), why: Sequence[str] = (), share: bool = True) -> Card:
    return Card(paper=paper, matched=tuple(matched), why=tuple(why), snippet=snippet(paper, matched),
                buttons=paper_buttons(paper.id, share))


@lru_cache(maxsize=64)
def _label(local_date: str) -> str:
    d = date.fromisoformat(local_date)
    return f"{d:%a} {d.day} {d:%b}"


class TickMatches:
    """Topic matches for one tick, shared by its slices: each distinct topic is matched (and its papers ranked) once,
    however many slices of chats ask (the searcher keeps the batch index of the same papers). A later instant, an
    earlier window start or newly ingested papers start afresh (a wider window's papers are a superset; each chat still filters
    by its own window start)."""

    def __init__(self):
        self.end: Optional[str] = None
        self.start = ""
        self.count = -1
        self.papers: list[Paper] = []
        self.results: dict[str, dict[str, Hit]] = {}
        self.scores: dict[str, dict[str, float]] = {}  # topic -> {paper id: relevance}, only topics with matches
        self.order: dict[str, list[str]] = {}  # topic -> paper ids, best single-topic key first
        self.tops: dict[str, dict[str, float]] = {}  # topic -> {paper id: key} for its best `size`
        self.bonus: dict[str, float] = {}
        # cards are shared by every chat of the tick that shows the same paper for the same topics
        self.cards: dict[tuple, Card] = {}  # (paper id, matched, why) -> card
        self.bases: dict[tuple, Card] = {}  # (paper id, matched) -> card without why (snippet, buttons)
        self.by_why: dict[tuple, Card] = {}  # (paper id, why) -> card, for the per-chat loop
        self.snips: dict[tuple[str, str], str] = {}  # (paper id, first matched term) -> snippet

    def get(self, store, searcher, start: str, end: str, topics: Sequence[str], size: int = DIGEST_SIZE):
        count = store.papers.count()  # papers ingested between slices (same instant in tests and simulations)
        if self.end != end or start < self.start or count != self.count:
            self.__init__()
            self.end, self.start, self.count = end, start, count
            self.papers = store.papers.first_seen_between(start, end)
            self.bonus = {p.id: 0.3 * math.log1p(p.upvotes or 0) for p in self.papers}
        missing = [t for t in topics if t not in self.results]
        if missing and self.papers:
            found = searcher.match_papers(missing, self.papers)
            bonus = self.bonus
            for t in missing:
                m = self.results[t] = found.get(t, {})
                if m:
                    sd = self.scores[t] = {pid: h.score for pid, h in m.items()}
                    lst = self.order[t] = sorted(sd, key=lambda pid: -(sd[pid] + bonus[pid]))
                    self.tops[t] = {pid: sd[pid] + bonus[pid] for pid in lst[:size]}
        return self.papers

class DigestBuilder:
    """Builds the content of many slots at once: each distinct topic is matched once against the window's papers."""

    def __init__(self, store, searcher, size: int = DIGEST_SIZE, matches: Optional["TickMatches"] = None):
        self.store = store
        self.searcher = searcher
        self.size = size
        self.matches = matches or TickMatches()

    def _card(self, paper: Paper, matched: tuple[str, ...], why: tuple[str, ...]) -> Card:
        """Chats that follow the same topic share card objects: 10,000 digests must not mean 100,000 snippets."""
        key = (paper.id, matched, why)
        card = self.matches.cards.get(key)
        if card is None:
            base = self.matches.bases.get((paper.id, matched))
            if base is None:
                base = self.matches.bases[(paper.id, matched)] = Card(
                    paper=paper, matched=matched, snippet=self._snippet(paper, matched),
                    buttons=paper_buttons(paper.id))
            card = self.matches.cards[key] = Card(paper=paper, matched=matched, why=why, snippet=base.snippet,
                                           buttons=base.buttons)
        return card

    def _snippet(self, paper: Paper, terms: Sequence[str], length: int = 240) -> str:
        """render.snippet's window around the first matched term, found with str.find (a regex per card is too
        slow at 10k digests); one snippet per (paper, term), shared by every chat."""
        text = paper.abstract or ""
        if len(text) <= length:
            return text
        key = (paper.id, terms[0] if terms else "")
        cached = self.matches.snips.get(key)
        if cached is None:
            pos = text.lower().find(key[1].lower()) if key[1] else -1
            cached = window(text, pos, length)
            self.matches.snips[key] = cached
        return cached

    def build(self, rows: Sequence[dict], now: datetime) -> list[Built]:
        """`rows` are chat rows plus `claim_id` (0 for a preview), `slot` ("digest"/"trending") and `local_date`."""
        digests = [r for r in rows if r["slot"] == "digest"]
        trending = [r for r in rows if r["slot"] == "trending"]
        topics = self.store.chats.topics_for(sorted({r["pk"] for r in rows}))
        out = self._digests(digests, topics, now) if digests else []
        out += self._trending(trending, topics) if trending else []
        return out

    # -- topic digests -----------------------------------------------------------------------------------------------
    def window_start(self, row: dict, now: datetime) -> str:
        floor = iso(now - MAX_WINDOW)
        return max(row.get("digest_since") or row.get("subscribed_at") or floor, floor)

    def _digests(self, rows: Sequence[dict], topics: dict[int, list[str]], now: datetime) -> list[Built]:
        """Each distinct topic is matched once; per chat, only dict/set work on the topics' match lists."""
        end = iso(now)
        starts = {r["pk"]: self.window_start(r, now) for r in rows}
        distinct = sorted({t for r in rows for t in topics.get(r["pk"], [])})
        cache = self.matches
        papers = cache.get(self.store, self.searcher, min(starts.values()), end, distinct, self.size)
        matches, scores, order, tops, bonus = cache.results, cache.scores, cache.order, cache.tops, cache.bonus
        matched_ids = sorted({pid for t in distinct for pid in scores.get(t, ())})
        delivered: dict[int, set[str]] = {}
        for pk, pid in (self.store.chats.delivered(matched_ids) if matched_ids else ()):
            delivered.setdefault(pk, set()).add(pid)
        seen = {p.id: p.first_seen or "" for p in papers}
        oldest = min(seen.values(), default="")
        out = []
        for row in rows:
            pk = row["pk"]
            start = starts[pk]
            ts = [t for t in topics.get(pk, ()) if t in scores]
            gone = delivered.get(pk) or ()
            late = start > oldest
            ranked = self._rank(ts, scores, order, tops, bonus, seen, start, gone, late) if ts else []
            built = Built(row, None, ranked, start, end)
            if ranked:
                built.reply = self._digest_reply(row, ranked, topics.get(pk, ()), matches, scores)
            elif row.get("notify_empty"):
                fresh = sum(1 for t in seen.values() if t >= start)
                built.reply = Reply(text=(
                    f"Nothing new for your topics today ({fresh} new papers checked)." if fresh else
                    "Nothing new today: Hugging Face and arXiv published no new papers since your last digest."))
            out.append(built)
        return out

    def _rank(self, ts, scores, order, tops, bonus, seen, start, gone, late) -> list[str]:
        """All of a chat's new matches, its top `size` exactly ranked first.

        A paper matching one topic has that topic's single key (precomputed in `tops` for each topic's best `size`),
        so the top overall is among those and the papers matching two or more topics: only the latter get a fresh
        key. Everything else is C-level dict/set work."""
        size = self.size
        excluded = None
        if late or gone:
            excluded = {pid for t in ts for pid in scores[t] if pid in gone or seen[pid] < start}
        keys: dict[str, float] = {}
        for t in ts:
            if excluded:
                lst = [pid for pid in order[t] if pid not in excluded][:size]
                keys.update({pid: scores[t][pid] + bonus[pid] for pid in lst})
            else:
                keys.update(tops[t])
        multi: set[str] = set()
        for i in range(1, len(ts)):
            keys_i = scores[ts[i]].keys()
            for j in range(i):
                multi |= keys_i & scores[ts[j]].keys()
        if excluded:
            multi -= excluded
        if multi:
            sds = [scores[t] for t in ts]
            for pid in multi:
                hits = [sd[pid] for sd in sds if pid in sd]
                keys[pid] = max(hits) * (1 + 0.15 * (len(hits) - 1)) + bonus[pid]
        top = sorted(keys, key=keys.__getitem__, reverse=True)[:size]
        rest = dict.fromkeys(chain.from_iterable(order[t] for t in ts))
        for pid in top:
            del rest[pid]
        if excluded:
            for pid in excluded:
                rest.pop(pid, None)
        return top + list(rest)

    def _digest_reply(self, row: dict, ranked: list[str], topics: Sequence[str],
                      matches: dict[str, dict[str, Hit]], scores: dict[str, dict[str, float]]) -> Reply:
        cards = []
        sds = [(t, scores[t]) for t in topics if t in scores]
        for pid in ranked[: self.size]:
            why = tuple(t for t, sd in sds if pid in sd)
            card = self.matches.by_why.get((pid, why))
            if card is None:
                matched: list[str] = []
                for t in why:
                    matched += [m for m in matches[t][pid].matched if m not in matched]
                card = self.matches.by_why[(pid, why)] = self._card(matches[why[0]][pid].paper, tuple(matched), why)
            cards.append(card)
        more = len(ranked) - len(cards)
        n = len(ranked)
        text = f"Your digest for {_label(row['local_date'])}: {n} new paper{'s' if n != 1 else ''} for your topics."
        buttons: tuple[Button, ...] = ()
        footer = "Change what you follow with /topics, the time with /time HH:MM."
        if more:
            if row.get("claim_id"):
                buttons = (Button(f"Show {more} more", f"dmore:{row['claim_id']}"),)
            footer = f"and {more} more. " + footer
        return Reply(text=text, cards=tuple(cards), buttons=buttons, footer=footer)

    # -- trending posts ----------------------------------------------------------------------------------------------
    def _trending(self, rows: Sequence[dict], topics: dict[int, list[str]]) -> list[Built]:
        day = self.store.papers.latest_hf_day()
        cache: dict[int, list[Paper]] = {}
        out = []
        for row in rows:
            built = Built(row, None, source_day=day)
            out.append(built)
            if not day or row.get("trending_day") == day:
                if row.get("notify_empty"):
                    built.reply = Reply(text="No new Hugging Face daily papers since the last trending post.")
                continue
            n = int(row["trending_n"] or 10)
            filt = topics.get(row["pk"], []) if row.get("trending_topics") else []
            want = 200 if filt else n
            if want not in cache:
                cache[want] = self.store.papers.trending(day, limit=want)
            papers = cache[want]
            why: dict[str, list[str]] = {}
            matched: dict[str, list[str]] = {}
            if filt:
                for topic, hits in self.searcher.match_papers(filt, papers).items():
                    for pid, h in hits.items():
                        why.setdefault(pid, []).append(topic)
                        matched.setdefault(pid, []).extend(m for m in h.matched if m not in matched.get(pid, []))
                papers = [p for p in papers if p.id in why]
            papers = papers[:n]
            if not papers:
                if row.get("notify_empty"):
                    built.reply = Reply(text=f"Nothing trending for your topics on Hugging Face ({day}).")
                continue
            built.paper_ids = [p.id for p in papers]
            scope = " for your topics" if filt else ""
            built.reply = Reply(
                text=f"Trending on Hugging Face{scope}, {day}: top {len(papers)} by upvotes.",
                cards=tuple(paper_card(p, matched.get(p.id, ()), why.get(p.id, ())) for p in papers),
                broadcast=True,
            )
        return out
