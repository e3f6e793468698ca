"""Every Prometheus metric in one place (prometheus-client), and the heartbeats `/healthz` judges.

Other modules call the small functions here (`digest_result`, `digests_empty`, `observe_tick`, `search_timer`)
instead of creating metrics of their own, so `/metrics` is one consistent page. Per-source ingest figures are
read from the store at scrape time (`watch_sources`): the store already records each source's last success.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Callable, Iterator, Optional

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

DIGESTS = Counter("paperwire_digests", "Digests and trending posts by outcome (sent, empty, failed, retried, "
                  "migrated)", ["platform", "kind", "outcome"], registry=REGISTRY)
DELIVERIES = Counter("paperwire_deliveries", "Papers delivered to chats (one per chat and paper)", ["platform"],
                     registry=REGISTRY)
TICK = Histogram("paperwire_scheduler_tick_seconds", "Duration of one scheduler tick",
                 buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120), registry=REGISTRY)
SEARCH = Histogram("paperwire_search_seconds", "Latency of one search (chat, inline, CLI)",
                   buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5), registry=REGISTRY)
INGEST_CYCLES = Counter("paperwire_ingest_cycles", "Ingest loop cycles by outcome (ok: every source answered)",
                        ["outcome"], registry=REGISTRY)

_OUTCOMES = {"sent": "sent", "retry": "retried", "blocked": "failed", "failed": "failed", "migrated": "migrated"}


def digest_result(digest: Any, result: Any) -> None:
    """Count one delivery attempt (a Digest and its DeliveryResult)."""
    platform, kind = digest.chat.platform, digest.kind
    outcome = _OUTCOMES.get(result.status, result.status)
    DIGESTS.labels(platform, kind, outcome).inc()
    if result.status == "sent" and digest.paper_ids:
        DELIVERIES.labels(platform).inc(len(digest.paper_ids))


def digests_empty(platform: str, kind: str, n: int = 1) -> None:
    """Slots closed with nothing to send (no new matching papers, and the chat did not ask for a note)."""
    if n:
        DIGESTS.labels(platform, kind, "empty").inc(n)


def observe_tick(seconds: float) -> None:
    TICK.observe(seconds)
    HEARTBEATS.beat("scheduler")


def scheduler_progress() -> None:
    """A part recorded sent or a slice built: a long fan-out (10k chats at 30 msg/s is ~10 minutes) is not stuck."""
    HEARTBEATS.beat("scheduler")


def ingest_cycle(ok: bool) -> None:
    INGEST_CYCLES.labels("ok" if ok else "partial").inc()
    HEARTBEATS.beat("ingest")


@contextmanager
def search_timer() -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        SEARCH.observe(time.perf_counter() - start)


class Heartbeats:
    """When each loop last finished a round. A loop is stuck when its last beat is older than its allowance
    (set by `expect`); before its first beat, the moment it was expected counts as one."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic):
        self.monotonic = monotonic
        self.last: dict[str, float] = {}
        self.allowance: dict[str, float] = {}

    def expect(self, name: str, allowance_s: float) -> None:
        self.allowance[name] = allowance_s
        self.last[name] = self.monotonic()

    def forget(self, name: str) -> None:
        self.allowance.pop(name, None)
        self.last.pop(name, None)

    def beat(self, name: str) -> None:
        self.last[name] = self.monotonic()

    def stuck(self) -> dict[str, float]:
        """{loop: seconds since its last beat} for every expected loop past its allowance."""
        now = self.monotonic()
        return {n: round(now - self.last.get(n, now), 1) for n, allow in self.allowance.items()
                if now - self.last.get(n, now) > allow}


HEARTBEATS = Heartbeats()


def expect_loops(tick_seconds: float, ingest_interval_s: Optional[float]) -> None:
    """The loops this process runs, with how long each may go without finishing a round: the scheduler 3 ticks
    (+60 s for a slow one), the ingest loop 2 intervals + 15 min (its fetches retry with backoff)."""
    HEARTBEATS.expect("scheduler", 3 * tick_seconds + 60)
    if ingest_interval_s is not None:
        HEARTBEATS.expect("ingest", 2 * ingest_interval_s + 900)
    else:
        HEARTBEATS.forget("ingest")


def forget_loops() -> None:
    HEARTBEATS.forget("scheduler")
    HEARTBEATS.forget("ingest")


def ingest_report(report: Any) -> None:
    """The ingest loop's on_cycle: one round finished (problems mean a source failed; the loop is alive)."""
    ingest_cycle(ok=not report.problems)


class _SourcesCollector:
    """Per-source gauges read from the store when /metrics is scraped."""

    def __init__(self) -> None:
        self.store: Optional[Any] = None

    def describe(self):
        return []

    def collect(self):
        store = self.store
        if store is None or not hasattr(store, "sources"):
            return
        last = GaugeMetricFamily("paperwire_source_last_success_timestamp_seconds",
                                 "Unix time of the last successful fetch, per source", labels=["source"])
        failing = GaugeMetricFamily("paperwire_source_failing", "1 while the source's fetches fail",
                                    labels=["source"])
        items = GaugeMetricFamily("paperwire_ingest_items", "Items in the last fetch of a source, by kind "
                                  "(items, added, updated)", labels=["source", "kind"])
        try:
            states = store.sources.states()
            for s in states:
                if s.last_success:
                    last.add_metric([s.source], datetime.fromisoformat(s.last_success).timestamp())
                failing.add_metric([s.source], 1.0 if s.failing_since else 0.0)
                day = store.sources.last_day(s.source)
                if day is not None:
                    for kind in ("items", "added", "updated"):
                        items.add_metric([s.source, kind], float(getattr(day, kind)))
        except Exception:  # noqa: BLE001 - a scrape must never fail because of one figure; /healthz reports db trouble
            return
        yield last
        yield failing
        yield items


SOURCES = _SourcesCollector()
REGISTRY.register(SOURCES)


def watch_sources(store: Any) -> None:
    SOURCES.store = store


def render() -> bytes:
    return generate_latest(REGISTRY)
