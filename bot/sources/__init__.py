"""Sources: pure parsers from bytes to Papers, format detection, and (in fetch.py) the HTTP fetchers.

`load_path(path)` / `load_bytes(data, name)` detect the format by content first, the file name second:
- gzip (magic bytes) is unwrapped, then detected again;
- `<` -> arXiv API Atom XML;
- a JSON document (list or `{"data": [...]}`) -> Hugging Face daily papers;
- JSON Lines -> normalized corpus rows / arXiv listing crawl rows (per line);
- text with a `Mar 11` style date line -> the seed page.
Problems (bad lines/items, unknown formats) go into the caller's `problems` list (or the log); they never abort a
load, and every good paper of a file still comes through.
"""
from __future__ import annotations

import gzip
import json
import re
import zlib
from datetime import date
from pathlib import Path
from typing import Iterator, Optional

from bot.models import Paper
from bot.sources.common import Problems, date_in_name

FORMATS = ("arxiv-atom", "hf-json", "jsonl", "seed-page")
HEAD = 1 << 16  # bytes looked at to detect a format
_LIST_WRAPPER = re.compile(r'^\{\s*("(status|date|count)"\s*:\s*[^\[{]*?,\s*)*"(data|papers|items)"\s*:\s*\[')


def hf_wrapper_keys(doc: dict) -> bool:
    """`{"status", "date", "count", "data": [...]}`: an archived HF response, not a JSONL row."""
    return any(isinstance(doc.get(k), list) for k in ("data", "papers", "items"))


def detect_format(head: bytes | str, name: str = "") -> Optional[str]:
    """Guess a format from the first bytes of the (decompressed) content, then the name; None if unknown."""
    if isinstance(head, bytes):
        head = head.decode("utf-8", errors="replace")
    text = head.lstrip("\ufeff \t\r\n")
    lower = name.lower().removesuffix(".gz")
    if text.startswith("<"):
        return "arxiv-atom"
    if text.startswith("["):
        return "hf-json"
    if text.startswith("{"):
        if lower.endswith((".jsonl", ".ndjson")):
            return "jsonl"
        first, newline, _ = text.partition("\n")
        if newline:  # a complete first line: one object per line -> JSONL, else one (pretty-printed) document
            try:
                row = json.loads(first)
            except ValueError:
                return "hf-json"
            return "hf-json" if isinstance(row, dict) and hf_wrapper_keys(row) else "jsonl"
        # the first line is longer than the head: a one-line document wraps its list, a row does not
        return "hf-json" if _LIST_WRAPPER.match(text) else "jsonl"
    if lower.endswith((".xml", ".atom")):
        return "arxiv-atom"
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    from bot.sources.seed_page import looks_like_seed_page

    if looks_like_seed_page(text):
        return "seed-page"
    return None


def _parse(fmt: str, data: bytes, problems: Optional[list], name: str, today: Optional[date]) -> Iterator[Paper]:
    if fmt == "arxiv-atom":
        from bot.sources.arxiv import parse_atom

        return parse_atom(data, problems, name)
    if fmt == "hf-json":
        from bot.sources.hf import parse_hf

        return parse_hf(data, problems, name, default_date=date_in_name(name))
    if fmt == "jsonl":
        from bot.sources.jsonl import parse_jsonl

        return parse_jsonl(data, problems, name)
    from bot.sources.seed_page import parse_seed_page

    return parse_seed_page(data, problems, name, today=today)


def load_bytes(data: bytes, name: str = "", problems: Optional[list] = None,
               today: Optional[date] = None) -> Iterator[Paper]:
    """Bytes of any supported format -> Papers. `today` anchors the seed page's year-less date."""
    sink = Problems(problems, name)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            sink.add(f"corrupt gzip data ({e})")
            return iter(())
        name = name.removesuffix(".gz")
    fmt = detect_format(data[:HEAD], name)
    if fmt is None:
        sink.add("unknown format (expected arXiv Atom XML, HF JSON, JSON Lines or a seed page)")
        return iter(())
    return _parse(fmt, data, problems, name, today)


def _stream_jsonl(path: Path, problems: Optional[list], gz: bool) -> Iterator[Paper]:
    """Large (gzipped) JSONL is streamed line by line instead of read whole: the 80k corpus is 137 MB unpacked."""
    from bot.sources.jsonl import parse_lines

    opener = gzip.open if gz else open
    sink = Problems(problems, path.name)
    try:
        with opener(path, "rb") as f:
            yield from parse_lines(f, problems, path.name.removesuffix(".gz"))
    except (OSError, EOFError, zlib.error) as e:
        sink.add(f"stopped reading: corrupt data ({e})")


def load_path(path: str | Path, problems: Optional[list] = None, today: Optional[date] = None) -> Iterator[Paper]:
    """A file of any supported format -> Papers (format detected by content, then extension).

    OSError (missing/unreadable file) is raised to the caller; bad content is reported into `problems`.
    """
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(HEAD)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as g:
                inner = g.read(HEAD)
        except (OSError, EOFError, zlib.error):
            inner = None
        if inner is not None and detect_format(inner, path.name) == "jsonl":
            return _stream_jsonl(path, problems, gz=True)
    elif detect_format(head, path.name) == "jsonl":
        return _stream_jsonl(path, problems, gz=False)
    return load_bytes(path.read_bytes(), path.name, problems, today)


__all__ = ["FORMATS", "detect_format", "load_bytes", "load_path"]
