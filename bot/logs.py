"""Logging set-up: text or JSON lines (`PAPERWIRE_LOG_FORMAT=json`), to stderr or to a file (the console chat).

httpx logs every request URL at INFO, and PTB's URLs hold the bot token: its logger stays at WARNING.
"""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC ISO), level, logger, message, and the exception text if any."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is now (not the one at creation: test capture swaps it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(level: str = "INFO", fmt: str = "text", file: Optional[str | Path] = None) -> Optional[Path]:
    """(Re)configure the root logger; returns the log file's absolute path when logging to a file.

    Only the handler installed here before is replaced; like logging.basicConfig, no stderr handler is added when
    the host already configured logging (e.g. pytest)."""
    root = logging.getLogger()
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    logging.getLogger("httpx").setLevel(logging.WARNING)
    path = Path(file).resolve() if file is not None else None
    handler: logging.Handler = logging.FileHandler(path, encoding="utf-8") if path else StderrHandler()
    ours = [h for h in root.handlers if getattr(h, "_paperwire", False)]
    filters = [f for h in ours for f in h.filters]  # keep masks (the Telegram token filter) on the new handler
    for h in ours:
        root.removeHandler(h)
        h.close()
    if path is None and root.handlers:  # the host configured logging (pytest): leave it be
        handler.close()
        return None
    handler._paperwire = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    for f in filters:
        handler.addFilter(f)
    root.addHandler(handler)
    return path
