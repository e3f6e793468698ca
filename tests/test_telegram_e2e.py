"""`paperwire run` as a real process with Telegram long polling against the fake Bot API server.

A user follows a topic through getUpdates, a second process ingests new papers while the bot runs (and the running
bot finds them), then the bot runs again with its simulated clock (PAPERWIRE_NOW + PAPERWIRE_CLOCK_SPEED) just before
08:00 UTC, and exactly one digest arrives.

No wall-clock budget: the first run's clock starts at 07:00 at real speed (an hour before the digest is due, so a slow
start-up cannot let it pass 08:00 before the follow and the papers are in), and the second run starts at 07:59:56, so
08:00 comes after its start-up however long that takes. The restart is what a deploy does; the digest is due once.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from fake_telegram import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
SPEED = 8  # the second run's simulated seconds per real second: 07:59:56 -> 08:00 takes 0.5 s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_", "PAPERWIRE_"))}
    env.update(PYTHONPATH=str(ROOT), PAPERWIRE_INGEST="0", **extra)
    return env


async def test_run_polls_follows_ingests_and_sends_exactly_one_digest(tmp_path):
    db = str(tmp_path / "pw.db")
    papers = tmp_path / "new.jsonl"
    papers.write_text("\n".join(json.dumps({
        "arxiv_id": f"2603.{700 + i:05d}", "title": f"Topological qubit braiding experiment {i}",
        "abstract": "We braid topological qubits for fault tolerance.", "authors": ["Q. Bit"],
        "published": "2026-03-11", "upvotes": None, "source": "arxiv-daily"}) for i in range(2)) + "\n")
    async with FakeTelegram() as fake:
        def start(now: str, speed: int, name: str):
            env = env_for(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.url, HOST="127.0.0.1",
                          PORT=str(free_port()), PAPERWIRE_TICK_SECONDS="1", PAPERWIRE_NOW=now,
                          PAPERWIRE_CLOCK_SPEED=str(speed))
            log = open(tmp_path / name, "wb")
            return log, subprocess.Popen([sys.executable, "-m", "adapters.cli", "--db", db, "run"],
                                         cwd=str(tmp_path), env=env, stdout=log, stderr=subprocess.STDOUT)

        async def stop(proc, log) -> None:
            proc.send_signal(signal.SIGTERM)
            # wait without blocking the loop: the stopping bot still talks to the fake served by this loop
            await fake.wait_for(lambda: proc.poll() is not None, timeout=30)
            log.close()

        digest = lambda: [m for m in fake.sent if m["chat_id"] == 5 and "digest" in m["plain"].lower()  # noqa
                          and "Topological qubit braiding experiment" in m["plain"]]
        log, proc = start("2026-03-11T07:00:00Z", 1, "run1.log")
        try:
            await fake.wait_for(lambda: fake.calls_of("getUpdates") or proc.poll() is not None, timeout=60)
            assert proc.poll() is None, (tmp_path / "run1.log").read_text()
            assert {c["command"] for c in fake.commands} >= {"follow", "search"}
            fake.send_text(5, "/follow topological qubit")
            [followed] = await fake.wait_sent(1, chat_id=5, timeout=30)
            assert "topological qubit" in followed["plain"].lower()

            ingest = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "adapters.cli", "--db", db, "ingest", str(papers), cwd=str(tmp_path),
                env=env_for(PAPERWIRE_NOW="2026-03-11T07:59:00Z"), stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT)
            out, _ = await asyncio.wait_for(ingest.communicate(), timeout=60)
            assert ingest.returncode == 0, out.decode()
            # the running bot sees what another process committed (no read snapshot pinned, no stale vocabulary)
            fake.send_text(5, "/search topological qubit braiding experiment")
            replies = await fake.wait_sent(2, chat_id=5, timeout=30)
            assert any("Topological qubit braiding experiment" in m["plain"] for m in replies[1:]), replies[1:]
            assert not digest()  # 07:0x: nothing is due yet
        finally:
            await stop(proc, log)

        log, proc = start("2026-03-11T07:59:56Z", SPEED, "run2.log")
        try:
            [first] = await fake.wait_for(digest, timeout=60)
            assert "Topological qubit braiding experiment 0" in first["plain"]
            await asyncio.sleep(3)  # observing an absence: 3 s = 24 simulated minutes = 3 scheduler ticks
            assert len(digest()) == 1  # 24 simulated minutes (several scheduler ticks) later: still exactly one
        finally:
            await stop(proc, log)
    for name in ("run1.log", "run2.log"):
        text = (tmp_path / name).read_text()
        assert TOKEN not in text and TOKEN.split(":")[1] not in text
        assert "long polling" in text
