"""`paperwire search`: one query from the command line, or one query per stdin line (JSON Lines out, for scripts/benchmarks)."""
from __future__ import annotations

import json
import sys

import click

from bot.cli import Context, cli
from bot.render import short_authors


def _result_json(query: str, result) -> dict:
    out = {
        "query": query,
        "results": [
            {
                "id": h.paper.id,
                "arxiv_id": h.paper.arxiv_id,
                "title": h.paper.title,
                "score": h.score,
                "published": h.paper.published,
                "upvotes": h.paper.upvotes,
            }
            for h in result.hits
        ],
    }
    if result.error:
        out["error"] = result.error
    if result.note:
        out["note"] = result.note
    return out


@cli.command(context_settings={"ignore_unknown_options": True})  # `search diffusion -medical` is a query
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(1, 100), help="Results per query.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per query.")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read one query per input line.")
@click.argument("query", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def search(obj: Context, limit: int, as_json: bool, from_stdin: bool, query: tuple[str, ...]) -> None:
    """Search papers: words, "phrases", -exclusions, a OR b, author:Name, since:7d, sort:new|top."""
    from bot.models import SearchResult
    from bot.search import Searcher

    if from_stdin and query:
        raise click.UsageError("give a QUERY or --stdin, not both")
    if not from_stdin and not query:
        raise click.UsageError('give a QUERY, e.g. paperwire search "flash attention"')
    searcher = Searcher(obj.store)
    if from_stdin:
        # every input line gets exactly one answer (blank ones too), so output lines zip with input lines
        for line in sys.stdin:
            text = line.rstrip("\r\n")
            try:
                result = searcher.search(text, limit=limit)
            except Exception:  # one bad line must not end the batch or shift the lines after it
                result = SearchResult(query=text, error="Sorry, this query could not be searched.")
            if as_json:
                click.echo(json.dumps(_result_json(text, result), ensure_ascii=False))
            else:
                _print_human(text, result)
        return
    text = " ".join(query)
    result = searcher.search(text, limit=limit)
    if as_json:
        click.echo(json.dumps(_result_json(text, result), ensure_ascii=False))
        return
    _print_human(text, result)
    if result.error:
        sys.exit(2)


def _print_human(text: str, result) -> None:
    if result.error:
        click.echo(f"{text}: {result.error}", err=True)
        return
    if result.note:
        click.echo(result.note)
    if not result.hits:
        click.echo(f"No papers match {text!r}.")
        return
    for i, h in enumerate(result.hits, 1):
        p = h.paper
        meta = " · ".join(x for x in (p.arxiv_id or "", p.published or "", f"▲{p.upvotes}" if p.upvotes else "") if x)
        click.echo(f"{i:2}. {p.title}")
        if p.authors:
            click.echo(f"    {short_authors(p.authors)}")
        click.echo(f"    {meta}  [{', '.join(h.matched)}]")
        click.echo(f"    {p.url}")
    click.echo(f"({result.total}{'+' if result.total > 3000 else ''} matching)")
