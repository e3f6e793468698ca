"""The schedule settings of a chat: /time, /frequency, /timezone, /pause, /resume, /quiet (in bot/registry.py).

Bare /time, /timezone and /quiet show the current value (open to everyone); with an argument they change it (admins
in groups and channels). Nothing here promises a next digest while the chat is paused.
"""
from __future__ import annotations

from bot import digests as dg
from bot.commands import err, q
from bot.models import Button, Chat, Message, Reply
from bot.registry import command
from bot.timezones import resolve as resolve_tz


@command("time", "HH:MM", "when the digest arrives (your local time)", admin=True, open_without_args=True,
         takes=r"\d",
         target=True, menu="Digest time, e.g. /time 08:30")
def time(cmds, msg: Message, chat: Chat, args: str) -> Reply:
    if not args:
        return Reply(text=f"Digests{cmds.where(msg, chat)} arrive at {chat.digest_time} ({chat.tz})"
                          f"{next_note(cmds, chat, chat.digest_time)}. Change it with e.g. /time 18:30")
    hhmm = dg.parse_hhmm(args)
    if not hhmm:
        return err(f"Please give a time of day like /time 08:00 or /time 18:30 (now {chat.digest_time}, {chat.tz}).")
    cmds.store.chats.update(chat.platform, chat.chat_id, digest_time=hhmm)
    return Reply(text=f"Digest time{cmds.where(msg, chat)} set to {hhmm} ({chat.tz}){next_note(cmds, chat, hhmm)}.")

def next_note(cmds, chat: Chat, hhmm: str) -> str:
    """", next Wed 02 Dec 08:00", or why there is none (paused; nothing followed)."""
    row = cmds.store.chats.settings(chat.platform, chat.chat_id) or {}
    if row.get("paused"):
        return "; digests are paused (/resume)"
    if not row.get("subscribed_at"):
        return "; nothing followed yet (/follow TOPIC)"
    when = dg.next_run(chat.tz, hhmm, cmds.core.clock(), chat.frequency).astimezone(dg.zone(chat.tz))
    return f", next {when:%a %d %b %H:%M}"

@command("frequency", "daily|weekdays|weekly [mon..sun]", "how often the digest comes (weekly: the 7 days)",
         takes=r"(daily|weekdays|weekly)\b",
         admin=True, open_without_args=True, target=True, menu="Digest cadence: daily, weekdays or weekly")
def frequency(cmds, msg: Message, chat: Chat, args: str) -> Reply:
    if not args:
        return Reply(text=f"Digests{cmds.where(msg, chat)} come {dg.describe_frequency(chat.frequency)} at "
                          f"{chat.digest_time} ({chat.tz}). Change it with /frequency daily, /frequency weekdays "
                          "or /frequency weekly mon")
    value = dg.parse_frequency(args)
    if value is None:
        return err("Try /frequency daily, /frequency weekdays, or /frequency weekly with a day "
                   "(mon, tue, wed, thu, fri, sat, sun), e.g. /frequency weekly fri")
    cmds.store.chats.update(chat.platform, chat.chat_id, frequency=value)
    chat = cmds.store.chats.get(chat.platform, chat.chat_id) or chat
    cover = " Each one covers the papers of its 7 days." if value.startswith("weekly") else ""
    return Reply(text=f"Digests{cmds.where(msg, chat)} now come {dg.describe_frequency(value)} at "
                      f"{chat.digest_time} ({chat.tz}){next_note(cmds, chat, chat.digest_time)}.{cover}")

@command("timezone", "Area/City", "your time zone, e.g. Europe/Berlin", aliases=("tz",), admin=True,
         open_without_args=True, target=True, menu="Time zone, e.g. /timezone Europe/Berlin")
def timezone(cmds, msg: Message, chat: Chat, args: str) -> Reply:
    if not args:
        local = cmds.core.clock().astimezone(dg.zone(chat.tz))
        return Reply(text=f"The time zone{cmds.where(msg, chat)} is {chat.tz} (it is {local:%H:%M} there). "
                          "Change it with e.g. /timezone Europe/Berlin, a city, or an offset like UTC+2.")
    answer = resolve_tz(args, cmds.core.clock())
    if answer.zone:
        return set_zone(cmds, msg, chat, answer.zone, answer.note)
    buttons = tuple(Button(f"Use {z}", f"tz:{z}") for z in answer.choices)
    if len(answer.choices) > 1:
        return Reply(text=f"{q(args)} can mean several time zones: which one is yours? "
                          + ", ".join(answer.choices) + ".", buttons=buttons)
    if answer.choices:
        return Reply(text=f"I don't know the time zone {q(args)}. Did you mean {answer.choices[0]}?",
                     buttons=buttons, error=True)
    return err(f"I don't know the time zone {q(args)}. Use a city or Area/City name like Berlin, "
               "America/New_York or Asia/Tokyo (cities follow daylight saving), or an offset like UTC+2.")

def set_zone(cmds, msg: Message, chat: Chat, name: str, note: str = "") -> Reply:
    cmds.store.chats.update(chat.platform, chat.chat_id, tz=name)
    local = cmds.core.clock().astimezone(dg.zone(name))
    extra = f" That is {note}." if note else ""
    return Reply(text=f"Time zone{cmds.where(msg, chat)} set to {name} (it is {local:%H:%M} there). "
                      f"Digests arrive at {chat.digest_time} {name} time.{extra}")

@command("pause", "", "stop digests and trending posts", aliases=("stop",), admin=True, target=True,
         menu="Pause digests")
def pause(cmds, msg: Message, chat: Chat, args: str) -> Reply:
    cmds.store.chats.update(chat.platform, chat.chat_id, paused=1)
    return Reply(text=f"Paused{cmds.where(msg, chat)}: no digests or trending posts until /resume.")

@command("resume", "", "restart digests", aliases=("start_digest",), admin=True, target=True,
         menu="Resume digests")
def resume(cmds, msg: Message, chat: Chat, args: str) -> Reply:
    row = cmds.store.chats.settings(chat.platform, chat.chat_id)
    if not row["paused"]:
        return Reply(text=f"Digests{cmds.where(msg, chat)} are not paused.")
    # papers that arrived while paused are skipped: the next digest starts from now
    cmds.store.chats.update(chat.platform, chat.chat_id, paused=0,
                            digest_since=cmds.now_iso() if row["subscribed_at"] else row["digest_since"])
    if row["subscribed_at"]:
        cmds.store.chats.restart_window(chat.platform, chat.chat_id)
    return Reply(text=f"Resumed{cmds.where(msg, chat)}. The next digest comes at {chat.digest_time} ({chat.tz}).")

@command("quiet", "on|off", "off: say so when a day has nothing new", admin=True, open_without_args=True,
         takes=r"(on|off)$",
         target=True, menu="Quiet days: /quiet on or off")
def quiet(cmds, msg: Message, chat: Chat, args: str) -> Reply:
    value = args.lower()
    if not value:
        on = not (cmds.store.chats.settings(chat.platform, chat.chat_id) or {}).get("notify_empty")
        return Reply(text=f"Quiet days{cmds.where(msg, chat)}: " + (
            "silent, no message when nothing is new (/quiet off for a one-line note)." if on else
            "a one-line 'nothing new' note (/quiet on keeps them silent)."))
    if value not in ("on", "off"):
        return err("/quiet on: no message when nothing is new (default). /quiet off: a one-line 'nothing new'.")
    cmds.store.chats.update(chat.platform, chat.chat_id, notify_empty=int(value == "off"))
    return Reply(text="Quiet days stay silent." if value == "on" else "I'll say so when there is nothing new.")

