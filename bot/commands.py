"""One command grammar for every platform: text or button action -> Core/store calls -> a neutral Reply.

Adapters pass text through untouched ("/search@PaperwireBot q" works: the @BotName suffix is stripped here).
Plain text in a chat is a search. Settings changes in groups and channels need `await message.is_admin()`;
search, /topics, /trending and /settings are open to everyone. From a private chat, a leading `@name` argument
(`/follow @mychannel diffusion`) acts on a channel the adapter resolved and checked admin rights for.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Optional

from rapidfuzz import fuzz, process

from bot import digests as dg
from bot import registry
from bot.registry import command
from bot.models import Button, Chat, Message, Reply
from bot.render import truncate
from bot.timezones import resolve_zone  # noqa: F401 - the console and older imports use it from here

log = logging.getLogger(__name__)

PAGE = 5
MAX_TOPICS = 50
MAX_TRENDING = 25

INTRO = "Paperwire finds research papers and tells you about new ones every day."


def help_text(aliases: bool = True) -> str:
    """/help, derived from the command registry (bot/registry.py)."""
    return INTRO + "\n\n" + "\n".join(registry.help_lines(aliases))


CHECK_FAILED = ("I couldn't check with the platform that you are an admin of this chat, so nothing was changed. "
                "Please try again in a minute.")
NOT_ADMIN = "Only admins of this chat can change its settings. Search, /topics and /trending work for everyone."


def err(text: str) -> Reply:
    return Reply(text=text, error=True)


def q(text: str) -> str:
    return "“" + truncate(text, 120) + "”"


def one_to(n: int) -> str:
    """"1-3", or "1" when there is only one to pick."""
    return "1" if n == 1 else f"1-{n}"


def aimed(reply: Reply, handle: str) -> Reply:
    """An answer about another chat (`/follow @team ...`): its /commands point at @team too."""
    import dataclasses
    import re

    names = "|".join(sorted((c.name for c in registry.commands() if c.target), key=len, reverse=True))
    rx = re.compile(r"(?<![\w/])/(" + names + r")\b(?! @)")
    fix = lambda t: rx.sub(lambda m: f"/{m.group(1)} {handle}", t) if t else t  # noqa: E731
    return dataclasses.replace(reply, text=fix(reply.text), footer=fix(reply.footer))


class Commands:
    def __init__(self, core):
        self.core = core
        self.store = core.store

    def now_iso(self) -> str:
        return dg.iso(self.core.clock())

    # -- routing -----------------------------------------------------------------------------------------------------
    async def dispatch(self, msg: Message) -> Reply:
        chat = self.core.ensure_chat(msg.platform, msg.chat_id, msg.chat_kind or "private", msg.chat_title)
        if msg.action:
            from bot.actions import handle_action

            return await handle_action(self, msg, chat)
        text = (msg.text or "").strip()
        if not text:
            return self.help(msg, chat, "")
        if not text.startswith("/"):
            return self.search(msg, chat, text)
        head, _, args = text[1:].partition(" ")
        if "\n" in head:
            head, _, rest = head.partition("\n")
            args = rest + " " + args
        name = head.split("@", 1)[0].lower()
        args = args.strip()
        spec = registry.lookup(name)
        if spec is None:
            known = [c.name for c in registry.commands()]
            guess = process.extractOne(name, known, scorer=fuzz.ratio, score_cutoff=60) if name else None
            hint = f" Did you mean /{guess[0]}?" if guess else ""
            return err(f"I don't know the command /{truncate(name, 30)}.{hint} Send /help for the list.")
        target, handle = chat, ""
        if spec.target and msg.chat_kind == "private" and args.startswith("@"):
            handle, _, args = args.partition(" ")
            resolved = await self.resolve_channel(msg, handle)
            if isinstance(resolved, Reply):
                return resolved
            target, args = resolved, args.strip()
        if spec.needs_admin(args) and target is chat:
            refused = await self.refusal(msg)
            if refused is not None:
                return refused
        result = spec.handler(self, msg, target, args)
        reply = await result if hasattr(result, "__await__") else result
        return aimed(reply, handle) if handle and isinstance(reply, Reply) else reply

    async def resolve_channel(self, msg: Message, handle: str):
        if msg.resolve_channel is None:
            return err("Connecting a channel is not available on this platform.")
        info = await msg.resolve_channel(handle)
        if info.error or not info.chat_id:
            return err(info.error or f"I could not find the channel {truncate(handle, 60)}.")
        return self.core.ensure_chat(msg.platform, info.chat_id, "channel", info.title or handle)

    @staticmethod
    async def refusal(msg: Message) -> Optional[Reply]:
        """None when the actor may change this chat's settings; else the refusal to show. Fails closed: when the
        platform cannot be asked, nothing changes and the user is told why (and it is logged)."""
        if (msg.chat_kind or "private") == "private" or msg.is_admin is None:
            return None
        try:
            ok = bool(await msg.is_admin())
        except Exception as e:
            log.warning("admin check failed (refused): platform=%s chat=%s user=%s: %s",
                        msg.platform, msg.chat_id, msg.user_id, type(e).__name__)
            return err(CHECK_FAILED)
        return None if ok else err(NOT_ADMIN)

    async def allowed(self, msg: Message) -> bool:
        return await self.refusal(msg) is None

    @staticmethod
    def where(msg: Message, target: Chat) -> str:
        """' for #channel' when acting on another chat than the one typed in."""
        if target.chat_id == msg.chat_id and target.platform == msg.platform:
            return ""
        return f" for {target.title or target.chat_id}"

    # -- commands ----------------------------------------------------------------------------------------------------
    @command("start", "", "welcome and this help", in_help=False, group_menu=False, menu="Welcome")
    def start(self, msg: Message, chat: Chat, args: str) -> Reply:
        name = f", {msg.user_name}" if msg.user_name else ""
        return Reply(text=f"Hi{name}! " + help_text(msg.platform != "slack"), footer="Try: /follow diffusion -medical")

    @command("help", "", "this list", menu="How to use Paperwire")
    def help(self, msg: Message, chat: Chat, args: str) -> Reply:
        extra = "" if chat.kind == "private" else "\n\nIn groups and channels, changing follows and settings may be limited to admins."
        return Reply(text=help_text(msg.platform != "slack") + extra)

    @command("search", "QUERY", "search papers (or just type words). e.g. flash attention, \"state space\" OR mamba, "
             "author:Hinton, diffusion -medical", aliases=("papers", "find", "s"), menu="Search papers: /search flash attention")
    def search(self, msg: Message, chat: Chat, args: str, offset: int = 0) -> Reply:
        text = args.strip()
        if not text:
            return err("What should I search for? e.g. /search diffusion transformer -medical")
        res = self.core.searcher.search(text, limit=PAGE, offset=offset, now=self.core.clock())
        if res.error:
            return err(res.error)
        qid = self.store.chats.save_query(chat.platform, chat.chat_id, text[:1000], now=self.now_iso())
        follow = Button("Follow this search", f"fol:{qid}")
        note = f"\n{res.note}" if res.note else ""
        if not res.hits:
            more = " No more results." if offset else ""
            return Reply(text=f"No papers match {q(text)}.{more}{note}", buttons=(follow,))
        shown = offset + len(res.hits)
        from bot.search import STRICT_CAP  # totals are counted up to the cap + 1: beyond it, say so, not "3001"

        total = f"more than {STRICT_CAP:,}" if res.total > STRICT_CAP else f"{res.total:,}"
        head = (f"{total[0].upper() + total[1:]} paper{'s' if res.total != 1 else ''} for {q(text)}" if offset == 0
                else f"Results {offset + 1}-{shown} of {total} for {q(text)}")
        buttons = [follow]
        if shown < res.total:
            buttons.insert(0, Button("More results", f"more:{qid}:{shown}"))
        cards = tuple(dg.paper_card(h.paper, h.matched) for h in res.hits)
        # a later page answers "More results": it replaces the page it was pressed on, numbered on (6-10)
        return Reply(text=head + note, cards=cards, buttons=tuple(buttons), first_number=offset + 1,
                     replace=offset > 0)

    @command("follow", "TOPIC", "get new papers for a topic in your daily digest (same query language)",
             aliases=("subscribe",), admin=True, target=True, menu="Follow a topic in your daily digest")
    def follow(self, msg: Message, chat: Chat, args: str) -> Reply:
        from bot.query import parse, topic_limit_error, unknown_words_error

        text = " ".join(args.split())
        if not text:
            return err("What should I follow? e.g. /follow diffusion -medical  or  /follow author:\"Yann LeCun\"")
        parsed = parse(text)
        if parsed.error:
            return err(parsed.error)
        typed, (text, said) = text, self.core.searcher.topic_form(text)  # "difusion" is saved as "diffusion"
        parsed = parse(text)
        said = f" (I {said})" if said else ""
        too_big = topic_limit_error(text, parsed) or unknown_words_error(self.core.searcher.unknown_words(text))
        if too_big:
            return err(too_big)
        # the first digest covers papers first seen after this second (not the ones loaded in the same second)
        since = dg.iso(self.core.clock() + timedelta(seconds=1))
        old = next((t for t in self.store.chats.topics(chat.platform, chat.chat_id)  # saved before corrections
                    if parse(self.core.searcher.topic_form(t["query"])[0]).canonical() == parsed.canonical()), None)
        status, topic = ("duplicate", old) if old else self.store.chats.add_topic(
            chat.platform, chat.chat_id, text[:500], parsed.canonical(), now=self.now_iso(), max_topics=MAX_TOPICS,
            since=since)
        if status == "duplicate":
            same = "" if topic["query"] == typed else " (the same topic, written differently)"
            return Reply(text=f"You already follow {q(topic['query'])}{same}{self.where(msg, chat)}. See /topics.")
        if status == "full":
            return err(f"You follow {MAX_TOPICS} topics{self.where(msg, chat)}, the most I keep. /unfollow one first.")
        now = self.core.clock()
        n, hits, period = self.core.follow_preview(text, now)  # the digests' own engine and freshness rule
        head = (f"Following {q(text)}{said}{self.where(msg, chat)}. {period[0].upper() + period[1:]} it would have matched "
                f"{n} paper{'s' if n != 1 else ''}" + (f"; the top {min(3, len(hits))}:" if hits else "."))
        fresh = self.store.chats.get(chat.platform, chat.chat_id) or chat
        when = dg.next_run(fresh.tz, fresh.digest_time, now, fresh.frequency).astimezone(dg.zone(fresh.tz))
        cadence = dg.describe_frequency(fresh.frequency)
        footer = (f"New matches arrive in the digest ({cadence}) at {fresh.digest_time} ({fresh.tz}), next on "
                  f"{when:%a %d %b}. /time HH:MM, /timezone Area/City and /frequency change it.")
        if fresh.paused:  # no promise of a next time while paused
            footer = (f"Digests are paused: /resume to get them {cadence} at {fresh.digest_time} ({fresh.tz}). "
                      "/time HH:MM, /timezone Area/City and /frequency change it.")
        cards = tuple(dg.paper_card(h.paper, h.matched, share=False) for h in hits[:3])
        return Reply(text=head, cards=cards, footer=footer)

    @command("unfollow", "TOPIC or NUMBER", "stop following", aliases=("unsubscribe",), admin=True, target=True,
             menu="Stop following a topic")
    def unfollow(self, msg: Message, chat: Chat, args: str) -> Reply:
        from bot.query import parse

        topics = self.store.chats.topics(chat.platform, chat.chat_id)
        if not topics:
            return err(f"Nothing to unfollow{self.where(msg, chat)}: no topics followed yet.")
        text = " ".join(args.split())
        if not text:
            return err("Which topic? /unfollow 2  or  /unfollow diffusion -medical (see /topics for the numbers).")
        if text.isdigit():
            n = int(text)
            if not 1 <= n <= len(topics):
                return err(f"There is no topic number {n}; pick {one_to(len(topics))} (see /topics).")
            topic = topics[n - 1]
        else:
            form = self.core.searcher.topic_form
            want = {parse(text).canonical(), parse(form(text)[0]).canonical()}  # /unfollow difusion too
            found = ([t for t in topics if t["canonical"] in want or t["query"].lower() == text.lower()]
                     or [t for t in topics if parse(form(t["query"])[0]).canonical() in want])
            if not found:
                return err(f"You don't follow {q(text)}{self.where(msg, chat)}. /topics lists what you follow.")
            topic = found[0]
        self.store.chats.remove_topic(chat.platform, chat.chat_id, topic["id"])
        return Reply(text=f"Unfollowed {q(topic['query'])}{self.where(msg, chat)}.")

    @command("topics", "", "what this chat follows", aliases=("list",), target=True, menu="Your followed topics")
    def topics(self, msg: Message, chat: Chat, args: str) -> Reply:
        topics = self.store.chats.topics(chat.platform, chat.chat_id)
        if not topics:
            return Reply(text=f"No topics followed{self.where(msg, chat)} yet. Try /follow diffusion -medical")
        lines = [f"{i}. {truncate(t['query'], 200)}" for i, t in enumerate(topics, 1)]
        here = not self.where(msg, chat)
        buttons = tuple(Button(f"Unfollow {i}", f"unf:{t['id']}") for i, t in enumerate(topics, 1)) if here else ()
        footer = "" if here else "Unfollow with /unfollow NUMBER."
        return Reply(text=f"Topics{self.where(msg, chat)} ({len(topics)}/{MAX_TOPICS}):\n" + "\n".join(lines),
                     buttons=buttons, footer=footer)

    @command("digest", "", "preview the next digest now", aliases=("preview",), target=True,
             menu="Preview your next digest")
    def digest(self, msg: Message, chat: Chat, args: str) -> Reply:
        row = self.store.chats.settings(chat.platform, chat.chat_id)
        if not row["subscribed_at"]:
            return Reply(text=f"No topics followed{self.where(msg, chat)} yet, so no digest. Try /follow diffusion")
        d = self.core.preview_digest(chat.platform, chat.chat_id)
        when = dg.next_run(chat.tz, chat.digest_time, self.core.clock(), chat.frequency).astimezone(dg.zone(chat.tz))
        head = (f"Preview of the next digest ({when:%a %d %b %H:%M} {chat.tz})" if not row["paused"] else
                "Digests are paused (/resume restarts them); had one been sent now")
        if d is None or not d.sections:
            return Reply(text=f"{head}: nothing new for your topics so far. A digest holds papers added after your "
                              "previous one (or after you followed) and published or featured on Hugging Face in the "
                              "last 7 days; /search covers everything.")
        return Reply(text=f"{head}:\n{d.reply.text}", cards=d.reply.cards, sections=d.reply.sections,
                     footer=d.reply.footer)

    @command("trending", "[week] [N]", "today's top papers on Hugging Face (week: the last 7 days)", aliases=("top",),
             takes=r"(week\b|\d)",
             menu="Today's trending papers")
    def trending(self, msg: Message, chat: Chat, args: str) -> Reply:
        n = 10
        words = args.lower().split()
        week = bool(words) and words[0] in ("week", "w", "7d")
        if week:
            words = words[1:]
        if words:
            if len(words) > 1 or not words[0].isdigit() or not 1 <= int(words[0]) <= MAX_TRENDING:
                return err(f"/trending takes a number from 1 to {MAX_TRENDING}, e.g. /trending 5 or /trending week 5")
            n = int(words[0])
        day = self.store.papers.latest_hf_day()
        if not day:
            return Reply(text="No Hugging Face daily papers in the database yet.")
        if week:
            from datetime import date, timedelta

            first = (date.fromisoformat(day) - timedelta(days=6)).isoformat()
            papers = self.store.papers.trending_between(first, day, limit=n)
            head = f"Trending on Hugging Face this week ({first} to {day}): top {len(papers)} by upvotes."
        else:
            papers = self.store.papers.trending(day, limit=n)
            head = f"Trending on Hugging Face, {day}: top {len(papers)} by upvotes."
        return Reply(text=head, cards=tuple(dg.paper_card(p) for p in papers))

    @command("channel", "trending N HH:MM", "a daily trending post in this chat (/channel off, /channel topics on|off)",
             takes=r"(trending|off|topics)\b",
             admin=True, open_without_args=True, target=True, menu="Daily posts for this chat or a channel")
    def channel(self, msg: Message, chat: Chat, args: str) -> Reply:
        words = args.split()
        chats, where = self.store.chats, self.where(msg, chat)
        if not words:
            row = chats.settings(chat.platform, chat.chat_id)
            if not row["trending_n"]:
                return Reply(text=f"No daily trending post{where}. Start one with /channel trending 10 09:00")
            scope = ", filtered by the followed topics" if row["trending_topics"] else ""
            return Reply(text=f"Daily trending post{where}: top {row['trending_n']} at {row['trending_time']} "
                              f"({chat.tz}){scope}. /channel off stops it.")
        cmd = words[0].lower()
        if cmd == "off":
            chats.update(chat.platform, chat.chat_id, trending_n=None, trending_since=None)
            return Reply(text=f"Daily trending post{where} stopped.")
        if cmd == "topics" and len(words) == 2 and words[1].lower() in ("on", "off"):
            on = words[1].lower() == "on"
            chats.update(chat.platform, chat.chat_id, trending_topics=int(on))
            return Reply(text=f"Trending post{where} " + ("shows only papers matching the followed topics."
                                                          if on else "shows the overall top papers."))
        if cmd == "trending" and len(words) <= 3:
            n, hhmm = 10, chat.digest_time
            for w in words[1:]:
                if w.isdigit() and 1 <= int(w) <= MAX_TRENDING:
                    n = int(w)
                elif (parsed := dg.parse_hhmm(w)) and not w.isdigit():
                    hhmm = parsed
                else:
                    return err(f"/channel trending N HH:MM: N from 1 to {MAX_TRENDING}, e.g. /channel trending 10 09:00")
            row = chats.settings(chat.platform, chat.chat_id)
            chats.update(chat.platform, chat.chat_id, trending_n=n, trending_time=hhmm,
                         trending_since=row["trending_since"] or self.now_iso())
            return Reply(text=f"Every day at {hhmm} ({chat.tz}) I'll post the top {n} Hugging Face papers{where}.")
        return err("Try /channel (show), /channel trending 10 09:00, /channel topics on|off or /channel off.")

    @command("settings", "", "everything about this chat", target=True, menu="Your settings")
    def settings(self, msg: Message, chat: Chat, args: str) -> Reply:
        return self.overview(chat.platform, chat.chat_id, buttons=not self.where(msg, chat))

    def overview(self, platform: str, chat_id: str, buttons: bool = True) -> Reply:
        row = self.store.chats.settings(platform, chat_id)
        if row is None:
            return Reply(text="This chat has no settings yet. Send /help to start.")
        topics = self.store.chats.topics(platform, chat_id)
        now = self.core.clock()
        frequency = row.get("frequency") or "daily"
        nxt = dg.next_run(row["tz"], row["digest_time"], now, frequency).astimezone(dg.zone(row["tz"]))
        lines = [
            f"Time zone: {row['tz']} (/timezone)",
            f"Digest time: {row['digest_time']} (/time)"
            + (f", next {nxt:%a %d %b %H:%M}" if topics and not row["paused"] else ""),
            f"Frequency: {dg.describe_frequency(frequency)} (/frequency)",
            "Digests: " + ("paused (/resume)" if row["paused"] else "on (/pause)"),
            "Quiet days: " + ("one-line note (/quiet on)" if row["notify_empty"] else "silent (/quiet off)"),
            "Trending post: " + (f"top {row['trending_n']} at {row['trending_time']}"
                                 + (" (topics only)" if row["trending_topics"] else "") if row["trending_n"] else "off")
            + " (/channel)",
            f"Topics ({len(topics)}/{MAX_TOPICS}):" + ("" if topics else " none yet (/follow TOPIC)"),
        ] + [f"  {i}. {truncate(t['query'], 200)}" for i, t in enumerate(topics, 1)]
        btns = tuple(Button(f"Unfollow {i}", f"unf:{t['id']}") for i, t in enumerate(topics, 1)) if buttons else ()
        return Reply(text="\n".join(lines), buttons=btns)
