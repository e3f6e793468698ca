"""Fetchers for the live sources: the Hugging Face daily papers API and the arXiv API (httpx, async).

Politeness and robustness, because both are shared public services and answers are untrusted:
- arXiv asks for one request every 3 seconds: requests to it (retries included) are spaced by `arxiv_interval`,
  across every Fetcher of the process on the real clock (the ingest loop, /paper, link cards share one ArxivPacer);
- every request runs under a whole-request deadline and size caps (bot/sources/http.py);
- 429, 5xx, timeouts and connection errors are retried with exponential backoff, honouring `Retry-After`
  (capped at `max_wait`), within `retries` and a time `budget`; other 4xx fail at once;
- errors name the host (never the userinfo or query);
- parsing runs in a worker thread, so a large answer never stalls the event loop;
- a malformed item is skipped and reported in `Batch.problems`; an answer with nothing valid is a FetchError.
Sleep and the monotonic clock are injectable so tests never wait.
"""
from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Awaitable, Callable, Optional

import httpx

from bot import __version__
from bot.models import Paper
from bot.sources import hf
from bot.sources.arxiv import parse_atom_doc
from bot.sources.arxiv_feed import Listing, parse_listing
from bot.sources.categories import check_category
from bot.sources.common import Problems
from bot.sources.http import FetchError, Limits, TooLarge, bounded_get, host_of

log = logging.getLogger(__name__)

USER_AGENT = f"paperwire/{__version__} (self-hosted research papers bot)"
_DAY_LEN = 10


@dataclass
class Batch:
    """What one fetch produced: the papers that parsed, why others were skipped, and whether it is complete."""

    papers: list[Paper] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    complete: bool = True  # False: a later page failed; the pages before it are kept


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


def _check_day(day: str) -> str:
    from datetime import date

    try:
        if len(day or "") != _DAY_LEN:
            raise ValueError
        return date.fromisoformat(day).isoformat()
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {day!r}") from None


def _nothing_valid(what: str, problems: list[str], items: int) -> FetchError:
    first = problems[0].split(": ", 1)[-1] if problems else "no reason given"
    return FetchError(f"{what}: none of the {items} items in the answer could be read (first: {first})")


class ArxivPacer:
    """One arXiv request at a time, each starting `interval` seconds after the previous one started."""

    def __init__(self, interval: float, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 monotonic: Callable[[], float] = time.monotonic):
        self.interval, self.sleep, self.monotonic = interval, sleep, monotonic
        self.last: Optional[float] = None
        self.lock = asyncio.Lock()

    async def turn(self) -> None:
        """Wait until `interval` seconds have passed since the previous request (call holding `lock`)."""
        if self.last is not None:
            wait = self.last + self.interval - self.monotonic()
            if wait > 0:
                await self.sleep(wait)
        self.last = self.monotonic()


# one pacer per event loop and interval: every Fetcher of a running bot on the real clock waits its turn in it
_PACERS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[float, ArxivPacer]]" = weakref.WeakKeyDictionary()


def shared_pacer(interval: float) -> ArxivPacer:
    return _PACERS.setdefault(asyncio.get_running_loop(), {}).setdefault(interval, ArxivPacer(interval))


