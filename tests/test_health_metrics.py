"""/healthz and /metrics of `paperwire run` (and of the console mode), JSON logs, the console's log file."""
from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import socket

import aiohttp

from adapters.runner import serve
from bot import metrics
from bot.config import Settings
from bot.core import Core
from bot.logs import configure
from bot.models import DeliveryResult, Digest, Message, Paper


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Platform:
    """A stand-in chat platform: delivers at once, or hangs (a stuck delivery) until released."""

    platform = "fake"

    def __init__(self, hang: bool = False):
        self.hang = hang
        self.release = asyncio.Event()
        self.delivered: list[Digest] = []

    async def start(self, web_app):
        pass

    async def stop(self):
        self.release.set()

    async def deliver(self, digest):
        self.delivered.append(digest)
        if self.hang:
            await self.release.wait()
        return DeliveryResult("sent", message_ref="m1")


async def due_digest_core(store, clock, settings) -> Core:
    """The real core with one digest due now: chat "fake:1" follows diffusion and a diffusion paper arrived."""
    core = Core(store, settings, clock=clock)
    await core.handle(Message("fake", "1", "1", text="/follow diffusion"))
    store.papers.upsert_many([Paper.make("Diffusion news", "2603.09999", published="2026-03-11")],
                             now="2026-03-11T07:00:00+00:00")
    clock.advance(hours=2)  # 08:00 UTC: due
    return core


async def until(predicate, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(url) as resp:
                    return resp.status, await resp.text()
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.02)
    raise AssertionError(f"{url} never answered")


def sample(name: str, **labels) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_count_digests_deliveries_ticks_searches_and_sources(store, clock):
    settings = Settings(host="127.0.0.1", port=free_port(), tick_seconds=1, ingest_enabled=False)
    core = await due_digest_core(store, clock, settings)
    store.sources.record_success("hf", "2026-03-11", "2026-03-11T05:00:00+00:00", 12, 10, 2)
    sent_before = sample("paperwire_digests_total", platform="fake", kind="digest", outcome="sent")
    delivered_before = sample("paperwire_deliveries_total", platform="fake")
    ticks_before = sample("paperwire_scheduler_tick_seconds_count")
    searches_before = sample("paperwire_search_seconds_count")
    stop = asyncio.Event()
    task = asyncio.create_task(serve(core, settings, stop, adapters=[Platform()], ingest=False))
    try:
        base = f"http://127.0.0.1:{settings.port}"
        status, _ = await _get(base + "/healthz")
        await until(lambda: sample("paperwire_digests_total", platform="fake", kind="digest", outcome="sent")
                    > sent_before)
        core.search("diffusion")
        status, text = await _get(base + "/metrics")
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    assert status == 200
    assert sample("paperwire_digests_total", platform="fake", kind="digest", outcome="sent") == sent_before + 1
    assert sample("paperwire_deliveries_total", platform="fake") == delivered_before + 1
    assert sample("paperwire_scheduler_tick_seconds_count") > ticks_before
    assert sample("paperwire_search_seconds_count") == searches_before + 1
    assert 'paperwire_digests_total{kind="digest",outcome="sent",platform="fake"}' in text
    assert 'paperwire_ingest_items{kind="added",source="hf"} 10.0' in text
    assert 'paperwire_source_failing{source="hf"} 0.0' in text
    assert "paperwire_source_last_success_timestamp_seconds{source=\"hf\"} 1.7732" in text


