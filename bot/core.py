"""The Core: the one object adapters talk to. Platform-neutral; it knows chats, papers and time, never a platform.

CONTRACT (adapters rely on exactly this):
- `await core.handle(message) -> Reply`: every command text ("/search q", "/follow t", ...) and every button press
  (`message.action` = a Button.action the core produced earlier). Never raises on user input.
- `core.search(text, limit=5, offset=0) -> SearchResult`: for inline mode / direct lookups.
- `core.overview(platform, chat_id) -> Reply`: a chat's topics (with unfollow buttons) and settings (Slack App Home).
- `core.due_digests(now=None) -> list[Digest]`: claims and returns what is due now (digests and trending posts).
- `core.record_delivery(digest, result)`: the adapter's DeliveryResult feeds back (sent / blocked / migrated / retry).
- `core.deactivate_chat(platform, chat_id, reason)`, `core.migrate_chat(platform, old_id, new_id)`: platform events.
"""
from __future__ import annotations

from typing import Optional

from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.models import DeliveryResult, Digest, Message, Reply, SearchResult


class Core:
    def __init__(self, store, settings: Optional[Settings] = None, clock: Clock = system_clock):
        self.store = store
        self.settings = settings or Settings()
        self.clock = clock

    async def handle(self, message: Message) -> Reply:
        raise NotImplementedError

    def search(self, text: str, limit: int = 5, offset: int = 0) -> SearchResult:
        raise NotImplementedError

    def overview(self, platform: str, chat_id: str) -> Reply:
        raise NotImplementedError

    def due_digests(self, now=None) -> list[Digest]:
        raise NotImplementedError

    def record_delivery(self, digest: Digest, result: DeliveryResult) -> None:
        raise NotImplementedError

    def deactivate_chat(self, platform: str, chat_id: str, reason: str = "") -> None:
        raise NotImplementedError

    def migrate_chat(self, platform: str, old_id: str, new_id: str) -> None:
        raise NotImplementedError
