"""`paperwire run` wiring: /healthz, digests routed to the adapter of their platform, clean stop, console fallback."""
from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

from adapters.runner import make_deliver, serve
from bot.config import Settings
from bot.core import Core
from bot.models import Chat, DeliveryResult, Digest, Reply

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingPlatform:
    """A stand-in for a chat platform (not our code): records what it was asked to start and deliver."""

    platform = "fake"

    def __init__(self):
        self.started_with_routes: list[str] = []
        self.delivered: list[Digest] = []
        self.stopped = False

    async def start(self, web_app):
        self.started_with_routes = [r.resource.canonical for r in web_app.router.routes()]

    async def stop(self):
        self.stopped = True

    async def deliver(self, digest):
        self.delivered.append(digest)
        return DeliveryResult("sent", message_ref="m1")


def _digest(platform: str) -> Digest:
    return Digest(claim_id=1, chat=Chat(platform=platform, chat_id="1"), kind="digest", local_date="2026-03-11",
                  reply=Reply(text="hi"))


async def test_deliver_routes_by_platform_and_retries_unknown_platforms():
    fake = RecordingPlatform()
    deliver = make_deliver([fake])
    assert (await deliver(_digest("fake"))).status == "sent"
    other = await deliver(_digest("telegram"))
    assert other.status == "retry" and "telegram" in other.detail
    assert [d.chat.platform for d in fake.delivered] == ["fake"]


async def test_serve_answers_healthz_and_stops_cleanly(store, clock):
    settings = Settings(host="127.0.0.1", port=free_port(), tick_seconds=1, ingest_enabled=False)
    core = Core(store, settings, clock=clock)
    fake = RecordingPlatform()
    stop = asyncio.Event()
    task = asyncio.create_task(serve(core, settings, stop, adapters=[fake], ingest=False))
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                async with http.get(f"http://127.0.0.1:{settings.port}/healthz") as resp:
                    body = await resp.json()
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.02)
    assert body == {"ok": True, "papers": store.papers.count()}
    assert "/healthz" in fake.started_with_routes  # adapters see the shared server before it starts
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    assert fake.stopped


def test_run_without_tokens_starts_the_console_chat(tmp_path):
    """The README's run command with no platform configured: a console chat that answers and exits on EOF."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PAPERWIRE_INGEST": "0", "PORT": str(free_port()),
           "HOST": "127.0.0.1"}
    proc = subprocess.run(  # --console: stdin is a pipe here, and without it `run` refuses (no terminal)
        [sys.executable, "-m", "adapters.cli", "--db", str(tmp_path / "p.db"), "run", "--console"],
        input="/help\n", capture_output=True, text=True, timeout=120, cwd=ROOT, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "console chat" in proc.stderr
    assert "/follow" in proc.stdout and "Bye." in proc.stdout
    assert "Traceback" not in proc.stderr
