"""From a parsed query to a search plan: stems (through SQLite's tokenizer), idf, typo corrections, FTS5 expressions.

Shared by `Searcher.search` and the topic matching of digests (`Searcher.topic_exprs` / `match_window`), so both
resolve a query the same way. The store is duck typed: `store.search` is the SearchRepo.
"""
from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Optional, Sequence

from rapidfuzz import fuzz, process, utils

from bot.acronyms import AcronymIndex, Miner
from bot.collector import collector_paused, freeze_long_lived
from bot.query import ParsedQuery, Term, words_of

TYPO_MIN_LEN = 4
TYPO_CUTOFF = 78.0
MAX_SUGGESTIONS = 2
COMMON_FRAC = 0.25  # a word in more than this share of papers is checked in Python, not in the FTS5 query
LEXICON_TTL = 300.0  # seconds before a changed big index is re-read (small stores: re-read on every change)
FIX_WEIGHT = 0.85  # a corrected word counts a little less than a word the user typed
AUGMENT_WEIGHT = 0.6
ACRONYM_WEIGHT = 0.9  # "rlhf" <-> "reinforcement learning from human feedback": the corpus says they are the same

log = logging.getLogger(__name__)


class Lexicon:
    """Index vocabulary (stem -> papers containing it) and title words (suggestions for typos)."""

    def __init__(self, repo) -> None:
        self.loaded_at = time.monotonic()
        self.signature = _signature(repo)
        self.df: dict[str, int] = repo.vocabulary()
        self.n = max(1, repo.paper_count())
        self._suggested: dict[str, list[tuple[str, int]]] = {}
        self._groups: dict[tuple, tuple] = {}  # (query group, augment) -> (Group, corrections): see make_plan
        self._idf: dict[str, float] = {}
        counts: Counter = Counter()
        for title in repo.titles():  # already normalized: lowercase words separated by single spaces
            counts.update(set(title.split()))
        self.surface = {w: c for w, c in counts.items() if len(w) >= 3 and not w.isdigit()}
        # one edit keeps the first or second letter in one of the first two places: bucket by (length, letter)
        self.first: dict[tuple[int, str], list[str]] = defaultdict(list)
        self.second: dict[tuple[int, str], list[str]] = defaultdict(list)
        stems_for(repo, list(counts))  # warm the stem cache with every title word (one batch)
        for w in self.surface:
            self.first[(len(w), w[0])].append(w)
            self.second[(len(w), w[1])].append(w)
        self.acronyms = AcronymIndex(_mine(repo).table(), lambda ws: stems_for(repo, ws), self.df, self.n)

    def idf(self, stem: str) -> float:
        got = self._idf.get(stem)
        if got is None:
            df = self.df.get(stem, 0)
            got = self._idf[stem] = math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))
        return got

    def common(self, stem: str) -> bool:
        return self.n >= 1000 and self.df.get(stem, 0) > COMMON_FRAC * self.n

    def suggest(self, word: str) -> list[tuple[str, int]]:
        """Close, frequent title words for a word the index does not know: [(word, title df)], best first."""
        got = self._suggested.get(word)
        if got is None:
            got = self._suggested[word] = self._suggest(word)
        return got

    def _suggest(self, word: str) -> list[tuple[str, int]]:
        pool: list[str] = []
        for n in range(len(word) - 2, len(word) + 3):
            for c in set(word[:2]):
                pool += self.first.get((n, c), ())
                pool += self.second.get((n, c), ())
        # choices are words_of() output (lowercase letters/digits): only the query needs rapidfuzz's processor
        query = utils.default_process(word)
        found = process.extract(query, pool, scorer=fuzz.ratio, processor=None, score_cutoff=TYPO_CUTOFF, limit=24)
        ranked = sorted({(w, s + 4.0 * math.log10(1 + self.surface[w])) for w, s, _ in found if w != word},
                        key=lambda x: (-x[1], x[0]))
        if not ranked:
            return []
        best = ranked[0][1]
        return [(w, self.surface[w]) for w, s in ranked[:MAX_SUGGESTIONS] if s >= best - 6.0]


def _mine(repo) -> Miner:
    """The acronym definitions of every paper: mined once per database (stored), then only papers added since."""
    miner = repo.cache.get("acronym_miner")
    if miner is None:  # first time in this process: what earlier runs mined
        miner = repo.cache["acronym_miner"] = Miner.from_counts(repo.acronym_counts(), repo.acronyms_mined_upto())
    reset = miner.upto > repo.max_pk()  # the papers were replaced
    if reset:
        miner = repo.cache["acronym_miner"] = Miner()
    before = miner.upto
    new = miner.feed(repo.texts_after(before))
    if miner.upto != before or reset:
        repo.save_acronyms(new, miner.upto, reset=reset)
    return miner