async def test_healthz_503_when_the_scheduler_is_stuck(store, clock, monkeypatch):
    fake = FakeMonotonic()
    monkeypatch.setattr(metrics.HEARTBEATS, "monotonic", fake)
    settings = Settings(host="127.0.0.1", port=free_port(), tick_seconds=30, ingest_enabled=False)
    core = await due_digest_core(store, clock, settings)
    platform = Platform(hang=True)  # the first tick's delivery never returns: the loop is stuck inside it
    stop = asyncio.Event()
    task = asyncio.create_task(serve(core, settings, stop, adapters=[platform], ingest=False))
    try:
        url = f"http://127.0.0.1:{settings.port}/healthz"
        status, body = await _get(url)
        assert status == 200 and json.loads(body)["ok"] is True
        fake.now += 30 * 3 + 61  # past the allowance: 3 ticks + 60 s
        status, body = await _get(url)
        assert status == 503
        doc = json.loads(body)
        assert doc["ok"] is False and "scheduler" in doc["problems"]
        assert platform.delivered  # stuck inside the delivery, as intended
        platform.release.set()  # it recovers: the tick ends and beats
        await until(lambda: not metrics.HEARTBEATS.stuck())
        status, _ = await _get(url)
        assert status == 200
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def test_healthz_503_when_the_ingest_loop_is_stuck(store, clock, monkeypatch):
    fake = FakeMonotonic()
    monkeypatch.setattr(metrics.HEARTBEATS, "monotonic", fake)
    hang = asyncio.Event()

    async def stuck_ingest(*a, **kw):
        await hang.wait()  # e.g. a fetch that never ends

    monkeypatch.setattr("bot.sources.schedule.ingest_forever", stuck_ingest)
    settings = Settings(host="127.0.0.1", port=free_port(), tick_seconds=1, ingest_enabled=True, ingest_interval_s=60)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(Core(store, settings, clock=clock), settings, stop, adapters=[], ingest=True))
    try:
        url = f"http://127.0.0.1:{settings.port}/healthz"
        assert (await _get(url))[0] == 200
        fake.now += 2 * 60 + 901
        status, body = await _get(url)
        assert status == 503 and "ingest" in json.loads(body)["problems"]
    finally:
        hang.set()
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def test_healthz_503_when_the_database_fails(tmp_path, clock):
    from store import Store

    store = Store(tmp_path / "p.db")
    settings = Settings(host="127.0.0.1", port=free_port(), tick_seconds=1, ingest_enabled=False)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(Core(store, settings, clock=clock), settings, stop, adapters=[], ingest=False))
    try:
        url = f"http://127.0.0.1:{settings.port}/healthz"
        assert (await _get(url))[0] == 200
        store.db.conn.close()  # what a vanished disk looks like to the process
        status, body = await _get(url)
        assert status == 503 and "database" in json.loads(body)["problems"]
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def test_console_mode_serves_healthz_and_logs_to_a_file(store, clock, tmp_path, capsys):
    from adapters.console import console_mode

    log_file = tmp_path / "bot.log"
    settings = Settings(host="127.0.0.1", port=free_port(), tick_seconds=1, ingest_enabled=False,
                        log_file=str(log_file))
    core = Core(store, settings, clock=clock)
    read_fd, write_fd = os.pipe()
    stdin, out = os.fdopen(read_fd), io.StringIO()
    stop = asyncio.Event()
    task = asyncio.create_task(console_mode(core, settings, stop, ingest=False, stdin=stdin, stdout=out))
    try:
        status, body = await _get(f"http://127.0.0.1:{settings.port}/healthz")
        assert status == 200 and json.loads(body)["ok"] is True
        logging.getLogger("bot.scheduler").warning("a routine loop line")
    finally:
        os.close(write_fd)  # EOF: the chat ends
        await asyncio.wait_for(task, timeout=10)
        configure()  # back to the host's logging (pytest's)
    assert f"logs go to {log_file}" in capsys.readouterr().err
    assert "a routine loop line" in log_file.read_text() and "a routine loop line" not in out.getvalue()


def test_json_log_lines(tmp_path):
    path = tmp_path / "j.log"
    configure("INFO", "json", file=path)
    try:
        logging.getLogger("paperwire.test").info("hello %s", "world")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("paperwire.test").exception("failed")
    finally:
        configure()
    first, second = [json.loads(line) for line in path.read_text().splitlines()[:2]]
    assert first["level"] == "INFO" and first["logger"] == "paperwire.test" and first["message"] == "hello world"
    assert first["time"].endswith("+00:00") and "ValueError: boom" in second["exc"]


async def test_a_long_fan_out_that_keeps_sending_is_not_stuck(store, clock, monkeypatch):
    from bot.models import DeliveryResult, Message, Paper
    from bot.scheduler import tick

    fake = FakeMonotonic()
    monkeypatch.setattr(metrics.HEARTBEATS, "monotonic", fake)
    metrics.HEARTBEATS.expect("scheduler", 10)
    core = Core(store, clock=clock)
    for i in range(3):
        await core.handle(Message("test", f"c{i}", "u1", text="/follow diffusion"))
    store.papers.upsert_many([Paper.make("Diffusion one", "2603.00001", published="2026-03-11")],
                             now="2026-03-11T07:00:00+00:00")

    class Slow:
        """Each part takes 8 s of the (fake) clock: the whole tick takes 24 s, over the 10 s allowance."""

        def parts(self, digest):
            return ["p"]

        async def send_part(self, digest, payload):
            fake.now += 8
            assert not metrics.HEARTBEATS.stuck()  # checked while the tick is still running
            return DeliveryResult("sent", message_ref="m")

    clock.set("2026-03-11T08:00:00+00:00")
    assert await tick(core, Slow(), clock()) == 3
    assert not metrics.HEARTBEATS.stuck()  # each recorded part was progress
    fake.now += 11
    assert "scheduler" in metrics.HEARTBEATS.stuck()  # and nothing since is not
    metrics.forget_loops()
