"""Busy benchmark: `paperwire run` (a real process, Telegram long polling against the fake Bot API server) answers
/search while it is busy. A probe chat sends `/search ...` every 0.25 s; the latency is from the update being queued
to the bot's reply arriving at the fake. Phases:
- idle: nothing due;
- tick: 08:00 arrives and 10,000 chats x 5 topics are due against 1,000 fresh papers (built in slices of 500 in the
  scheduler's worker thread while the event loop answers; the digests then go out at Telegram's 30 msg/s);
- import: a `paperwire ingest` of the 80k corpus runs next to it (a second process writing the same database).
Prints p50 / p99 / max per phase. Target: p99 <= 300 ms while busy.
Run: .venv/bin/python bench/busy.py [--chats 10000] [--phases idle,tick,import]   (a few minutes; the machine may
be shared). `--phases idle,import` skips the tick (and its 25 s) when only the import is being worked on.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from fake_telegram import TOKEN, FakeTelegram  # noqa: E402

PROBE = 5
QUERIES = ["flash attention", "diffusion transformer", "mamba state space", "author:Hinton", "video generation",
           "reinforcement learning from human feedback", "graph neural network", "speech recognition"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_db(path: Path, chats: int) -> None:
    """`chats` Telegram chats x 5 topics due at 08:00 UTC, 1,000 fresh papers (bench/digests.py's databases)."""
    import digests as bd
    from bot.query import parse
    from store import Store

    shutil.copy(bd.base_db(1000), path)
    pool = bd.topic_pool(bd.corpus_rows(20_000))
    store = Store(path)
    rows = [("telegram", str(10_000 + i), "UTC", "08:00",
             [(t, parse(t).canonical()) for t in dict.fromkeys(pool[(i * 7 + k * 13) % 600] for k in range(5))])
            for i in range(chats)]
    store.chats.import_chats(rows, now="2026-03-10T12:00:00+00:00", seq=0)
    store.close()


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


FAILED: list[str] = []  # probe replies that were not search results ("Sorry, something went wrong...")


async def probe(fake: FakeTelegram, seconds: float, out: list[float]) -> None:
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        before = len([m for m in fake.sent if m["chat_id"] == PROBE])
        t0 = time.monotonic()
        fake.send_text(PROBE, "/search " + QUERIES[i % len(QUERIES)])
        i += 1
        try:
            await fake.wait_for(lambda: len([m for m in fake.sent if m["chat_id"] == PROBE]) > before, timeout=30)
            out.append(time.monotonic() - t0)
            reply = [m for m in fake.sent if m["chat_id"] == PROBE][before]["plain"]
            if "paper" not in reply.split("\n", 1)[0]:  # "12 papers for ...", "No papers match ..."
                FAILED.append(reply[:80])
        except AssertionError:
            out.append(30.0)
        await asyncio.sleep(0.25)


async def main_async(chats: int, phases: set[str]) -> None:
    work = Path(tempfile.mkdtemp(prefix="pw-busy-"))
    db = work / "pw.db"
    build_db(db, chats)
    async with FakeTelegram() as fake:
        fake.enforce_limits(overall=30, per_chat_s=0.0)
        fake.add_chat(PROBE)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_", "PAPERWIRE_"))}
        env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])), TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.url, HOST="127.0.0.1",
                   PORT=str(free_port()), PAPERWIRE_TICK_SECONDS="2", PAPERWIRE_INGEST="0",
                   PAPERWIRE_NOW="2026-03-11T07:59:25Z", PAPERWIRE_CLOCK_SPEED="1")
        log = open(work / "run.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", "adapters.cli", "--db", str(db), "run", "--no-console"],
                                env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(work))
        await fake.wait_for(lambda: fake.calls_of("getUpdates"), timeout=60)
        started = time.monotonic()
        await probe(fake, 1.0, [])  # warm-up
        idle: list[float] = []
        await probe(fake, max(5.0, 30 - (time.monotonic() - started) - 8), idle)
        t_tick = time.monotonic()
        tick: list[float] = []
        if "tick" in phases:
            await fake.wait_for(lambda: any(m["chat_id"] != PROBE for m in fake.sent)
                                or time.monotonic() - started > 60, timeout=90)
            t_tick = time.monotonic()
            await probe(fake, 25.0, tick)
        digests_25s = len({m["chat_id"] for m in fake.sent if m["chat_id"] != PROBE})
        imp: list[float] = []
        t_imp = time.monotonic()
        ingest = None
        if "import" in phases:
            ingest = subprocess.Popen([sys.executable, "-m", "adapters.cli", "--db", str(db), "ingest",
                                       str(__import__("_corpus").CORPUS)],
                                      env={**env, "PAPERWIRE_NOW": "2026-03-11T09:00:00Z"}, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, cwd=str(work))
            while ingest.poll() is None and time.monotonic() - t_imp < 120:
                await probe(fake, 5.0, imp)
        imported_s = time.monotonic() - t_imp
        proc.terminate()
        await fake.wait_for(lambda: proc.poll() is not None, timeout=30)
        if ingest is not None and ingest.poll() is None:
            ingest.kill()
        log.close()
    print(f"paperwire run, {chats} chats x 5 topics due at 08:00 against 1,000 fresh papers; /search every 0.25 s")
    print(f"{'phase':>24} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, xs in (("idle", idle), (f"{chats} chat tick (25 s)", tick), ("80k import", imp)):
        if not xs:
            continue
        print(f"{name:>24} {len(xs):>5} {pct(xs, .5) * 1000:>8.0f} {pct(xs, .99) * 1000:>8.0f} {max(xs) * 1000:>8.0f}")
    print(f"digests out in the first 25 s of the tick: {digests_25s}; tick started {t_tick - started:.0f}s in; "
          f"import ran {imported_s:.0f}s")
    print(f"probe replies that were not search results: {len(FAILED)}" + (f" (e.g. {FAILED[0]!r})" if FAILED else ""))
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chats", type=int, default=10_000)
    ap.add_argument("--phases", default="idle,tick,import", help="comma-separated: idle,tick,import")
    a = ap.parse_args()
    asyncio.run(main_async(a.chats, set(a.phases.split(","))))


if __name__ == "__main__":
    main()
