"""The SQLite store: the only package that holds SQL. `Store(path)` opens, migrates and exposes one repo per concern."""
from __future__ import annotations

from pathlib import Path

from store.db import StoreError, open_database


class Store:
    """One database, one connection, used from one event loop."""

    def __init__(self, path: str | Path = ":memory:", create: bool = True):
        from store.chats import ChatRepo
        from store.deliveries import DeliveryRepo
        from store.learning import LearningRepo
        from store.papers import PaperRepo
        from store.search_index import SearchRepo
        from store.links import LinkRepo
        from store.sources import SourceRepo
        from store.seen import SeenRepo

        self.path = str(path)
        self.created = str(path) != ":memory:" and not Path(path).exists()
        self.db = open_database(path, create=create)
        self.papers = PaperRepo(self.db)
        self.chats = ChatRepo(self.db)
        self.deliveries = DeliveryRepo(self.db)
        self.search = SearchRepo(self.db)
        self.sources = SourceRepo(self.db)
        self.links = LinkRepo(self.db)
        self.seen = SeenRepo(self.db)
        self.learning = LearningRepo(self.db)
        self.before_close: list = []  # callables run before the connection closes

    def reopen(self) -> "Store":
        """A second connection to the same database file (for a worker thread)."""
        return Store(self.path)

    def close(self) -> None:
        for hook in list(self.before_close):  # e.g. the learner's worker threads finish their reads first
            hook()
        self.db.conn.close()


__all__ = ["Store", "StoreError"]
