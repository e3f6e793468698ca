"""`match_papers`: a day's batch of papers as bitsets, so tens of thousands of follow topics cost microseconds each.

Same plans as search (bot/search_plan.py: stems from SQLite's own tokenizer, the same typo corrections), so a topic
matches exactly the papers `Searcher.search(topic, exact=True)` would find among them.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Optional, Sequence

from bot.models import Hit, Paper
from bot.query import parse, words_of
from bot.search_plan import Alt, Plan, lexicon, make_plan, stems_for


def batch_index(repo, papers: Sequence[Paper]) -> "BatchIndex":
    """The index of this batch, reused while the same papers come back (the scheduler matches a day's batch in
    slices of chats: building the index once instead of once per slice)."""
    key = tuple((p.id, p.title, p.upvotes, len(p.abstract or ""), p.authors[:1], p.published, p.hf_date)
                for p in papers)
    cached = repo.cache.get("batch")
    if cached is not None and cached[0] == key:
        return cached[1]
    index = BatchIndex(repo, papers)
    repo.cache["batch"] = (key, index)
    return index


class BatchIndex:
    """A batch of papers as bitsets: bit i of a stem's mask is set when paper i holds the stem (any column, or
    one column). A topic then costs a few big-integer AND/OR/NOT operations; phrases are verified once per batch."""

    def __init__(self, repo, papers: Sequence[Paper]):
        self.repo = repo
        self.papers = list(papers)
        words_per = [[words_of(p.title or ""), words_of(p.abstract or ""), words_of(" ".join(p.authors))]
                     for p in self.papers]
        stems_for(repo, list({w for cols in words_per for ws in cols for w in ws}))
        cache = repo.cache["stems"]
        self.joined: list[list[str]] = []  # per paper, per column: " stem stem ... " for phrase tests
        docs_any: dict[str, list[int]] = defaultdict(list)
        docs_col: dict[tuple[str, int], list[int]] = defaultdict(list)
        for i, cols in enumerate(words_per):
            per_col = []
            seen: set[str] = set()
            for col, ws in enumerate(cols):
                toks = [s for w in ws for s in cache[w]]
                per_col.append(toks)
                for stem in set(toks):
                    docs_col[(stem, col)].append(i)
                    if stem not in seen:
                        seen.add(stem)
                        docs_any[stem].append(i)
            self.joined.append([" " + " ".join(t) + " " for t in per_col])
        self.any = {k: _mask(v) for k, v in docs_any.items()}
        self.col = {k: _mask(v) for k, v in docs_col.items()}
        self._alts: dict[tuple, int] = {}
        self._since: dict[str, int] = {}
        self.ids = [p.id for p in self.papers]
        self._base_list: Optional[list[float]] = None

    def mask(self, a: Alt, col: Optional[int] = None) -> int:
        """Papers holding this word or phrase (anywhere, or in one column)."""
        key = (a.stems, col)
        got = self._alts.get(key)
        if got is not None:
            return got
        m = -1
        for st in a.stems:
            m &= self.any.get(st, 0) if col is None else self.col.get((st, col), 0)
            if not m:
                break
        if m and len(a.stems) > 1:  # phrase: adjacent, in order, within one column (a substring of joined stems)
            cols = [col] if col is not None else range(3)
            needle = " " + " ".join(a.stems) + " "
            m = _mask([i for i in _bits(m) if any(needle in self.joined[i][c] for c in cols)])
        self._alts[key] = m
        return m

    def since(self, bound: str) -> int:
        m = self._since.get(bound)
        if m is None:
            m = self._since[bound] = _mask([i for i, p in enumerate(self.papers)
                                            if (p.published or "") >= bound or (p.hf_date or "") >= bound])
        return m

    def match(self, topics: Sequence[str]) -> dict[str, dict[str, Hit]]:
        lex = lexicon(self.repo)
        plans = self.repo.cache.setdefault("plans", {})
        if plans.get("__lexicon__") is not lex or len(plans) > 200_000:
            plans.clear()
            plans["__lexicon__"] = lex  # plans depend on the vocabulary they were corrected against
        parsed = {t: parse(t) for t in set(topics) if t not in plans}
        stems_for(self.repo, list({w for q in parsed.values() for g in (*q.groups, q.excludes, q.authors)
                                   for t in g for w in t.words}))  # one SQLite round trip for new words
        out: dict[str, dict[str, Hit]] = {}
        for topic in topics:
            if topic in out:
                continue
            plan = plans.get(topic)
            if plan is None:
                q = parsed[topic]
                plan = plans[topic] = None if q.error else make_plan(q, self.repo, lex)
            out[topic] = self._match_one(plan) if plan is not None and not plan.empty else {}
        return out

    def _match_one(self, plan: Plan) -> dict[str, Hit]:
        docs = -1
        gmasks = []
        for g in plan.groups:
            am = [self.mask(a) for a in g.alts]
            gm = 0
            for m in am:
                gm |= m
            docs &= gm
            if not docs:
                return {}
            gmasks.append(am)
        for a in plan.authors:
            docs &= self.mask(a, 2)
            if not docs:
                return {}
        for a in plan.excludes:
            docs &= ~self.mask(a)
        bound = plan.parsed.since_date()
        if bound:
            docs &= self.since(bound)
        if docs <= 0:
            return {}
        # per-paper work only where papers differ: which alternative matched (OR groups), title matches
        k = 2.0 / (sum(g.idf for g in plan.groups) or 1.0)
        tw: dict[int, float] = {}
        for g in plan.groups:
            w = g.idf * k
            for i in _bits(docs & sum_or(self.mask(a, 0) for a in g.alts)):
                tw[i] = tw.get(i, 0.0) + w
        papers, ids, base = self.papers, self.ids, self._base()
        if all(len(g.alts) == 1 for g in plan.groups):
            same = tuple(dict.fromkeys([g.alts[0].shown for g in plan.groups] + [a.shown for a in plan.authors]))
            return {ids[i]: _hit(papers[i], base[i] + tw.get(i, 0.0), same) for i in _bits(docs)}
        matched: dict[int, list[str]] = {i: [] for i in _bits(docs)}
        for g, am in zip(plan.groups, gmasks):
            for a, m in zip(g.alts, am):
                for i in _bits(m & docs):
                    if a.shown not in matched[i]:
                        matched[i].append(a.shown)
        authors = [a.shown for a in plan.authors]
        return {ids[i]: _hit(papers[i], base[i] + tw.get(i, 0.0), tuple(terms + authors))
                for i, terms in matched.items()}

    def _base(self) -> list[float]:
        """The part of a paper's score that no topic changes: 1 + a little for upvotes."""
        if self._base_list is None:
            self._base_list = [1.0 + 0.03 * math.log1p(p.upvotes or 0) for p in self.papers]
        return self._base_list


def _hit(paper: Paper, score: float, matched: tuple) -> Hit:
    """Hit(paper, score, matched) without the frozen-dataclass __init__ (object.__setattr__ per field): a digest
    run builds a million of these. Same object, same equality (tests/test_search.py checks)."""
    h = _new(Hit)
    h.__dict__.update(paper=paper, score=score, matched=matched)
    return h


_new = object.__new__


def sum_or(masks) -> int:
    out = 0
    for m in masks:
        out |= m
    return out


def _mask(indices) -> int:
    m = 0
    for i in indices:
        m |= 1 << i
    return m


def _bits(m: int) -> list[int]:
    """Indices of the set bits, lowest first (str.find over the binary digits runs in C)."""
    s = bin(m)[:1:-1]
    out = []
    i = s.find("1")
    while i >= 0:
        out.append(i)
        i = s.find("1", i + 1)
    return out
