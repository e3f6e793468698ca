"""The seed page: a text copy of a Hugging Face Daily Papers page.

Layout: a few header lines ("new", "Subscribe", ...), a date line such as `Mar 11`, then pairs of
title line / abstract line separated by blank lines. A later date line starts a new day.

The date line has no year. We take the most recent such date that is not after `today` (injectable, default the
system date): on 2026-11-28, `Mar 11` is 2026-03-11 and `Dec 24` is 2025-12-24. A date line that carries a year
(`Mar 11, 2024`) is taken as written. The papers have no arXiv id, so each gets the stable title id
(`Paper.make(title)`) and merges with its arXiv twin when that arrives later.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Iterator, Optional

from bot.models import Paper
from bot.sources.common import Problems, collapse

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_DATE_LINE = re.compile(
    r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$",
    re.IGNORECASE)
# a title line is short; anything this long is an abstract whose title line is missing
_MAX_TITLE = 400


def parse_date_line(line: str, today: Optional[date] = None) -> Optional[str]:
    """`Mar 11` -> `YYYY-03-11` (year inferred, see module doc); not a date line -> None."""
    m = _DATE_LINE.match(line.strip())
    if not m:
        return None
    month, dom = _MONTHS[m.group(1)[:3].lower()], int(m.group(2))
    if m.group(3):
        candidates = [int(m.group(3))]
    else:
        today = today or date.today()
        latest = today.year if (month, dom) <= (today.month, today.day) else today.year - 1
        candidates = list(range(latest, latest - 8, -1))  # Feb 29 walks back to the last leap year
    for year in candidates:
        try:
            return date(year, month, dom).isoformat()
        except ValueError:
            continue
    return None


def looks_like_seed_page(text: str) -> bool:
    """A date line within the first lines is the page's signature."""
    for line in text.splitlines()[:40]:
        if parse_date_line(line) is not None:
            return True
    return False


def parse_seed_page(data: bytes | str, problems: Optional[list] = None, name: str = "",
                    today: Optional[date] = None) -> Iterator[Paper]:
    sink = Problems(problems, name)
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    lines = [collapse(line) for line in data.lstrip("\ufeff").splitlines()]
    current_day: Optional[str] = None
    title: Optional[str] = None
    title_line = 0

    def paper(t: str, abstract: str) -> Paper:
        return Paper.make(t, abstract=abstract, hf_date=current_day, sources=("seed",))

    for n, line in enumerate(lines, 1):
        if not line:
            continue
        d = parse_date_line(line, today)
        if d is not None:
            if title is not None:
                sink.add(f"line {title_line}: title without an abstract")
                yield paper(title, "")
                title = None
            current_day = d
            continue
        if current_day is None:
            continue  # header lines before the first date
        if title is None:
            if len(line) > _MAX_TITLE:
                sink.add(f"line {n} skipped: an abstract without a title")
                continue
            title, title_line = line, n
        else:
            yield paper(title, line)
            title = None
    if title is not None:
        sink.add(f"line {title_line}: title without an abstract")
        yield paper(title, "")
    if current_day is None:
        sink.add("no date line (like 'Mar 11') found: not a seed page")
