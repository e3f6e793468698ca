"""Known-item search over the paper index, and the same query semantics over an in-memory batch (for digests).

Why it looks like this:
- FTS5 finds candidates (bm25 with title weighted over abstract and authors); a small Python reranker then rewards
  what a person looking for one paper means: all terms in the title, the exact title, a method name before the
  colon, an author's name, then upvotes and recency as tie-breakers.
- Query words unknown to the index (df = 0) are corrected to close, frequent title words (rapidfuzz); the
  corrections become OR-alternatives so a wrong guess cannot hide the rest of the query.
- When nothing matches every term, the query is relaxed to "all terms but one" (each subset is a cheap AND).
- `match_papers` evaluates the same plan over an inverted index of the batch, built with SQLite's own
  tokenizer (through the store), so stems agree with FTS5 exactly.
"""
from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Optional, Sequence

from rapidfuzz import fuzz, process, utils

from bot.models import Hit, Paper, SearchResult, normalize_title
from bot.query import ParsedQuery, Term, parse, words_of

STRICT_CAP = 3000  # above this many AND matches a query is "generic": rank title matches only
RERANK = 60  # candidates the Python reranker looks at
RELAX_CAP = 3000
TYPO_MIN_LEN = 4
TYPO_CUTOFF = 78.0
MAX_SUGGESTIONS = 2
LEXICON_TTL = 300.0  # seconds before a changed index is re-read (cheap for small stores: always re-read)


# --------------------------------------------------------------------------------------------------------------
# Lexicon: index vocabulary (stems with document frequency), title words for suggestions, a stem cache
# --------------------------------------------------------------------------------------------------------------
class Lexicon:
    def __init__(self, repo):
        self.repo = repo
        self.loaded_at = time.monotonic()
        self.signature = _signature(repo)
        self.df: dict[str, int] = repo.vocabulary()
        self.n = max(1, repo.paper_count())
        counts: Counter = Counter()
        for title in repo.titles():
            counts.update(set(words_of(title)))
        self.surface = {w: c for w, c in counts.items() if len(w) >= 3 and not w.isdigit()}
        self.by_len: dict[int, list[str]] = defaultdict(list)
        for w in self.surface:
            self.by_len[len(w)].append(w)
        stems = _stem_cache(repo)
        self._stems = stems

    def idf(self, stem: str) -> float:
        df = self.df.get(stem, 0)
        return math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))

    def suggest(self, word: str) -> list[tuple[str, float]]:
        """Close, frequent title words for an unknown word: similarity first, then how common the word is."""
        pool: list[str] = []
        for n in range(len(word) - 2, len(word) + 3):
            pool.extend(self.by_len.get(n, ()))
        found = process.extract(word, pool, scorer=fuzz.ratio, processor=utils.default_process,
                                score_cutoff=TYPO_CUTOFF, limit=12)
        ranked = sorted(((w, s + 4.0 * math.log10(1 + self.surface[w])) for w, s, _ in found),
                        key=lambda x: -x[1])
        if not ranked:
            return []
        best = ranked[0][1]
        return [(w, s) for w, s in ranked[:MAX_SUGGESTIONS] if s >= best - 6.0]


def _signature(repo) -> tuple:
    return (repo.paper_count(), repo.max_pk())


def _stem_cache(repo) -> dict[str, tuple[str, ...]]:
    return repo.cache.setdefault("stems", {})


