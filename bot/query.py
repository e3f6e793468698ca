"""The query language shared by /search and /follow: parse any text into a ParsedQuery, never raising.

Grammar (Google-like, forgiving):
  words                all must match (stemmed, case-insensitive); `JRT-RNN` is the phrase "jrt rnn" as written
  "exact phrase"       words adjacent, in order
  -word  -"phrase"     exclusions (also `NOT word`)
  a OR b               alternatives; OR binds tighter than the implicit AND: `a OR b c` = (a OR b) AND c
  author:Name  author:"First Last"
  since:2026-06-01  since:7d  since:2w
  sort:new  sort:top  sort:relevance (default)
Parentheses, `AND`, `*` and other punctuation are ignored. Problems become `ParsedQuery.error` (a user-facing
sentence), never an exception: the text comes straight from chat users.

Chat-style questions ("any new work on kv cache compression?", "papers about RLHF", "what's new in diffusion"):
when the text uses no operator at all (no quotes, -, OR, NOT, field:), the question and filler words around the
topic are left out of what must match (`ParsedQuery.soft`: they only help ranking), but only if that run holds a
chat marker (a question word, "any", "papers", "show me", "about"...). So `new physics`, `deep research` and
`what matters in transformers`' "matters in transformers" mean what they say; quote a word to require it.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Optional

MAX_CHARS = 1000  # longer input is cut (with a note): nobody types more, and it bounds the work per query
MAX_TERMS = 24
# a followed topic is matched at every digest of its chat: its size is bounded (see topic_limit_error)
TOPIC_MAX_CHARS = 200
TOPIC_MAX_WORDS = 8
TOPIC_MAX_ORS = 4
TOPIC_MAX_UNKNOWN = 1  # words no paper contains: each costs a spelling-suggestion lookup at every digest

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_REL = re.compile(r"^(\d{1,4})([dwmy])$")
_UNITS = {"d": 1, "w": 7, "m": 30, "y": 365}
SORTS = {"new": "new", "newest": "new", "recent": "new", "date": "new", "top": "top", "upvotes": "top",
         "popular": "top", "relevance": "relevance", "best": "relevance"}


def words_of(text: str) -> tuple[str, ...]:
    """Lowercased word tokens the way FTS5 unicode61 splits them (letters and digits; everything else separates)."""
    text = text or ""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return tuple(_WORD.findall(text.lower()))


@dataclass(frozen=True)
class Term:
    """One searchable unit: a word, or a phrase (quoted, or a hyphenated name such as JRT-RNN)."""

    words: tuple[str, ...]
    quoted: bool = False
    raw: str = field(default="", compare=False)  # as typed (lowercased), e.g. "jrt-rnn": for highlighting

    @property
    def label(self) -> str:
        """What to show/highlight: the typed form when it spells the same words (JRT-RNN), else the words."""
        return self.raw if self.raw and words_of(self.raw) == self.words else self.text

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1

    def canonical(self) -> str:
        return f'"{self.text}"' if self.is_phrase or self.quoted else self.text


# A chat question starts (or ends) with a run of these; the run is dropped when it holds a marker.
_MARKERS = frozenset("""what whats which who how why where when is are do does did any anything anyone something
show find give get list search tell looking look want need recommend papers paper articles article publications
literature about please pls i im we me latest newest""".split())
_FILLER = _MARKERS | frozenset("""the a an of on in for to into regarding concerning related around re s t m ve ll d
new newest latest recent recently good best top great interesting cool some there been being done happening going
out lately work works research studies stuff things topic topics field area areas everything all more other with
can could would will should you know us my our your there's thats that this these those has have was were been
nowadays currently today""".split())
_TRAIL = frozenset("papers paper articles publications please pls lately recently nowadays thanks thx work works"
                   .split())  # "how does flash attention work"
_CHATTY = re.compile(r"[a-z'’]+")


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    groups: tuple[tuple[Term, ...], ...] = ()  # AND of groups; each group is an OR of terms
    excludes: tuple[Term, ...] = ()
    authors: tuple[Term, ...] = ()
    since: Optional[str] = None  # YYYY-MM-DD
    since_days: Optional[int] = None  # relative: since:7d
    sort: str = "relevance"
    error: Optional[str] = None
    notes: tuple[str, ...] = field(default=())
    soft: tuple[Term, ...] = ()  # chat filler around the topic ("any new work on"): ranks, never required
    topic: str = ""  # with `soft`: the rest as typed ("KV cache compression")

    @property
    def dropped(self) -> str:
        """The left-out chat words as typed, e.g. "any new work on" (empty when none)."""
        return " ".join(t.raw or t.text for t in self.soft)

    @property
    def terms(self) -> tuple[str, ...]:
        """Positive words/phrases (for highlighting), in query order, without duplicates."""
        out: list[str] = []
        for group in self.groups:
            for t in group:
                if t.text not in out:
                    out.append(t.text)
        return tuple(out)

    @property
    def ok(self) -> bool:
        return self.error is None

    def since_date(self, now: Optional[datetime] = None) -> Optional[str]:
        """The effective lower date bound (YYYY-MM-DD): absolute, or `now - N days` for since:Nd."""
        if self.since_days is not None:
            now = now or datetime.now(timezone.utc)
            return (now.date() - timedelta(days=self.since_days)).isoformat()
        return self.since

    def canonical(self) -> str:
        """A normalized text: two queries with the same meaning (order, case, spacing) give the same string."""
        parts = sorted(" OR ".join(sorted({t.canonical() for t in g})) for g in self.groups)
        parts += sorted({"-" + t.canonical() for t in self.excludes})
        parts += sorted({f'author:"{t.text}"' if t.is_phrase else f"author:{t.text}" for t in self.authors})
        if self.since_days is not None:
            parts.append(f"since:{self.since_days}d")
        elif self.since:
            parts.append(f"since:{self.since}")
        if self.sort != "relevance":
            parts.append(f"sort:{self.sort}")
        return " ".join(parts)


def topic_limit_error(text: str, parsed: "ParsedQuery") -> Optional[str]:
    """Why a topic is too big to follow (a sentence naming the limit), or None. Counted: characters as typed; words
    in every term, exclusion and author name; ORs (each joins one more alternative)."""
    if len(text) > TOPIC_MAX_CHARS:
        return (f"That topic is too long: a topic can have at most {TOPIC_MAX_CHARS} characters (this one has "
                f"{len(text)}). Follow the parts as separate topics.")
    words = sum(len(t.words) for g in parsed.groups for t in g) + sum(
        len(t.words) for t in (*parsed.excludes, *parsed.authors))
    if words > TOPIC_MAX_WORDS:
        return (f"That topic has too many words: a topic can have at most {TOPIC_MAX_WORDS} words (this one has "
                f"{words}{'+' if parsed.notes else ''}). Follow the parts as separate topics.")
    ors = sum(len(g) - 1 for g in parsed.groups)
    if ors > TOPIC_MAX_ORS:
        return (f"That topic has too many ORs: a topic can have at most {TOPIC_MAX_ORS} ORs (this one has {ors}). "
                "Follow the alternatives as separate topics.")
    return None


def unknown_words_error(unknown: tuple[str, ...]) -> Optional[str]:
    """Too many words no paper contains (typos, or names not seen yet): a sentence naming the limit, or None."""
    if len(unknown) <= TOPIC_MAX_UNKNOWN:
        return None
    shown = ", ".join(unknown[:5]) + (", ..." if len(unknown) > 5 else "")
    return (f"That topic has {len(unknown)} words that appear in no paper I know ({shown}): a topic can have at most "
            f"{TOPIC_MAX_UNKNOWN}. Check the spelling, or follow new names as a topic of their own.")


def _lex(text: str) -> list[tuple[str, str]]:
    """Split into (kind, value): kinds are 'word', 'phrase', 'neg' (a '-' glued to the next token)."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace() or c in "()[]{}":
            i += 1
            continue
        if c == "-" and i + 1 < n and not text[i + 1].isspace() and (i == 0 or text[i - 1].isspace() or text[i - 1] in "("):
            out.append(("neg", "-"))
            i += 1
            continue
        if c == '"':
            j = text.find('"', i + 1)
            j = n if j < 0 else j
            out.append(("phrase", text[i + 1 : j]))
            i = j + 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in '"()[]{}':
            j += 1
        word = text[i:j]
        # author:"First Last" - the quoted value belongs to the field
        if word.lower().endswith(("author:", "authors:")) and j < n and text[j] == '"':
            k = text.find('"', j + 1)
            k = n if k < 0 else k
            out.append(("word", word + text[j + 1 : k].replace(" ", "\x00")))
            i = k + 1
            continue
        out.append(("word", word))
        i = j
    return out


