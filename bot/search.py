"""Known-item search over the paper index, and the same query semantics over an in-memory batch (for digests).

Why it looks like this:
- FTS5 finds candidates (bm25, title weighted over authors over abstract); a small Python reranker then rewards
  what someone looking for one paper means: every term in the title, the exact title, the method name before the
  colon, an author's name; upvotes and recency only break ties.
- Very common words ("the", "model") are left out of the FTS5 query when rarer words narrow it down, and checked
  on the few candidates instead: that keeps long exact-title queries fast without changing what matches.
- Words the index lacks get close, frequent title words as alternatives (rapidfuzz); when nothing matches, rare
  words get look-alikes too, and then the query is relaxed to "all terms but one".
- `match_window` runs a topic's plan as the same FTS5 MATCH expression against a rowid range of the index (a
  digest's window of newly committed papers): digests, follow previews and search share one engine.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timezone
from typing import Optional, Sequence

from bot.models import Hit, Paper, SearchResult, normalize_title
from bot.query import parse, words_of
from bot.search_plan import TYPO_MIN_LEN, Plan, contains, lexicon, make_plan, match_expr, stems_for, tokens

UNKNOWN_MIN_PAPERS = 1000  # unknown_words reports nothing below this many papers
STRICT_CAP = 3000  # more matches than this: too many to score with bm25, take the newest
SMALL = 400  # up to this many matches, bm25 over all of them is cheap
RERANK = 50  # candidates the Python reranker scores
TITLE_RERANK = 150  # ... when they come from a title/author-only query (bm25 barely separates short fields)
PAGE_POOL = 30  # ... plus this many: pages 1-3 of 10 always come from one candidate pool
DEEP_POOL = 200  # later pages (up to 200 results) from a second one
RELAX_CAP = 3000  # an "all terms but one" subset matching more than this is too generic to help
FIRST_AUTHOR = 0.3  # bonus for a query naming the first author ("Vaswani attention")
SURFACE = 0.4  # bonus share for title words exactly as typed ("layered" over "multi-layer")
TOPIC_FIX_MIN_PAPERS = 1000  # a followed topic is saved corrected only against an index at least this big
SOFT = 0.3  # weight of a left-out chat word found in the title ("what's new in RLHF": "what", "new")
# notes that mark results `match_window` would not give (it never widens a topic: a follow must stay precise)
WIDENED = "Nothing matched as typed, so similar words were searched too."
RELAXED = "No paper matches every word; these match all but one."


def _date_of(p: Paper) -> str:
    return max(p.published or "", p.hf_date or "")


def _recency(p: Paper, now: datetime) -> float:
    try:
        age = (now.date() - date.fromisoformat(_date_of(p)[:10])).days
    except ValueError:
        return 0.0
    return 1.0 / (1.0 + max(age, 0) / 365.0)


class _Cand:
    __slots__ = ("paper", "score", "title", "authors", "tset", "aset")

    def __init__(self, paper: Paper, title: list[str], authors: list[str]):
        self.paper, self.title, self.authors = paper, title, authors
        self.tset, self.aset = set(title), set(authors)
        self.score = 0.0


class Searcher:
    """Search the store's index; match topics against a batch of papers with the same semantics."""

    def __init__(self, store):
        self.store = store
        self.repo = store.search

    def warm(self) -> None:
        """Load the index vocabulary now (about 2 s for 80k papers) instead of during the first search."""
        lexicon(self.repo)

    # ---- search ------------------------------------------------------------------------------------------------
    def search(self, text: str, limit: int = 10, offset: int = 0, *, since: Optional[str] = None,
               now: Optional[datetime] = None, exact: bool = False) -> SearchResult:
        """Ranked hits for a query. `exact=True` never widens or relaxes a query that finds nothing, so the hits
        are exactly what `match_window` would match (e.g. a follow's preview)."""
        parsed = parse(text)
        if parsed.error:
            return SearchResult(query=parsed.text, error=parsed.error)
        limit = max(1, min(_int(limit, 10), 100))
        offset = max(0, min(_int(offset, 0), 1000))
        now = now or datetime.now(timezone.utc)
        lex = lexicon(self.repo)
        plan = make_plan(parsed, self.repo, lex)
        if plan.empty:
            return SearchResult(query=parsed.text, error="None of those words can be searched for. Try other words.")
        bound = max(filter(None, [parsed.since_date(now), since]), default=None)
        notes = list(parsed.notes)
        if parsed.sort in ("new", "top"):
            expr = match_expr(plan, full=True)
            total = self.repo.count(expr, bound, cap=STRICT_CAP + 1)
            window = 5 * STRICT_CAP if total > STRICT_CAP and parsed.sort == "new" and not bound else None
            rows = self.repo.ranked(expr, limit, bound, order=parsed.sort, offset=offset, window=window) if total else []
            papers = self._papers([pk for pk, _ in rows])
            _prefetch(self.repo, [t for _, p in papers for t in (p.title, *p.authors[:50])])
            hits = self._final(plan, [self._cand(p) for _, p in papers], 0, limit)
        else:
            hits, total = self._relevance(plan, bound, offset + limit, now)
            if not total and not exact:
                # nothing matches as typed: a typo that is also a (rare) word gets its frequent look-alikes,
                # and papers matching all terms but one compete on the same scores
                wider = make_plan(parsed, self.repo, lex, augment=True)
                if wider.corrections != plan.corrections:
                    plan = wider
                    hits, total = self._relevance(plan, bound, offset + limit, now)
                    if total:
                        notes.append(WIDENED)
                if len(plan.groups) >= 2:
                    more, _ = self._relax(plan, bound, offset + limit, now)
                    best = {h.paper.id: h for h in hits}
                    for h in more:
                        if h.paper.id not in best:
                            best[h.paper.id] = h
                    if len(best) > len(hits):
                        notes.append(RELAXED)
                    hits = sorted(best.values(), key=lambda h: -h.score)
                    total = len(hits)
            hits = hits[offset : offset + limit]
        if plan.corrections:
            notes.insert(0, "Also searched for: " + ", ".join(f"{b} (for {a})" for a, b in plan.corrections) + ".")
        if parsed.soft:
            notes.insert(0, f"Searched for: {parsed.topic} (left out: {parsed.dropped}).")
        return SearchResult(query=parsed.text, hits=tuple(hits), total=total, note=" ".join(notes) or None)

    def _papers(self, pks: list[int]) -> list[tuple[int, Paper]]:
        got = self.store.papers.by_pks(pks)
        return [(pk, got[pk]) for pk in pks if pk in got]

    def _cand(self, p: Paper) -> _Cand:
        return _Cand(p, *self._fields(p)[:2])

    def _fields(self, p: Paper) -> tuple:
        """(title stems, author stems, first-author stems, title words, normalized title), cached per paper."""
        cache = self.repo.cache.setdefault("fields", {})
        key = (p.id, p.title, len(p.authors))
        got = cache.get(key)
        if got is None:
            if len(cache) > 50_000:
                cache.clear()
            got = cache[key] = (tokens(self.repo, p.title), tokens(self.repo, " ".join(p.authors[:50])),
                                set(tokens(self.repo, p.authors[0])) if p.authors else set(),
                                set(words_of(p.title)), normalize_title(p.title))
        return got

    def _relevance(self, plan: Plan, bound, need: int, now: datetime) -> tuple[list[Hit], int]:
        """The best `need` hits. The candidate pool must not depend on the page, or "more" could show a paper
        twice: the first PAGE_POOL hits always come from one pool, later ones from a second, bigger one."""
        first, total = self._pooled(plan, bound, min(need, PAGE_POOL), now, RERANK + PAGE_POOL)
        if need <= PAGE_POOL or len(first) < PAGE_POOL:
            return first, total
        shown = {h.paper.id for h in first}
        rest, _ = self._pooled(plan, bound, need, now, RERANK + max(need, DEEP_POOL))
        return first + [h for h in rest if h.paper.id not in shown][: need - len(first)], total

    def _pooled(self, plan: Plan, bound, need: int, now: datetime, pool: int) -> tuple[list[Hit], int]:
        expr = match_expr(plan)
        total = self.repo.count(expr, bound, cap=STRICT_CAP + 1)
        full = not plan.deferred
        if not full and total > SMALL:  # the rare words alone are not selective: let FTS5 use every word
            expr, full = match_expr(plan, full=True), True
            total = self.repo.count(expr, bound, cap=STRICT_CAP + 1)
        if not total:
            return [], 0
        if not plan.groups:  # author only: bm25 means little, newest first
            rows = self.repo.ranked(expr, pool, bound, order="bm25" if total <= SMALL else "pk")
        elif total <= SMALL:
            rows = self.repo.ranked(expr, pool, bound)
        else:  # many matches: a known item names its title (or author); rank those, abstracts only if too few
            texpr = match_expr(plan, full=full, columns="title authors")
            tn = self.repo.count(texpr, bound, cap=STRICT_CAP + 1)
            # bm25 barely separates short title/author fields: let the reranker see more of them
            rows = self.repo.ranked(texpr, (TITLE_RERANK - RERANK if tn <= STRICT_CAP else 0) + pool, bound,
                                    order="bm25" if tn <= STRICT_CAP else "pk") if tn else []
            if tn < need:
                rows += self.repo.ranked(expr, pool, bound, order="bm25" if total <= STRICT_CAP else "pk")
        if plan.groups and not plan.excludes and not plan.authors:
            # titles that are, or start with, the query words (exact titles, "Name: ..." titles)
            best = max((s for _, s in rows), default=0.0)
            raw = plan.parsed.topic or plan.parsed.text.strip()
            rows += [(pk, best) for pk in self.repo.title_prefix(_qnorm(plan), 20, bound, raw=raw)]
            if plan.parsed.soft:  # "What Matters in Transformers": the chat words may be the title's own
                rows += [(pk, best) for pk in self.repo.title_prefix(_qnorm(plan, full=True), 5, bound)]
        cands = self._rank(plan, rows, {}, now)
        hits = self._final(plan, cands, need, need)
        if plan.deferred and not full and len(hits) < need and len(rows) >= pool:
            # the candidates lacked the common words: ask FTS5 with every word (slower, rare)
            rows = self.repo.ranked(match_expr(plan, full=True), pool, bound)
            hits = self._final(plan, self._rank(plan, rows, {}, now), need, need)
        return hits, total if full else max(total, len(hits))

    def _relax(self, plan: Plan, bound, need: int, now: datetime) -> tuple[list[Hit], int]:
        """All terms but one: each subset is a cheap AND query, skipped when too generic to help."""
        total_idf = sum(g.idf for g in plan.groups) or 1.0
        rows: dict[int, float] = {}
        cover: dict[int, float] = {}
        for i in sorted(range(len(plan.groups)), key=lambda i: plan.groups[i].idf)[:8]:
            expr = match_expr(plan, skip=i, full=True)
            n = self.repo.count(expr, bound, cap=RELAX_CAP + 1)
            if not n or n > RELAX_CAP:
                continue
            cov = 1.0 - plan.groups[i].idf / total_idf
            for pk, s in self.repo.ranked(expr, RERANK // 2 + need, bound):
                if cov > cover.get(pk, -1.0):
                    rows[pk], cover[pk] = s, cov
        cands = self._rank(plan, list(rows.items()), cover, now)
        return self._final(plan, cands, need, need, strict=False), len(rows)

    def _rank(self, plan: Plan, rows: list[tuple[int, float]], cover: dict, now: datetime) -> list[_Cand]:
        fts: dict[int, float] = {}
        for pk, sc in rows:
            fts[pk] = max(sc, fts.get(pk, sc))
        top = max(fts.values(), default=0.0) or 1.0
        qnorm = _qnorm(plan)
        full = _qnorm(plan, full=True) if plan.parsed.soft else ""
        raw = plan.parsed.topic or plan.parsed.text.strip()
        qstems = {s for g in plan.groups for a in g.alts for s in a.stems}
        total_idf = sum(g.idf for g in plan.groups) or 1.0
        out = []
        papers = self._papers(list(fts))
        fields = self.repo.cache.get("fields", {})
        _prefetch(self.repo, [t for _, p in papers if (p.id, p.title, len(p.authors)) not in fields
                              for t in (p.title, *p.authors[:50])])
        for pk, p in papers:
            title, authors, first, surface, ntitle = self._fields(p)
            c = _Cand(p, title, authors)
            tw = aw = sw = s_first = 0.0
            for g in plan.groups:
                wt = max((a.weight for a in g.alts if contains(c.title, a.stems, c.tset)), default=0.0)
                if wt:
                    tw += g.idf * wt
                    if any(a.text in surface for a in g.alts):  # the very word, not just the same stem
                        sw += g.idf
                elif any(contains(c.authors, a.stems, c.aset) for a in g.alts):
                    # a name in the query: most people cite a paper by its first author
                    lead = any(set(a.stems) <= first for a in g.alts)
                    aw += g.idf * (1.0 if lead else 0.6)
                    s_first = FIRST_AUTHOR if lead else 0.0
            for g in plan.soft:
                if contains(c.title, g.alts[0].stems, c.tset):
                    tw += SOFT * g.idf
            s = 3.0 * cover.get(pk, 1.0) + s_first
            s += (2.0 * tw + 1.0 * aw + SURFACE * sw) / total_idf
            s += 1.0 * fts[pk] / top
            if qnorm and (ntitle == qnorm or ntitle == full):
                s += 2.0
            elif qnorm and ":" in p.title and normalize_title(p.title.split(":", 1)[0]) == qnorm:
                s += 1.0 + (0.5 if p.title.split(":", 1)[0].strip() == raw else 0.0)  # "Name:" as written
            s += 0.3 * len(c.tset & qstems) / max(1, len(c.tset))
            s += 0.03 * math.log1p(p.upvotes or 0) + 0.05 * _recency(p, now)
            c.score = s
            out.append(c)
        out.sort(key=lambda c: -c.score)
        return out

    def _final(self, plan: Plan, cands: list[_Cand], need: int, limit: int, strict: bool = True) -> list[Hit]:
        """Walk the ranked candidates: verify deferred common words, collect matched terms, stop when enough."""
        hits: list[Hit] = []
        deferred = {id(g) for g in plan.deferred} if strict else set()
        _prefetch(self.repo, [c.paper.abstract for c in cands[: max(need, limit) + 5]])
        for c in cands:
            matched, ok = _matched(self.repo, plan, c, deferred)
            if not ok:
                continue
            hits.append(Hit(paper=c.paper, score=round(c.score, 4), matched=matched))
            if len(hits) >= max(need, limit):
                break
        return hits

    # ---- topic matching (digests, follow previews, trending with topics) ----------------------------------
    def topic_exprs(self, topic: str, lex=None, parsed=None) -> Optional[tuple[str, str, Optional[str], tuple[str, ...]]]:
        """(MATCH expression, the same restricted to titles, since-date, words to highlight) of a followed topic:
        the plan search
        uses, never widened or relaxed (a follow must stay precise). None when the topic cannot match anything."""
        lex = lex or lexicon(self.repo)
        plans = self.repo.cache.setdefault("plans", {})
        if plans.get("__lexicon__") is not lex or len(plans) > 200_000:
            plans.clear()
            plans["__lexicon__"] = lex  # plans depend on the vocabulary they were corrected against
        if topic not in plans:
            parsed = parsed or parse(topic)
            plan = None if parsed.error else make_plan(parsed, self.repo, lex)
            plans[topic] = None if plan is None or plan.empty else (
                match_expr(plan, full=True), match_expr(plan, full=True, columns="title"), parsed.since_date(),
                tuple(dict.fromkeys([a.shown for g in plan.groups for a in g.alts] + [a.shown for a in plan.authors])))
        return plans[topic]

    # ---- topics ----------------------------------------------------------------------------------------------
    def topic_form(self, text: str) -> tuple[str, Optional[str]]:
        """How a followed topic is stored, and what to tell the user about it: a misspelled word the index does not
        know is saved corrected ("difusion" -> "diffusion", so the two are one topic), and a chat question keeps its
        topic only ("papers about RLHF" -> "RLHF"). Quoted words and words with digits (model names) stay as typed."""
        parsed = parse(text)
        if parsed.error:
            return text, None
        lex = lexicon(self.repo)
        plan = make_plan(parsed, self.repo, lex)
        # a small index knows too few words to call one misspelled ("qubit" is not "quit"): then keep the text
        fixes = {a: b for a, b in plan.corrections if not any(ch.isdigit() for ch in a)
                 and lex.n >= TOPIC_FIX_MIN_PAPERS and lex.surface.get(b, 0) >= 3}
        toks = (parsed.topic or text).split()
        changed = []
        for i, tok in enumerate(toks):
            ws = words_of(tok)
            if len(ws) == 1 and ws[0] in fixes and not tok.startswith(("-", '"')) and ":" not in tok:
                toks[i] = re.sub(re.escape(ws[0]), fixes[ws[0]], tok, count=1, flags=re.IGNORECASE)
                changed.append(f"{fixes[ws[0]]} for {tok}")
        stored = " ".join(toks)
        said = []
        if parsed.soft:
            said.append(f"left out: {parsed.dropped}")
        if changed:
            said.append("corrected: " + ", ".join(changed) + '; put a word in "quotes" to keep it as typed')
        return stored, ("; ".join(said) if said else None)

    def unknown_words(self, text: str) -> tuple[str, ...]:
        """The searched words of `text` that no indexed paper contains and that each plan of it spelling-corrects
        (single unquoted words long enough for a typo, see search_plan._fixes): a suggestion lookup apiece."""
        lex = lexicon(self.repo)
        if lex.n < UNKNOWN_MIN_PAPERS:  # a young index does not know most words yet
            return ()
        parsed = parse(text)
        words = list(dict.fromkeys(t.text for g in parsed.groups for t in g
                                   if len(t.words) == 1 and not t.quoted and len(t.text) >= TYPO_MIN_LEN
                                   and not t.text.isdigit()))
        df, stems = lex.df, stems_for(self.repo, words)
        return tuple(w for w in words if len(stems[w]) == 1 and not df.get(stems[w][0], 0))

    def cached_exprs(self, topic: str):
        """topic_exprs of a topic matched before (no lexicon check): for callers right after match_window."""
        got = self.repo.cache.get("plans", {}).get(topic, False)
        return self.topic_exprs(topic) if got is False else got

    def match_window(self, topics: Sequence[str], lo: int, hi: int) -> dict[str, tuple[list[int], set[int]]]:
        """topic -> (pks of the papers with lo < pk <= hi that match it, in no promised order; those matching in the
        title).

        The same FTS5 MATCH expression as search, run against a rowid range of the index: one engine."""
        out: dict[str, tuple[list[int], set[int]]] = {}
        lex = lexicon(self.repo)
        known = self.repo.cache.get("plans", {})
        new = {t: parse(t) for t in dict.fromkeys(topics) if t not in known}
        stems_for(self.repo, list({w for q in new.values() for g in (*q.groups, q.excludes, q.authors) for t in g
                                   for w in t.words}))  # one SQLite round trip for the new topics' words
        for topic in dict.fromkeys(topics):
            exprs = self.topic_exprs(topic, lex, new.get(topic))
            if exprs is None or hi <= lo:
                out[topic] = ([], set())
                continue
            expr, texpr, since, _ = exprs
            pks, title = self.repo.window_matches(expr, texpr if texpr != expr else None, lo, hi, since)
            out[topic] = (pks, set(title))  # an author-only topic has no title matches
        return out


def _int(value, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def _prefetch(repo, texts: Sequence[str]) -> None:
    """Stem every word of these texts in one SQLite round trip (the cache then serves `tokens`)."""
    stems_for(repo, list(set(words_of(" ".join(t for t in texts if t)))))


def _qnorm(plan: Plan, full: bool = False) -> str:
    """The query's words in order, normalized like titles (for exact-title and "Name:" comparisons); `full`: with
    the left-out chat words ("What Matters in Transformers" is still an exact title)."""
    if full:
        return " ".join(words_of(plan.parsed.text))
    return " ".join(w for g in plan.parsed.groups for w in g[0].words)


def _matched(repo, plan: Plan, c: _Cand, deferred: set) -> tuple[tuple[str, ...], bool]:
    """Which terms a paper matched (for highlighting and "why"); False when a deferred common group is missing."""
    abstract: Optional[list[str]] = None
    aset: Optional[set] = None
    out: list[str] = []
    ok = True
    for g in plan.groups:
        hit = next((a for a in g.alts if contains(c.title, a.stems, c.tset) or contains(c.authors, a.stems, c.aset)),
                   None)
        if hit is None:
            if abstract is None:
                abstract = tokens(repo, c.paper.abstract)
                aset = set(abstract)
            hit = next((a for a in g.alts if contains(abstract, a.stems, aset)), None)
        if hit is None and id(g) in deferred:
            ok = False
            break
        if hit is not None and hit.shown not in out:
            out.append(hit.shown)
    for a in plan.authors:
        if contains(c.authors, a.stems, c.aset) and a.shown not in out:
            out.append(a.shown)
    return tuple(out), ok
