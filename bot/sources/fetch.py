"""Fetchers for the live sources: the Hugging Face daily papers API and the arXiv API (httpx, async).

Politeness and robustness, because both are shared public services:
- arXiv asks for one request every 3 seconds: requests to it (retries included) are spaced by `arxiv_interval`;
- every request has a timeout; 429, 5xx, timeouts and connection errors are retried with exponential backoff,
  honouring `Retry-After` (capped at `max_wait`); other 4xx fail at once;
- a malformed item is skipped and reported in `Batch.problems`; it never loses the rest of the batch.
Sleep and the monotonic clock are injectable so tests never wait.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Awaitable, Callable, Optional

import httpx

from bot.models import Paper
from bot.sources.arxiv import parse_atom, total_results
from bot.sources.hf import parse_hf

log = logging.getLogger(__name__)

USER_AGENT = "paperwire/0.1 (self-hosted research papers bot)"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CATEGORY = re.compile(r"^[a-z\-]+(\.[A-Za-z\-]+)?$")


class FetchError(Exception):
    """A source could not be reached or answered with an error; the message is safe to show to a user."""


@dataclass
class Batch:
    """What one fetch produced: the papers that parsed, and why others were skipped."""

    papers: list[Paper] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def retry_after_seconds(value: Optional[str], now: Optional[datetime] = None) -> Optional[float]:
    """`Retry-After` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class Fetcher:
    """One HTTP client for both sources. Use as `async with Fetcher(settings) as f: await f.hf_day(...)`."""

    def __init__(self, settings, *, client: Optional[httpx.AsyncClient] = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 monotonic: Callable[[], float] = time.monotonic,
                 timeout: float = 30.0, retries: int = 4, backoff: float = 2.0, max_wait: float = 300.0,
                 arxiv_interval: float = 3.0):
        self.hf_endpoint = settings.hf_endpoint.rstrip("/")
        self.arxiv_api_url = settings.arxiv_api_url
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), headers={"User-Agent": USER_AGENT}, follow_redirects=True)
        self.sleep = sleep
        self.monotonic = monotonic
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.arxiv_interval = arxiv_interval
        self._arxiv_last: Optional[float] = None
        self._arxiv_lock = asyncio.Lock()

    async def __aenter__(self) -> "Fetcher":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()

    async def _arxiv_turn(self) -> None:
        """Wait until `arxiv_interval` seconds have passed since the previous arXiv request."""
        if self._arxiv_last is not None:
            wait = self._arxiv_last + self.arxiv_interval - self.monotonic()
            if wait > 0:
                await self.sleep(wait)
        self._arxiv_last = self.monotonic()

    async def _get(self, what: str, url: str, params: dict, *, arxiv: bool = False) -> httpx.Response:
        """GET with retries; returns a 2xx response or raises FetchError."""
        last_reason = ""
        for attempt in range(self.retries + 1):
            if attempt:
                log.info("%s: retrying (%s), attempt %d of %d", what, last_reason, attempt + 1, self.retries + 1)
            wait: Optional[float] = None
            try:
                if arxiv:
                    async with self._arxiv_lock:
                        await self._arxiv_turn()
                        resp = await self.client.get(url, params=params)
                else:
                    resp = await self.client.get(url, params=params)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL):
                raise FetchError(f"{what}: the endpoint URL is not valid (check HF_ENDPOINT / ARXIV_API_URL)")
            except httpx.TimeoutException:
                last_reason = "timed out"
            except httpx.TransportError as e:
                last_reason = f"connection failed ({type(e).__name__})"
            except httpx.HTTPError as e:  # e.g. too many redirects, undecodable body: retrying will not help
                raise FetchError(f"{what}: request failed ({type(e).__name__})")
            else:
                if resp.is_success:
                    return resp
                last_reason = f"HTTP {resp.status_code}"
                if resp.status_code != 429 and resp.status_code < 500:
                    raise FetchError(f"{what}: the server answered HTTP {resp.status_code}")
                wait = retry_after_seconds(resp.headers.get("Retry-After"))
            if attempt == self.retries:
                break
            if wait is None:
                wait = self.backoff * (2 ** attempt)
            await self.sleep(min(wait, self.max_wait))
        raise FetchError(f"{what}: {last_reason} after {self.retries + 1} attempts")

    async def hf_day(self, day: str) -> Batch:
        """The papers Hugging Face listed on `day` (YYYY-MM-DD), with upvotes and comment counts."""
        if not _DAY.match(day or ""):
            raise ValueError(f"not a date (YYYY-MM-DD): {day!r}")
        what = f"Hugging Face daily papers {day}"
        resp = await self._get(what, f"{self.hf_endpoint}/api/daily_papers", {"date": day})
        batch = Batch()
        batch.papers = list(parse_hf(resp.content, batch.problems, name=f"hf {day}", hf_date=day))
        return batch

    async def arxiv_query(self, search_query: str, max_results: int = 100, page_size: int = 100,
                          sort_by: str = "submittedDate") -> Batch:
        """Up to `max_results` papers of an arXiv API query, newest first, paging politely."""
        batch = Batch()
        start = 0
        while start < max_results:
            n = min(page_size, max_results - start)
            params = {"search_query": search_query, "start": start, "max_results": n,
                      "sortBy": sort_by, "sortOrder": "descending"}
            resp = await self._get(f"arXiv query {search_query!r}", self.arxiv_api_url, params, arxiv=True)
            entries_before = len(batch.papers) + len(batch.problems)
            batch.papers.extend(parse_atom(resp.content, batch.problems, name=f"arXiv {search_query}"))
            got = len(batch.papers) + len(batch.problems) - entries_before
            total = total_results(resp.content)
            start += n
            if got < n or (total is not None and start >= total):
                break
        return batch

    async def arxiv_category(self, category: str, max_results: int = 100) -> Batch:
        """The newest submissions in one arXiv category, e.g. `cs.CL`."""
        if not _CATEGORY.match(category or ""):
            raise ValueError(f"not an arXiv category (like cs.CL): {category!r}")
        return await self.arxiv_query(f"cat:{category}", max_results=max_results)