def _parse_since(value: str) -> tuple[Optional[str], Optional[int], Optional[str]]:
    """since:YYYY-MM-DD or since:N(d|w|m|y) -> (date, days, error)."""
    v = value.strip().lower()
    m = _REL.match(v)
    if m:
        return None, int(m.group(1)) * _UNITS[m.group(2)], None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        try:
            return date.fromisoformat(v).isoformat(), None, None
        except ValueError:
            pass
    return None, None, f"since: expects a date like since:2026-06-01 or a span like since:7d (got {value[:30]!r})."


def parse(text: str) -> ParsedQuery:
    """Parse any text. Never raises; a problem the user must fix is in `.error`."""
    try:
        return _parse(text)
    except Exception:  # pragma: no cover - belt and braces: user text must never crash a command
        return ParsedQuery(text=str(text)[:200], error="Sorry, I could not understand that query.")


_SIMPLE = re.compile(r"[^\W_]+(?: [^\W_]+)*")
_OPERATORS = {"OR", "AND", "NOT"}


def _parse(text: str) -> ParsedQuery:
    raw = "" if text is None else str(text)
    if len(raw) <= 200 and _SIMPLE.fullmatch(raw):  # plain words, the common case for topics: skip the lexer
        parts = raw.split(" ")
        if len(parts) <= MAX_TERMS and not _OPERATORS.intersection(parts):
            simple = [[Term(words_of(w), raw=w.lower())] for w in parts]
            if parts[0].lower() in _FILLER or parts[-1].lower() in _TRAIL:
                lead, end = _chat(simple)
                if end - lead < len(simple):
                    return ParsedQuery(text=raw, groups=tuple(tuple(g) for g in simple[lead:end]),
                                       soft=tuple(g[0] for g in simple[:lead] + simple[end:]),
                                       topic=" ".join(parts[lead:end]))
            return ParsedQuery(text=raw, groups=tuple(tuple(g) for g in simple))
    notes: list[str] = []
    raw = raw.replace("\x00", " ")
    if len(raw) > MAX_CHARS:
        raw = raw[:MAX_CHARS]
        notes.append(f"Only the first {MAX_CHARS} characters of the query were used.")
    groups: list[list[Term]] = []
    excludes: list[Term] = []
    authors: list[Term] = []
    since = since_days = None
    sort = "relevance"
    errors: list[str] = []
    negate = False
    operators = False  # any operator at all: the text is a query, taken as written (no chat filler dropped)
    pending_or = False
    last_positive = False  # OR joins only two positive terms: `-a OR b` is just `-a b`
    for kind, value in _lex(raw):
        if kind == "neg":
            negate = operators = True
            continue
        if kind == "phrase" and words_of(value):
            operators = True
        if kind == "word":
            if value == "OR" or value == "|":
                pending_or = last_positive and not negate
                operators = True
                continue
            if value in ("AND", "&&", "+"):
                operators = True
                continue
            if value == "NOT":
                negate = operators = True
                continue
            key, sep, val = value.partition(":")
            k = key.lower()
            operators = operators or (bool(sep) and k in _FIELDS)
            if sep and k in ("author", "authors", "by"):
                name = words_of(val.replace("\x00", " "))
                if name:
                    authors.append(Term(name, quoted=len(name) > 1))
                else:
                    errors.append('author: needs a name, e.g. author:Hinton or author:"Geoffrey Hinton".')
                negate = pending_or = last_positive = False
                continue
            if sep and k == "since":
                s, d, err = _parse_since(val)
                if err:
                    errors.append(err)
                else:
                    since, since_days = s, d
                negate = pending_or = last_positive = False
                continue
            if sep and k in ("sort", "order"):
                if val.lower() in SORTS:
                    sort = SORTS[val.lower()]
                else:
                    errors.append(f"sort: can be sort:new, sort:top or sort:relevance (got {val[:20]!r}).")
                negate = pending_or = last_positive = False
                continue
        words = words_of(value)
        if not words:  # `*`, `+++`, an empty "" - nothing to search for
            negate = False
            continue
        term = Term(words, quoted=(kind == "phrase"), raw=value.strip().strip("*+.,;:!?").lower())
        last_positive = not negate
        if negate:
            excludes.append(term)
        elif pending_or and groups:
            if term not in groups[-1]:
                groups[-1].append(term)
        else:
            groups.append([term])
        negate = pending_or = False
    if len(groups) > MAX_TERMS:
        groups = groups[:MAX_TERMS]
        notes.append(f"Only the first {MAX_TERMS} search terms were used.")
    excludes, authors = excludes[:MAX_TERMS], authors[:MAX_TERMS]
    soft: tuple[Term, ...] = ()
    topic = ""
    if not operators and groups:
        lead, end = _chat(groups)
        if end - lead < len(groups):
            soft = tuple(g[0] for g in groups[:lead] + groups[end:])
            topic = _topic_text(raw, lead, len(groups) - end)
            groups = groups[lead:end]
    error = errors[0] if errors else None
    if error is None and not groups and not authors:
        if excludes:
            error = "Add at least one word to search for: exclusions (-word) alone match everything."
        elif raw.strip():
            error = "That query has no words to search for. Try e.g. flash attention or author:Hinton."
        else:
            error = "Type some words to search for, e.g. diffusion transformer -medical."
    return ParsedQuery(
        text=raw.strip(),
        groups=tuple(tuple(g) for g in groups),
        excludes=tuple(excludes),
        authors=tuple(authors),
        since=since,
        since_days=since_days,
        sort=sort,
        error=error,
        notes=tuple(notes),
        soft=soft,
        topic=topic,
    )


