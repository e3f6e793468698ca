"""Button presses: the core made each action string (<= 64 bytes), the adapter hands it back verbatim.

more:<qid>:<offset>  next search page      fol:<qid>        follow a search      unf:<topic_id>  unfollow
abs:<paper_id>       show the abstract     share:<paper_id> post a paper visibly
dsec:<claim_id>:<i>  the rest of one topic's section of a digest (older `dmore:` buttons have expired)
tz:<Zone>            accept a time-zone suggestion
An action can be old (sent days ago) or forged: every id is checked against this chat before it is used.
Each kind is registered in bot/registry.py (`@action(prefix, admin=...)`); admin actions are refused to non-admins
in groups and channels exactly like the commands they stand for.
"""
from __future__ import annotations

from typing import Optional

from bot import digests as dg
from bot import registry
from bot.models import Card, Chat, Message, Reply
from bot.registry import action

EXPIRED = Reply(text="That button has expired. Please run the command again.", error=True)


def _num(text: str) -> Optional[int]:
    """A stored id from action text: ASCII digits that fit SQLite's INTEGER, else None (forged data never raises)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


async def handle_action(cmds, msg: Message, chat: Chat) -> Reply:
    kind, _, rest = (msg.action or "").partition(":")
    spec = registry.find_action(kind)
    if spec is None:
        return EXPIRED
    if spec.admin:
        refused = await cmds.refusal(msg)
        if refused is not None:
            return refused
    result = spec.handler(cmds, msg, chat, rest)
    return await result if hasattr(result, "__await__") else result


@action("more")
def more(cmds, msg: Message, chat: Chat, rest: str) -> Reply:
    qid, _, offset = rest.partition(":")
    n, start = _num(qid), _num(offset)
    text = cmds.store.chats.get_query(chat.platform, chat.chat_id, n) if n is not None else None
    if text is None or start is None:
        return EXPIRED
    return cmds.search(msg, chat, text, offset=min(start, 10_000))


@action("fol", admin=True)
def follow_search(cmds, msg: Message, chat: Chat, rest: str) -> Reply:
    n = _num(rest)
    text = cmds.store.chats.get_query(chat.platform, chat.chat_id, n) if n is not None else None
    return cmds.follow(msg, chat, text) if text else EXPIRED


@action("unf", admin=True)
def unfollow(cmds, msg: Message, chat: Chat, rest: str) -> Reply:
    n = _num(rest)
    removed = cmds.store.chats.remove_topic(chat.platform, chat.chat_id, n) if n is not None else None
    if removed is None:
        return Reply(text="That topic is no longer followed here. /topics shows the current list.", error=True)
    return Reply(text=f"Unfollowed “{removed}”.")


def _paper(cmds, rest: str):
    return cmds.store.papers.get(rest) if rest else None


@action("abs")
def abstract(cmds, msg: Message, chat: Chat, rest: str) -> Reply:
    paper = _paper(cmds, rest)
    if paper is None:
        return Reply(text="I can't find that paper any more.", error=True)
    return Reply(cards=(Card(paper=paper, snippet=paper.abstract, show_abstract=True),))


@action("share")
def share(cmds, msg: Message, chat: Chat, rest: str) -> Reply:
    paper = _paper(cmds, rest)
    if paper is None:
        return Reply(text="I can't find that paper any more.", error=True)
    who = msg.user_name or "Someone"
    return Reply(text=f"{who} shared a paper:", cards=(dg.paper_card(paper, share=False),), broadcast=True)


@action("dsec")
def digest_section_more(cmds, msg: Message, chat: Chat, rest: str) -> Reply:
    """"Show K more for this topic": the rest of one section of a digest this chat was sent."""
    store = cmds.store
    cid, _, sec = rest.partition(":")
    claim = store.deliveries.get_claim(_num(cid)) if _num(cid) is not None else None
    if not claim or (claim["platform"], claim["chat_id"]) != (chat.platform, chat.chat_id):
        return EXPIRED
    sections = claim["sections"]
    index = _num(sec)
    if index is None or index >= len(sections):
        return EXPIRED
    topic, ids = sections[index]["topic"], sections[index]["more"]
    papers = store.papers.get_many(ids)
    cards = tuple(dg.paper_card(papers[i], why=(topic,)) for i in ids if i in papers)
    if not cards:
        return Reply(text="No more papers for that topic in this digest.")
    store.deliveries.record_deliveries(claim["chat_pk"], [c.paper.id for c in cards], now=cmds.now_iso(),
                                       claim_id=claim["id"])
    # added under the digest message the button was on, where the platform lets us edit it
    return Reply(text=f"{len(cards)} more for “{topic}” from the digest of {claim['local_date']}:", cards=cards,
                 replace=True, extend=True)


@action("tz", admin=True)
def timezone(cmds, msg: Message, chat: Chat, rest: str) -> Reply:
    from bot.commands import resolve_zone

    name, _ = resolve_zone(rest)
    from bot.commands_settings import set_zone

    return set_zone(cmds, msg, chat, name) if name else EXPIRED
