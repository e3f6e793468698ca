"""One paper by id or link: from the store, else fetched (arXiv API `id_list`, then HF `/api/papers/{id}` for
upvotes and code links) and stored once under the usual dedupe rules."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

from bot.models import Paper
from bot.paper_ref import PaperRef, parse_ref
from bot.sources.fetch import FetchError, Fetcher

log = logging.getLogger(__name__)

USAGE = ("Give an arXiv id or link, e.g. /paper 2405.21060, /paper https://arxiv.org/abs/2405.21060v2 or "
         "/paper huggingface.co/papers/2405.21060")


@dataclass(frozen=True)
class Lookup:
    paper: Optional[Paper] = None
    ref: Optional[PaperRef] = None
    error: Optional[str] = None  # user-facing
    fetched: bool = False  # not in the store before: fetched now


async def lookup_paper(store, settings, text: str, now: str, fetcher: Optional[Fetcher] = None,
                       refresh: bool = False) -> Lookup:
    """`text` is an id or link. A paper in the store is answered from it (unless `refresh`)."""
    ref = parse_ref(text)
    if ref is None:
        return Lookup(error=f"That is not an arXiv id or link. {USAGE}")
    known = store.papers.get(ref.arxiv_id)
    if known is not None and not refresh:
        return Lookup(known, ref)
    own = fetcher is None
    fetcher = fetcher or Fetcher.interactive(settings)
    try:
        try:
            batch = await fetcher.arxiv_ids([ref.arxiv_id])
        except FetchError as e:
            return Lookup(known, ref, error=None if known else f"Could not look up {ref.arxiv_id}: {e}")
        found = [p for p in batch.papers if p.id == ref.arxiv_id]
        if not found:
            return Lookup(known, ref, error=None if known else f"{ref.arxiv_id} was not found on arXiv.")
        papers = [found[0]]
        try:
            hf = await fetcher.hf_paper(ref.arxiv_id)
        except FetchError as e:  # the arXiv record is enough; HF only adds upvotes and code links
            log.info("HF lookup of %s failed: %s", ref.arxiv_id, e)
            hf = None
        if hf is not None and hf.id == ref.arxiv_id:
            papers.append(hf)
        store.papers.upsert_many(papers, now=now)
        return Lookup(store.papers.get(ref.arxiv_id), ref, fetched=known is None)
    finally:
        if own:
            await fetcher.aclose()
