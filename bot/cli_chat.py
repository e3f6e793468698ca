"""`paperwire digest` and `paperwire push --dry-run`: see what the scheduler would send, without sending or claiming."""
from __future__ import annotations

import click

from bot.cli import Context, cli
from bot.clock import make_clock, parse_instant
from bot.plain import render


def _core(obj: Context, now: str | None):
    from bot.core import Core

    clock = make_clock(now or obj.settings.fake_now, 1.0 if now else obj.settings.clock_speed)
    return Core(obj.store, obj.settings, clock=clock)


def _when(now: str | None):
    if not now:
        return None
    try:
        return parse_instant(now)
    except ValueError:
        raise click.BadParameter(f"not an ISO-8601 time: {now!r} (e.g. 2026-03-11T08:00:00Z)", param_hint="--now")


@cli.command("digest")
@click.option("--chat", "chat", required=True, metavar="PLATFORM:ID", help="e.g. telegram:12345 or console:you")
@click.option("--now", default=None, metavar="ISO", help="Pretend it is this time (default: now).")
@click.option("--trending", is_flag=True, help="Show the chat's trending post instead of its topic digest.")
@click.option("--json", "as_json", is_flag=True, help="Print the digest as one JSON object (chat, window, sections).")
@click.pass_obj
def digest_command(obj: Context, chat: str, now: str | None, trending: bool, as_json: bool) -> None:
    """Print what a chat's next digest would hold now (nothing is claimed or recorded)."""
    platform, sep, chat_id = chat.partition(":")
    if not sep or not platform or not chat_id:
        raise click.BadParameter("use PLATFORM:ID, e.g. telegram:12345", param_hint="--chat")
    moment = _when(now)
    core = _core(obj, now)
    d = core.preview_digest(platform, chat_id, moment, kind="trending" if trending else "digest")
    if d is None:
        raise click.ClickException(f"no chat {chat} in {obj.settings.db_path}")
    if as_json:
        import json

        click.echo(json.dumps(core.digest_json(d), ensure_ascii=False))
        return
    if not d.reply.text and not d.reply.cards and not d.reply.sections:
        click.echo(f"{chat}: nothing to send ({len(core.store.chats.topics(platform, chat_id))} topics followed).")
        return
    click.echo(render(d.reply)[0])


@cli.command("push")
@click.option("--dry-run", is_flag=True, help="Only print the due digests (required: `paperwire run` sends them).")
@click.option("--now", default=None, metavar="ISO", help="Pretend it is this time (default: now).")
@click.pass_obj
def push_command(obj: Context, dry_run: bool, now: str | None) -> None:
    """Print every digest and trending post due now, without claiming them."""
    if not dry_run:
        raise click.UsageError("sending happens in `paperwire run`; use `paperwire push --dry-run` to preview")
    moment = _when(now)
    due = _core(obj, now).preview_due(moment)
    for d in due:
        click.echo(f"=== {d.kind} for {d.chat.key} ({d.local_date}, {d.chat.tz}) ===")
        click.echo(render(d.reply)[0])
    click.echo(f"{len(due)} due.")
