"""`paperwire ingest PATH...` and `paperwire fetch hf|arxiv` (owned by the sources work).

Files of every supported format are detected by content; bad lines/items are counted as skipped and listed
(the first few), never fatal. Fetch errors are one clear line, never a stack trace.
"""
from __future__ import annotations

import asyncio
import gzip
import sys
import zlib
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, Optional, TextIO

import click

from bot.cli import Context, cli
from bot.clock import make_clock
from bot.models import IngestReport, Paper

SHOWN_PROBLEMS = 10
_CHUNK = 10000  # papers per upsert_many call (a progress-bar step); it commits every store.papers.WRITE_BATCH


def _clock(obj: Context):
    return make_clock(obj.settings.fake_now, obj.settings.clock_speed)


def _now(obj: Context) -> str:
    from bot.sources.schedule import now_iso

    return now_iso(_clock(obj))


def _counts(report: IngestReport, where: str = "input") -> str:
    """`166 added, 0 updated, 3 unchanged, 64 repeated in the file, 2 invalid`: what happened to every item."""
    return (f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.repeated} repeated in the {where}, {report.invalid} invalid")


def _summary(label: str, report: IngestReport, where: str = "answer") -> None:
    click.echo(f"{label}: {_counts(report, where)}")
    for p in report.problems[:SHOWN_PROBLEMS]:
        click.echo(f"  problem: {p}")
    if len(report.problems) > SHOWN_PROBLEMS:
        click.echo(f"  ... and {len(report.problems) - SHOWN_PROBLEMS} more problems")


def counted(path: Path, papers: Iterable[Paper]) -> tuple[Iterable[Paper], Optional[int]]:
    """The papers and how many there are, for a progress bar with a total: JSON Lines (streamed, possibly 80k
    lines) are counted by lines, cheaply; the other formats are whole documents, parsed up front."""
    from bot.sources import HEAD, detect_format

    with open(path, "rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"
    try:
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
            head = f.read(HEAD)
            if detect_format(head, path.name.removesuffix(".gz")) == "jsonl":
                lines, last = head.count(b"\n"), head[-1:]
                for block in iter(lambda: f.read(1 << 20), b""):
                    lines, last = lines + block.count(b"\n"), block[-1:]
                return papers, (lines + (last not in (b"", b"\n"))) or None
    except (OSError, EOFError, zlib.error):
        return papers, None
    items = list(papers)
    return items, len(items)


class _NoBar:
    """No total, no bar (an unreadable file): the summary line follows anyway."""

    def __enter__(self) -> "_NoBar":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def progress_bar(total: Optional[int], label: str, file: Optional[TextIO] = None) -> Any:
    """Position/total, percentage and ETA (click draws it only when stderr is a terminal)."""
    if not total:
        return _NoBar()
    return click.progressbar(length=total, label=label, show_pos=True, show_percent=True, show_eta=True,
                             file=file or sys.stderr)


def _expand(paths: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.is_file() and not f.name.lower().startswith("readme"))
        else:
            files.append(p)
    return files


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, readable=True))
@click.pass_obj
def ingest(obj: Context, paths: tuple[str, ...]) -> None:
    """Load papers from files: seed pages, JSONL(.gz), HF daily_papers JSON, arXiv Atom XML (detected by content).

    A directory loads every file in it, in name order. Re-ingesting is safe: papers are merged, never duplicated.
    """
    from bot.sources import load_path
    from bot.sources.common import count_skipped

    store = obj.open(create=True)  # a new database gets exactly these files, never the seeds
    now = _now(obj)
    total = IngestReport()
    unreadable: list[str] = []
    for path in _expand(paths):
        report = IngestReport()
        parse_problems: list[str] = []
        seen: set[str] = set()  # rows this file touched: a second mention is "repeated", not "unchanged"
        try:
            papers, size = counted(path, load_path(path, parse_problems))
            with progress_bar(size, path.name) as bar:
                it = iter(papers)
                while chunk := list(islice(it, _CHUNK)):
                    report.merge(store.papers.upsert_many(chunk, now=now, seen=seen))
                    bar.update(len(chunk))
        except OSError as e:
            parse_problems.append(f"could not read the file ({e.strerror or e})")
        # items the parsers dropped count as skipped too, next to the store's unchanged/invalid ones
        report.skipped += count_skipped(parse_problems)
        report.problems[:0] = parse_problems
        _summary(str(path), report, where="file")
        total.merge(report)
        if not (report.added or report.updated or report.unchanged or report.repeated):
            unreadable.append(str(path))
    if len(paths) > 1 or Path(paths[0]).is_dir():
        click.echo(f"total: {_counts(total, 'file')}")
    click.echo(f"papers in the database: {store.papers.count()}")
    if unreadable:  # nothing valid in a file is an error, not "0 added"
        click.echo(f"error: no papers could be read from {', '.join(unreadable)}", err=True)
        raise SystemExit(1)


