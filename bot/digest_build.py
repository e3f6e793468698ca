"""What a chat gets: the papers committed in its window, fresh, matched per topic, balanced across its topics.

Per tick: the window's fresh papers (one SQL pass) -> each distinct topic matched once, by the search engine's own
FTS5 MATCH expression against the window's rowid range -> for each chat, its own window start, its topics, minus
what it was already sent. Everything computed once lives in one `Tick` (one window, one instant); a slice of chats
whose window the tick does not cover gets a new `Tick`, never a reset one.
Inside a tick a paper is its place in the tick's ranking (upvotes, code, newest), and a topic's matches are two
roaring bitmaps of places (title matches, the rest): a topic's order, a paper's place in it, a chat's union and its
window's difference are C operations on a few bytes a match.

- Fresh: a paper is in a digest when it was committed after the chat's previous digest (pk > the chat's
  high-water mark: the ingest sequence) AND it was published (arXiv v1) or featured on HF within FRESH of the
  digest's instant. Importing an archive never floods a digest.
- Balanced: one section per topic with matches, best first (title match, then HF upvotes, then code available);
  a paper matching several topics appears once, under its best topic, naming all of them; sections are ordered
  by their best paper; at most PER_TOPIC papers per section, then "Show K more for this topic".
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator, Optional, Sequence

from pyroaring import FrozenBitMap as Places

from bot import digest_taste
from bot.collector import collector_paused
from bot import digests as dg
from bot.models import Button, Card, Claim, DigestPaper, DigestSection, Paper, Reply, Section
from bot.render import window
from bot.code_alerts import code_lines, recent_releases
from bot.source_status import source_notes

MORE_CAP = 30  # papers kept per section for "Show K more for this topic"
PICK_POOL = 2000  # "Picked for you" chooses among the window's newest papers that matched no topic


NONE = Places()


@dataclass
class TopicMatches:
    """One topic's fresh matches in the tick's window, as places in the tick's ranking (`Tick.ranked`: upvotes, code,
    newest). The topic's own order is its title matches (the first relevance signal) by rank, then the others.
    Roaring bitmaps: 2 bytes a match instead of ~70 for a list and a dict (6M matches over an 80k window), and
    membership, place (`rank`), union and difference in C."""

    title: Places
    rest: Places
    terms: tuple[str, ...]  # words to highlight
    all: Places = field(init=False)  # title | rest: a C membership test (`r in m.all`) in the per-chat loops

    def __post_init__(self) -> None:
        self.all = self.title | self.rest

    def __len__(self) -> int:
        return len(self.all)

    def key(self, r: int) -> tuple[bool, int]:
        """How well the paper at rank r matches this topic, comparable across topics: a title match first, then its
        place in this topic's order."""
        if r in self.title:
            return False, self.title.rank(r) - 1
        return True, len(self.title) + self.rest.rank(r) - 1

    def order(self, skip: Places = NONE) -> Iterator[int]:
        """The topic's order, without the places in `skip`."""
        if skip:
            return itertools.chain(self.title - skip, self.rest - skip)
        return itertools.chain(self.title, self.rest)

    def head(self, n: int) -> list[int]:
        return list(itertools.islice(self.order(), n))

    def without(self, out: Places) -> TopicMatches:
        return TopicMatches(self.title - out, self.rest - out, self.terms)


EMPTY = TopicMatches(NONE, NONE, ())


