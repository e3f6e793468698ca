"""The `paperwire` command line: core commands (ingest, fetch, search, stats, digest, push).

Platform-running commands (`chat`, `run`) are added in `adapters/cli.py`, which is the console-script entry point,
so that `bot/` never imports an adapter.
"""
from __future__ import annotations

import json
import logging
from typing import Callable

import click

from bot.config import Settings


class Context:
    """Lazily opens the store so `--help` never touches the database.

    `open_store(settings)` is injected by the entry point (`adapters/cli.py`): `bot/` never imports the store.
    """

    def __init__(self, settings: Settings, open_store: Callable[[Settings], object]):
        self.settings = settings
        self._open_store = open_store
        self._store = None

    @property
    def store(self):
        if self._store is None:
            self._store = self._open_store(self.settings)
        return self._store


@click.group()
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
              help="SQLite database file (default: $PAPERWIRE_DB or ./paperwire.db).")
@click.pass_context
def cli(ctx: click.Context, db_path: str | None) -> None:
    """Paperwire: trending research papers in Slack and Telegram."""
    settings = Settings.from_env()
    if db_path:
        settings = settings.with_(db_path=db_path)
    logging.basicConfig(level=getattr(logging, settings.log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # httpx logs URLs, and PTB's URLs hold the token
    if not callable(ctx.obj):
        raise click.UsageError("paperwire must be started through its entry point (adapters.cli:main)")
    ctx.obj = Context(settings, ctx.obj)


@cli.command()
@click.pass_obj
def stats(obj: Context) -> None:
    """Counts, date ranges and sources of the papers in the database."""
    click.echo(json.dumps(obj.store.papers.stats(), indent=2))


def _register() -> None:
    # each feature module adds its commands to `cli`
    from bot import cli_chat, cli_ingest, cli_search  # noqa: F401


_register()
