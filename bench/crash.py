"""Crash benchmark: `paperwire run` as a real process delivering one morning's digests to N Telegram chats through the
fake Bot API server (30 msg/s, 1 msg/s per chat, 10% of sends answered 429), while it is killed and restarted.

Scenarios (each on a fresh copy of the same database):
- kill9:   kill -9 at random moments of the fan-out, K times, restarting at once each time;
- sigterm: SIGTERM at random moments, K times, restarting when it has exited;
- rolling: a second process starts while the first is mid-fan-out, then the first gets SIGTERM (a rolling restart).
Printed per scenario: chats that got their whole digest, chats that saw any message twice, parts sent twice, parts
lost (stored parts never delivered), and the time from the last restart until every chat had its digest.
Targets: 0 lost; kill -9: at most 1 duplicated part per kill; SIGTERM and rolling: 0 duplicated; every chat served
within a minute of a restart (no 10-minute stale-claim wait).
Run: .venv/bin/python bench/crash.py [--chats 300] [--kills 3]   (a few minutes; the machine may be shared)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import logging
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from fake_telegram import TOKEN, FakeTelegram  # noqa: E402

TOPICS = ["diffusion", "transformer", "reinforcement learning", "language model", "segmentation"]
START = "2026-03-11T07:59:57Z"  # the processes' clock: digests are due at 08:00 UTC


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_db(path: Path, chats: int) -> None:
    """N private chats following 5 topics, and a morning's worth of fresh papers (from the real corpus)."""
    import _corpus
    from bot.models import Paper
    from bot.query import parse
    from store import Store

    rows = []
    for p in _corpus._own_jsonl(_corpus.CORPUS):
        text = (p.title + " " + p.abstract).lower()
        if any(t in text for t in ("diffusion", "transformer", "reinforcement", "language model", "segmentation")):
            rows.append(Paper.make(p.title, p.arxiv_id, abstract=p.abstract, authors=p.authors[:20],
                                   published="2026-03-10", upvotes=p.upvotes, sources=("arxiv",)))
        if len(rows) >= 400:
            break
    store = Store(path)
    store.chats.import_chats([("telegram", str(1000 + i), "UTC", "08:00", [(t, parse(t).canonical()) for t in TOPICS])
                              for i in range(chats)], now="2026-03-10T12:00:00+00:00", seq=0)
    store.papers.upsert_many(rows, now="2026-03-11T06:00:00+00:00")
    store.close()


