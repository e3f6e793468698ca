"""Settings, read from the environment. The only module that touches `os.environ`.

Everything is parsed and checked once, in `Settings.from_env`: a bad value raises `ConfigError` with one line that
names the variable and the form it expects (never the value of a secret). `unknown_variables` turns a mistyped name
(`TELEGRAM_TOKEN`) into a "did you mean" warning.
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Optional, TypeVar
from urllib.parse import urlparse

from bot.errors import ConfigError

T = TypeVar("T")

# Every variable Settings reads. A PAPERWIRE_*/TELEGRAM_*/SLACK_* name not listed here is reported as unknown.
KNOWN = (
    "PAPERWIRE_DB", "PAPERWIRE_SEEDS", "HOST", "PORT", "HF_ENDPOINT", "ARXIV_API_URL", "ARXIV_FEED_URL",
    "PAPERWIRE_INGEST",
    "PAPERWIRE_INGEST_INTERVAL", "PAPERWIRE_ARXIV_CATEGORIES", "PAPERWIRE_TICK_SECONDS", "PAPERWIRE_NOW",
    "PAPERWIRE_CLOCK_SPEED", "PAPERWIRE_SENDS_IN_FLIGHT", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_API_BASE_URL", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET", "SLACK_API_URL", "SLACK_ADMINS_ONLY", "PAPERWIRE_LOG_LEVEL", "PAPERWIRE_LOG_FORMAT",
    "PAPERWIRE_LOG_FILE",
)
CHECKED_PREFIXES = ("PAPERWIRE_", "TELEGRAM_", "SLACK_")
# names other software reads under our prefixes (Bolt's own settings, PTB's opt-in): never "unknown"
FOREIGN = {"SLACK_BOLT_", "SLACK_SDK_", "TELEGRAM_PTB_"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$", re.I)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_CATEGORY = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$")
_TELEGRAM_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_\-]+$")


def _bool(value: Optional[str], default: bool) -> bool:
    """Lenient boolean (kept for callers outside from_env): anything not true-ish is False."""
    if value is None or value == "":
        return default
    return value.strip().lower() in _TRUE


def parse_bool(name: str, value: str) -> bool:
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ConfigError(f"{name} must be 1/0, true/false, yes/no or on/off, got {value!r}")


def parse_port(name: str, value: str) -> int:
    if not value.strip().isdigit() or not 1 <= int(value) <= 65535:
        raise ConfigError(f"{name} must be a TCP port number from 1 to 65535, got {value!r}")
    return int(value)


def parse_seconds(name: str, value: str, minimum: float = 1) -> int:
    """`3600`, `90s`, `30m`, `1h`, `1d` -> whole seconds (at least `minimum`)."""
    m = _DURATION.match(value)
    seconds = float(m.group(1)) * _UNITS[(m.group(2) or "s").lower()] if m else -1
    if seconds < minimum:
        raise ConfigError(f"{name} must be a duration of at least {minimum:g} s, like 3600, 90s, 30m or 1h; "
                          f"got {value!r}")
    return int(seconds)


def parse_positive(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number > 0 or number == float("inf"):
        raise ConfigError(f"{name} must be a positive number (e.g. 60), got {value!r}")
    return number


def parse_sends(name: str, value: str) -> int:
    if not value.strip().isdigit() or not 1 <= int(value) <= 32:
        raise ConfigError(f"{name} must be a whole number from 1 to 32 (sends in flight at once), got {value!r}")
    return int(value)


def parse_instant_setting(name: str, value: str) -> str:
    from bot.clock import parse_instant

    try:
        parse_instant(value)
    except ValueError:
        raise ConfigError(f"{name} must be an ISO-8601 time like 2026-03-11T08:00:00Z, got {value!r}") from None
    return value.strip()


def parse_url(name: str, value: str) -> str:
    u = urlparse(value.strip())
    if u.scheme not in ("http", "https") or not u.hostname:
        raise ConfigError(f"{name} must be an http(s) URL like https://example.org, got {value!r}")
    return value.strip()


def parse_choice(choices: tuple[str, ...], upper: bool) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        v = value.strip().upper() if upper else value.strip().lower()
        if v not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return v

    return parse


def parse_categories(name: str, value: str) -> tuple[str, ...]:
    from bot.sources.categories import check_category  # arXiv's taxonomy: foo.bar is refused, cs.cl is cs.CL

    cats = tuple(c.strip() for c in value.split(",") if c.strip())
    bad = [c for c in cats if not _CATEGORY.match(c)]
    if bad:
        raise ConfigError(f"{name} must be comma-separated arXiv categories like cs.CL,cs.LG; {bad[0]!r} is not one")
    try:
        return tuple(dict.fromkeys(check_category(c) for c in cats))
    except ValueError as e:
        raise ConfigError(f"{name}: {e}") from None


def secret(pattern: Optional[re.Pattern], form: str) -> Callable[[str, str], str]:
    """A token: checked for its shape; the message never repeats the value."""

    def parse(name: str, value: str) -> str:
        v = value.strip()
        if any(c.isspace() for c in v) or (pattern is not None and not pattern.match(v)):
            raise ConfigError(f"{name} does not look right (expected {form}; value not shown)")
        return v

    return parse


def prefixed(prefix: str, form: str) -> Callable[[str, str], str]:
    return secret(re.compile("^" + re.escape(prefix) + r"\S+$"), form)


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
    sends_in_flight: int = 1  # unconfirmed sends at once: a crash can repeat at most this many parts
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
    # logs
    log_level: str = "INFO"
    log_format: str = "text"  # text | json (one JSON object per line, for log collectors)
    log_file: Optional[str] = None  # the console chat logs here (default: paperwire.log next to the database)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        """Parse and check every variable; the first bad one raises ConfigError (one line, no secret)."""
        e = os.environ if env is None else env

        def get(name: str, parse: Callable[[str, str], T], default: T) -> T:
            value = e.get(name)
            if value is None or value.strip() == "":
                return default
            return parse(name, value)

        def text(_name: str, value: str) -> str:
            return value.strip()

        return cls(
            db_path=get("PAPERWIRE_DB", text, "paperwire.db"),
            seeds_dir=get("PAPERWIRE_SEEDS", text, None),
            host=get("HOST", text, "0.0.0.0"),
            port=get("PORT", parse_port, 3000),
            hf_endpoint=get("HF_ENDPOINT", parse_url, "https://huggingface.co").rstrip("/"),
            arxiv_api_url=get("ARXIV_API_URL", parse_url, "https://export.arxiv.org/api/query"),
            arxiv_feed_url=get("ARXIV_FEED_URL", parse_url, "https://rss.arxiv.org/rss").rstrip("/"),
            ingest_enabled=get("PAPERWIRE_INGEST", parse_bool, True),
            ingest_interval_s=get("PAPERWIRE_INGEST_INTERVAL", parse_seconds, 3600),
            arxiv_categories=get("PAPERWIRE_ARXIV_CATEGORIES", parse_categories, ()),
            tick_seconds=get("PAPERWIRE_TICK_SECONDS", parse_seconds, 30),
            sends_in_flight=get("PAPERWIRE_SENDS_IN_FLIGHT", parse_sends, 1),
            fake_now=get("PAPERWIRE_NOW", parse_instant_setting, None),
            clock_speed=get("PAPERWIRE_CLOCK_SPEED", parse_positive, 1.0),
            telegram_token=get("TELEGRAM_BOT_TOKEN", secret(_TELEGRAM_TOKEN, "123456789:AA... from @BotFather"), None),
            telegram_webhook_url=get("TELEGRAM_WEBHOOK_URL", parse_url, None),
            telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET", secret(re.compile(r"^[A-Za-z0-9_\-]{1,256}$"),
                                                                          "1-256 characters A-Z a-z 0-9 _ -"), None),
            telegram_api_base_url=get("TELEGRAM_API_BASE_URL", parse_url, None),
            slack_bot_token=get("SLACK_BOT_TOKEN", prefixed("xoxb-", "a bot token xoxb-..."), None),
            slack_app_token=get("SLACK_APP_TOKEN", prefixed("xapp-", "an app-level token xapp-..."), None),
            slack_signing_secret=get("SLACK_SIGNING_SECRET", secret(None, "the app's signing secret"), None),
            slack_client_id=get("SLACK_CLIENT_ID", text, None),
            slack_client_secret=get("SLACK_CLIENT_SECRET", secret(None, "the app's client secret"), None),
            slack_api_url=get("SLACK_API_URL", parse_url, "https://slack.com/api/"),
            slack_admins_only=get("SLACK_ADMINS_ONLY", parse_bool, False),
            log_level=get("PAPERWIRE_LOG_LEVEL", parse_choice(LOG_LEVELS, upper=True), "INFO"),
            log_format=get("PAPERWIRE_LOG_FORMAT", parse_choice(LOG_FORMATS, upper=False), "text"),
            log_file=get("PAPERWIRE_LOG_FILE", text, None),
        )

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    def check_platforms(self) -> None:
        """What `run` needs on top of well-formed values: each enabled platform has what it needs to start."""
        if self.slack_bot_token and not (self.slack_app_token or self.slack_signing_secret):
            raise ConfigError("SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
                              "SLACK_SIGNING_SECRET (HTTP mode at /slack/events) is")
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            raise ConfigError("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together (Slack OAuth): set both or neither")
        if self.slack_client_id and not self.slack_signing_secret:
            raise ConfigError("Slack OAuth (SLACK_CLIENT_ID/SLACK_CLIENT_SECRET) also needs SLACK_SIGNING_SECRET")

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token or (self.slack_client_id and self.slack_client_secret))


def unknown_variables(env: Optional[Mapping[str, str]] = None) -> list[str]:
    """One warning per PAPERWIRE_*/TELEGRAM_*/SLACK_* variable that nothing reads, with the likely intended name."""
    e = os.environ if env is None else env
    out = []
    for name in sorted(e):
        if not name.startswith(CHECKED_PREFIXES) or name in KNOWN or name.startswith(tuple(FOREIGN)):
            continue
        head, _, rest = name.partition("_")
        guess = [rest] if rest in KNOWN else difflib.get_close_matches(name, KNOWN, n=1, cutoff=0.6)  # PAPERWIRE_PORT
        if not guess:  # TELEGRAM_TOKEN -> TELEGRAM_BOT_TOKEN: same prefix, the rest contained
            guess = [k for k in KNOWN if k.startswith(head + "_") and rest and rest in k][:1]
        hint = f" (did you mean {guess[0]}?)" if guess else ""
        out.append(f"unknown setting {name} is ignored{hint}")
    return out


def debug_requested(env: Optional[Mapping[str, str]] = None) -> bool:
    """PAPERWIRE_LOG_LEVEL=DEBUG: show tracebacks of known failures too (read leniently: config may be broken)."""
    e = os.environ if env is None else env
    return (e.get("PAPERWIRE_LOG_LEVEL") or "").strip().upper() == "DEBUG"


SECRET_VARIABLES = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN",
                    "SLACK_SIGNING_SECRET", "SLACK_CLIENT_SECRET")


def redact(text: str, env: Optional[Mapping[str, str]] = None) -> str:
    """`text` with the value of every configured secret replaced by `***` (for last-resort error lines)."""
    e = os.environ if env is None else env
    for name in SECRET_VARIABLES:
        value = (e.get(name) or "").strip()
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text
