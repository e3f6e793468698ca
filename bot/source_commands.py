"""Chat commands about sources and single papers: /paper ID-or-URL, /status, /links on|off."""
from __future__ import annotations

from datetime import timezone

from bot import digests as dg
from bot.models import Chat, Message, Reply
from bot.registry import command
from bot.source_status import status_lines


def _err(text: str) -> Reply:
    return Reply(text=text, error=True)


def _now_iso(cmds) -> str:
    return cmds.core.clock().astimezone(timezone.utc).isoformat(timespec="seconds")


@command("paper", "ID-or-URL", "one paper by arXiv id or link (arXiv, Hugging Face, alphaXiv, DOI); fetched if new",
         aliases=("p",), menu="Look up a paper by arXiv id or link")
async def paper(cmds, msg: Message, chat: Chat, args: str) -> Reply:
    from bot.sources.lookup import USAGE, lookup_paper

    if not args.strip():
        return _err(USAGE)
    found = await lookup_paper(cmds.store, cmds.core.settings, args, now=_now_iso(cmds))
    if found.error or found.paper is None:
        return _err(found.error or USAGE)
    head = f"{found.paper.id}: fetched from arXiv and saved." if found.fetched else found.paper.id
    return Reply(text=head, cards=(dg.paper_card(found.paper),))


@command("status", "", "each source's last success, today's counts and any failing source",
         menu="Are the paper sources working?")
def status(cmds, msg: Message, chat: Chat, args: str) -> Reply:
    today = cmds.core.clock().astimezone(timezone.utc).date().isoformat()
    lines = status_lines(cmds.store, today)
    return Reply(text="Sources (" + today + ", UTC):\n" + "\n".join("• " + line for line in lines)
                 + f"\nPapers in the database: {cmds.store.papers.count()}")


@command("links", "on|off", "a card for each arXiv / Hugging Face link posted in this chat (default on)", admin=True,
         takes=r"(on|off)$",
         open_without_args=True, menu="Paper cards for posted links on or off")
def links(cmds, msg: Message, chat: Chat, args: str) -> Reply:
    value = args.strip().lower()
    repo = cmds.store.links
    if not value:
        state = "on" if repo.enabled(chat.platform, chat.chat_id) else "off"
        return Reply(text=f"Link cards are {state} here: a paper link posted in this chat gets a card with the "
                          "paper (once per paper per day). Change with /links on or /links off.")
    if value not in ("on", "off"):
        return _err("/links on: a card for each paper link posted here (default). /links off: none.")
    repo.set_enabled(chat.platform, chat.chat_id, value == "on")
    return Reply(text="Link cards on: paper links posted here get a card." if value == "on"
                 else "Link cards off: I'll leave posted links alone.")
