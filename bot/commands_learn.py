"""Chat commands and buttons for what the bot learns: votes, Save, /saved, /taste, /recommend, /similar, /import.

Actions: `up:<paper>` 👍, `dn:<paper>` 👎 (a second press withdraws), `sv:<paper>` Save, `usv:<paper>` Unsave,
`sim:<paper>` Similar. A vote or save is answered with a short `toast` Reply (no new message). Votes belong to the
presser (msg.user_id); the chat's model sums its members' votes. CPU work runs in a worker thread.
"""
from __future__ import annotations

import asyncio
from datetime import timedelta

from bot import digests as dg
from bot import feedback as fb
from bot.taste import MIN_POSITIVES
from bot.library import parse_library, to_bibtex
from bot.models import Attachment, Button, Chat, Message, Reply
from bot.registry import action, command
from bot.render import truncate

READY_WAIT = 5.0  # s a command waits for the first vectorization before saying it is still reading
MAX_SAVED_SHOWN = 30
STILL_READING = ("I'm still reading the papers to learn from (the first start-up takes about a minute). "
                 "Please try again shortly.")


def _err(text: str) -> Reply:
    return Reply(text=text, error=True)


def _toast(text: str) -> Reply:
    return Reply(text=text, toast=True)


def _paper(cmds, rest: str):
    return cmds.store.papers.get(rest) if rest else None


def _progress(cmds, chat: Chat) -> str:
    labels = cmds.store.learning.labels(chat.platform, chat.chat_id)
    positives = sum(1 for v in labels.values() if v > 0)
    if positives >= MIN_POSITIVES:
        return "The next digest learns from it."
    left = MIN_POSITIVES - positives
    return f"{left} more like{'s' if left != 1 else ''} or saves and I start picking papers for this chat."


# -- buttons ------------------------------------------------------------------------------------------------------
def _vote(cmds, msg: Message, chat: Chat, rest: str, value: int) -> Reply:
    paper = _paper(cmds, rest)
    if paper is None:
        return _err("I can't find that paper any more.")
    now = fb.vote(cmds.core, chat.platform, chat.chat_id, msg.user_id, paper.id, value)
    if now == 0:
        return _toast("Vote withdrawn.")
    return _toast(("👍 Liked. " if now > 0 else "👎 Noted: fewer like this. ") + _progress(cmds, chat))


@action("up")
def like(cmds, msg: Message, chat: Chat, rest: str) -> Reply:
    return _vote(cmds, msg, chat, rest, fb.LIKE)


@action("dn")
def dislike(cmds, msg: Message, chat: Chat, rest: str) -> Reply:
    return _vote(cmds, msg, chat, rest, fb.DISLIKE)


@action("sv")
def save(cmds, msg: Message, chat: Chat, rest: str) -> Reply:
    paper = _paper(cmds, rest)
    if paper is None:
        return _err("I can't find that paper any more.")
    new = fb.save(cmds.core, chat.platform, chat.chat_id, msg.user_id, paper.id)
    n = len(cmds.store.learning.saved(chat.platform, chat.chat_id))
    return _toast(("Saved. " if new else "Already saved. ") + f"/saved lists this chat's {n}.")


@action("usv")
def unsave(cmds, msg: Message, chat: Chat, rest: str) -> Reply:
    gone = fb.unsave(cmds.core, chat.platform, chat.chat_id, rest) if rest else False
    return _toast("Removed from saved papers." if gone else "That paper is not saved here.")


@action("sim")
async def similar_button(cmds, msg: Message, chat: Chat, rest: str) -> Reply:
    paper = _paper(cmds, rest)
    if paper is None:
        return _err("I can't find that paper any more.")
    return await _similar(cmds, paper)


# -- commands -----------------------------------------------------------------------------------------------------
@command("saved", "[export]", "this chat's saved papers (export: as BibTeX)", menu="Saved papers",
         takes=r"export$")
def saved(cmds, msg: Message, chat: Chat, args: str) -> Reply:
    ids = cmds.store.learning.saved(chat.platform, chat.chat_id)
    if args.strip().lower() not in ("", "export", "bibtex", "bib"):
        return _err("/saved lists the saved papers; /saved export sends them as a BibTeX file.")
    if not ids:
        return Reply(text="No saved papers yet. Press Save under any paper.")
    papers = cmds.store.papers.get_many(ids)
    ordered = [papers[i] for i in ids if i in papers]
    if args.strip():
        bib = to_bibtex(ordered)
        return Reply(text=f"{len(ordered)} saved paper{'s' if len(ordered) != 1 else ''} as BibTeX:",
                     document=Attachment(name="paperwire-saved.bib", data=bib.encode("utf-8")))
    shown = ordered[:MAX_SAVED_SHOWN]
    lines = [f"{i}. {truncate(p.title, 160)} ({p.arxiv_id or p.id}{', ' + p.published if p.published else ''})"
             for i, p in enumerate(shown, 1)]
    more = f"\n… and {len(ordered) - len(shown)} more: /saved export has them all." if len(ordered) > len(shown) else ""
    buttons = tuple(Button(f"Unsave {i}", f"usv:{p.id}") for i, p in enumerate(shown, 1))
    return Reply(text=f"Saved papers ({len(ordered)}):\n" + "\n".join(lines) + more, buttons=buttons,
                 footer="/saved export: a BibTeX file of them all.")


