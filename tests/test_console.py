"""The console chat and the preview CLI: a newcomer can try every command with no token."""
from __future__ import annotations

import asyncio
import io
import os
import threading

from click.testing import CliRunner

from adapters.console import run_console
from adapters.wiring import open_store
from adapters.cli import cli
from bot.core import Core
from bot.models import Message, Paper
from bot.plain import render
from bot.commands import Commands
from store import Store


def seed(store) -> None:
    store.papers.upsert_many(
        [Paper.make(f"Diffusion model {i}", f"2603.{i:05d}", abstract="Diffusion for images.", published="2026-03-10",
                    hf_date="2026-03-10", upvotes=10 + i) for i in range(8)],
        now="2026-03-10T00:00:00+00:00")


async def chat(core, lines: str, **kw) -> str:
    out = io.StringIO()
    await run_console(core, stdin=io.StringIO(lines), stdout=out, scheduler=False, **kw)
    return out.getvalue()


async def test_console_runs_commands_and_presses_numbered_buttons(store, clock):
    seed(store)
    core = Core(store, clock=clock)
    text = await chat(core, "/search diffusion\n31\n/follow diffusion\n/topics\n1\n/topics\n/quit\n/help\n",
                      chat_id="ada", tz="Europe/Berlin")
    assert "console chat as ada (Europe/Berlin)" in text
    assert "8 papers for “diffusion”" in text
    assert "[31] More results" in text and "Results 6-8 of 8" in text  # pressed by typing 31 (6 buttons per card)
    assert "Following “diffusion”" in text and "[1] Unfollow 1" in text
    assert "Unfollowed “diffusion”" in text and "No topics followed" in text
    assert "Paperwire finds research papers" not in text  # nothing after /quit
    assert text.rstrip().endswith("Bye.")
    assert store.chats.get("console", "ada").tz == "Europe/Berlin"


async def test_console_bad_input_never_crashes(store, clock):
    core = Core(store, clock=clock)
    text = await chat(core, "/time banana\n/timezone Europe/Berln\n/nope\n\"\n99\n/follow -x\n", chat_id="bo", tz="Nowhere/Land")
    assert "Unknown time zone 'Nowhere/Land'" in text
    assert "Did you mean Europe/Berlin?" in text and "! " in text
    assert "Traceback" not in text and text.rstrip().endswith("Bye.")


async def test_console_channels_are_local(store, clock):
    core = Core(store, clock=clock)
    text = await chat(core, "/channel @lab trending 3 09:00\n/channel @lab\n")
    assert "top 3 Hugging Face papers for #lab" in text
    assert store.chats.settings("console", "#lab")["trending_n"] == 3


async def test_console_prints_due_digests(store, clock):
    seed(store)
    core = Core(store, clock=clock)
    await core.handle(Message("console", "you", "you", text="/follow diffusion"))
    store.papers.upsert_many([Paper.make("Diffusion news", "2603.09999", published="2026-03-11")],
                             now="2026-03-11T07:00:00+00:00")
    clock.advance(hours=2)  # 08:00 UTC: due
    read_fd, write_fd = os.pipe()
    out = io.StringIO()
    stop = asyncio.Event()
    stdin = os.fdopen(read_fd)
    task = asyncio.create_task(run_console(core, stdin=stdin, stdout=out, stop=stop))
    for _ in range(200):
        await asyncio.sleep(0.01)
        if "--- digest" in out.getvalue():
            break
    stop.set()
    await asyncio.wait_for(task, 5)
    os.close(write_fd)  # EOF: the reader thread ends
    for _ in range(100):
        if not any(t.name == "console-stdin" for t in threading.enumerate()):
            break
        await asyncio.sleep(0.01)
    stdin.close()
    assert "--- digest for you (2026-03-11) ---" in out.getvalue() and "Diffusion news" in out.getvalue()
    assert core.due_digests(clock.advance(minutes=30)) == []  # recorded as sent


def test_render_numbers_card_and_reply_buttons(store):
    seed(store)
    core = Core(store)
    r = Commands(core).search(None, core.ensure_chat("console", "me"), "diffusion")
    text, buttons = render(r)
    assert len(buttons) == 6 * len(r.cards) + len(r.buttons)  # Abstract, Share, 👍, 👎, Save, Similar
    assert f"[{len(buttons)}] Follow this search" in text


def test_chat_digest_and_push_commands(tmp_path):
    db = str(tmp_path / "pw.db")
    runner = CliRunner()
    res = runner.invoke(cli, ["--db", db, "chat", "--as", "bob", "--tz", "Europe/Berlin", "--no-scheduler"],
                        input="/follow diffusion\n/quit\n", obj=open_store)
    assert res.exit_code == 0, res.output
    assert f"new database {db}: loaded 680 seed papers" in res.output  # `chat` creates and seeds, and says where
    assert "Following “diffusion”" in res.output
    store = Store(db)
    store.papers.upsert_many([Paper.make("Diffusion tomorrow", "2999.00001", published="2030-01-01")],
                             now="2030-01-01T06:00:00+00:00")
    store.close()
    res = runner.invoke(cli, ["--db", db, "digest", "--chat", "console:bob", "--now", "2030-01-01T07:30:00Z"],
                        obj=open_store)
    assert res.exit_code == 0, res.output
    assert "Diffusion tomorrow" in res.output and "matched: diffusion" in res.output
    res = runner.invoke(cli, ["--db", db, "push", "--dry-run", "--now", "2030-01-01T07:30:00Z"], obj=open_store)
    assert "=== digest for console:bob (2030-01-01, Europe/Berlin) ===" in res.output and "1 due." in res.output
    # a dry run claims nothing: the same digest is still due
    res = runner.invoke(cli, ["--db", db, "push", "--dry-run", "--now", "2030-01-01T07:40:00Z"], obj=open_store)
    assert "1 due." in res.output
    res = runner.invoke(cli, ["--db", db, "digest", "--chat", "nope"], obj=open_store)
    assert res.exit_code != 0 and "PLATFORM:ID" in res.output
    res = runner.invoke(cli, ["--db", db, "digest", "--chat", "console:bob", "--now", "yesterday"], obj=open_store)
    assert res.exit_code != 0 and "ISO" in res.output
