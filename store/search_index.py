"""Search queries against the FTS5 index (owned by the search work)."""
from __future__ import annotations

from sqlite_utils.migrations import Migrations

from store.db import register

migrations = register(Migrations("search"))


class SearchRepo:
    """Placeholder until the search work lands."""

    def __init__(self, db):
        self.db = db
