"""What a chat gets: the papers committed in its window, fresh, matched per topic, balanced across its topics.

Per tick: the window's fresh papers (one SQL pass) -> each distinct topic matched once, by the search engine's own
FTS5 MATCH expression against the window's rowid range -> for each chat, its own window start, its topics, minus
what it was already sent. Everything computed once lives in one `Tick` (one window, one instant); a slice of chats
whose window the tick does not cover gets a new `Tick`, never a reset one.

- Fresh: a paper is in a digest when it was committed after the chat's previous digest (pk > the chat's
  high-water mark: the ingest sequence) AND it was published (arXiv v1) or featured on HF within FRESH of the
  digest's instant. Importing an archive never floods a digest.
- Balanced: one section per topic with matches, best first (title match, then HF upvotes, then code available);
  a paper matching several topics appears once, under its best topic, naming all of them; sections are ordered
  by their best paper; at most PER_TOPIC papers per section, then "Show K more for this topic".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional, Sequence

from bot import digest_taste
from bot.collector import collector_paused
from bot import digests as dg
from bot.models import Button, Card, Claim, DigestPaper, DigestSection, Paper, Reply, Section
from bot.render import window
from bot.code_alerts import code_lines, recent_releases
from bot.source_status import source_notes

MORE_CAP = 30  # papers kept per section for "Show K more for this topic"
PICK_POOL = 2000  # "Picked for you" chooses among the window's newest papers that matched no topic


@dataclass
class TopicMatches:
    """One topic's fresh matches in the tick's window."""

    order: list[int]  # best first: the title matches (the first relevance signal), then the others
    pos: dict[int, int]  # pk -> place in `order` (also: is it a match)
    titled: int  # order[:titled] matched in the title
    terms: tuple[str, ...]  # words to highlight

    def key(self, pk: int) -> tuple[bool, int]:
        """How well pk matches this topic, comparable across topics: a title match first, then its place."""
        p = self.pos[pk]
        return p >= self.titled, p

    def in_title(self, pk: int) -> bool:
        return self.pos[pk] < self.titled


EMPTY = TopicMatches([], {}, 0, ())


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
        self._rank: Optional[dict[int, int]] = None
        self._canon: dict[int, int] = {}  # pk -> meta's own int object, and 0 .. len(meta): see `match`
        self._ints: list[int] = []
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
        meta = self.meta
        if self._rank is None:  # every fresh paper's place by (upvotes, code, newest): one sort per tick
            ranked = sorted(meta, key=lambda pk: (meta[pk][1], meta[pk][2], pk), reverse=True)
            self._rank = {pk: i for i, pk in enumerate(ranked)}
            # Shared int objects: each row SQLite returns is a new int (28 bytes), and 2,000 topics over an 80k
            # window hold ~6M matches; mapping pks to meta's own keys and places to one range list saves ~330 MB.
            self._canon = {pk: pk for pk in meta}
            self._ints = list(range(len(meta)))
        rank, canon, ints = self._rank, self._canon, self._ints
        lo, hi = min(meta) - 1, max(meta)  # the fresh part of the window
        for topic, (pks, title) in self.searcher.match_window(missing, lo, hi).items():
            pks = [canon[pk] for pk in pks if pk in canon]
            if not pks:
                self.topics[topic] = EMPTY
                continue
            by_rank = sorted(pks, key=rank.__getitem__)  # title matches first, then upvotes, code, newest
            order = [pk for pk in by_rank if pk in title]
            titled = len(order)
            order += [pk for pk in by_rank if pk not in title]
            exprs = self.searcher.cached_exprs(topic)
            self.topics[topic] = TopicMatches(order, dict(zip(order, ints)), titled, exprs[3] if exprs else ())

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
        chat = claim.chat
        built = Built(claim, None, seq_lo=lo, seq_hi=tick.hi, window_start=chat.digest_since or chat.subscribed_at,
                      window_end=tick.now_iso)
        gone = tick.delivered(chat.pk)
        whole = lo <= tick.lo and not gone  # the usual case: every match of the tick is in this chat's window
        avail: dict[str, list[int]] = {}  # topic -> its matches in this chat's window, best first
        for t in dict.fromkeys(topics):
            order = tick.topics[t].order
            got = order if whole else [pk for pk in order if pk > lo and pk not in gone]
            if got:
                avail[t] = got
        mine = [(t, tick.topics[t]) for t in avail]
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

        # Where each paper is shown: under its best topic (a title match first, then its place there), naming every
        # topic of this chat it matches. Worked out once per paper, only for the papers looked at.
        why_of: dict[int, tuple[str, ...]] = {}
        home: dict[int, str] = {}

        def place(pk: int) -> str:
            got = home.get(pk)
            if got is None:
                hits = [(m.key(pk), t) for t, m in mine if pk in m.pos]
                why_of[pk] = tuple([t for _, t in hits])
                got = home[pk] = min(hits)[1] if len(hits) > 1 else hits[0][1]
            return got

        taste_on = taste_on and digest_taste.active(self.taste, chat)
        cap = digest_taste.candidates(taste_on)  # > PER_TOPIC: the chat's model orders each section
        placed: dict[str, list[int]] = {}
        for t, order in avail.items():
            if len(mine) == 1:
                placed[t] = order[:cap]
                why_of.update(dict.fromkeys(placed[t], (t,)))
                continue
            got = placed[t] = []
            for pk in order:
                if place(pk) == t:
                    got.append(pk)
                    if len(got) >= cap:
                        break
        key = (tick.now, tick.lo, tick.hi)
        if taste_on:
            tick.load([pk for got in placed.values() for pk in got])
            for t, got in placed.items():
                pk_of = {tick.papers[pk].id: pk for pk in got}
                reranked = digest_taste.rerank(self.taste, chat, [tick.papers[pk] for pk in got], key)
                placed[t] = [pk_of[p.id] for p in reranked][:dg.PER_TOPIC]
        meta = tick.meta
        ranked = sorted((t for t in avail if placed[t]),
                        key=lambda t: (tick.topics[t].in_title(placed[t][0]), meta[placed[t][0]][1],
                                       meta[placed[t][0]][2], placed[t][0]), reverse=True)
        ranked += [t for t in avail if not placed[t]]
        per = max(1, min(dg.PER_TOPIC, dg.DIGEST_SIZE // len(ranked)))  # 1-3 topics: 5 each; 5: 3
        shown = {t: placed[t][:per] if i < dg.DIGEST_SIZE else [] for i, t in enumerate(ranked)}
        everything = {pk for ids in shown.values() for pk in ids}
        tick.load([pk for t in ranked for pk in shown[t]])  # "more" needs only ids: the window's meta has them
        sections, replies = [], []
        for i, t in enumerate(ranked):
            matches = tick.topics[t]
            shows = [tick.card(pk, why_of[pk]) for pk in shown[t]]
            count = len(avail[t])
            k = count - len(matches.pos.keys() & everything)  # C: iterates the few shown
            # the first MORE_CAP not shown: at most len(everything) of the first MORE_CAP + len(everything) are shown
            more = [meta[pk][0] for pk in avail[t][:MORE_CAP + len(everything)] if pk not in everything][:MORE_CAP]
            sections.append(DigestSection(t, count, tuple([p for _, p in shows]), tuple(more)))
            buttons = (Button(f"Show {k} more for this topic", f"dsec:{claim.id}:{i}"),) if k > 0 and claim.id else ()
            title = f"{t}: {count} new" + (f", {k} more not shown" if k > 0 and not claim.id else "")
            replies.append(Section(title=title, cards=tuple([c for c, _ in shows]), buttons=buttons))
        built.sections = sections
        built.paper_ids = [meta[pk][0] for pk in everything]
        if taste_on:
            pool = sorted((pk for pk in tick.meta if pk > lo and pk not in gone
                           and not any(pk in m.pos for _, m in mine)), reverse=True)[:PICK_POOL]
            tick.load(pool)
            section, chosen = digest_taste.picks(self.taste, chat, [tick.papers[pk] for pk in pool
                                                                    if pk in tick.papers], built.paper_ids, key)
            if section is not None:
                replies.append(section)
                built.picks = list(chosen)
                built.paper_ids += [dp.paper.id for dp in chosen]
        n = len(set().union(*avail.values()))
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
