"""Settings, read from the environment. The only module that touches `os.environ`."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Mapping, Optional


def _bool(value: Optional[str], default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Secrets are excluded from repr so they never reach logs."""

    db_path: str = "paperwire.db"
    seeds_dir: Optional[str] = None  # default: the repository's seeds/
    host: str = "0.0.0.0"
    port: int = 3000
    # sources
    hf_endpoint: str = "https://huggingface.co"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_feed_url: str = "https://rss.arxiv.org/rss"  # + "/cs.CL": the category's daily announcement feed
    ingest_enabled: bool = True
    ingest_interval_s: int = 3600
    arxiv_categories: tuple[str, ...] = ()
    # scheduler
    tick_seconds: int = 30
    fake_now: Optional[str] = None  # ISO time: the clock starts here (tests, demos)
    clock_speed: float = 1.0  # with fake_now: simulated seconds per real second
    # telegram
    telegram_token: Optional[str] = field(default=None, repr=False)
    telegram_webhook_url: Optional[str] = None
    telegram_webhook_secret: Optional[str] = field(default=None, repr=False)
    telegram_api_base_url: Optional[str] = None
    # slack
    slack_bot_token: Optional[str] = field(default=None, repr=False)
    slack_app_token: Optional[str] = field(default=None, repr=False)
    slack_signing_secret: Optional[str] = field(default=None, repr=False)
    slack_client_id: Optional[str] = None
    slack_client_secret: Optional[str] = field(default=None, repr=False)
    slack_api_url: str = "https://slack.com/api/"
    slack_admins_only: bool = False
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        e = os.environ if env is None else env
        cats = tuple(c.strip() for c in e.get("PAPERWIRE_ARXIV_CATEGORIES", "").split(",") if c.strip())
        return cls(
            db_path=e.get("PAPERWIRE_DB") or "paperwire.db",
            seeds_dir=e.get("PAPERWIRE_SEEDS") or None,
            host=e.get("HOST") or "0.0.0.0",
            port=int(e.get("PORT") or 3000),
            hf_endpoint=(e.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/"),
            arxiv_api_url=e.get("ARXIV_API_URL") or "https://export.arxiv.org/api/query",
            arxiv_feed_url=(e.get("ARXIV_FEED_URL") or "https://rss.arxiv.org/rss").rstrip("/"),
            ingest_enabled=_bool(e.get("PAPERWIRE_INGEST"), True),
            ingest_interval_s=int(e.get("PAPERWIRE_INGEST_INTERVAL") or 3600),
            arxiv_categories=cats,
            tick_seconds=int(e.get("PAPERWIRE_TICK_SECONDS") or 30),
            fake_now=e.get("PAPERWIRE_NOW") or None,
            clock_speed=float(e.get("PAPERWIRE_CLOCK_SPEED") or 1.0),
            telegram_token=e.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_webhook_url=e.get("TELEGRAM_WEBHOOK_URL") or None,
            telegram_webhook_secret=e.get("TELEGRAM_WEBHOOK_SECRET") or None,
            telegram_api_base_url=e.get("TELEGRAM_API_BASE_URL") or None,
            slack_bot_token=e.get("SLACK_BOT_TOKEN") or None,
            slack_app_token=e.get("SLACK_APP_TOKEN") or None,
            slack_signing_secret=e.get("SLACK_SIGNING_SECRET") or None,
            slack_client_id=e.get("SLACK_CLIENT_ID") or None,
            slack_client_secret=e.get("SLACK_CLIENT_SECRET") or None,
            slack_api_url=e.get("SLACK_API_URL") or "https://slack.com/api/",
            slack_admins_only=_bool(e.get("SLACK_ADMINS_ONLY"), False),
            log_level=e.get("PAPERWIRE_LOG_LEVEL") or "INFO",
        )

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token or (self.slack_client_id and self.slack_client_secret))