def _signature(repo) -> tuple:
    return (repo.paper_count(), repo.max_pk())


class Vocabulary:
    """The one owner of a store's Lexicon, for the lifetime of its SearchRepo.

    The first lexicon is built inline (start-up's `Searcher.warm`, a CLI command). When the index has changed since
    (re-read on every change for a small index, at most every LEXICON_TTL s for a big one), a caller on a running
    event loop keeps getting the current lexicon while one worker thread, on its own SQLite connection, builds the
    next (about 2-3 s for 80k papers, acronym mining included); the loop swaps it in when it is ready. Off the loop
    (the CLI, the digest builder's thread) or on an in-memory database (no second connection) it is rebuilt inline.
    """

    def __init__(self, repo) -> None:
        self.repo = repo
        self.current: Optional[Lexicon] = None
        self.building: Optional[threading.Thread] = None  # at most one rebuild at a time
        self.ready: Optional[tuple[Optional[Lexicon], dict]] = None  # what the rebuild left, until swapped in

    def get(self) -> Lexicon:
        if self.ready is not None:  # normally swapped in by the loop callback already
            self.swap()
        lex = self.current
        if lex is not None and (self.building is not None or not self.stale(lex)):
            return lex
        loop = _running_loop()
        if lex is None or loop is None or not self.repo.path():
            self.current = Lexicon(self.repo)
        else:
            self.rebuild_in_background(loop)
        return self.current  # type: ignore[return-value]

    def stale(self, lex: Lexicon) -> bool:
        if lex.n >= 5000 and time.monotonic() - lex.loaded_at < LEXICON_TTL:
            return False
        return _signature(self.repo) != lex.signature

    def rebuild_in_background(self, loop: asyncio.AbstractEventLoop) -> None:
        def build() -> None:
            new, stems = None, {}
            try:
                repo = self.repo.reopen()
                try:
                    with collector_paused():  # millions of objects that all live on: no rescans meanwhile
                        new, stems = Lexicon(repo), repo.cache.get("stems", {})
                finally:
                    repo.close()
            except Exception:  # the current lexicon keeps serving; the next search tries again
                log.exception("rebuilding the search vocabulary failed")
            self.ready = (new, stems)
            try:
                loop.call_soon_threadsafe(self.swap)
            except RuntimeError:  # the loop has closed: the next get() swaps it in
                pass

        self.building = threading.Thread(target=build, name="lexicon", daemon=True)
        self.building.start()

    def swap(self) -> None:
        """The rebuilt lexicon replaces the current one (its stems warm this connection's cache); on the loop."""
        ready, self.ready = self.ready, None
        if ready is None:
            return
        self.building = None
        new, stems = ready
        if new is not None:
            self.repo.cache.setdefault("stems", {}).update(stems)
            self.current = new
            freeze_long_lived()  # a later full collection does not walk the new vocabulary (bot/collector.py)


def _running_loop() -> Optional[asyncio.AbstractEventLoop]:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def lexicon(repo) -> Lexicon:
    """The store's current lexicon (see Vocabulary: never rebuilt on a running event loop once it exists)."""
    owner = repo.cache.get("vocabulary")
    if owner is None:
        owner = repo.cache["vocabulary"] = Vocabulary(repo)
    return owner.get()


