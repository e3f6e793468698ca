"""Feedback as core calls, shared by chat commands, buttons, reactions and the CLI: vote, save, import a library.

Each write goes to the store at once (it must survive a restart) and asks the learner for a background refit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

from bot import digests as dg
from bot.library import Entry, paper_ref
from bot.models import Paper

LIKE, DISLIKE = 1, -1


@dataclass
class ImportResult:
    total: int = 0  # entries read from the file
    by_id: int = 0
    by_title: int = 0
    fetched: int = 0  # arXiv ids that were not in the store and were fetched
    unmatched: list[str] = field(default_factory=list)  # titles / ids of entries not found
    unreadable: int = 0

    @property
    def matched(self) -> int:
        return self.by_id + self.by_title

    def summary(self) -> str:
        parts = [f"Imported {self.matched} of {self.total} references as likes"]
        detail = [f"{self.by_id} by arXiv id"] if self.by_id else []
        if self.by_title:
            detail.append(f"{self.by_title} by title")
        if self.fetched:
            detail.append(f"{self.fetched} fetched from arXiv")
        text = parts[0] + (f" ({', '.join(detail)})" if detail else "") + "."
        if self.unmatched:
            text += f" {len(self.unmatched)} not found in the papers I know"
            text += ": " + "; ".join(s[:60] for s in self.unmatched[:3]) + ("…" if len(self.unmatched) > 3 else "") + "."
        if self.unreadable:
            text += f" {self.unreadable} entr{'y' if self.unreadable == 1 else 'ies'} had no title or arXiv id."
        return text


def now_iso(core) -> str:
    return dg.iso(core.clock())


def find_paper(core, text: str) -> Optional[Paper]:
    """A paper in the store from an id (arXiv or Paperwire's own), an arXiv / HF / alphaXiv / DOI link."""
    text = (text or "").strip()
    if not text:
        return None
    ref = paper_ref(text)
    return core.store.papers.get(ref or text[:200])


async def lookup(core, text: str) -> tuple[Optional[Paper], Optional[str]]:
    """(paper, None) from the store, or fetched from arXiv when it is a valid id not stored yet; (None, message)."""
    paper = find_paper(core, text)
    if paper is not None:
        return paper, None
    from bot.sources.lookup import lookup_paper

    found = await lookup_paper(core.store, core.settings, text, now=now_iso(core))
    return found.paper, found.error


def vote(core, platform: str, chat_id: str, user_id: str, paper_id: str, value: int, source: str = "button") -> int:
    """Toggle the user's vote on a paper (a second press on the same button withdraws it). Returns the vote now."""
    result = core.store.learning.toggle_vote(platform, chat_id, user_id, paper_id, value, source=source,
                                             now=now_iso(core))
    core.learner.refresh_soon(platform, chat_id)
    return result


def react(core, platform: str, chat_id: str, user_id: str, paper_id: str, value: int) -> None:
    """A reaction on a single-paper message: the vote becomes `value` (0: the reaction was removed, withdrawn)."""
    learning = core.store.learning
    if value:
        learning.set_votes(platform, chat_id, user_id, [(paper_id, value)], source="reaction", now=now_iso(core))
    else:
        learning.withdraw(platform, chat_id, user_id, paper_id)
    core.learner.refresh_soon(platform, chat_id)


def remember_message(core, platform: str, chat_id: str, message_ref: str, paper_id: str) -> None:
    core.store.learning.remember_message(platform, chat_id, message_ref, paper_id, now=now_iso(core))


def message_paper(core, platform: str, chat_id: str, message_ref: str) -> Optional[str]:
    return core.store.learning.message_paper(platform, chat_id, message_ref)


def set_votes(core, platform: str, chat_id: str, user_id: str, votes: Sequence[tuple[str, int]],
              source: str = "cli") -> int:
    n = core.store.learning.set_votes(platform, chat_id, user_id, votes, source=source, now=now_iso(core))
    core.learner.refresh_soon(platform, chat_id)
    return n


def save(core, platform: str, chat_id: str, user_id: str, paper_id: str) -> bool:
    new = core.store.learning.save(platform, chat_id, paper_id, user_id, now=now_iso(core))
    core.learner.refresh_soon(platform, chat_id)
    return new


def unsave(core, platform: str, chat_id: str, paper_id: str) -> bool:
    gone = core.store.learning.unsave(platform, chat_id, paper_id)
    core.learner.refresh_soon(platform, chat_id)
    return gone


def match_entries(core, entries: Sequence[Entry]) -> tuple[dict[int, tuple[str, str]], list[str]]:
    """entry index -> (paper id, "id" | "title"): by arXiv id first, then by normalized title; and the arXiv ids
    not in the store."""
    learning = core.store.learning
    by_arxiv = learning.ids_by_arxiv([e.arxiv_id for e in entries if e.arxiv_id])
    by_title = learning.ids_by_titles([e.norm_title for e in entries if e.norm_title])
    found: dict[int, tuple[str, str]] = {}
    missing: list[str] = []
    for i, e in enumerate(entries):
        if e.arxiv_id and e.arxiv_id in by_arxiv:
            found[i] = (by_arxiv[e.arxiv_id], "id")
        elif e.norm_title and e.norm_title in by_title:
            found[i] = (by_title[e.norm_title], "title")
        elif e.arxiv_id:
            missing.append(e.arxiv_id)
    return found, missing


async def import_entries(core, platform: str, chat_id: str, user_id: str, entries: Sequence[Entry],
                         unreadable: int = 0, fetch=None) -> ImportResult:
    """Imported references become likes. `fetch(ids) -> list[Paper]` brings arXiv ids the store lacks."""
    result = ImportResult(total=len(entries), unreadable=unreadable)
    found, missing = match_entries(core, entries)
    fetched_ids: set[str] = set()
    if missing and fetch is not None:
        try:
            papers = await fetch(sorted(set(missing)))
        except Exception:  # the network is optional here: the import still counts what matched
            papers = []
        if papers:
            core.store.papers.upsert_many(papers, now=now_iso(core))
            fetched_ids = {p.arxiv_id for p in papers if p.arxiv_id}
            found, _ = match_entries(core, entries)
    for i, e in enumerate(entries):
        if i not in found:
            result.unmatched.append(e.arxiv_id or e.title)
            continue
        if found[i][1] == "title":
            result.by_title += 1
        else:
            result.by_id += 1
            result.fetched += e.arxiv_id in fetched_ids
    ids = list(dict.fromkeys(pid for pid, _ in found.values()))
    if ids:
        core.store.learning.set_votes(platform, chat_id, user_id, [(pid, LIKE) for pid in ids], source="import",
                                      now=now_iso(core))
        core.learner.refresh_soon(platform, chat_id)
    return result


def pick_json(pick) -> dict:
    p = pick.paper
    return {"id": p.id, "arxiv_id": p.arxiv_id, "title": p.title, "score": round(pick.score, 4),
            "published": p.published, "upvotes": p.upvotes, "why": list(pick.why)}


def fetcher(core):
    """`async fetch(arxiv_ids) -> list[Paper]` for imported ids the store lacks (the arXiv API's id_list)."""
    from bot.sources.fetch import Fetcher

    async def fetch(ids: list[str]) -> list[Paper]:
        async with Fetcher.interactive(core.settings) as f:
            return (await f.arxiv_ids(ids[:500])).papers

    return fetch