class Tick:
    """What one tick computes once for the window (lo, hi] at `now`: the fresh papers, each distinct topic's
    matches, the deliveries inside the window, and the cards shared by chats that show the same paper."""

    def __init__(self, store, searcher, now: datetime, lo: int, hi: int):
        self.store, self.searcher, self.now, self.lo, self.hi = store, searcher, now, lo, hi
        self.floor = (now - dg.FRESH).date().isoformat()
        self.now_iso = dg.iso(now)
        self.meta = store.papers.fresh_in_window(lo, hi, self.floor) if hi > lo else {}
        self.topics: dict[str, TopicMatches] = {}
        self._delivered: Optional[dict[int, set[int]]] = None
        self.papers: dict[int, Paper] = {}
        self.cards: dict[tuple, tuple[Card, DigestPaper]] = {}
        self.buttons: dict[int, tuple[Button, ...]] = {}
        meta = self.meta  # every fresh paper's place by (upvotes, code, newest): one sort per tick
        self.ranked: list[int] = sorted(meta, key=lambda pk: (meta[pk][1], meta[pk][2], pk), reverse=True)
        self.rank: dict[int, int] = {pk: i for i, pk in enumerate(self.ranked)}
        self.snippets: dict[tuple, str] = {}

    def covers(self, now: datetime, lo: int, hi: int) -> bool:
        return now == self.now and hi == self.hi and lo >= self.lo

    def match(self, topics: Sequence[str]) -> None:
        missing = [t for t in dict.fromkeys(topics) if t not in self.topics]
        if not missing:
            return
        if not self.meta:
            self.topics.update(dict.fromkeys(missing, EMPTY))
            return
        meta, rank = self.meta, self.rank
        lo, hi = min(meta) - 1, max(meta)  # the fresh part of the window
        for topic, (pks, title) in self.searcher.match_window(missing, lo, hi).items():
            found = Places([r for r in map(rank.get, pks) if r is not None])
            # a subset of found: the same expression with its words restricted to titles (NOT and author: unchanged)
            in_title = Places([r for r in map(rank.get, title) if r is not None])
            exprs = self.searcher.cached_exprs(topic)
            self.topics[topic] = TopicMatches(in_title, found - in_title, exprs[3] if exprs else ())

    def outside(self, lo: int, gone: set[int]) -> Places:
        """The fresh papers not in a chat's window: committed before it (pk <= lo) or already delivered to it."""
        if lo <= self.lo and not gone:
            return NONE  # the usual case
        return Places([r for pk, r in self.rank.items() if pk <= lo or pk in gone])

    def delivered(self, chat_pk: int) -> set[int]:
        if self._delivered is None:
            self._delivered = {}
            if self.meta:
                for cpk, pk in self.store.deliveries.delivered_in_window(self.lo, self.hi):
                    self._delivered.setdefault(cpk, set()).add(pk)
        return self._delivered.get(chat_pk, set())

    def load(self, pks: Sequence[int]) -> None:
        missing = [pk for pk in pks if pk not in self.papers]
        if missing:
            self.papers.update(self.store.papers.by_pks(missing))

    def card(self, pk: int, why: tuple[str, ...]) -> tuple[Card, DigestPaper]:
        """The paper as shown (and as recorded) under these topics; one per (paper, topics), shared by every chat."""
        key = (pk, why)
        got = self.cards.get(key)
        if got is None:
            paper = self.papers[pk]
            terms = tuple(dict.fromkeys(t for topic in why for t in self.topics[topic].terms))
            buttons = self.buttons.get(pk)
            if buttons is None:
                buttons = self.buttons[pk] = dg.paper_buttons(paper.id)
            got = self.cards[key] = (Card(paper=paper, matched=terms, why=why, snippet=self.snippet(paper, terms),
                                          buttons=buttons), DigestPaper(paper, why))
        return got

    def snippet(self, paper: Paper, terms: tuple[str, ...], length: int = 240) -> str:
        """render.snippet's window around the first matched term, found with str.find (a regex per card is too
        slow at 10k digests); one per (paper, term), shared by every chat."""
        text = paper.abstract or ""
        if len(text) <= length:
            return text
        key = (paper.id, terms[0] if terms else "")
        got = self.snippets.get(key)
        if got is None:
            low = text.lower()
            pos = min((i for i in (low.find(t.lower()) for t in terms[:4]) if i >= 0), default=-1)
            got = self.snippets[key] = window(text, pos, length)
        return got


