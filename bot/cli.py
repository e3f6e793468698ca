"""The `paperwire` command line: core commands (ingest, fetch, search, stats, digest, push).

Platform-running commands (`chat`, `run`) are added in `adapters/cli.py`, which is the console-script entry point,
so that `bot/` never imports an adapter.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Optional

import click

from bot import __version__
from bot.config import Settings, unknown_variables
from bot.errors import ConfigError
from bot.logs import configure as configure_logging


class Context:
    """Lazily opens the store so `--help` never touches the database.

    `open_store(settings, create=..., seed=...)` is injected by the entry point (`adapters/cli.py`): `bot/` never
    imports the store. Reads (`obj.store`) never create a database; `obj.open(create=True)` does (ingest, fetch),
    and `obj.open(create=True, seed=True)` also loads the seeds into a new one (run, chat).
    """

    def __init__(self, settings: Settings, open_store: Callable[..., object],
                 config_error: Optional[ConfigError] = None):
        self._settings = settings
        self.config_error = config_error  # only `doctor` runs with a broken configuration, to report it
        self._open_store = open_store
        self._store: Any = None

    @property
    def settings(self) -> Settings:
        if self.config_error is not None:
            raise self.config_error
        return self._settings

    def open(self, create: bool = False, seed: bool = False) -> Any:
        if self._store is None:
            self._store = self._open_store(self.settings, create=create, seed=seed)
        return self._store

    @property
    def store(self) -> Any:
        return self.open()


@click.group()
@click.version_option(__version__, "--version", "-V", prog_name="paperwire", message="%(prog)s %(version)s")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
              help="SQLite database file (default: $PAPERWIRE_DB or ./paperwire.db).")
@click.pass_context
def cli(ctx: click.Context, db_path: str | None) -> None:
    """Paperwire: trending research papers in Slack and Telegram."""
    if not callable(ctx.obj):
        raise click.UsageError("paperwire must be started through its entry point (adapters.cli:main)")
    config_error = None
    try:
        settings = Settings.from_env()
    except ConfigError as e:
        if ctx.invoked_subcommand != "doctor":
            raise
        settings, config_error = Settings(), e
    if db_path:
        settings = settings.with_(db_path=db_path)
    configure_logging(settings.log_level, settings.log_format)
    for warning in unknown_variables():
        click.echo(f"paperwire: warning: {warning}", err=True)
    ctx.obj = Context(settings, ctx.obj, config_error)


@cli.command()
@click.pass_obj
def stats(obj: Context) -> None:
    """Counts, date ranges and sources of the papers in the database."""
    click.echo(json.dumps(obj.store.papers.stats(), indent=2))


def _register() -> None:
    # each feature module adds its commands to `cli`
    from bot import cli_chat, cli_ingest, cli_learn, cli_search  # noqa: F401


_register()