def _topic_text(raw: str, lead: int, trail: int) -> str:
    """The text without its first `lead` and last `trail` words (tokens without a word, like "?", do not count)."""
    toks = raw.split()
    while toks and (lead or not words_of(toks[0])):
        lead -= 1 if words_of(toks[0]) else 0
        toks.pop(0)
    while toks and (trail or not words_of(toks[-1])):
        trail -= 1 if words_of(toks[-1]) else 0
        toks.pop()
    return " ".join(toks).strip("?!.,;:")


_FIELDS = {"author", "authors", "by", "since", "sort", "order"}


def _filler(group: list[Term], words: frozenset) -> bool:
    if len(group) != 1 or group[0].quoted:
        return False
    t = group[0]
    return bool(_CHATTY.fullmatch(t.raw or t.text)) and all(w in words for w in t.words)


def _chat(groups: list[list[Term]]) -> tuple[int, int]:
    """The topic's groups[lead:end] without the chat filler before and after it ("any new work on | kv cache
    compression", "rlhf | papers please"): dropped only when that filler holds a marker and a topic remains."""
    lead = 0
    while lead < len(groups) and _filler(groups[lead], _FILLER):
        lead += 1
    end = len(groups)
    while end > lead and _filler(groups[end - 1], _TRAIL):
        end -= 1
    dropped = groups[:lead] + groups[end:]
    if lead >= end or not any(w in _MARKERS for g in dropped for w in g[0].words):
        return 0, len(groups)
    return lead, end
