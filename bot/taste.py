"""The learner: keeps bot/learn.py's feature space in step with the store and one model per chat with its feedback.

Threading: `sync`, `model`, `recommend`, `similar` and `taste` are CPU work and only read the store; the async
wrappers run them in a worker thread (`asyncio.to_thread`) so the event loop keeps answering. One lock serializes
them. `rank` and `picks` (what the digest builder calls) never fit: they use the model already fitted for the chat's
current feedback, and ask for a refit in the background when it is stale, so a digest never waits on a fit.
Writes (votes, saves) happen on the event loop through the store, then `refresh_soon` refits in the background.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Sequence

from typing import TYPE_CHECKING

from bot.models import Paper

if TYPE_CHECKING:
    from bot.learn import FeatureSpace, TasteModel

log = logging.getLogger(__name__)
READ_CHUNK = 5000
MIN_POSITIVES = 3  # a chat gets a model once it has this many likes, saves or imported papers
# numpy, scipy and scikit-learn (bot/learn.py) are imported on first real use, in a worker thread: creating a Learner
# and asking it for a chat's (not yet fitted) model costs nothing, so a start-up never waits on those imports.


@dataclass(frozen=True)
class Pick:
    """A paper the model (or the similarity) chose, its score, and the terms that made it score."""

    paper: Paper
    score: float
    why: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taste:
    counts: dict
    positive: tuple[tuple[str, float], ...] = ()
    negative: tuple[tuple[str, float], ...] = ()
    active: bool = False  # a model exists (>= MIN_POSITIVES positives)


def _seed(platform: str, chat_id: str) -> int:
    return zlib.crc32(f"{platform}:{chat_id}".encode())


class Learner:
    def __init__(self, store):
        self.store = store
        self.space: Optional[FeatureSpace] = None
        self._models: dict[tuple[str, str], TasteModel] = {}
        self._lock = threading.RLock()
        self._tasks: set[asyncio.Task] = set()
        self._stop = threading.Event()
        hooks = getattr(store, "before_close", None)
        if hooks is not None:  # the store closes its connection only after this learner's workers are done
            hooks.append(self.close)
        self._cache_key, self._cache_rows, self._cache_x = None, {}, None  # one digest tick's transformed papers

    def close(self) -> None:
        """Shutdown (called before the store closes): a build in a worker thread stops at its next chunk, a fit in
        progress finishes, and no worker touches the store afterwards (a query racing the connection's close
        can crash the interpreter)."""
        self._stop.set()
        if self._lock.acquire(timeout=30):
            self._lock.release()

    def _stopped(self):
        from bot.learn import Stopped

        return Stopped("learner closed")

    # -- the corpus ----------------------------------------------------------------------------------------------
    def _read(self, after_pk: int) -> tuple[list[str], list[str], int]:
        from bot.learn import Stopped, paper_text

        ids: list[str] = []
        texts: list[str] = []
        last = after_pk
        while not self._stop.is_set():
            rows = self.store.learning.texts_after(last, READ_CHUNK)
            if not rows:
                return ids, texts, last
            for pk, pid, title, abstract, *_ in rows:
                ids.append(pid)
                texts.append(paper_text(title, abstract))
            last = rows[-1][0]
        raise Stopped("learner closed")

    def sync(self) -> FeatureSpace:
        """Build the space on first use, add papers stored since, refit the IDF when the corpus grew a lot."""
        from bot.learn import FeatureSpace

        with self._lock:
            if self._stop.is_set():
                raise self._stopped()
            space = self.space
            top = self.store.learning.max_pk()
            if space is not None and top <= space.max_pk:
                return space
            if space is None or space.needs_refit(len(space) + (top - space.max_pk)):
                ids, texts, last = self._read(0)
                fresh = FeatureSpace().fit(ids, texts, max_pk=last, stop=self._stop)
                log.info("learn: vectorized %d papers in %.1f s (%.0f MB)", len(fresh), fresh.seconds,
                         fresh.nbytes() / 1e6)
                self.space, self._models = fresh, {}  # models index rows of the old space
                return fresh
            ids, texts, last = self._read(space.max_pk)
            added = space.extend(ids, texts, max_pk=last)
            if added:
                log.info("learn: added %d papers to the feature space in %.2f s", added, space.seconds)
            return space

    @property
    def ready(self) -> bool:
        return self.space is not None

    async def ensure_ready(self, timeout: Optional[float] = None) -> bool:
        """Sync the space off the loop; False when it is not ready within `timeout` (it keeps building)."""
        task = self._spawn(asyncio.to_thread(self.sync))
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and type(task.exception()).__name__ != "Stopped":
            log.error("learn: background work failed: %r", task.exception())

    async def settle(self) -> None:
        """Wait for background builds and refits (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def warm(self, delay: float = 0.0) -> None:
        """Start-up: vectorize the corpus, then fit every chat that has feedback (after `delay` seconds, so the
        platforms' first requests are answered before the imports and the build compete for the interpreter)."""
        try:
            if delay:
                await asyncio.sleep(delay)
            await asyncio.to_thread(self.sync)
            for platform, chat_id in self.store.learning.taught_chats():
                await asyncio.to_thread(self.model, platform, chat_id)
        except Exception as e:  # Stopped at shutdown; anything else is logged, the bot works without picks
            if type(e).__name__ != "Stopped":
                log.exception("learn: warming up failed")

    # -- models --------------------------------------------------------------------------------------------------
    def model(self, platform: str, chat_id: str) -> Optional[TasteModel]:
        """The chat's model for its current feedback (fitted now if the feedback changed); None below 3 positives."""
        from bot.learn import fit_model

        with self._lock:
            if self._stop.is_set():
                return self._models.get((platform, chat_id))
            space = self.sync()
            version = self.store.learning.version(platform, chat_id)
            key = (platform, chat_id)
            cached = self._models.get(key)
            if cached is not None and cached.version == version:
                return cached
            labels = self.store.learning.labels(platform, chat_id)
            pos = [space.row_of[p] for p, v in labels.items() if v > 0 and p in space.row_of]
            neg = [space.row_of[p] for p, v in labels.items() if v < 0 and p in space.row_of]
            model = fit_model(space, pos, neg, seed=_seed(platform, chat_id)) if len(pos) >= MIN_POSITIVES else None
            if model is None:
                self._models.pop(key, None)
                return None
            model.version = version
            self._models[key] = model
            return model

    def cached(self, platform: str, chat_id: str) -> Optional[TasteModel]:
        """The fitted model without fitting; asks for a refit in the background when the feedback moved on."""
        model = self._models.get((platform, chat_id))
        if self._stop.is_set():
            return model
        try:
            stale = model is None or model.version != self.store.learning.version(platform, chat_id)
        except Exception:  # a closed store at shutdown
            return model
        if stale and self.store.learning.version(platform, chat_id):
            self.refresh_soon(platform, chat_id)
        return model

    async def refresh(self, platform: str, chat_id: str) -> Optional[TasteModel]:
        return await asyncio.to_thread(self.model, platform, chat_id)

    def refresh_soon(self, platform: str, chat_id: str) -> None:
        if self._stop.is_set():
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (CLI): the next call fits synchronously
        self._spawn(self.refresh(platform, chat_id))

    # -- scoring -------------------------------------------------------------------------------------------------
    def _explain(self, model: TasteModel, paper: Paper, row, k: int = 3) -> tuple[str, ...]:
        from bot.learn import bucket_terms, paper_text

        names = bucket_terms([paper_text(paper.title, paper.abstract)])
        return tuple(names[b] for b, _ in model.contributions(row, k) if b in names)

    def _rows(self, papers: Sequence[Paper], key=None):
        """The papers' rows, transformed with the space's IDF. With a `key` (a digest tick), rows are kept and
        reused by every chat of that tick, so a window's papers are transformed once, not once per chat."""
        import scipy.sparse as sp

        from bot.learn import paper_text

        space = self.space
        if space is None:
            raise RuntimeError("no feature space yet")  # score() returns [] before the space is built
        if key is None:
            return space.transform([paper_text(p.title, p.abstract) for p in papers])
        with self._lock:
            if self._cache_key != (key, id(space)):
                self._cache_key, self._cache_rows, self._cache_x = (key, id(space)), {}, None
            missing = [p for p in dict((p.id, p) for p in papers).values() if p.id not in self._cache_rows]
            if missing:
                block = space.transform([paper_text(p.title, p.abstract) for p in missing])
                base = 0 if self._cache_x is None else self._cache_x.shape[0]
                self._cache_x = block if self._cache_x is None else sp.vstack([self._cache_x, block], format="csr")
                for i, p in enumerate(missing):
                    self._cache_rows[p.id] = base + i
            return self._cache_x[[self._cache_rows[p.id] for p in papers]]

    def score(self, model: TasteModel, papers: Sequence[Paper], explain: bool = False, key=None) -> list[Pick]:
        """Decision values for these papers (transformed with the space's IDF; fast for a digest's few hundred)."""
        if not papers or self.space is None:
            return []
        rows = self._rows(papers, key)
        scores = model.score(rows)
        return [Pick(p, float(s), self._explain(model, p, rows[i]) if explain else ())
                for i, (p, s) in enumerate(zip(papers, scores))]

    def rank(self, platform: str, chat_id: str, papers: Sequence[Paper], key=None) -> list[Paper]:
        """Papers in the chat model's order (stable: ties and chats without a model keep the given order)."""
        model = self.cached(platform, chat_id)
        if model is None or len(papers) < 2 or self.space is None:
            return list(papers)
        scores = [s.score for s in self.score(model, papers, key=key)]
        order = sorted(range(len(papers)), key=lambda i: -scores[i])
        return [papers[i] for i in order]

    def picks(self, platform: str, chat_id: str, papers: Sequence[Paper], k: int = 3,
              exclude: Sequence[str] = (), key=None) -> list[Pick]:
        """Up to k of these papers that score high (above the model's threshold), best first, with their terms."""
        model = self.cached(platform, chat_id)
        if model is None:
            return []
        skip = set(exclude) | set(self.store.learning.labels(platform, chat_id))
        pool = [p for p in papers if p.id not in skip]
        scored = sorted((s for s in self.score(model, pool, key=key) if s.score > model.threshold),
                        key=lambda s: -s.score)[:k]
        return self.score(model, [s.paper for s in scored], explain=True)

    def recommend(self, platform: str, chat_id: str, now: datetime, days: int = 7, limit: int = 5) -> list[Pick]:
        """The top picks among papers dated in the last `days` days (sync: run it off the loop)."""
        import numpy as np

        model = self.model(platform, chat_id)
        if model is None or self.space is None:
            return []
        last = now.date()
        ids = self.store.learning.dated_between((last - timedelta(days=days)).isoformat(), last.isoformat())
        labels = self.store.learning.labels(platform, chat_id)
        space = self.space
        rows = np.array([space.row_of[i] for i in ids if i in space.row_of and i not in labels], dtype=np.int64)
        if not len(rows):
            return []
        scores = space.score_all(model)[rows]
        top = rows[np.argsort(-scores, kind="stable")[:limit]]
        papers = self.store.papers.get_many([space.ids[r] for r in top])
        chosen = [papers[space.ids[r]] for r in top if space.ids[r] in papers]
        return self.score(model, chosen, explain=True)

    def similar(self, paper: Paper, limit: int = 5) -> list[Pick]:
        """The `limit` papers nearest to this one by TF-IDF cosine, with the terms they share most."""
        from bot.learn import bucket_terms, paper_text

        space = self.sync()
        vec = space.transform([paper_text(paper.title, paper.abstract)])
        own = [space.row_of[paper.id]] if paper.id in space.row_of else []
        near = space.similar(vec, limit, exclude=own)
        found = self.store.papers.get_many([space.ids[r] for r, _ in near])
        names = bucket_terms([paper_text(paper.title, paper.abstract)])
        out = []
        for r, score in near:
            other = found.get(space.ids[r])
            if other is None or other.id == paper.id:
                continue
            ov = space.transform([paper_text(other.title, other.abstract)])
            shared = dict(zip(vec.indices.tolist(), vec.data.tolist()))
            contrib = sorted(((shared[b] * x, b) for b, x in zip(ov.indices.tolist(), ov.data.tolist())
                              if b in shared), reverse=True)
            out.append(Pick(other, score, tuple(names[b] for _, b in contrib[:3] if b in names)))
        return out

    def taste(self, platform: str, chat_id: str, k: int = 8) -> Taste:
        from bot.learn import bucket_terms, paper_text

        counts = self.store.learning.counts(platform, chat_id)
        model = self.model(platform, chat_id)
        if model is None or self.space is None:
            return Taste(counts=counts)
        rows = list(model.train_rows)
        papers = self.store.papers.get_many([self.space.ids[r] for r in rows])
        names = bucket_terms(paper_text(p.title, p.abstract) for p in papers.values())
        pos = tuple((names[b], w) for b, w in model.top_buckets(k * 2, 1) if b in names)[:k]
        neg = tuple((names[b], w) for b, w in model.top_buckets(k * 2, -1) if b in names)[:k]
        return Taste(counts=counts, positive=pos, negative=neg, active=True)
