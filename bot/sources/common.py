"""Small helpers every parser shares: whitespace, arXiv ids, dates, and where problems go."""
from __future__ import annotations

import logging
import re
from typing import Optional

from bot.models import strip_version

log = logging.getLogger("bot.sources")

# New style `2402.13214` (4 or 5 digits after the dot, since 2015) and old style `math/0502287`, `hep-th/9901001`,
# `math.DG/0502287`; an optional version suffix is accepted here and stripped by the caller.
_ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$")
_NEW_ID = re.compile(r"\d{4}\.\d{4,5}")
_ABS_URL = re.compile(r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(.+?)(?:\.pdf)?$")
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")


def collapse(text) -> str:
    """Every run of whitespace (arXiv's hard wraps, HF's newlines) becomes one space; None -> ''.

    Already-clean ASCII text (the normalized corpus) is returned as is: checking is ~5x cheaper than
    split/join on an abstract, which matters at 80k papers. The checks cover every ASCII character that
    `str.split()` treats as whitespace.
    """
    if not text:
        return ""
    if not isinstance(text, str):
        text = str(text)
    if text.isascii() and not (
        "  " in text or "\n" in text or "\t" in text or "\r" in text or "\x0b" in text or "\x0c" in text
        or "\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text
        or text[0] == " " or text[-1] == " "
    ):
        return text
    return " ".join(text.split())


def clean_text(text: str) -> str:
    """Lone surrogates (from JSON `\\ud800` escapes) become U+FFFD: SQLite refuses to store them."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def to_text(value, what: str) -> str:
    """A text field, whitespace collapsed; None -> ''; anything but a string (a list, a number) -> ValueError."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{what} is not text ({type(value).__name__})")
    return collapse(clean_text(value))


def arxiv_id_or_none(value) -> Optional[str]:
    """A versionless arXiv id from an id or an abs/pdf URL, or None when it does not look like one."""
    if not isinstance(value, str):
        return None
    if _NEW_ID.fullmatch(value):  # the common case, without a version: nothing to strip
        return value
    value = value.strip()
    m = _ABS_URL.match(value)
    if m:
        value = m.group(1)
    if value.lower().startswith("arxiv:"):
        value = value[6:]
    if not _ARXIV_ID.match(value):
        return None
    return strip_version(value)


def day(value) -> Optional[str]:
    """`2026-08-20T00:00:00.000Z` -> `2026-08-20`; anything that is not an ISO date -> None."""
    if isinstance(value, str) and _ISO_DAY.match(value.strip()):
        return value.strip()[:10]
    return None


def date_in_name(name: str) -> Optional[str]:
    """The YYYY-MM-DD in an upstream file name (`hf_daily_papers_2026-08-21.json`), if any."""
    m = _DATE_IN_NAME.search(name or "")
    return m.group(1) if m else None


def int_or_none(value) -> Optional[int]:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def count_skipped(problems) -> int:
    """How many of the parsers' problem notes are skipped items (the others are whole-document notes)."""
    return sum(1 for p in problems if " skipped" in p)


class Problems:
    """Collects "item skipped because ..." notes: into the caller's list when given, else to the log."""

    def __init__(self, sink: Optional[list] = None, name: str = ""):
        self.sink = sink
        self.prefix = f"{name}: " if name else ""
        self.count = 0

    def add(self, message: str) -> None:
        self.count += 1
        text = self.prefix + message
        if self.sink is not None:
            self.sink.append(text)
        else:
            log.warning("%s", text)
