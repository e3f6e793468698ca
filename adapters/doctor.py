"""`paperwire doctor`: every check a self-hoster wants before (or after) starting the bot, one line each.

config, database integrity (PRAGMA quick_check), schema version, disk space, Telegram `getMe`, Slack `auth.test`,
and whether each configured source answers. Exit 1 when any check fails; warnings do not fail. Nothing is
created or migrated; tokens are never printed.
"""
from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import click

from bot.config import Settings, unknown_variables
from bot.errors import ConfigError

MIN_FREE = 200 << 20  # below this the database (and its WAL) may not be able to grow: fail
LOW_FREE = 1 << 30  # below this: warn


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail | skip
    detail: str

    def line(self) -> str:
        return f"{self.status.upper():4}  {self.name}: {self.detail}"


def check_config(settings: Settings, error: Optional[ConfigError]) -> list[Check]:
    if error is not None:
        return [Check("config", "fail", str(error))]
    out = []
    try:
        settings.check_platforms()
        platforms = [p for p, on in (("telegram", settings.telegram_enabled), ("slack", settings.slack_enabled)) if on]
        out.append(Check("config", "ok", f"platforms: {', '.join(platforms) or 'none (console chat only)'}; "
                                         f"database {Path(settings.db_path).absolute()}"))
    except ConfigError as e:
        out.append(Check("config", "fail", str(e)))
    out += [Check("config", "warn", w) for w in unknown_variables()]
    return out


def check_database(settings: Settings) -> list[Check]:
    from store.health import open_readonly, quick_check, schema_status
    from store.db import SQLiteError

    path = Path(settings.db_path).absolute()
    if not path.is_file():
        return [Check("database", "fail", f"no database at {path} (`paperwire run` creates one)")]
    try:
        conn = open_readonly(path)
        try:
            integrity = quick_check(conn)
            schema = schema_status(conn)
        finally:
            conn.close()
    except SQLiteError as e:
        return [Check("database", "fail", f"{path} is not a usable SQLite database ({e})")]
    out = [Check("database", "ok" if integrity == "ok" else "fail",
                 f"{path}: quick_check {integrity}" + (" (restore a backup)" if integrity != "ok" else ""))]
    if schema.unknown:
        out.append(Check("schema", "fail", f"made by a newer Paperwire (unknown migrations {', '.join(schema.unknown)})"))
    elif schema.pending:
        out.append(Check("schema", "warn", f"{schema.applied} migrations applied, {len(schema.pending)} pending "
                                           f"({', '.join(schema.pending)}): applied at the next start"))
    else:
        out.append(Check("schema", "ok", f"up to date ({schema.applied} migrations)"))
    return out


def check_disk(settings: Settings) -> Check:
    folder = Path(settings.db_path).absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    text = f"{free / (1 << 30):.1f} GB free in {folder}"
    return Check("disk", "fail" if free < MIN_FREE else "warn" if free < LOW_FREE else "ok", text)


async def check_telegram(settings: Settings) -> Optional[Check]:
    if not settings.telegram_token:
        return None
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError, TelegramError

    base = (settings.telegram_api_base_url or "https://api.telegram.org").rstrip("/")
    bot = Bot(settings.telegram_token, base_url=base + "/bot", base_file_url=base + "/file/bot")
    try:
        async with bot:  # initialize() calls getMe
            return Check("telegram", "ok", f"getMe: @{bot.username} at {base}")
    except InvalidToken:
        return Check("telegram", "fail", f"{base} rejected TELEGRAM_BOT_TOKEN (check the token from @BotFather)")
    except NetworkError as e:
        return Check("telegram", "fail", f"cannot reach {base} ({type(e).__name__}): check TELEGRAM_API_BASE_URL")
    except TelegramError as e:
        return Check("telegram", "fail", f"getMe at {base} failed: {type(e).__name__}")


async def check_slack(settings: Settings) -> Optional[Check]:
    if not settings.slack_bot_token:
        return None
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    try:
        answer = await client.auth_test()
        return Check("slack", "ok", f"auth.test: team {answer.get('team')} ({answer.get('team_id')}) as "
                                    f"{answer.get('user')}")
    except SlackApiError as e:
        return Check("slack", "fail", f"auth.test at {settings.slack_api_url} said {e.response.get('error')} "
                                      "(check SLACK_BOT_TOKEN)")
    except Exception as e:  # noqa: BLE001 - aiohttp/OS errors: the point is to report, not to raise
        return Check("slack", "fail", f"cannot reach {settings.slack_api_url} ({type(e).__name__}): "
                                      "check SLACK_API_URL")


async def check_sources(settings: Settings) -> list[Check]:
    if not settings.ingest_enabled:
        return [Check("sources", "skip", "PAPERWIRE_INGEST=0: nothing is fetched on a schedule")]
    from bot.sources.probe import probe_sources

    return [Check(f"source {p.name}", "ok" if p.ok else "fail", p.detail) for p in await probe_sources(settings)]


async def run_checks(settings: Settings, config_error: Optional[ConfigError] = None) -> list[Check]:
    checks = check_config(settings, config_error)
    checks += check_database(settings)
    checks.append(check_disk(settings))
    if config_error is None:
        for found in await asyncio.gather(check_telegram(settings), check_slack(settings)):
            if found is not None:
                checks.append(found)
        checks += await check_sources(settings)
    return checks


@click.command("doctor")
@click.pass_obj
def doctor_command(obj) -> None:
    """Check configuration, database, disk, platform credentials and sources; exit 1 if any check fails."""
    checks = asyncio.run(run_checks(obj._settings, obj.config_error))
    for c in checks:
        click.echo(c.line())
    failed = [c for c in checks if c.status == "fail"]
    click.echo(f"{len(failed)} of {len(checks)} checks failed." if failed else f"all {len(checks)} checks passed.")
    if failed:
        raise SystemExit(1)