@cli.group()
def fetch() -> None:
    """Fetch papers from Hugging Face daily papers or the arXiv API into the database."""


def _run_fetches(obj: Context, jobs) -> None:
    """Each job is (label, async fn(store, fetcher, clock) -> IngestReport); a failed one is one line on stderr."""
    from bot.sources.fetch import Fetcher

    store = obj.open(create=True)

    async def main() -> bool:
        ok = True
        clock = _clock(obj)
        async with Fetcher.interactive(obj.settings) as fetcher:
            for label, job in jobs:
                report = await job(store, fetcher, clock)
                failed = [p for p in report.problems if p.startswith(label + ": ")]
                if failed and not (report.added or report.updated):
                    click.echo(f"{label}: failed: {failed[0][len(label) + 2:]}", err=True)
                    ok = False
                    continue
                _summary(label, report)
        return ok

    if not asyncio.run(main()):
        raise SystemExit(1)


def _day(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-03-11", param_hint="--date")


@fetch.command("hf")
@click.option("--date", "day", default=None, help="The HF day to fetch (YYYY-MM-DD). Default: today (UTC).")
@click.option("--days", type=click.IntRange(1, 366), default=None,
              help="Fetch the last N days, ending today.")
@click.pass_obj
def fetch_hf(obj: Context, day: str | None, days: int | None) -> None:
    """Papers from the Hugging Face daily papers API (with upvotes and comment counts)."""
    if day and days:
        raise click.UsageError("use either --date or --days, not both")
    day = _day(day)
    if day:
        wanted = [day]
    else:
        today = _clock(obj)().date()
        wanted = [(today - timedelta(days=i)).isoformat() for i in range(days or 1)]
    from bot.sources.schedule import ingest_hf_day

    _run_fetches(obj, [(f"hf {d}", lambda s, f, c, d=d: ingest_hf_day(s, f, c, d)) for d in wanted])


def _categories(ctx, param, values: tuple[str, ...]) -> tuple[str, ...]:
    from bot.sources.categories import check_category

    try:
        return tuple(check_category(v) for v in values)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--category")


@fetch.command("arxiv")
@click.option("--category", "categories", multiple=True, required=True, callback=_categories,
              help="arXiv category such as cs.CL (repeatable).")
@click.option("--max", "max_results", type=click.IntRange(1, 2000), default=None,
              help="Instead of the daily announcement: the newest N submissions through the arXiv API.")
@click.pass_obj
def fetch_arxiv(obj: Context, categories: tuple[str, ...], max_results: int | None) -> None:
    """Today's whole announcement of arXiv categories (the daily listing feed), one request per 3 s."""
    from bot.sources.fetch import FetchError
    from bot.sources.schedule import ingest_arxiv_listing, store_batch

    if max_results is None:
        _run_fetches(obj, [(f"arxiv {c}", lambda s, f, k, c=c: ingest_arxiv_listing(s, f, k, c)) for c in categories])
        return

    async def newest(store, fetcher, clock, c):
        try:
            return store_batch(store, await fetcher.arxiv_category(c, max_results), clock)
        except (FetchError, ValueError) as e:  # reported like the other jobs
            return IngestReport(problems=[f"arxiv {c}: {e}"])

    _run_fetches(obj, [(f"arxiv {c}", lambda s, f, k, c=c: newest(s, f, k, c)) for c in categories])


@cli.command("paper")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print the paper as JSON.")
@click.option("--refresh", is_flag=True, help="Fetch it again even if it is in the database.")
@click.pass_obj
def paper_command(obj: Context, ref: str, as_json: bool, refresh: bool) -> None:
    """One paper by arXiv id or link (arXiv abs/pdf/html, huggingface.co/papers, alphaxiv.org, doi.org/10.48550):
    from the database, else fetched from arXiv (and HF for upvotes and code) and saved."""
    import dataclasses
    import json

    from bot.sources.lookup import lookup_paper

    found = asyncio.run(lookup_paper(obj.open(create=True), obj.settings, ref, now=_now(obj), refresh=refresh))
    if found.error or found.paper is None:
        click.echo(f"error: {found.error or 'not found'}", err=True)
        raise SystemExit(1)
    p = found.paper
    if as_json:
        click.echo(json.dumps({**dataclasses.asdict(p), "url": p.url, "fetched": found.fetched},
                              ensure_ascii=False, indent=2))
        return
    from bot.plain import render
    from bot.render import snippet

    from bot.models import Card, Reply

    text, _ = render(Reply(text=("fetched and saved: " if found.fetched else "") + p.id,
                           cards=(Card(p, snippet=snippet(p)),)))
    click.echo(text)
