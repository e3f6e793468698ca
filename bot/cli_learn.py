"""`paperwire feedback | recommend | similar | import-library`: the same core calls the chat commands make."""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from bot import feedback as fb
from bot.cli import Context, cli
from bot.cli_chat import _core, _when
from bot.library import parse_library


def _chat(chat: str) -> tuple[str, str]:
    platform, _, chat_id = chat.partition(":")
    if not platform or not chat_id:
        raise click.BadParameter("use PLATFORM:ID, e.g. telegram:12345 or console:you", param_hint="--chat")
    return platform, chat_id


def _print_picks(picks, as_json: bool, empty: str) -> None:
    if as_json:
        click.echo(json.dumps({"results": [fb.pick_json(p) for p in picks]}, ensure_ascii=False))
        return
    if not picks:
        click.echo(empty)
        return
    for i, pick in enumerate(picks, 1):
        p = pick.paper
        meta = " · ".join(x for x in (p.arxiv_id or p.id, p.published or "",
                                      f"▲{p.upvotes}" if p.upvotes is not None else "") if x)
        click.echo(f"{i:2}. {p.title}")
        click.echo(f"    {meta}  score {pick.score:.3f}" + (f"  [{', '.join(pick.why)}]" if pick.why else ""))


@cli.command("feedback")
@click.option("--chat", required=True, metavar="PLATFORM:ID")
@click.option("--user", default="cli", show_default=True, help="Whose votes these are.")
@click.option("--like", "likes", multiple=True, metavar="ID", help="A paper id or URL to like (repeatable).")
@click.option("--dislike", "dislikes", multiple=True, metavar="ID", help="A paper id or URL to dislike.")
@click.option("--save", "saves", multiple=True, metavar="ID", help="A paper id or URL to save.")
@click.pass_obj
def feedback_command(obj: Context, chat: str, user: str, likes, dislikes, saves) -> None:
    """Record likes, dislikes and saves for a chat (the latest vote counts)."""
    platform, chat_id = _chat(chat)
    core = _core(obj, None)
    core.ensure_chat(platform, chat_id)
    votes, unknown, saved = [], [], 0
    for refs, value in ((likes, fb.LIKE), (dislikes, fb.DISLIKE), (saves, 0)):
        for ref in refs:
            paper = fb.find_paper(core, ref)
            if paper is None:
                unknown.append(ref)
            elif value:
                votes.append((paper.id, value))
            else:
                saved += fb.save(core, platform, chat_id, user, paper.id)
    fb.set_votes(core, platform, chat_id, user, votes)
    counts = core.store.learning.counts(platform, chat_id)
    click.echo(f"Recorded {len(votes)} vote(s) and {saved} new save(s) for {chat}. The chat now has "
               f"{counts['likes']} likes, {counts['dislikes']} dislikes, {counts['imported']} imported, "
               f"{counts['saved']} saved.")
    if unknown:
        click.echo("Not in the database: " + ", ".join(unknown), err=True)
        sys.exit(2)


@cli.command("recommend")
@click.option("--chat", required=True, metavar="PLATFORM:ID")
@click.option("--now", default=None, metavar="ISO", help="Pretend it is this time (default: now).")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 365))
@click.option("--limit", "-n", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help='{"results": [{"id", "arxiv_id", "title", "score", ...}]}')
@click.pass_obj
def recommend_command(obj: Context, chat: str, now, days: int, limit: int, as_json: bool) -> None:
    """The chat's top picks among the last DAYS days of papers, with the terms that made each score."""
    platform, chat_id = _chat(chat)
    core = _core(obj, now)
    when = _when(now) or core.clock()
    picks = core.learner.recommend(platform, chat_id, when, days=days, limit=limit)
    empty = ("No picks: the chat needs at least 3 likes, saves or imported papers first."
             if core.learner.model(platform, chat_id) is None else f"No papers in the last {days} days.")
    _print_picks(picks, as_json, empty)


@cli.command("similar")
@click.argument("ref", metavar="ID-or-URL")
@click.option("--limit", "-n", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def similar_command(obj: Context, ref: str, limit: int, as_json: bool) -> None:
    """The papers nearest to one paper by TF-IDF cosine."""
    core = _core(obj, None)
    paper, error = asyncio.run(fb.lookup(core, ref))
    if paper is None:
        raise click.ClickException(error or f"{ref!r} is not a paper I can find (give an arXiv id or link).")
    _print_picks(core.learner.similar(paper, limit=limit), as_json, "No similar papers found.")


@cli.command("import-library")
@click.option("--chat", required=True, metavar="PLATFORM:ID")
@click.option("--user", default="cli", show_default=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_library_command(obj: Context, chat: str, user: str, file: Path) -> None:
    """Import a BibTeX file or a Zotero CSV export: matched papers count as the chat's likes."""
    platform, chat_id = _chat(chat)
    core = _core(obj, None)
    core.ensure_chat(platform, chat_id)
    data = file.read_bytes()
    entries, bad, error = parse_library(data, file.name)
    if error:
        raise click.ClickException(error)
    result = asyncio.run(fb.import_entries(core, platform, chat_id, user, entries, unreadable=bad,
                                           fetch=fb.fetcher(core)))
    click.echo(result.summary())
