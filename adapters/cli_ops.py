"""Operating commands: `paperwire backup DEST`, `paperwire export FILE`, `paperwire import FILE`.

They work on the database file directly (store/transfer.py), so they run beside a live bot: the backup is one
consistent snapshot taken with SQLite's online backup API while the bot keeps writing.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import click

from bot.errors import FatalError


def _existing_db(obj) -> Path:
    path = Path(obj.settings.db_path).absolute()
    if not path.is_file():
        raise FatalError(f"no database at {path} (check --db / PAPERWIRE_DB)")
    return path


@click.command("backup")
@click.argument("dest", type=click.Path(dir_okay=True, writable=True))
@click.pass_obj
def backup_command(obj, dest: str) -> None:
    """Copy the database to DEST (a file, or a folder for a time-stamped file), safely while the bot runs."""
    from store.transfer import backup
    from store.db import SQLiteError

    src = _existing_db(obj)
    target = Path(dest)
    if target.is_dir():
        target = target / f"paperwire-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.db"
    if not target.absolute().parent.is_dir():
        raise FatalError(f"cannot write the backup {target.absolute()}: the folder {target.absolute().parent} "
                         "does not exist")
    try:
        report = backup(src, target)
    except SQLiteError as e:
        raise FatalError(f"backup of {src} failed: {e}") from None
    except OSError as e:
        raise FatalError(f"cannot write the backup {target.absolute()}: {e.strerror or e}") from None
    click.echo(f"backup: {report.path} ({report.bytes / (1 << 20):.1f} MB, {report.papers} papers, "
               f"{report.chats} chats, integrity {report.integrity})")


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.pass_obj
def export_command(obj, file: str) -> None:
    """Write chats, their settings, topics, votes and saved papers as JSON, to move to another host."""
    from store.transfer import export_data

    doc = export_data(obj.store.db)
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    if file == "-":
        click.echo(text)
        return
    Path(file).write_text(text + "\n", encoding="utf-8")
    parts = ", ".join(f"{len(v)} {k}" for k, v in doc.items() if isinstance(v, list))
    click.echo(f"export: {Path(file).absolute()} ({parts})", err=True)


@click.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.pass_obj
def import_command(obj, file) -> None:
    """Merge an export into the database (created if missing): chats upserted, topics and the rest added."""
    from store.transfer import import_data

    try:
        doc = json.load(file)
        counts = import_data(obj.open(create=True).db, doc)
    except (ValueError, AttributeError, TypeError) as e:
        raise FatalError(f"cannot import {file.name}: {e}") from None
    click.echo("import: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
