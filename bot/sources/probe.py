"""`paperwire doctor`'s look at the upstream sources: one small, bounded GET per configured source.

Upstream HTTP lives in bot/sources/ only; this asks each endpoint for the least it can answer (one HF paper,
one arXiv result, one category feed) and says whether it answered, naming the host, never a secret.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import httpx

from bot.sources.fetch import USER_AGENT
from bot.sources.http import Limits, bounded_get, host_of


@dataclass(frozen=True)
class Probe:
    name: str
    ok: bool
    detail: str


async def _one(client: httpx.AsyncClient, name: str, url: str, params: dict, limits: Limits) -> Probe:
    try:
        resp, _ = await bounded_get(client, url, params, limits)
    except TimeoutError:
        return Probe(name, False, f"{host_of(url)} did not answer within {limits.deadline:g} s")
    except httpx.HTTPError as e:
        return Probe(name, False, f"cannot reach {host_of(url)} ({type(e).__name__})")
    except Exception as e:  # noqa: BLE001 - a probe reports, it never raises
        return Probe(name, False, f"{host_of(url)}: {type(e).__name__}")
    if not resp.is_success:
        return Probe(name, False, f"{host_of(url)} answered HTTP {resp.status_code}")
    return Probe(name, True, f"{host_of(url)} answered")


async def probe_sources(settings, client: Optional[httpx.AsyncClient] = None, deadline: float = 10.0) -> list[Probe]:
    """One Probe per configured source: HF daily papers always; the arXiv feed and API when categories are set."""
    limits = Limits(deadline=deadline, max_bytes=4 << 20, max_decoded=16 << 20)
    own = client is None
    client = client or httpx.AsyncClient(headers={"User-Agent": USER_AGENT}, follow_redirects=True,
                                         timeout=httpx.Timeout(deadline))
    try:
        out = [await _one(client, "Hugging Face", f"{settings.hf_endpoint.rstrip('/')}/api/daily_papers",
                          {"limit": 1}, limits)]
        cats = tuple(getattr(settings, "arxiv_categories", ()) or ())
        if cats:
            feed = getattr(settings, "arxiv_feed_url", "").rstrip("/")
            if feed:
                out.append(await _one(client, f"arXiv feed {cats[0]}", f"{feed}/{cats[0]}", {}, limits))
            out.append(await _one(client, "arXiv API", settings.arxiv_api_url,
                                  {"search_query": f"cat:{cats[0]}", "max_results": 1}, limits))
        return out
    finally:
        if own:
            await client.aclose()