def stems_for(repo, words: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Word -> FTS5 tokens (normally one stem). Cached per store; unknown words go to SQLite in one batch."""
    cache = repo.cache.setdefault("stems", {})
    missing = list({w for w in words if w not in cache})
    if missing:
        if len(cache) > 500_000:
            cache.clear()
        for w, toks in zip(missing, repo.stem(missing)):
            cache[w] = toks
    return {w: cache[w] for w in words}


def tokens(repo, text: str) -> list[str]:
    """Text -> stems in order, exactly as FTS5 indexes it."""
    words = words_of(text)
    st = stems_for(repo, words)
    return [s for w in words for s in st[w]]


@dataclass(frozen=True)
class Alt:
    text: str  # the words searched for (after correction), space-joined
    stems: tuple[str, ...]
    weight: float = 1.0
    original: str = ""  # what the user typed, when this is a correction
    label: str = ""  # how to show it in Hit.matched (the typed form, e.g. "jrt-rnn"); defaults to text

    @property
    def shown(self) -> str:
        return self.label or self.text


@dataclass
class Group:
    """One required term: any of its alternatives (a OR b, or a typo's corrections)."""

    alts: list[Alt]
    idf: float = 1.0
    common: bool = False  # every alternative is very frequent: verified in Python instead of FTS5


@dataclass
class Plan:
    parsed: ParsedQuery
    groups: list[Group] = field(default_factory=list)
    excludes: list[Alt] = field(default_factory=list)
    authors: list[Alt] = field(default_factory=list)
    corrections: list[tuple[str, str]] = field(default_factory=list)
    soft: list[Group] = field(default_factory=list)  # chat filler (parsed.soft): a ranking bonus, never required

    @property
    def empty(self) -> bool:
        return not self.groups and not self.authors

    @property
    def deferred(self) -> list[Group]:
        """Common groups left out of the FTS5 query (only when something rarer narrows it down)."""
        if all(g.common for g in self.groups) and not self.authors:
            return []
        return [g for g in self.groups if g.common]


def make_plan(parsed: ParsedQuery, repo, lex: Optional[Lexicon], correct: bool = True,
              augment: bool = False) -> Plan:
    """Resolve terms to stems; replace words the index lacks by close title words (and, with `augment`, add
    frequent look-alikes to rare words: used only when the query found nothing)."""
    terms = [t for g in parsed.groups for t in g] + list(parsed.excludes) + list(parsed.authors) + list(parsed.soft)
    stems = stems_for(repo, [w for t in terms for w in t.words])

    def alt(term: Term) -> Optional[Alt]:
        toks = tuple(s for w in term.words for s in stems[w])
        return Alt(term.text, toks, label=term.label) if toks else None

    plan = Plan(parsed)
    memo = lex._groups if lex is not None and correct else {}
    plain: list[Optional[str]] = []  # per plan group: the stem of a lone unquoted word (acronym phrases are runs)
    for g in parsed.groups:
        key = (g, tuple(t.raw for t in g), augment)  # raw: the label shown differs ("JRT-RNN" vs "jrt rnn")
        if key in memo:  # topics share words: resolve each distinct term once per lexicon
            group, fixes = memo[key]
            plan.groups.append(group)
            plain.append(_plain(g, group))
            plan.corrections += fixes
            continue
        before = len(plan.corrections)
        alts: list[Alt] = []
        for term in g:
            a = alt(term)
            if a is None:
                continue
            if all(x.stems != a.stems for x in alts):
                alts.append(a)  # kept even when "unknown": the lexicon may be older than the newest papers
            fixes = _fixes(term, a, lex, augment) if correct and lex is not None else []
            if fixes and lex is not None:
                df = lex.df.get(a.stems[0], 0)
                fixed = stems_for(repo, [w for w, _ in fixes])
                for w, _ in fixes:
                    fa = Alt(w, fixed[w], FIX_WEIGHT if not df else AUGMENT_WEIGHT, original=term.text)
                    if fa.stems and all(x.stems != fa.stems for x in alts):
                        alts.append(fa)
                plan.corrections.append((term.text, fixes[0][0]))
            elif lex is not None and not term.quoted and len(a.stems) == 1:
                for x in lex.acronyms.expansions(a.stems[0]):  # "rlhf": the phrase the corpus defines it by
                    if all(y.stems != x.stems for y in alts):
                        alts.append(Alt(x.text, x.stems, ACRONYM_WEIGHT))
        if alts:
            known = [a for a in alts if lex is None or any(lex.df.get(st, 0) for st in a.stems)]
            idf = max(_alt_idf(a, lex) for a in (known or alts))
            common = lex is not None and all(all(lex.common(s) for s in a.stems) for a in alts)
            plan.groups.append(Group(alts, idf, common))
            plain.append(_plain(g, plan.groups[-1]))
            if len(memo) < 100_000:
                memo[key] = (plan.groups[-1], plan.corrections[before:])
    if lex is not None and lex.acronyms.longest:
        _join_expansions(plan, plain, lex)
        _drop_typed_expansions(plan)
    plan.soft = [Group([a], _alt_idf(a, lex)) for a in map(alt, parsed.soft) if a]
    plan.excludes = [a for a in map(alt, parsed.excludes) if a]
    plan.authors = [a for a in map(alt, parsed.authors) if a]
    return plan


def _plain(g: tuple[Term, ...], group: Group) -> Optional[str]:
    a = group.alts[0]
    if len(g) != 1 or g[0].quoted or len(g[0].words) != 1 or len(a.stems) != 1 or a.original:
        return None
    return a.stems[0]


def _join_expansions(plan: Plan, plain: list[Optional[str]], lex: Lexicon) -> None:
    """Words that spell an expansion the corpus defines ("reinforcement learning from human feedback") become one
    group: that phrase, or its acronym ("rlhf")."""
    i = 0
    while i < len(plan.groups) - 1:
        for n in range(min(lex.acronyms.longest, len(plan.groups) - i), 1, -1):
            run = [w for w in plain[i : i + n] if w is not None]
            acr = lex.acronyms.acronym(tuple(run)) if len(run) == n else None
            if acr is None:
                continue
            parts = plan.groups[i : i + n]
            text = " ".join(p.alts[0].text for p in parts)
            label = " ".join(p.alts[0].shown for p in parts)
            group = Group([Alt(text, tuple(run), label=label), Alt(acr.text, acr.stems, ACRONYM_WEIGHT)],
                          idf=sum(p.idf for p in parts), common=False)
            plan.groups[i : i + n] = [group]
            plain[i : i + n] = [None]
            break
        i += 1


def _drop_typed_expansions(plan: Plan) -> None:
    """An acronym's expansion whose words the query already has elsewhere ("masked autoencoders mae") adds nothing
    but look-alikes: keep the acronym as typed."""
    for i, g in enumerate(plan.groups):
        if not any(a.weight == ACRONYM_WEIGHT for a in g.alts):
            continue
        others = {s for j, h in enumerate(plan.groups) if j != i for a in h.alts for s in a.stems}
        keep = [a for a in g.alts if a.weight != ACRONYM_WEIGHT or not set(a.stems) <= others]
        if len(keep) < len(g.alts):
            plan.groups[i] = Group(keep, g.idf, g.common)  # a new group: the memoized one is shared


def _fixes(term: Term, a: Alt, lex: Lexicon, augment: bool) -> list[tuple[str, int]]:
    if term.quoted or len(term.words) != 1 or len(a.stems) != 1 or term.text.isdigit():
        return []
    if len(term.text) < TYPO_MIN_LEN:
        return []
    df = lex.df.get(a.stems[0], 0)
    if df == 0:
        return lex.suggest(term.text)
    if augment and len(term.text) >= 5:  # only when the query found nothing: a typo that is also a rare word
        seen = lex.surface.get(term.text, 0)  # in titles: the stem's df also counts authors ("panning" ~ Pan)
        return [(w, c) for w, c in lex.suggest(term.text) if c >= max(3, 10 * seen)]
    return []


def _alt_idf(a: Alt, lex: Optional[Lexicon]) -> float:
    if lex is None:
        return 1.0
    return max(lex.idf(s) for s in a.stems)


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def match_expr(plan: Plan, skip: Optional[int] = None, columns: str = "", full: bool = False) -> str:
    """An FTS5 MATCH expression from resolved tokens only (every term quoted): user text never reaches FTS5.

    Common groups (plan.deferred) are left out unless `full`; the caller verifies them on the candidates.
    `columns` ("title", "title authors") restricts the word groups to those columns.
    """
    deferred = [] if full else [id(g) for g in plan.deferred]
    parts = ["(" + " OR ".join(_q(a.text) for a in g.alts) + ")"
             for i, g in enumerate(plan.groups) if i != skip and id(g) not in deferred]
    body = " AND ".join(parts)
    if columns and body:
        body = "{" + columns + "} : (" + body + ")"
    auth = " AND ".join("{authors} : " + _q(a.text) for a in plan.authors)
    expr = " AND ".join(x for x in (body, auth) if x)
    if expr and plan.excludes:
        expr = "(" + expr + ") NOT (" + " OR ".join(_q(a.text) for a in plan.excludes) + ")"
    return expr


def contains(toks: Sequence[str], stems: tuple[str, ...], token_set: Optional[set] = None) -> bool:
    """Does a token list hold this word (stem) or phrase (adjacent stems, in order)?"""
    if len(stems) == 1:
        return stems[0] in (token_set if token_set is not None else toks)
    n = len(stems)
    first = stems[0]
    for i in range(len(toks) - n + 1):
        if toks[i] == first and tuple(toks[i : i + n]) == stems:
            return True
    return False
