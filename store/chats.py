"""Chats, follows, digest claims and deliveries (owned by the follows/digests work)."""
from __future__ import annotations

from sqlite_utils.migrations import Migrations

from store.db import register

migrations = register(Migrations("chats"))


class ChatRepo:
    """Placeholder until the follows/digests work lands."""

    def __init__(self, db):
        self.db = db
