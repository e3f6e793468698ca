"""What a Slack request must pass before Bolt sees it (HTTP mode), and the event retries Bolt must not handle twice.

Both memories (signatures answered, events handled) are in SQLite through `core.first_time`, so they hold across
processes and restarts.
"""
from __future__ import annotations

import logging
import re
from datetime import timedelta

from aiohttp import web
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger("paperwire.slack")

# Bolt accepts a signature whose timestamp is within 5 minutes of now, either side: a replay can come 10 minutes on
REPLAY_MEMORY = timedelta(minutes=15)
EVENT_MEMORY = timedelta(hours=2)  # Slack retries a failed event 3 times, the last about 5 minutes later
SLACK_TIMESTAMP = re.compile(r"[0-9]{1,12}")
SLACK_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class RequestGuard:
    def __init__(self, core, signing_secret: str):
        self.core = core
        self.verifier = SignatureVerifier(signing_secret)

    async def screen(self, request: web.Request) -> "str | web.Response":
        """The body to hand to Bolt, or the answer instead. Before Bolt sees a request: malformed or wrong
        signature headers -> 401 (Bolt would raise on a non-numeric timestamp: HTTP 500); a body that is not UTF-8 -> 400; a replay of a request already answered (the same
        signature, which Bolt accepts for 5 minutes either side of now) -> 200 and nothing done. The memory of
        signatures is in SQLite, so it holds across processes and restarts."""
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not (SLACK_TIMESTAMP.fullmatch(timestamp) and SLACK_SIGNATURE.fullmatch(signature)):
            return web.Response(status=401, text="invalid request")
        raw = await request.read()
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return web.Response(status=400, text="bad request")
        if not self.verifier.is_valid(body, timestamp, signature):
            return web.Response(status=401, text="invalid request")
        if not self.core.first_time(f"slack-signature:{signature}", REPLAY_MEMORY):
            log.warning("slack: a replayed request (same signature) was dropped")
            return web.Response(status=200, text="")
        return body

    async def drop_repeated_events(self, body, next):
        """Bolt middleware: an event (by its event_id) is handled once; Slack's retries of it (X-Slack-Retry-Num, or
        a Socket Mode retry_attempt) are acknowledged and dropped, also when another process handled the first."""
        event_id = body.get("event_id") if isinstance(body, dict) and body.get("type") == "event_callback" else None
        if event_id and not self.core.first_time(f"slack-event:{str(event_id)[:100]}", EVENT_MEMORY):
            log.info("slack: event %s already handled; retry dropped", str(event_id)[:100])
            return BoltResponse(status=200, body="")
        return await next()
