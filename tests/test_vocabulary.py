"""The search vocabulary (bot/search_plan.Vocabulary) is never rebuilt on a running event loop once it exists: the
old lexicon keeps serving while a worker thread with its own SQLite connection builds the next one, swapped in on
the loop. Off the loop (CLI, the digest builder's thread) and for an in-memory database it is rebuilt inline.

No sleeps: the worker is held on a threading.Event and joined."""
from __future__ import annotations

import asyncio
import threading

from bot.models import Paper
from bot.search import Searcher
from bot.search_plan import Vocabulary, lexicon, stems_for
from store import Store
from store.search_index import SearchRepo

T0 = "2026-03-11T07:00:00+00:00"


def papers(word: str, n: int = 3, start: int = 0) -> list[Paper]:
    return [Paper.make(f"{word.title()} networks for graphs {i}", f"2603.{start + i:05d}",
                       abstract=f"We study {word} networks.", authors=("A. Author",)) for i in range(n)]


def knows(repo, word: str) -> bool:
    [stem] = stems_for(repo, [word])[word]
    return lexicon(repo).df.get(stem, 0) > 0


async def test_a_stale_vocabulary_is_rebuilt_off_the_loop_while_the_old_one_serves(tmp_path, monkeypatch):
    store = Store(tmp_path / "pw.db")
    store.papers.upsert_many(papers("convolutional"), now=T0)
    searcher = Searcher(store)
    searcher.warm()  # the first lexicon: inline (start-up)
    old = lexicon(store.search)
    assert knows(store.search, "convolutional") and not knows(store.search, "zymurgical")

    release, entered = threading.Event(), threading.Event()
    reads: list[str] = []
    vocabulary = SearchRepo.vocabulary

    def held_vocabulary(repo):
        reads.append(threading.current_thread().name)
        entered.set()
        if threading.current_thread() is not threading.main_thread():
            assert release.wait(timeout=10)  # the rebuild waits until the loop has answered a search
        return vocabulary(repo)

    monkeypatch.setattr(SearchRepo, "vocabulary", held_vocabulary)
    # another process adds papers with a new word: the lexicon is stale
    other = Store(tmp_path / "pw.db")
    other.papers.upsert_many(papers("zymurgical", start=100), now=T0)
    other.close()

    result = searcher.search("zymurgical networks")  # answered now, with the old lexicon
    assert [h.paper.arxiv_id for h in result.hits][:1] and all("Zymurgical" in h.paper.title for h in result.hits)
    owner: Vocabulary = store.search.cache["vocabulary"]
    assert lexicon(store.search) is old and owner.building is not None
    assert entered.wait(timeout=10) and owner.building.is_alive()
    assert reads == ["lexicon"]  # only the worker read the vocabulary, on its own connection
    searcher.search("convolutional networks")  # a second search does not start a second rebuild
    assert reads == ["lexicon"]

    import gc

    frozen = gc.get_freeze_count()
    release.set()
    owner.building.join(timeout=10)
    await asyncio.sleep(0)  # the swap is a callback on this loop
    new = lexicon(store.search)
    assert new is not old and owner.building is None
    assert gc.get_freeze_count() > frozen  # the new vocabulary is out of the collector's way (bot/collector.py)
    assert knows(store.search, "zymurgical")
    store.close()


async def test_a_failed_rebuild_keeps_the_old_vocabulary_and_is_tried_again(tmp_path, monkeypatch):
    store = Store(tmp_path / "pw.db")
    store.papers.upsert_many(papers("convolutional"), now=T0)
    old = lexicon(store.search)

    def broken(repo):
        raise OSError("disk on fire")

    monkeypatch.setattr(SearchRepo, "reopen", broken)
    store.papers.upsert_many(papers("zymurgical", start=100), now=T0)
    owner: Vocabulary = store.search.cache["vocabulary"]
    assert lexicon(store.search) is old
    first = owner.building
    first.join(timeout=10)
    await asyncio.sleep(0)
    assert owner.building is None and lexicon(store.search) is old  # still serving; a new attempt has started
    assert owner.building is not None and owner.building is not first
    owner.building.join(timeout=10)
    await asyncio.sleep(0)
    monkeypatch.undo()
    lexicon(store.search)
    owner.building.join(timeout=10)
    await asyncio.sleep(0)
    assert knows(store.search, "zymurgical")
    store.close()


def test_a_rebuild_finished_after_its_loop_closed_is_still_swapped_in(tmp_path):
    store = Store(tmp_path / "pw.db")
    store.papers.upsert_many(papers("convolutional"), now=T0)
    old = lexicon(store.search)
    store.papers.upsert_many(papers("zymurgical", start=100), now=T0)

    async def search_on_a_loop():
        assert lexicon(store.search) is old  # starts the rebuild; the loop ends before it is done
        return store.search.cache["vocabulary"].building

    worker = asyncio.run(search_on_a_loop())
    worker.join(timeout=10)
    assert lexicon(store.search) is not old and knows(store.search, "zymurgical")
    store.close()


def test_off_the_loop_a_stale_vocabulary_is_rebuilt_inline(tmp_path):
    store = Store(tmp_path / "pw.db")
    store.papers.upsert_many(papers("convolutional"), now=T0)
    assert not knows(store.search, "zymurgical")
    store.papers.upsert_many(papers("zymurgical", start=100), now=T0)
    assert knows(store.search, "zymurgical")  # no loop here (the CLI, the digest builder's thread)
    assert store.search.cache["vocabulary"].building is None
    store.close()


async def test_an_in_memory_database_rebuilds_inline_even_on_the_loop(store):
    store.papers.upsert_many(papers("convolutional"), now=T0)
    assert not knows(store.search, "zymurgical")
    store.papers.upsert_many(papers("zymurgical", start=100), now=T0)
    assert knows(store.search, "zymurgical")  # no second connection could see an in-memory database
    assert store.search.cache["vocabulary"].building is None
