"""Acronyms the corpus defines itself: "reinforcement learning from human feedback (RLHF)" makes `rlhf` and that
phrase find each other.

Mined from titles and abstracts (Schwartz & Hearst 2003: the letters of the short form appear in order in the words
just before the parenthesis, the first one at the start of a word), counted per paper. Only definitions several
papers agree on are used. Pure: the texts come in, a table goes out; the lexicon (bot/search_plan.py) owns the
table and feeds it new papers incrementally.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable

_PAREN = re.compile(r"\((?=[a-z0-9-]*[A-Z][a-z0-9-]*[A-Z])([A-Za-z][A-Za-z0-9-]{1,9})\)")  # 2+ capitals
_CLAUSE = re.compile(r"[.;:!?()\[\]{},]")
_WORDS = re.compile(r"[A-Za-z0-9]+")
# words an expansion may hold without giving the short form a letter ("reinforcement learning *from* human feedback")
_GLUE = frozenset("of from the and for in on with to a an by via over under based".split())
MIN_PAPERS = 3  # a definition counts once several papers agree on it
MIN_SHARE = 0.2  # an expansion used for an acronym: at least this share of its definitions
REVERSE_SHARE = 0.5  # the phrase also finds the acronym only when it is the acronym's main meaning
MAX_EXPANSIONS = 3


def short_key(short: str) -> str:
    """The acronym as looked up: lowercase, without a plural s ("LLMs" -> "llm")."""
    if len(short) > 2 and short.endswith("s") and short[-2].isupper():
        short = short[:-1]
    return short.lower()


def long_form(short: str, before: str) -> tuple[str, ...] | None:
    """The expansion of `short` at the end of `before` (lowercase words), or None."""
    if len(short) > 2 and short.endswith("s") and short[-2].isupper():
        short = short[:-1]
    letters = [c.lower() for c in short if c.isalnum()]
    if len(letters) < 2 or sum(c.isupper() for c in short) < 2 or not letters[0].isalpha():
        return None
    words = _WORDS.findall(_CLAUSE.split(before)[-1])[-min(len(letters) + 5, 2 * len(letters)):]
    if len(words) < 2:
        return None
    words = [w.lower() for w in words]
    for start in range(len(words) - 2, -1, -1):  # first: initials ("direct preference optimization")
        if words[start] in _GLUE:
            continue
        tail = words[start:]
        every = [w[0] for w in tail]
        if every == letters or [w[0] for w in tail if w not in _GLUE] == letters:
            return tuple(tail) if short.lower() not in tail else None
        if len(every) > len(letters):
            break
    # then Schwartz & Hearst, backwards: letters inside words too ("vision transformer (ViT)"), the first one
    # at a word start; every word must give a letter unless it is glue ("the proposed method (RLHF)" is no expansion)
    text = " ".join(words)
    owner = [i for i, w in enumerate(words) for _ in range(len(w) + 1)]  # char position -> word index
    li = len(text) - 1
    used: set[int] = set()
    for k in range(len(letters) - 1, -1, -1):
        c = letters[k]
        while li >= 0 and (text[li] != c or (k == 0 and li > 0 and text[li - 1] != " ")):
            li -= 1
        if li < 0:
            return None
        used.add(owner[li])
        li -= 1
    start = min(used)
    out = tuple(words[start:])
    if len(out) < 2 or short.lower() in out:
        return None
    if any(i not in used and words[i] not in _GLUE for i in range(start, len(words))):
        return None
    return out


def definitions(text: str) -> set[tuple[str, tuple[str, ...]]]:
    """(acronym key, expansion words) defined in one text."""
    out = set()
    for m in _PAREN.finditer(text):
        lf = long_form(m.group(1), text[max(0, m.start() - 160) : m.start()])
        if lf:
            out.add((short_key(m.group(1)), lf))
    return out


@dataclass
class Miner:
    """Definition counts over the papers seen so far (fed in pk order; `upto` = the last pk mined)."""

    upto: int = 0
    counts: dict = field(default_factory=lambda: defaultdict(Counter))

    @classmethod
    def from_counts(cls, rows: Iterable[tuple[str, str, int]], upto: int) -> "Miner":
        """From stored (acronym, expansion words space-joined, papers) counts."""
        m = cls(upto=upto)
        for key, lf, n in rows:
            m.counts[key][tuple(lf.split())] += n
        return m

    def feed(self, rows: Iterable[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
        """Mine these (pk, title, abstract); returns the new (pk, acronym, expansion) definitions (to store)."""
        new = []
        for pk, title, abstract in rows:
            for key, lf in definitions(title) | definitions(abstract):
                self.counts[key][lf] += 1
                new.append((pk, key, " ".join(lf)))
            self.upto = max(self.upto, pk)
        return new

    def table(self) -> dict[str, list[tuple[tuple[str, ...], int, int]]]:
        """acronym key -> [(expansion words, papers, all definitions of the acronym)], most used first."""
        out = {}
        for key, c in self.counts.items():
            total = sum(c.values())
            if total < MIN_PAPERS:
                continue
            top = c.most_common(MAX_EXPANSIONS)
            keep = [(lf, n, total) for lf, n in top if n >= MIN_PAPERS and n >= MIN_SHARE * total]
            if keep:
                out[key] = keep
        return out


MIN_RATIO = 0.1  # definitions per paper holding the word: below this the word is mostly something else ("it", "at")
MAX_SHARE = 0.05  # an acronym in more papers than this ("llm": 29%) is everywhere already; its phrase costs more
# than it finds (a phrase of common words is slow in FTS5), so it is not expanded
# nor to an expansion of only common words ("language models" for "lm"; "fine tuning" for "ft"), nor one holding a
# word nearly every paper has ("of", "in", "models"): FTS5's bm25 scans every match of a phrase, and that is slow
MAX_PHRASE_SHARE = 0.2
MAX_WORD_SHARE = 0.6
BIG = 5000  # the share limits are about the cost of long doclists: a smaller index has none
MIN_STEMS = 2


@dataclass(frozen=True)
class Expansion:
    text: str  # the most used wording, e.g. "vision transformers"
    stems: tuple[str, ...]


class AcronymIndex:
    """Acronym stem <-> expansion stems, from a Miner's table; `stem` maps words to FTS5 stems (one batch)."""

    def __init__(self, table: dict, stem, df: dict[str, int], papers: int):
        words = {w for key, exps in table.items() for w in (key, *(x for lf, _, _ in exps for x in lf))}
        st = stem(list(words))
        merged: dict[str, dict] = defaultdict(lambda: {"defs": 0, "exp": Counter(), "text": {}, "short": Counter()})
        for key, exps in table.items():
            ks = st[key]
            if len(ks) != 1:
                continue
            m = merged[ks[0]]
            m["defs"] += exps[0][2]
            m["short"][key] += exps[0][2]
            for lf, n, _ in exps:
                es = tuple(s for w in lf for s in st[w])
                m["exp"][es] += n
                best = m["text"].get(es)
                if best is None or best[1] < n:
                    m["text"][es] = (" ".join(lf), n)
        cap = papers if papers >= BIG else float("inf")
        self.forward: dict[str, list[Expansion]] = {}
        self.reverse: dict[tuple[str, ...], Expansion] = {}
        for acr, m in merged.items():
            if m["defs"] < MIN_RATIO * df.get(acr, 0) or df.get(acr, 0) > MAX_SHARE * cap:
                continue
            exps = [(es, n) for es, n in m["exp"].most_common(MAX_EXPANSIONS)
                    if len(es) >= MIN_STEMS and n >= MIN_PAPERS and n >= MIN_SHARE * m["defs"] and acr not in es
                    and min(df.get(s, 0) for s in es) <= MAX_PHRASE_SHARE * cap
                    and max(df.get(s, 0) for s in es) <= MAX_WORD_SHARE * cap]
            if not exps:
                continue
            self.forward[acr] = [Expansion(m["text"][es][0], es) for es, _ in exps]
            short = m["short"].most_common(1)[0][0]
            for es, n in exps:
                if n >= REVERSE_SHARE * m["defs"] and es not in self.reverse:
                    self.reverse[es] = Expansion(short, (acr,))
        self.longest = max((len(es) for es in self.reverse), default=0)

    def expansions(self, stem: str) -> list[Expansion]:
        return self.forward.get(stem, [])

    def acronym(self, stems: tuple[str, ...]) -> "Expansion | None":
        return self.reverse.get(stems)
