"""Plain, frozen data shared by the core, the store and the adapters.

Nothing here talks to a database or a platform: these are the words the parts use with each other.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Optional

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_VERSION = re.compile(r"v\d+$")


def normalize_title(title: str) -> str:
    """Lowercase, every run of non-word characters -> one space (the dev-queries convention)."""
    return _NON_WORD.sub(" ", (title or "").lower()).strip()


def title_key(title: str) -> str:
    """A stable id for a paper that has no arXiv id, derived from its normalized title."""
    return "t-" + hashlib.sha1(normalize_title(title).encode("utf-8")).hexdigest()[:12]


def strip_version(arxiv_id: str) -> str:
    """`2402.13214v3` -> `2402.13214`; `math/0502287v1` -> `math/0502287`."""
    return _VERSION.sub("", (arxiv_id or "").strip())


@dataclass(frozen=True)
class Paper:
    """One paper, whichever source it came from. `id` is the versionless arXiv id, or `title_key` when unknown."""

    id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    arxiv_id: Optional[str] = None
    published: Optional[str] = None  # YYYY-MM-DD (arXiv v1 / listing date)
    hf_date: Optional[str] = None  # YYYY-MM-DD, the Hugging Face daily-papers day
    upvotes: Optional[int] = None
    comments: Optional[int] = None
    categories: tuple[str, ...] = ()
    github_repo: Optional[str] = None
    sources: tuple[str, ...] = ()  # e.g. ("hf", "arxiv", "seed")
    first_seen: Optional[str] = None  # ISO-8601 UTC, set by the store on first ingest
    # Hugging Face extras, where the API gives them
    github_stars: Optional[int] = None
    project_page: Optional[str] = None
    ai_summary: str = ""
    ai_keywords: tuple[str, ...] = ()

    @classmethod
    def make(cls, title: str, arxiv_id: Optional[str] = None, **fields) -> "Paper":
        """Build a paper with its id derived the one right way."""
        aid = strip_version(arxiv_id) if arxiv_id else None
        return cls(id=aid or title_key(title), title=title, arxiv_id=aid or None, **fields)

    @property
    def url(self) -> str:
        """Where a reader should land: the HF page for HF papers, else arXiv, else a title search."""
        if self.arxiv_id and self.hf_date:
            return f"https://huggingface.co/papers/{self.arxiv_id}"
        if self.arxiv_id:
            return f"https://arxiv.org/abs/{self.arxiv_id}"
        from urllib.parse import quote_plus

        return "https://arxiv.org/search/?searchtype=title&query=" + quote_plus(self.title)


@dataclass(frozen=True)
class Hit:
    """A search result: the paper, its score, and which query terms matched (for highlighting and 'why')."""

    paper: Paper
    score: float
    matched: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    """What `Searcher.search` answers. `error` is a user-facing message; `note` e.g. 'Showing results for ...'."""

    query: str
    hits: tuple[Hit, ...] = ()
    total: int = 0
    error: Optional[str] = None
    note: Optional[str] = None


@dataclass(frozen=True)
class Chat:
    """A conversation the bot is in: a Telegram chat/channel, a Slack channel or DM, or the console."""

    platform: str
    chat_id: str
    kind: str = "private"  # private | group | channel
    tz: str = "UTC"
    digest_time: str = "08:00"  # HH:MM local
    paused: bool = False
    active: bool = True
    notify_empty: bool = False  # opt-in one-liner when nothing matched
    created_at: Optional[str] = None  # ISO-8601 UTC
    title: str = ""
    # schedule bookkeeping (filled by the store's one row -> Chat mapper)
    pk: int = 0
    subscribed_at: Optional[str] = None  # first follow: no digest for a day before it
    digest_seq: Optional[int] = None  # the next digest holds papers committed after this ingest sequence number
    digest_since: Optional[str] = None  # the instant the previous digest's window ended (or the first follow)
    frequency: str = "daily"  # daily | weekdays | weekly:<mon..sun>
    trending_n: Optional[int] = None
    trending_time: Optional[str] = None
    trending_topics: bool = False
    trending_since: Optional[str] = None
    trending_day: Optional[str] = None

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.chat_id}"


@dataclass(frozen=True)
class Button:
    """A button; `action` is the callback payload: short, stable across restarts, <= 64 bytes UTF-8."""

    label: str
    action: str
    url: Optional[str] = None  # a link button instead of a callback


@dataclass(frozen=True)
class Card:
    """A paper as shown in a reply: `matched` terms to highlight, `why` the topics that selected it."""

    paper: Paper
    matched: tuple[str, ...] = ()
    why: tuple[str, ...] = ()
    snippet: str = ""
    buttons: tuple[Button, ...] = ()
    show_abstract: bool = False  # render the full abstract instead of the snippet


@dataclass(frozen=True)
class Section:
    """A titled group of cards inside a reply (a digest's topic), with its own buttons ("Show 4 more ...")."""

    title: str
    cards: tuple[Card, ...] = ()
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Attachment:
    """A file: one the user sent with a command (e.g. a .bib for /import), or one a Reply sends (a BibTeX export)."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Reply:
    """A platform-neutral answer. `text` is plain text (adapters escape it); cards render as paper entries.

    `broadcast` asks the adapter to post visibly in the chat (Slack: not ephemeral); `footer` follows the cards.
    `first_number` numbers the cards (a second page of results shows 6-10); `replace` (an answer to a button press)
    asks the adapter to edit the message holding the button instead of posting a new one, where the platform allows;
    with `extend` the reply is added under that message's content ("Show K more") instead of replacing it.
    """

    text: str = ""
    cards: tuple[Card, ...] = ()
    buttons: tuple[Button, ...] = ()
    footer: str = ""
    broadcast: bool = False
    error: bool = False  # the text explains a problem with the user's input
    sections: tuple[Section, ...] = ()  # rendered after `cards`, before `footer`
    first_number: int = 1
    replace: bool = False
    extend: bool = False  # with replace: add under the pressed message's content (its pressed button goes)
    toast: bool = False  # a button press acknowledged in place (Telegram: answerCallbackQuery text; Slack: ephemeral)
    document: Optional[Attachment] = None  # a file to send with the text (platforms without files show it inline)


AdminCheck = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class ChannelInfo:
    """The adapter's answer to "connect this channel": its id, or a user-facing reason it cannot be connected."""

    chat_id: Optional[str] = None
    title: str = ""
    error: Optional[str] = None


ChannelResolver = Callable[[str], Awaitable[ChannelInfo]]


@dataclass(frozen=True)
class Message:
    """One thing a user did: typed a command (`text`) or pressed a button (`action`).

    `is_admin` lets the core ask the platform lazily whether the sender may change this chat's settings.
    """

    platform: str
    chat_id: str
    user_id: str
    text: str = ""
    action: Optional[str] = None
    chat_kind: str = "private"
    user_name: str = ""
    chat_title: str = ""
    is_admin: Optional[AdminCheck] = None
    resolve_channel: Optional[ChannelResolver] = None  # "@name" -> ChannelInfo (user and bot both admins there)
    attachment: Optional[Attachment] = None  # a file sent with the command (Telegram: a document with a caption)


@dataclass(frozen=True)
class DigestPaper:
    """One paper of a digest section: `matched` names every topic of the chat it matched."""

    paper: Paper
    matched: tuple[str, ...]


@dataclass(frozen=True)
class DigestSection:
    """One topic's part of a digest: its best papers, and how many more it matched (`count` in all)."""

    topic: str
    count: int
    papers: tuple[DigestPaper, ...]
    more_ids: tuple[str, ...] = ()  # what "Show K more for this topic" shows


@dataclass(frozen=True)
class Digest:
    """A claimed, ready-to-send message for one chat: a topic digest or a trending post for `local_date`.

    `sections` are the topic digest's content and `notes` lines said above them; later additions (picks, ...) go
    beside them. `reply` is the neutral rendering adapters turn into parts. The window is a range of the ingest
    sequence (`seq_lo`, `seq_hi`] and the instants it stands for."""

    claim_id: int
    chat: Chat
    kind: str  # "digest" | "trending"
    local_date: str  # YYYY-MM-DD in the chat's time zone
    reply: Reply
    paper_ids: tuple[str, ...] = ()
    sections: tuple[DigestSection, ...] = ()
    picks: tuple[DigestPaper, ...] = ()  # "Picked for you": matched no topic, the chat's model scores them high
    notes: tuple[str, ...] = ()
    window_start: Optional[str] = None
    window_end: Optional[str] = None
    seq_lo: Optional[int] = None
    seq_hi: Optional[int] = None
    parts: tuple["Part", ...] = ()  # fixed with the claim by the builder's thread (empty: the sender renders them)


@dataclass(frozen=True)
class Slot:
    """A (chat, local date, kind) that is due and may be claimed."""

    chat_pk: int
    local_date: str
    kind: str


@dataclass(frozen=True)
class ClaimState:
    """An existing claim as the planner sees it."""

    id: int
    chat_pk: int
    local_date: str
    kind: str
    status: str  # claimed | retry | sent | empty | failed
    claimed_at: str
    lease_until: Optional[str]
    retry_at: Optional[str]
    attempts: int


@dataclass(frozen=True)
class Claim:
    """A claim this process holds, with its chat. `built`: its content was fixed before (a retry or takeover)."""

    id: int
    chat: Chat
    kind: str
    local_date: str
    attempts: int = 1
    window_lo: Optional[int] = None
    window_hi: Optional[int] = None
    built: bool = False


@dataclass(frozen=True)
class Part:
    """One message of a claim, fixed before sending; `sent` once the platform confirmed it (`message_id`)."""

    claim_id: int
    index: int
    payload: str
    sent: bool = False
    message_id: Optional[str] = None
    started: bool = False


@dataclass(frozen=True)
class DeliveryResult:
    """What an adapter reports after trying to send a Digest.

    status: "sent" | "blocked" (bot removed/blocked, chat deleted, not in channel) | "migrated" (new_chat_id set,
    retry later) | "retry" (temporary failure: try again on a later tick, without duplicates) | "wait" (nothing
    reached the chat: pacing or a 429; try this part again after `retry_after` seconds).
    """

    status: str
    message_ref: Optional[str] = None
    new_chat_id: Optional[str] = None
    detail: str = ""
    retry_after: float = 0.0


@dataclass
class IngestReport:
    """Counts from one ingest: new rows, changed rows, unchanged/invalid, and why items were skipped."""

    added: int = 0
    updated: int = 0
    skipped: int = 0  # everything neither added nor updated: unchanged + repeated + invalid
    problems: list[str] = field(default_factory=list)
    unchanged: int = 0  # already stored, nothing new
    repeated: int = 0  # the same paper again within one input (a listing names a cross-list twice)

    @property
    def invalid(self) -> int:
        """Items dropped as unusable (listed in `problems`)."""
        return max(0, self.skipped - self.unchanged - self.repeated)

    def merge(self, other: "IngestReport") -> "IngestReport":
        self.added += other.added
        self.updated += other.updated
        self.skipped += other.skipped
        self.unchanged += other.unchanged
        self.repeated += other.repeated
        self.problems.extend(other.problems)
        return self


@dataclass(frozen=True)
class SourceDay:
    """What one source did on one day: `status` "ok" (papers announced), "empty" (no announcement: weekend,
    holiday) or "failed" (could not be read; nothing is known about that day)."""

    source: str  # "hf", "arxiv:cs.CL"
    day: str  # YYYY-MM-DD: the HF day, or arXiv's announcement day
    status: str
    items: int = 0
    added: int = 0
    updated: int = 0
    checked_at: Optional[str] = None  # ISO-8601 UTC
    error: str = ""


@dataclass(frozen=True)
class SourceState:
    """A source's health: its last success and, while it fails, since when and why."""

    source: str
    last_success: Optional[str] = None
    last_attempt: Optional[str] = None
    failing_since: Optional[str] = None
    last_error: str = ""


@dataclass(frozen=True)
class CodeRelease:
    """A stored paper that later gained a code repository (`at`, ISO UTC): a digest's "code released" line."""

    paper: Paper
    pk: int
    at: str