def env_for(fake: FakeTelegram, port: int, now: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_", "PAPERWIRE_"))}
    env.update(PYTHONPATH=str(ROOT), TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.url, HOST="127.0.0.1",
               PORT=str(port), PAPERWIRE_TICK_SECONDS="1", PAPERWIRE_NOW=now, PAPERWIRE_CLOCK_SPEED="1",
               PAPERWIRE_INGEST="0")
    return env


class Runner:
    def __init__(self, fake: FakeTelegram, db: Path, logdir: Path):
        self.fake, self.db, self.logdir, self.n = fake, db, logdir, 0
        self.t0: float | None = None

    def start(self) -> subprocess.Popen:
        """A process whose simulated clock continues where the first one's is (restarts do not rewind time)."""
        from datetime import datetime, timedelta

        self.t0 = self.t0 or time.monotonic()
        now = datetime.fromisoformat(START.replace("Z", "+00:00")) + timedelta(seconds=time.monotonic() - self.t0)
        self.n += 1
        log = open(self.logdir / f"run{self.n}.log", "wb")
        return subprocess.Popen([sys.executable, "-m", "adapters.cli", "--db", str(self.db), "run", "--no-console"],
                                env=env_for(self.fake, free_port(), now.isoformat()), stdout=log,
                                stderr=subprocess.STDOUT, cwd=str(self.logdir))


def expected_parts(db: Path) -> dict[str, list[str]]:
    """chat id -> the texts of its stored parts (what it should receive, each exactly once)."""
    conn = sqlite3.connect(str(db))
    out: dict[str, list[str]] = {}
    for chat_id, payload in conn.execute(
            """SELECT c.chat_id, p.payload FROM delivery_parts p JOIN digest_claims d ON d.id = p.claim_id
               JOIN chats c ON c.pk = d.chat_pk ORDER BY d.id, p.idx"""):
        out.setdefault(chat_id, []).append(json.loads(payload)["text"])
    conn.close()
    return out


def all_sent(db: Path, chats: int) -> bool:
    conn = sqlite3.connect(str(db), timeout=30)
    try:
        n = conn.execute("SELECT count(*) FROM digest_claims WHERE status IN ('sent', 'empty')").fetchone()[0]
    except sqlite3.OperationalError:
        n = 0
    conn.close()
    return n >= chats


async def wait_until(pred, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        await asyncio.sleep(step)
    return pred()


async def stop(proc: subprocess.Popen, how: str, timeout: float = 30) -> None:
    if how == "kill9":
        proc.kill()
    else:
        proc.send_signal(signal.SIGTERM)
    await wait_until(lambda: proc.poll() is not None, timeout)
    if proc.poll() is None:
        proc.kill()


async def scenario(name: str, base: Path, chats: int, kills: int, seed: int) -> dict:
    rnd = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix=f"pw-crash-{name}-"))
    db = work / "pw.db"
    shutil.copy(base, db)
    async with FakeTelegram() as fake:
        fake.enforce_limits(overall=30, per_chat_s=1.0, random_429=0.10, seed=seed)
        for i in range(chats):
            fake.add_chat(1000 + i)
        runner = Runner(fake, db, work)
        # about 2 parts per chat at 30 msg/s: the fan-out lasts ~chats/15 s; interrupt it at random points
        total_guess = 2 * chats
        proc = runner.start()
        procs = [proc]
        last_restart = time.monotonic()
        for k in range(kills if name != "rolling" else 1):
            target = len(fake.sent) + rnd.randint(total_guess // (3 * kills), total_guess // (2 * kills))
            await wait_until(lambda: len(fake.sent) >= target or all_sent(db, chats), 120, 0.05)
            if name == "rolling":
                newer = runner.start()  # the new version is up ...
                await asyncio.sleep(3)
                await stop(proc, "sigterm")  # ... and the old one is told to stop mid-fan-out
                proc = newer
            else:
                await stop(proc, name)
                proc = runner.start()
            procs.append(proc)
            last_restart = time.monotonic()
        done = await wait_until(lambda: all_sent(db, chats), 180)
        served_after = time.monotonic() - last_restart
        await asyncio.sleep(2)  # anything still in flight lands (and would show as a duplicate)
        for p in procs:
            if p.poll() is None:
                await stop(p, "sigterm")
        want = expected_parts(db)
        got: dict[str, Counter] = {}
        for m in fake.sent:
            if not m.get("edited"):
                got.setdefault(str(m["chat_id"]), Counter())[m["text"]] += 1
    whole = sum(1 for c, parts in want.items() if all(got.get(c, Counter())[t] >= 1 for t in parts))
    twice_chats = sum(1 for c in got.values() if any(v > 1 for v in c.values()))
    twice_parts = sum(v - 1 for c in got.values() for v in c.values() if v > 1)
    lost = sum(1 for c, parts in want.items() for t in parts if got.get(c, Counter())[t] == 0)
    shutil.rmtree(work, ignore_errors=True)
    return {"scenario": name, "chats": chats, "interruptions": kills if name != "rolling" else 1,
            "parts": sum(len(v) for v in want.values()), "got_digest": whole, "chats_saw_twice": twice_chats,
            "parts_twice": twice_parts, "parts_lost": lost, "all_done": done,
            "served_s_after_last_restart": round(served_after, 1)}


async def main_async(chats: int, kills: int, only: list[str]) -> None:
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # a killed client's reset connection is expected
    base_dir = Path(tempfile.mkdtemp(prefix="pw-crash-base-"))
    base = base_dir / "base.db"
    build_db(base, chats)
    print(f"{chats} Telegram chats x 5 topics, digests due 08:00, 30 msg/s, 1 msg/s/chat, 10% 429s; "
          f"{kills} interruptions per run")
    print(f"{'scenario':>9} {'parts':>6} {'got digest':>10} {'saw twice':>9} {'parts x2':>8} {'lost':>5} "
          f"{'served after last restart':>26}")
    for i, name in enumerate(only):
        r = await scenario(name, base, chats, kills, seed=7 + i)
        print(f"{name:>9} {r['parts']:>6} {r['got_digest']:>10} {r['chats_saw_twice']:>9} {r['parts_twice']:>8} "
              f"{r['parts_lost']:>5} {r['served_s_after_last_restart']:>24.1f}s"
              + ("" if r["all_done"] else "  (NOT all delivered within 180 s)"))
        print(json.dumps(r))
    shutil.rmtree(base_dir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chats", type=int, default=300)
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--scenarios", default="kill9,sigterm,rolling")
    a = ap.parse_args()
    asyncio.run(main_async(a.chats, a.kills, a.scenarios.split(",")))


if __name__ == "__main__":
    main()