@dataclass
class Built:
    """The content of one slot: `reply` None means nothing to send (the claim is closed as 'empty')."""

    claim: Claim
    reply: Optional[Reply]
    paper_ids: list[str] = field(default_factory=list)
    sections: list[DigestSection] = field(default_factory=list)
    picks: list[DigestPaper] = field(default_factory=list)  # "Picked for you" (bot/digest_taste.py)
    notes: list[str] = field(default_factory=list)
    seq_lo: Optional[int] = None
    seq_hi: Optional[int] = None
    window_start: Optional[str] = None
    window_end: Optional[str] = None
    source_day: Optional[str] = None


class DigestBuilder:
    """Builds the content of many claims at once, sharing one Tick per window."""

    def __init__(self, store, searcher, taste=None):
        self.store, self.searcher, self.taste = store, searcher, taste  # taste: bot.taste.Learner (optional)
        self._notes: dict[str, list[str]] = {}
        self._releases: Optional[list] = None

    def code_lines(self, claim: Claim, topics: Sequence[str], now: datetime) -> list[str]:
        """bot.code_alerts for one chat; recorded as told only for a real claim (a preview tells nothing)."""
        if self._releases is None:
            self._releases = recent_releases(self.store, now)
        if not self._releases:
            return []
        return code_lines(self.store, self.searcher, claim.chat, topics, self._releases, mark=bool(claim.id),
                          now=dg.iso(now))

    def source_notes(self, day: str) -> list[str]:
        """bot.source_status.source_notes, once per day per build."""
        if day not in self._notes:
            self._notes[day] = source_notes(self.store, day)
        return self._notes[day]

    def tick_for(self, tick: Optional[Tick], now: datetime, lo: int, hi: int) -> Tick:
        return tick if tick is not None and tick.covers(now, lo, hi) else Tick(self.store, self.searcher, now, lo, hi)

    def build(self, claims: Sequence[Claim], now: datetime, tick: Optional[Tick] = None,
              hi: Optional[int] = None) -> tuple[list[Built], Optional[Tick]]:
        """Content for each claim; `hi` is the tick's committed sequence (default: what is committed now)."""
        if not claims:
            return [], tick
        with collector_paused():
            return self._build(claims, now, tick, hi)

    def _build(self, claims: Sequence[Claim], now: datetime, tick: Optional[Tick],
               hi: Optional[int]) -> tuple[list[Built], Optional[Tick]]:
        topics = self.store.chats.topics_for(sorted({c.chat.pk for c in claims}))
        hi = self.store.papers.committed_seq() if hi is None else hi
        out: list[Built] = []
        digests = [c for c in claims if c.kind == "digest"]
        windows = {c.id: self._window(c, hi) for c in digests}
        # one query per slice for who has feedback at all: the learner is asked only about those chats
        taught = self.store.learning.chats_with_feedback([c.chat.pk for c in digests]) if self.taste else set()
        fresh = [c for c in digests if windows[c.id][1] == hi]
        if fresh:
            tick = self.tick_for(tick, now, min(windows[c.id][0] for c in fresh), hi)
            tick.match([t for c in fresh for t in topics.get(c.chat.pk, ())])  # each distinct topic once
        for c in digests:
            lo, whi = windows[c.id]
            t = tick if whi == hi and tick is not None else self.tick_for(None, now, lo, whi)  # a retry's own window
            t.match(topics.get(c.chat.pk, ()))
            out.append(self._digest(c, topics.get(c.chat.pk, []), t, lo, c.chat.pk in taught))
        trending = [c for c in claims if c.kind == "trending"]
        if trending:
            out += self._trending(trending, topics)
        return out, tick

    @staticmethod
    def _window(claim: Claim, hi: int) -> tuple[int, int]:
        if claim.window_hi is not None:  # a retry or takeover rebuilds exactly the window it was built for
            return claim.window_lo or 0, claim.window_hi
        return min(claim.chat.digest_seq or 0, hi), hi

    # -- topic digests -----------------------------------------------------------------------------------------------
    def _digest(self, claim: Claim, topics: Sequence[str], tick: Tick, lo: int, taste_on: bool) -> Built:
        """One chat's digest. Papers are handled as their places in the tick's ranking (r), pks only at the edges."""
        chat = claim.chat
        built = Built(claim, None, seq_lo=lo, seq_hi=tick.hi, window_start=chat.digest_since or chat.subscribed_at,
                      window_end=tick.now_iso)
        gone = tick.delivered(chat.pk)
        out = tick.outside(lo, gone)  # empty in the usual case: every match of the tick is in this chat's window
        avail: dict[str, TopicMatches] = {}  # topic -> its matches in this chat's window
        for t in dict.fromkeys(topics):
            matches = tick.topics[t].without(out) if out else tick.topics[t]
            if matches:
                avail[t] = matches
        sources = self.source_notes(claim.local_date)  # a failing source or a day without announcement
        code = self.code_lines(claim, topics, tick.now)  # papers of this chat that gained code since its last digest
        if not avail and code:
            built.notes += code + sources
            built.reply = Reply(text=f"Your digest for {dg.label(claim.local_date)}: no new papers for your topics, "
                                     "but code was released:\n" + "\n".join(code + sources))
            return built
        if not avail:
            if chat.notify_empty:
                fresh = sum(1 for pk in tick.meta if pk > lo)
                built.notes.append(f"Nothing new for your topics today ({fresh} new papers checked)." if fresh else
                                   "Nothing new today: no new papers arrived since your last digest.")
                built.notes += code + sources
                built.reply = Reply(text="\n".join(built.notes))
            return built
        built.notes += sources
        mine = list(avail.items())
        # Where each paper is shown: a paper matching one topic of this chat under that one; a paper matching several
        # (`shared`: C intersections) under its best (a title match first, then its place there), naming them all.
        shared = Places.union(*(a.all & b.all for (_, a), (_, b) in itertools.combinations(mine, 2))) \
            if len(mine) > 1 else NONE
        why_of: dict[int, tuple[str, ...]] = {}  # a shared paper's topics in this chat
        home: dict[int, str] = {}  # the topic a shared paper is shown under

        def place(r: int) -> str:
            got = home.get(r)
            if got is None:
                hits = [(m.key(r), t) for t, m in mine if r in m.all]
                why_of[r] = tuple([t for _, t in hits])
                got = home[r] = min(hits)[1]
            return got

        taste_on = taste_on and digest_taste.active(self.taste, chat)
        cap = digest_taste.candidates(taste_on)  # > PER_TOPIC: the chat's model orders each section
        placed: dict[str, list[int]] = {}
        for t, m in mine:
            if not shared:
                placed[t] = m.head(cap)
                continue
            got = placed[t] = []
            for r in m.order():
                if r not in shared or place(r) == t:
                    got.append(r)
                    if len(got) >= cap:
                        break
        key = (tick.now, tick.lo, tick.hi)
        ranked_pks, meta = tick.ranked, tick.meta
        if taste_on:
            tick.load([ranked_pks[r] for got in placed.values() for r in got])
            for t, got in placed.items():
                r_of = {tick.papers[ranked_pks[r]].id: r for r in got}
                reranked = digest_taste.rerank(self.taste, chat, [tick.papers[ranked_pks[r]] for r in got], key)
                placed[t] = [r_of[p.id] for p in reranked][:dg.PER_TOPIC]
        # sections by their best paper: a title match first, then its rank (upvotes, code, newest)
        order = sorted((t for t in avail if placed[t]), key=lambda t: (placed[t][0] not in avail[t].title, placed[t][0]))
        order += [t for t in avail if not placed[t]]
        per = max(1, min(dg.PER_TOPIC, dg.DIGEST_SIZE // len(order)))  # 1-3 topics: 5 each; 5: 3
        shown = {t: placed[t][:per] if i < dg.DIGEST_SIZE else [] for i, t in enumerate(order)}
        everything = Places([r for ids in shown.values() for r in ids])
        tick.load([ranked_pks[r] for t in order for r in shown[t]])  # "more" needs only ids: the window's meta has them
        sections, replies = [], []
        for i, t in enumerate(order):
            m = avail[t]
            shows = [tick.card(ranked_pks[r], why_of[r] if r in shared else (t,)) for r in shown[t]]
            count = len(m)
            k = count - m.all.intersection_cardinality(everything)
            more = [meta[ranked_pks[r]][0] for r in itertools.islice(m.order(everything), MORE_CAP)]
            sections.append(DigestSection(t, count, tuple([p for _, p in shows]), tuple(more)))
            buttons = (Button(f"Show {k} more for this topic", f"dsec:{claim.id}:{i}"),) if k > 0 and claim.id else ()
            title = f"{t}: {count} new" + (f", {k} more not shown" if k > 0 and not claim.id else "")
            replies.append(Section(title=title, cards=tuple([c for c, _ in shows]), buttons=buttons))
        built.sections = sections
        built.paper_ids = [meta[ranked_pks[r]][0] for r in everything]
        matched = Places.union(*(m.all for m in avail.values()))
        if taste_on:
            pool = list(itertools.islice((pk for pk in sorted(tick.meta, reverse=True) if pk > lo and pk not in gone
                                          and tick.rank[pk] not in matched), PICK_POOL))
            tick.load(pool)
            section, chosen = digest_taste.picks(self.taste, chat, [tick.papers[pk] for pk in pool
                                                                    if pk in tick.papers], built.paper_ids, key)
            if section is not None:
                replies.append(section)
                built.picks = list(chosen)
                built.paper_ids += [dp.paper.id for dp in chosen]
        n = len(matched)
        built.reply = Reply(
            text=f"Your digest for {dg.label(claim.local_date)}: {n} new paper{'s' if n != 1 else ''} for your topics."
            + "".join("\n" + note for note in code + sources),
            sections=tuple(replies),
            footer="Change what you follow with /topics, the time with /time HH:MM, how often with /frequency.")
        return built

    # -- trending posts ----------------------------------------------------------------------------------------------
    def _trending(self, claims: Sequence[Claim], topics: dict[int, list[str]]) -> list[Built]:
        day = self.store.papers.latest_hf_day()
        cache: dict[int, list[Paper]] = {}
        out = []
        for claim in claims:
            chat = claim.chat
            built = Built(claim, None, source_day=day)
            out.append(built)
            hf_notes = [n for n in self.source_notes(claim.local_date) if n.startswith("Hugging Face")]
            if not day or chat.trending_day == day:
                if chat.notify_empty:  # never "no new papers" when Hugging Face could not be reached
                    built.reply = Reply(text="\n".join(hf_notes) or
                                        "No new Hugging Face daily papers since the last trending post.")
                continue
            n = int(chat.trending_n or 10)
            filt = topics.get(chat.pk, []) if chat.trending_topics else []
            want = 200 if filt else n
            if want not in cache:
                cache[want] = self.store.papers.trending(day, limit=want)
            papers = cache[want]
            why: dict[str, list[str]] = {}
            if filt and papers:
                pks = self.store.papers.pks_of([p.id for p in papers])
                by_pk = {pk: pid for pid, pk in pks.items()}
                lo, hi = min(pks.values()) - 1, max(pks.values())
                for topic, (hits, _) in self.searcher.match_window(filt, lo, hi).items():
                    for pk in hits:
                        if pk in by_pk:
                            why.setdefault(by_pk[pk], []).append(topic)
                papers = [p for p in papers if p.id in why]
            papers = papers[:n]
            if not papers:
                if chat.notify_empty:
                    built.reply = Reply(text=f"Nothing trending for your topics on Hugging Face ({day}).")
                continue
            built.paper_ids = [p.id for p in papers]
            scope = " for your topics" if filt else ""
            terms = {t: (self.searcher.topic_exprs(t) or ("", "", None, ()))[3] for t in filt}
            built.reply = Reply(
                text=f"Trending on Hugging Face{scope}, {day}: top {len(papers)} by upvotes."
                + "".join("\n" + note for note in hf_notes),
                cards=tuple(dg.paper_card(p, tuple(dict.fromkeys(w for t in why.get(p.id, ()) for w in terms[t])),
                                          why.get(p.id, ())) for p in papers),
                broadcast=True,
            )
        return out