def stems_for(repo, words: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Word -> FTS5 tokens (normally one stem). Cached per store; unknown words go to SQLite in one batch."""
    cache = _stem_cache(repo)
    missing = list({w for w in words if w not in cache})
    if missing:
        if len(cache) > 500_000:
            cache.clear()
        for w, toks in zip(missing, repo.stem(missing)):
            cache[w] = toks
    return {w: cache[w] for w in words}


def lexicon(repo) -> Lexicon:
    lex = repo.cache.get("lexicon")
    if lex is not None:
        if lex.n < 5000 or time.monotonic() - lex.loaded_at > LEXICON_TTL:
            if _signature(repo) == lex.signature:
                lex.loaded_at = time.monotonic()
                return lex
        else:
            return lex
    lex = Lexicon(repo)
    repo.cache["lexicon"] = lex
    return lex


# --------------------------------------------------------------------------------------------------------------
# Plan: a parsed query resolved against the index (stems, idf, typo corrections)
# --------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Alt:
    text: str  # the words searched for (after correction), space-joined
    stems: tuple[str, ...]
    original: str = ""  # what the user typed when this is a correction


@dataclass
class Group:
    alts: list[Alt]
    idf: float = 1.0


@dataclass
class Plan:
    parsed: ParsedQuery
    groups: list[Group] = field(default_factory=list)
    excludes: list[Alt] = field(default_factory=list)
    authors: list[Alt] = field(default_factory=list)
    corrections: list[tuple[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.groups and not self.authors


def make_plan(parsed: ParsedQuery, repo, lex: Optional[Lexicon], correct: bool = True) -> Plan:
    terms = [t for g in parsed.groups for t in g] + list(parsed.excludes) + list(parsed.authors)
    stems = stems_for(repo, [w for t in terms for w in t.words])

    def alt(term: Term) -> Optional[Alt]:
        toks = tuple(s for w in term.words for s in stems[w])
        return Alt(term.text, toks) if toks else None

    plan = Plan(parsed)
    for g in parsed.groups:
        alts: list[Alt] = []
        for term in g:
            a = alt(term)
            if a is None:
                continue
            if (correct and lex is not None and not term.quoted and len(term.words) == 1 and len(a.stems) == 1
                    and lex.df.get(a.stems[0], 0) == 0 and len(term.text) >= TYPO_MIN_LEN and not term.text.isdigit()):
                fixes = lex.suggest(term.text)
                if fixes:
                    fixed_stems = stems_for(repo, [w for w, _ in fixes])
                    for w, _ in fixes:
                        fa = Alt(w, fixed_stems[w], original=term.text)
                        if fa.stems and fa not in alts:
                            alts.append(fa)
                    plan.corrections.append((term.text, fixes[0][0]))
                    continue
            if a not in alts:
                alts.append(a)
        if alts:
            idf = max(_alt_idf(a, lex) for a in alts)
            plan.groups.append(Group(alts, idf))
    plan.excludes = [a for a in map(alt, parsed.excludes) if a]
    plan.authors = [a for a in map(alt, parsed.authors) if a]
    return plan


def _alt_idf(a: Alt, lex: Optional[Lexicon]) -> float:
    if lex is None:
        return 1.0
    return max(lex.idf(s) for s in a.stems)


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _group_expr(g: Group) -> str:
    return "(" + " OR ".join(_q(a.text) for a in g.alts) + ")"


def match_expr(plan: Plan, skip: Optional[int] = None, title_only: bool = False) -> str:
    """An FTS5 MATCH expression from resolved tokens only (every term quoted): user text never reaches FTS raw."""
    parts = [_group_expr(g) for i, g in enumerate(plan.groups) if i != skip]
    body = " AND ".join(parts)
    if title_only and body:
        body = "{title} : (" + body + ")"
    auth = " AND ".join("{authors} : " + _q(a.text) for a in plan.authors)
    expr = " AND ".join(x for x in (body, auth) if x)
    if expr and plan.excludes:
        expr = "(" + expr + ") NOT (" + " OR ".join(_q(a.text) for a in plan.excludes) + ")"
    return expr


# --------------------------------------------------------------------------------------------------------------
# Matching helpers shared by the reranker and match_papers
# --------------------------------------------------------------------------------------------------------------
def _contains(tokens: Sequence[str], stems: tuple[str, ...], token_set: Optional[set] = None) -> bool:
    if len(stems) == 1:
        return stems[0] in (token_set if token_set is not None else tokens)
    n = len(stems)
    first = stems[0]
    for i in range(len(tokens) - n + 1):
        if tokens[i] == first and tuple(tokens[i : i + n]) == stems:
            return True
    return False


def _paper_tokens(repo, text: str) -> list[str]:
    words = words_of(text)
    st = stems_for(repo, words)
    return [s for w in words for s in st[w]]


def _date_of(p: Paper) -> str:
    return max(p.published or "", p.hf_date or "")


def _recency(p: Paper, now: datetime) -> float:
    d = _date_of(p)
    try:
        age = (now.date() - date.fromisoformat(d[:10])).days
    except ValueError:
        return 0.0
    return 1.0 / (1.0 + max(age, 0) / 365.0)


class Searcher:
    """Search the store's index; match topics against a batch of papers with the same semantics."""

    def __init__(self, store):
        self.store = store
        self.repo = store.search

    # ---- search ------------------------------------------------------------------------------------------------
    def search(self, text: str, limit: int = 10, offset: int = 0, *, since: Optional[str] = None,
               now: Optional[datetime] = None) -> SearchResult:
        parsed = parse(text)
        query = parsed.text
        if parsed.error:
            return SearchResult(query=query, error=parsed.error)
        limit = max(1, min(int(limit or 10), 100))
        offset = max(0, min(int(offset or 0), 1000))
        now = now or datetime.now(timezone.utc)
        lex = lexicon(self.repo)
        plan = make_plan(parsed, self.repo, lex)
        if plan.empty:
            return SearchResult(query=query, error="None of those words can be searched for. Try other words.")
        bound = max(filter(None, [parsed.since_date(now), since]), default=None)
        notes = list(parsed.notes)
        if plan.corrections:
            notes.append("Showing results for: " + ", ".join(f"{a} → {b}" for a, b in plan.corrections))
        expr = match_expr(plan)
        total = self.repo.count(expr, bound, cap=STRICT_CAP + 1)
        if parsed.sort in ("new", "top") and total:
            rows = self.repo.ranked(expr, limit, bound, order=parsed.sort, offset=offset)
            hits = self._hits(plan, [pk for pk, _ in rows], {pk: 0.0 for pk, _ in rows}, now, rank=False)
            return SearchResult(query=query, hits=tuple(hits), total=total, note=" ".join(notes) or None)
        cands: dict[int, float] = {}
        cover: dict[int, float] = {}
        if total:
            if total <= STRICT_CAP:
                rows = self.repo.ranked(expr, RERANK + offset, bound)
            else:
                texpr = match_expr(plan, title_only=True)
                tn = self.repo.count(texpr, bound, cap=STRICT_CAP + 1) if plan.groups else 0
                order = "bm25" if 0 < tn <= STRICT_CAP else "pk"
                rows = self.repo.ranked(texpr if tn else expr, RERANK + offset, bound, order=order)
            for pk, s in rows:
                cands[pk], cover[pk] = s, 1.0
        elif len(plan.groups) >= 2:
            total = self._relax(plan, bound, cands, cover)
            if total:
                notes.append("No paper matches every word; showing the closest matches.")
        hits = self._hits(plan, list(cands), cands, now, cover=cover)
        hits = hits[offset : offset + limit]
        return SearchResult(query=query, hits=tuple(hits), total=total, note=" ".join(notes) or None)

    def _relax(self, plan: Plan, bound, cands: dict, cover: dict) -> int:
        """All terms but one: each subset is an AND query, skipped when it is too generic to help."""
        total_idf = sum(g.idf for g in plan.groups) or 1.0
        seen: set[int] = set()
        order = sorted(range(len(plan.groups)), key=lambda i: plan.groups[i].idf)
        for i in order[:8]:
            expr = match_expr(plan, skip=i)
            n = self.repo.count(expr, bound, cap=RELAX_CAP + 1)
            if not n or n > RELAX_CAP:
                continue
            cov = 1.0 - plan.groups[i].idf / total_idf
            for pk, s in self.repo.ranked(expr, RERANK // 2, bound):
                seen.add(pk)
                if cov > cover.get(pk, -1.0):
                    cands[pk], cover[pk] = s, cov
        return len(seen)

    def _hits(self, plan: Plan, pks: list[int], fts: dict[int, float], now: datetime, rank: bool = True,
              cover: Optional[dict] = None) -> list[Hit]:
        papers = self.store.papers.by_pks(pks)
        top = max((fts.get(pk, 0.0) for pk in pks), default=0.0) or 1.0
        qnorm = " ".join(w for g in plan.parsed.groups for w in g[0].words)
        scored: list[Hit] = []
        for pk in pks:
            p = papers.get(pk)
            if p is None:
                continue
            cov = (cover or {}).get(pk, 1.0)
            s, matched = self._score(plan, p, qnorm, now)
            if rank:
                s += 3.0 * cov + 1.0 * fts.get(pk, 0.0) / top
            scored.append(Hit(paper=p, score=round(s, 4), matched=matched))
        if rank:
            scored.sort(key=lambda h: -h.score)
        return scored

    def _score(self, plan: Plan, p: Paper, qnorm: str, now: datetime) -> tuple[float, tuple[str, ...]]:
        title = _paper_tokens(self.repo, p.title)
        tset = set(title)
        authors = _paper_tokens(self.repo, " ".join(p.authors[:50]))
        aset = set(authors)
        abstract: Optional[set] = None
        total = sum(g.idf for g in plan.groups) or 1.0
        tw = aw = 0.0
        matched: list[str] = []
        for g in plan.groups:
            hit_alt = None
            for a in g.alts:
                if _contains(title, a.stems, tset):
                    hit_alt = a
                    tw += g.idf
                    break
            if hit_alt is None:
                for a in g.alts:
                    if _contains(authors, a.stems, aset):
                        hit_alt = a
                        aw += g.idf
                        break
            if hit_alt is None:
                if abstract is None:
                    abstract_toks = _paper_tokens(self.repo, p.abstract)
                    abstract = set(abstract_toks)
                for a in g.alts:
                    if _contains(abstract_toks, a.stems, abstract):
                        hit_alt = a
                        break
            if hit_alt is not None and hit_alt.text not in matched:
                matched.append(hit_alt.text)
        for a in plan.authors:
            if _contains(authors, a.stems, aset):
                matched.append(a.text)
        ntitle = normalize_title(p.title)
        s = 2.0 * tw / total + 1.0 * aw / total
        if qnorm and ntitle == qnorm:
            s += 2.0
        elif qnorm and (ntitle.startswith(qnorm + " ") and ":" in p.title
                        and normalize_title(p.title.split(":", 1)[0]) == qnorm):
            s += 1.0
        s += 0.3 * (len(tset & {st for g in plan.groups for a in g.alts for st in a.stems}) / max(1, len(tset)))
        s += 0.03 * math.log1p(p.upvotes or 0) + 0.05 * _recency(p, now)
        return s, tuple(matched)

    # ---- batch matching --------------------------------------------------------------------------------------
    def match_papers(self, topics: Sequence[str], papers: Sequence[Paper]) -> dict[str, dict[str, Hit]]:
        """topic -> {paper.id: Hit} for the papers of a batch that match the topic exactly as search would."""
        return BatchIndex(self.repo, papers).match(topics)


class BatchIndex:
    """An inverted index of a small batch of papers: stem -> {paper index: (title?, authors?, positions...)}."""

    COLS = ("title", "abstract", "authors")

    def __init__(self, repo, papers: Sequence[Paper]):
        self.repo = repo
        self.papers = list(papers)
        texts = [(p.title or "", p.abstract or "", " ".join(p.authors)) for p in self.papers]
        words_per = [[words_of(t) for t in cols] for cols in texts]
        stems_for(repo, list({w for cols in words_per for ws in cols for w in ws}))
        cache = _stem_cache(repo)
        self.tokens: list[list[list[str]]] = []
        self.post: dict[str, set[int]] = defaultdict(set)
        self.post_col: dict[tuple[str, int], set[int]] = defaultdict(set)
        for i, cols in enumerate(words_per):
            per_col = []
            for c, ws in enumerate(cols):
                toks = [s for w in ws for s in cache[w]]
                per_col.append(toks)
                for s in set(toks):
                    self.post[s].add(i)
                    self.post_col[(s, c)].add(i)
            self.tokens.append(per_col)
        self.all = set(range(len(self.papers)))

    def _docs(self, a: Alt, col: Optional[int] = None) -> set[int]:
        sets = [self.post_col.get((s, col), set()) if col is not None else self.post.get(s, set()) for s in a.stems]
        if not sets:
            return set()
        docs = set.intersection(*sorted(sets, key=len))
        if len(a.stems) == 1 or not docs:
            return docs
        cols = [col] if col is not None else range(3)
        return {d for d in docs if any(_contains(self.tokens[d][c], a.stems) for c in cols)}

    def match(self, topics: Sequence[str]) -> dict[str, dict[str, Hit]]:
        lex = lexicon(self.repo)
        out: dict[str, dict[str, Hit]] = {}
        for topic in topics:
            if topic in out:
                continue
            out[topic] = self._match_one(topic, lex)
        return out

    def _match_one(self, topic: str, lex: Lexicon) -> dict[str, Hit]:
        parsed = parse(topic)
        if parsed.error:
            return {}
        plan = make_plan(parsed, self.repo, lex)
        if plan.empty:
            return {}
        docs: Optional[set[int]] = None
        hit_terms: dict[int, list[str]] = defaultdict(list)
        title_w: dict[int, float] = defaultdict(float)
        for g in plan.groups:
            gdocs: set[int] = set()
            for a in g.alts:
                d = self._docs(a)
                for i in d:
                    if a.text not in hit_terms[i]:
                        hit_terms[i].append(a.text)
                for i in self._docs(a, 0) if d else ():
                    title_w[i] += g.idf
                gdocs |= d
            docs = gdocs if docs is None else docs & gdocs
            if not docs:
                return {}
        for a in plan.authors:
            d = self._docs(a, 2)
            for i in d:
                hit_terms[i].append(a.text)
            docs = d if docs is None else docs & d
            if not docs:
                return {}
        for a in plan.excludes:
            docs -= self._docs(a)
        bound = parsed.since_date()
        total_idf = sum(g.idf for g in plan.groups) or 1.0
        out: dict[str, Hit] = {}
        for i in docs or ():
            p = self.papers[i]
            if bound and not ((p.published or "") >= bound or (p.hf_date or "") >= bound):
                continue
            score = 1.0 + 2.0 * title_w[i] / total_idf + 0.03 * math.log1p(p.upvotes or 0)
            out[p.id] = Hit(paper=p, score=round(score, 4), matched=tuple(hit_terms[i]))
        return out
