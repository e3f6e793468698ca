"""Secrets out of log lines: a logging filter that masks given literal values and Slack token shapes.

Attached to the root logger's handlers and to the platform libraries' own loggers (a logger filter also holds for
handlers added later, e.g. by a logging config): slack_sdk logs Web API responses at DEBUG, and oauth.v2.access
answers with the new workspace's bot token.
"""
from __future__ import annotations

import logging
import re
from typing import Iterable

SLACK_TOKEN = re.compile(r"\b(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]{4,}")


class MaskSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str] = (), patterns: Iterable[re.Pattern] = (SLACK_TOKEN,)):
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)
        self.patterns = list(patterns)

    def _clean(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "<secret>")
        for p in self.patterns:
            text = p.sub("<token>", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._clean(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True

    def attach(self, prefixes: tuple[str, ...]) -> list:
        """Add to the root handlers and every logger whose name starts with one of `prefixes`; returns them all
        (for `detach`)."""
        names = [n for n in list(logging.root.manager.loggerDict) if n.startswith(prefixes)]
        where = [*logging.getLogger().handlers, *map(logging.getLogger, names)]
        for w in where:
            w.addFilter(self)
        return where

    def detach(self, where: list) -> None:
        for w in where:
            w.removeFilter(self)
