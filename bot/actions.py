"""Button presses: the core made each action string (<= 64 bytes), the adapter hands it back verbatim.

more:<qid>:<offset>  next search page      fol:<qid>        follow a search      unf:<topic_id>  unfollow
abs:<paper_id>       show the abstract     share:<paper_id> post a paper visibly dmore:<claim_id> rest of a digest
tz:<Zone>            accept a time-zone suggestion
An action can be old (sent days ago) or forged: every id is checked against this chat before it is used.
"""
from __future__ import annotations

from bot import digests as dg
from bot.models import Card, Chat, Message, Reply

EXPIRED = Reply(text="That button has expired. Please run the command again.", error=True)
SETTINGS = {"fol", "unf", "tz"}


async def handle_action(cmds, msg: Message, chat: Chat) -> Reply:
    kind, _, rest = (msg.action or "").partition(":")
    if kind in SETTINGS and not await cmds.allowed(msg):
        from bot.commands import NOT_ADMIN

        return Reply(text=NOT_ADMIN, error=True)
    store = cmds.store
    if kind == "more":
        qid, _, offset = rest.partition(":")
        text = store.chats.get_query(int(qid)) if qid.isdigit() else None
        if text is None or not offset.isdigit():
            return EXPIRED
        return cmds.search(msg, chat, text, offset=min(int(offset), 10_000))
    if kind == "fol":
        text = store.chats.get_query(int(rest)) if rest.isdigit() else None
        return cmds.follow(msg, chat, text) if text else EXPIRED
    if kind == "unf":
        removed = store.chats.remove_topic(chat.platform, chat.chat_id, int(rest)) if rest.isdigit() else None
        if removed is None:
            return Reply(text="That topic is no longer followed here. /topics shows the current list.")
        return Reply(text=f"Unfollowed “{removed}”.")
    if kind in ("abs", "share"):
        paper = store.papers.get(rest) if rest else None
        if paper is None:
            return Reply(text="I can't find that paper any more.", error=True)
        if kind == "abs":
            return Reply(cards=(Card(paper=paper, snippet=paper.abstract, show_abstract=True),))
        who = msg.user_name or "Someone"
        return Reply(text=f"{who} shared a paper:", cards=(dg.paper_card(paper, share=False),), broadcast=True)
    if kind == "dmore":
        claim = store.chats.get_claim(int(rest)) if rest.isdigit() else None
        if not claim or (claim["platform"], claim["chat_id"]) != (chat.platform, chat.chat_id):
            return EXPIRED
        ids = claim["paper_ids"][cmds.core.builder.size:]
        papers = store.papers.get_many(ids)
        cards = tuple(dg.paper_card(papers[i]) for i in ids if i in papers)
        if not cards:
            return Reply(text="No more papers in that digest.")
        store.chats.record_deliveries(chat.platform, chat.chat_id, [c.paper.id for c in cards],
                                      now=cmds.now_iso(), claim_id=claim["id"])
        return Reply(text=f"{len(cards)} more from the digest of {claim['local_date']}:", cards=cards)
    if kind == "tz":
        from bot.commands import resolve_zone

        name, _ = resolve_zone(rest)
        return cmds.set_zone(msg, chat, name) if name else EXPIRED
    return EXPIRED