async def _ready(cmds) -> bool:
    return await cmds.core.learner.ensure_ready(timeout=READY_WAIT)


@command("taste", "[reset]", "what this chat's picks learned: top terms and vote counts (reset: forget the votes)",
         takes=r"reset$",
         menu="What your picks learned")
async def taste(cmds, msg: Message, chat: Chat, args: str) -> Reply:
    word = args.strip().lower()
    learning = cmds.store.learning
    if word == "reset":
        refused = await cmds.refusal(msg)
        if refused is not None:
            return refused
        n = learning.reset(chat.platform, chat.chat_id)
        cmds.core.learner.refresh_soon(chat.platform, chat.chat_id)
        return Reply(text=f"Forgot {n} vote{'s' if n != 1 else ''} and imports. Saved papers stay saved but no "
                          "longer teach the picks; digests are back to plain relevance order.")
    if word:
        return _err("/taste shows what the picks learned; /taste reset forgets this chat's votes.")
    if not await _ready(cmds):
        return Reply(text=STILL_READING)
    t = await asyncio.to_thread(cmds.core.learner.taste, chat.platform, chat.chat_id)
    c = t.counts
    head = (f"Votes: {c['likes']} 👍, {c['dislikes']} 👎 from {c['voters']} "
            f"{'person' if c['voters'] == 1 else 'people'}; {c['saved']} saved; {c['imported']} imported.")
    if not t.active:
        return Reply(text=head + f"\nPicks start at {MIN_POSITIVES} likes, saves or imported papers. "
                                 "Press 👍 under papers you like, or /import a .bib file.")
    pos = ", ".join(term for term, _ in t.positive) or "-"
    neg = ", ".join(term for term, _ in t.negative) or "-"
    return Reply(text=f"{head}\nMore of: {pos}\nLess of: {neg}",
                 footer="These terms re-rank digest sections and choose \"Picked for you\". /taste reset forgets.")


@command("recommend", "", "top picks for this chat from the last 7 days", aliases=("picks",), menu="Picked for you")
async def recommend(cmds, msg: Message, chat: Chat, args: str) -> Reply:
    if not await _ready(cmds):
        return Reply(text=STILL_READING)
    learner = cmds.core.learner
    model = await learner.refresh(chat.platform, chat.chat_id)
    if model is None:
        return Reply(text=f"I pick papers once this chat has {MIN_POSITIVES} likes, saves or imported papers. "
                          "Press 👍 under papers you like, or /import a .bib file.")
    now = cmds.core.clock()
    picks = await asyncio.to_thread(learner.recommend, chat.platform, chat.chat_id, now, 7, 5)
    if not picks:
        return Reply(text="No papers from the last 7 days to pick from yet.")
    cards = tuple(dg.paper_card(p.paper, why=("liked terms: " + ", ".join(p.why),) if p.why else ()) for p in picks)
    since = (now - timedelta(days=7)).date()
    return Reply(text=f"Picked for you from papers since {since:%d %b} (by what this chat liked):", cards=cards,
                 footer="/taste shows what drives the picks.")


async def _similar(cmds, paper) -> Reply:
    if not await _ready(cmds):
        return Reply(text=STILL_READING)
    near = await asyncio.to_thread(cmds.core.learner.similar, paper, 5)
    if not near:
        return Reply(text=f"I found no papers similar to “{truncate(paper.title, 120)}”.")
    cards = tuple(dg.paper_card(p.paper, why=("shares: " + ", ".join(p.why),) if p.why else ()) for p in near)
    return Reply(text=f"{len(cards)} papers similar to “{truncate(paper.title, 120)}”:", cards=cards)


@command("similar", "ID-or-URL", "the 5 papers most like one paper (arXiv id, arXiv or HF link)",
         menu="Papers like this one")
async def similar(cmds, msg: Message, chat: Chat, args: str) -> Reply:
    ref = args.strip()
    if not ref:
        return _err("Which paper? e.g. /similar 2402.13214 or /similar https://arxiv.org/abs/2402.13214")
    paper, error = await fb.lookup(cmds.core, ref)
    if paper is None:
        return _err(error or f"I can't find the paper {truncate(ref, 80)}.")
    return await _similar(cmds, paper)


@command("import", "(attach a .bib file)", "a BibTeX or Zotero CSV library: its papers count as likes",
         admin=True, menu="Import a .bib library")
async def import_library(cmds, msg: Message, chat: Chat, args: str) -> Reply:
    file = msg.attachment
    if file is None:
        return _err("Attach a .bib file (or a Zotero CSV export) to a message with the caption /import, or reply "
                    "/import to one. On the server: paperwire import-library --chat PLATFORM:ID FILE")
    entries, bad, error = parse_library(file.data, file.name)
    if error:
        return _err(error)
    result = await fb.import_entries(cmds.core, chat.platform, chat.chat_id, msg.user_id, entries, unreadable=bad,
                                     fetch=fb.fetcher(cmds.core))
    return Reply(text=result.summary() + " " + _progress(cmds, chat) if result.matched else result.summary())