class Fetcher:
    """One HTTP client for both sources. Use as `async with Fetcher(settings) as f: await f.hf_day(...)`."""

    def __init__(self, settings, *, client: Optional[httpx.AsyncClient] = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 monotonic: Callable[[], float] = time.monotonic,
                 timeout: float = 30.0, retries: int = 4, backoff: float = 2.0, max_wait: float = 300.0,
                 arxiv_interval: float = 3.0, limits: Optional[Limits] = None, budget: float = 900.0,
                 hf_page_size: int = 100, max_pages: int = 30):
        self.hf_endpoint = settings.hf_endpoint.rstrip("/")
        self.arxiv_api_url = settings.arxiv_api_url
        self.arxiv_feed_url = getattr(settings, "arxiv_feed_url", "https://rss.arxiv.org/atom").rstrip("/")
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=True,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"})
        self.sleep = sleep
        self.monotonic = monotonic
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.budget = budget
        self.limits = limits or Limits(deadline=max(timeout * 2, 1.0))
        self.arxiv_interval = arxiv_interval
        self.hf_page_size = hf_page_size
        self.max_pages = max_pages
        real = sleep is asyncio.sleep and monotonic is time.monotonic  # an injected clock (tests) paces alone
        self._pacer: Optional[ArxivPacer] = None if real else ArxivPacer(arxiv_interval, sleep, monotonic)

    @classmethod
    def interactive(cls, settings, **kw) -> "Fetcher":
        """For a command a person waits on: fewer retries, short waits, a one-minute budget per request."""
        opts: dict[str, Any] = dict(timeout=15.0, retries=2, backoff=1.0, max_wait=10.0, budget=60.0,
                                    limits=Limits(deadline=30.0))
        opts.update(kw)
        return cls(settings, **opts)

    async def __aenter__(self) -> "Fetcher":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()

    @property
    def pacer(self) -> ArxivPacer:
        return self._pacer or shared_pacer(self.arxiv_interval)

    async def _once(self, url: str, params: Optional[dict], arxiv: bool) -> tuple[httpx.Response, bytes]:
        if arxiv:
            pacer = self.pacer
            async with pacer.lock:
                await pacer.turn()
                return await bounded_get(self.client, url, params, self.limits)
        return await bounded_get(self.client, url, params, self.limits)

    async def _get(self, what: str, url: str, params: Optional[dict], *,
                   arxiv: bool = False) -> tuple[httpx.Response, bytes]:
        """GET with retries; returns a 2xx response and its body, or raises FetchError naming the host."""
        host = host_of(url)
        what = f"{what} ({host})"
        started = self.monotonic()
        last_reason = ""
        attempts = 0
        for attempt in range(self.retries + 1):
            attempts = attempt + 1
            if attempt:
                log.info("%s: retrying (%s), attempt %d of %d", what, last_reason, attempt + 1, self.retries + 1)
            wait: Optional[float] = None
            try:
                resp, body = await self._once(url, params, arxiv)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL):
                raise FetchError(f"{what}: the endpoint URL is not valid (check HF_ENDPOINT / ARXIV_API_URL / "
                                 "ARXIV_FEED_URL)") from None
            except TooLarge as e:
                raise FetchError(f"{what}: {e}") from None
            except FetchError as e:  # bad compression, unsupported encoding: retrying will not help
                raise FetchError(f"{what}: {e}") from None
            except TimeoutError:
                last_reason = f"no complete answer within {self.limits.deadline:g} s"
            except httpx.TimeoutException:
                last_reason = "timed out"
            except httpx.TransportError as e:
                detail = str(e).strip()[:60]
                last_reason = f"connection failed ({type(e).__name__}{': ' + detail if detail else ''})"
            except httpx.HTTPError as e:  # e.g. too many redirects: retrying will not help
                raise FetchError(f"{what}: request failed ({type(e).__name__})") from None
            else:
                if resp.is_success:
                    return resp, body
                last_reason = f"HTTP {resp.status_code}"
                if resp.status_code != 429 and resp.status_code < 500:
                    raise FetchError(f"{what}: the server answered HTTP {resp.status_code}")
                wait = retry_after_seconds(resp.headers.get("Retry-After"))
            if attempt == self.retries:
                break
            if wait is None:
                wait = self.backoff * (2 ** attempt)
            wait = min(wait, self.max_wait)
            if self.monotonic() - started + wait > self.budget:
                break
            await self.sleep(wait)
        raise FetchError(f"{what}: {last_reason} after {attempts} attempt{'s' if attempts > 1 else ''}")

    @staticmethod
    def _shape_error(what: str, resp: httpx.Response, reason: str, expected: str) -> FetchError:
        ctype = (resp.headers.get("content-type") or "no content type").split(";")[0].strip()
        return FetchError(f"{what} ({host_of(str(resp.request.url))}): the answer is not {expected} "
                          f"({reason}; content type {ctype[:40]})")

    async def hf_day(self, day: str) -> Batch:
        """Every paper Hugging Face listed on `day` (YYYY-MM-DD), paging with `limit` + `p` until a short page.

        A page that fails after its retries ends the paging: the pages already read are kept
        (`Batch.complete` is False and the problem is listed); a failing first page is a FetchError.
        """
        day = _check_day(day)
        what = f"Hugging Face daily papers {day}"
        batch = Batch()
        seen_first: set[str] = set()
        for page in range(self.max_pages):
            params = {"date": day, "limit": self.hf_page_size, "p": page}
            try:
                resp, body = await self._get(what, f"{self.hf_endpoint}/api/daily_papers", params)
            except FetchError as e:
                if page == 0:
                    raise
                batch.complete = False
                batch.problems.append(f"stopped after page {page}: {e}")
                return batch
            problems: list[str] = []
            try:
                items, papers = await asyncio.to_thread(_hf_page, body, f"hf {day} page {page}", day, problems)
            except ValueError as e:
                raise self._shape_error(what, resp, str(e), "a Hugging Face papers list") from None
            if items and not papers:
                raise _nothing_valid(f"{what} page {page}", problems, items)
            batch.problems += problems
            first = papers[0].id if papers else None
            if first is not None and first in seen_first:  # the server ignores `p`: the same page again
                break
            if first is not None:
                seen_first.add(first)
            batch.papers += papers
            if items < self.hf_page_size:
                break
        return batch

    async def hf_paper(self, arxiv_id: str) -> Optional[Paper]:
        """One paper from `GET /api/papers/{id}` (upvotes, code links), or None when HF does not know it."""
        what = f"Hugging Face paper {arxiv_id}"
        try:
            resp, body = await self._get(what, f"{self.hf_endpoint}/api/papers/{arxiv_id}", None)
        except FetchError as e:
            if "HTTP 404" in str(e):
                return None
            raise
        problems: list[str] = []
        try:
            _, papers = await asyncio.to_thread(_hf_page, body, what, None, problems)
        except ValueError as e:
            raise self._shape_error(what, resp, str(e), "a Hugging Face paper") from None
        return papers[0] if papers else None

    async def arxiv_query(self, search_query: Optional[str] = None, max_results: int = 100, page_size: int = 100,
                          sort_by: str = "submittedDate", id_list: Optional[list[str]] = None) -> Batch:
        """Up to `max_results` papers of an arXiv API query (or of an `id_list`), newest first, paging politely."""
        batch = Batch()
        start = 0
        label = f"arXiv query {search_query!r}" if search_query else f"arXiv ids {','.join(id_list or [])[:60]}"
        while start < max_results:
            n = min(page_size, max_results - start)
            params: dict = {"start": start, "max_results": n}
            if search_query:
                params.update(search_query=search_query, sortBy=sort_by, sortOrder="descending")
            if id_list:
                params["id_list"] = ",".join(id_list)
            resp, body = await self._get(label, self.arxiv_api_url, params, arxiv=True)
            problems: list[str] = []
            try:
                papers, got, total = await asyncio.to_thread(parse_atom_doc, body, problems, f"arXiv {label}")
            except ValueError as e:
                raise self._shape_error(label, resp, str(e), "an arXiv Atom feed") from None
            if got and not papers and not id_list:
                raise _nothing_valid(label, problems, got)
            batch.papers += papers
            batch.problems += problems
            start += n
            if got < n or (total is not None and start >= total):
                break
        return batch

    async def arxiv_ids(self, ids: list[str], batch_size: int = 100) -> Batch:
        """Details of these arXiv ids through the API's `id_list`, `batch_size` ids per request."""
        out = Batch()
        for i in range(0, len(ids), batch_size):
            part = ids[i:i + batch_size]
            got = await self.arxiv_query(id_list=part, max_results=len(part), page_size=len(part))
            out.papers += got.papers
            out.problems += got.problems
        return out

    async def arxiv_listing(self, category: str, today: Optional[str] = None) -> Listing:
        """The whole daily announcement of one category from arXiv's listing feed (`{feed url}/{category}`).

        Items the feed gives without a title or abstract are completed through the API's `id_list`
        (100 ids a request); any still incomplete are skipped with a reason. An empty feed is a day without an
        announcement (`Listing.announced` is False), not an error.
        """
        category = check_category(category)
        what = f"arXiv listing {category}"
        resp, body = await self._get(what, f"{self.arxiv_feed_url}/{category}", None, arxiv=True)
        problems: list[str] = []
        try:
            listing = await asyncio.to_thread(parse_listing, body, category, problems, f"arXiv {category}", today)
        except ValueError as e:
            raise self._shape_error(what, resp, str(e), "an arXiv listing feed") from None
        if listing.items and not (listing.new or listing.replaced):
            raise _nothing_valid(what, problems, listing.items)
        if listing.incomplete:
            await self._complete(listing, problems)
        listing.problems = problems
        return listing

    async def _complete(self, listing: Listing, problems: list[str]) -> None:
        wanted = set(listing.incomplete)
        try:
            got = {p.id: p for p in (await self.arxiv_ids(sorted(wanted))).papers}
        except FetchError as e:
            problems.append(f"details of {len(wanted)} papers could not be fetched: {e}")
            got = {}
        for papers in (listing.new, listing.replaced):
            keep = []
            for p in papers:
                if p.id not in wanted:
                    keep.append(p)
                elif p.id in got:  # the API's details, dated by the listing and with the feed's categories
                    full = got[p.id]
                    keep.append(replace(full, published=p.published or full.published,
                                        categories=p.categories or full.categories))
                else:
                    problems.append(f"item {p.id} skipped: the feed had no title or abstract and the API none either")
            papers[:] = keep
        listing.incomplete = []

    async def arxiv_category(self, category: str, max_results: int = 100) -> Batch:
        """The newest submissions in one arXiv category, e.g. `cs.CL`."""
        category = check_category(category)
        return await self.arxiv_query(f"cat:{category}", max_results=max_results)


def _hf_page(body: bytes, name: str, day: Optional[str], problems: list) -> tuple[int, list[Paper]]:
    """(items on the page, papers that parsed); ValueError when the answer is not an HF list. Runs in a thread."""
    items = hf.decode_items(body)
    papers = list(hf.parse_items(items, Problems(problems, name), hf_date=day))
    return len(items), papers
