"""A local chat on stdin/stdout with the real core and store: try every command without any token.

Lines become `Message(platform="console")`; replies print as plain text with numbered buttons (type the number to
press one). Digests due for console chats print as they come (the scheduler runs alongside). `/quit` or EOF ends.
From this chat, `@name` arguments (`/channel @lab trending 5 09:00`) act on a console "channel" named #name.
"""
from __future__ import annotations

import asyncio
import sys
import threading
from typing import Optional, TextIO

import click

from bot.models import Button, ChannelInfo, DeliveryResult, Digest, Message
from bot.plain import render

PLATFORM = "console"
BANNER = "Paperwire console chat as {name} ({tz}). Type /help, words to search, a number to press a button, /quit to leave."


async def _console_channel(handle: str) -> ChannelInfo:
    name = handle.lstrip("@#").strip()
    if not name:
        return ChannelInfo(error="Name the channel, e.g. /channel @lab trending 5 09:00")
    return ChannelInfo(chat_id="#" + name, title="#" + name)


def _reader(stream: TextIO, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
    """A daemon thread: a blocking readline must never keep the process alive at exit."""
    try:
        for line in iter(stream.readline, ""):
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)
    except (RuntimeError, ValueError, OSError):  # the loop ended or the stream was closed under us: just stop
        pass


def make_deliver(chat_id: str, write):
    """Print this console chat's digests (and its "#channels"); another console chat's wait for that chat's session."""

    async def deliver(digest: Digest) -> DeliveryResult:
        if digest.chat.platform != PLATFORM:
            return DeliveryResult("retry", detail="platform not running in the console")
        if digest.chat.chat_id != chat_id and not digest.chat.chat_id.startswith("#"):
            return DeliveryResult("retry", detail="another console chat's digest")
        text, _ = render(digest.reply)
        write(f"\n--- {digest.kind} for {digest.chat.chat_id} ({digest.local_date}) ---\n{text}\n---")
        return DeliveryResult("sent", message_ref=f"console-{digest.claim_id}")

    return deliver


async def run_console(core, chat_id: str = "you", tz: Optional[str] = None, stdin: Optional[TextIO] = None,
                      stdout: Optional[TextIO] = None, stop: Optional[asyncio.Event] = None,
                      scheduler: bool = True) -> None:
    """Chat until EOF, /quit or `stop`. With `scheduler`, due console digests print between lines."""
    from bot.commands import resolve_zone
    from bot.scheduler import run_scheduler

    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    stop = stop or asyncio.Event()
    chat = core.ensure_chat(PLATFORM, chat_id)
    if tz:
        zone, suggestion = resolve_zone(tz)
        if zone:
            core.store.chats.update(PLATFORM, chat_id, tz=zone)
        else:
            out.write(f"Unknown time zone {tz!r}" + (f" (did you mean {suggestion}?)" if suggestion else "")
                      + f"; keeping {chat.tz}.\n")
    chat = core.store.chats.get(PLATFORM, chat_id)

    def write(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    deliver = make_deliver(chat_id, write)

    write(BANNER.format(name=chat_id, tz=chat.tz))
    interactive = bool(getattr(stdin, "isatty", lambda: False)())

    def prompt() -> None:
        if interactive:
            out.write(f"{chat_id}> ")
            out.flush()

    prompt()
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    threading.Thread(target=_reader, args=(stdin, loop, queue), daemon=True, name="console-stdin").start()
    sched = (asyncio.create_task(run_scheduler(core, deliver, core.clock, core.settings.tick_seconds, stop))
             if scheduler else None)
    stopper = asyncio.create_task(stop.wait())
    pressable: list[Button] = []
    try:
        while not stop.is_set():
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            line = getter.result()
            if line is None:
                break
            text = line.strip()
            if not text:
                prompt()
                continue
            if text.lower() in ("/quit", "/exit", "quit", "exit"):
                break
            action = None
            if text.isdigit() and pressable:
                n = int(text)
                if not 1 <= n <= len(pressable):
                    write(f"! No button {n}; press {'1' if len(pressable) == 1 else f'1-{len(pressable)}'}.")
                    prompt()
                    continue
                action, text = pressable[n - 1].action, ""
            message = Message(platform=PLATFORM, chat_id=chat_id, user_id=chat_id, user_name=chat_id, text=text,
                              action=action, chat_kind="private", resolve_channel=_console_channel)
            reply = await core.handle(message)
            rendered, buttons = render(reply)
            if buttons:
                pressable = buttons
            write(rendered)
            prompt()
    finally:
        stop.set()
        stopper.cancel()
        if sched:
            await asyncio.gather(sched, return_exceptions=True)
        write("Bye.")


def log_to_file(settings) -> None:
    """The chat owns the terminal: logs go to a file (PAPERWIRE_LOG_FILE, default paperwire.log beside the db)."""
    from pathlib import Path

    from bot.logs import configure

    path = Path(settings.log_file) if settings.log_file else Path(settings.db_path).absolute().parent / "paperwire.log"
    try:
        where = configure(settings.log_level, settings.log_format, file=path)
    except OSError as e:
        click.echo(f"paperwire: cannot write the log file {path} ({e.strerror}); logging warnings here", err=True)
        configure("WARNING", settings.log_format)
        return
    click.echo(f"paperwire: logs go to {where}", err=True)


async def console_mode(core, settings, stop: asyncio.Event, ingest: bool = True,
                       stdin: Optional[TextIO] = None, stdout: Optional[TextIO] = None) -> None:
    """`paperwire run` on a terminal with no platform: the console chat, the ingest loop and /healthz + /metrics.

    A busy port is not fatal here (the chat is the point): it is said once and the chat goes on without HTTP."""
    from adapters.runner import make_web_app, start_http
    from bot import metrics
    from bot.errors import FatalError

    log_to_file(settings)
    http = None
    try:
        http = await start_http(make_web_app(core), settings.host, settings.port)
        click.echo(f"paperwire: /healthz on http://{settings.host}:{settings.port}/healthz", err=True)
    except FatalError as e:
        click.echo(f"paperwire: {e} (the console chat runs without /healthz)", err=True)
    ingesting = None
    metrics.expect_loops(settings.tick_seconds, settings.ingest_interval_s if ingest and settings.ingest_enabled
                         else None)
    if ingest and settings.ingest_enabled:  # new papers keep arriving while you chat
        from bot.sources.schedule import ingest_forever

        ingesting = asyncio.create_task(ingest_forever(core.store, settings, core.clock, stop,
                                                       on_cycle=metrics.ingest_report), name="ingest")
    try:
        await run_console(core, stop=stop, stdin=stdin, stdout=stdout)
    finally:
        metrics.forget_loops()
        stop.set()
        if ingesting:
            ingesting.cancel()
            await asyncio.gather(ingesting, return_exceptions=True)
        if http is not None:
            await http.cleanup()


@click.command("chat")
@click.option("--as", "name", default="you", show_default=True, help="Your name: the console chat id.")
@click.option("--tz", default=None, help="Your time zone, e.g. Europe/Berlin (kept for later sessions).")
@click.option("--no-scheduler", is_flag=True, help="Do not print digests when they come due.")
@click.pass_obj
def chat_command(obj, name: str, tz: Optional[str], no_scheduler: bool) -> None:
    """Chat with the bot on this terminal: every command works, no tokens needed."""
    from adapters.wiring import build_core

    core = build_core(obj.settings, obj.open(create=True, seed=True))
    log_to_file(obj.settings)  # the chat is the output here, not tick logs
    asyncio.run(run_console(core, chat_id=name, tz=tz, scheduler=not no_scheduler))
