"""Helpers for the Slack tests: really signed requests, Slack-shaped payloads, and the app served on 127.0.0.1."""
from __future__ import annotations

import itertools
import json
import time
from typing import Optional
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.models import Paper
from tests.fake_slack import FakeSlack

SECRET = "test-signing-secret"


@pytest.fixture
async def fake():
    """The fake Slack Web API on 127.0.0.1 (import this fixture into a test module to use it)."""
    f = await FakeSlack().start()
    yield f
    await f.stop()

PAPERS = [
    Paper.make("FlashAttention-3: Fast and Accurate Attention with Asynchrony", "2407.08608",
               abstract="Attention, as a core layer of the ubiquitous Transformer architecture, is the bottleneck "
                        "for large language models. We develop flash attention kernels for Hopper GPUs.",
               authors=("Jay Shah", "Ganesh Bikshandi", "Ying Zhang", "Vijay Thakkar", "Tri Dao"),
               published="2024-07-11", hf_date="2024-07-12", upvotes=120, sources=("hf",)),
    Paper.make("Ring Attention with Blockwise Transformers for Near-Infinite Context", "2310.01889",
               abstract="Transformers have emerged as the architecture of choice; ring attention distributes "
                        "long sequences across devices.", authors=("Hao Liu", "Matei Zaharia", "Pieter Abbeel"),
               published="2023-10-03", sources=("arxiv",)),
] + [
    Paper.make(f"Efficient attention variant number {i} for long context", f"2603.{i:05d}",
               abstract=f"We propose attention variant {i} with linear cost & <careful> memory use.",
               authors=("A. Author",), published="2026-03-10", hf_date="2026-03-10", upvotes=i, sources=("hf",))
    for i in range(1, 13)
]


def sign(body: str, secret: str = SECRET, timestamp: Optional[int] = None) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)}


def command_body(text: str, response_url: str, channel: str = "C1", channel_name: str = "general",
                 user: str = "U1", team: str = "T1") -> str:
    return urlencode({"token": "legacy", "team_id": team, "team_domain": "t", "channel_id": channel,
                      "channel_name": channel_name, "user_id": user, "user_name": "ada", "command": "/papers",
                      "text": text, "api_app_id": "A1", "response_url": response_url, "trigger_id": "1.2.3"})


def action_body(value: Optional[str], response_url: str, channel: str = "C1", user: str = "U1", team: str = "T1",
                home: bool = False, message: Optional[dict] = None) -> str:
    """A block_actions payload; `message`: the (non-ephemeral) message the button is on, as Slack includes it."""
    payload = {"type": "block_actions", "team": {"id": team, "domain": "t"}, "api_app_id": "A1", "token": "legacy",
               "user": {"id": user, "username": "ada", "name": "ada", "team_id": team}, "trigger_id": "1.2.3",
               "actions": [{"action_id": "pw:0", "block_id": "b1", "type": "button", "action_ts": "1.2",
                            "text": {"type": "plain_text", "text": "x"}, **({"value": value} if value else {})}]}
    if home:
        payload.update(container={"type": "view", "view_id": "V1"},
                       view={"id": "V1", "type": "home", "blocks": [], "team_id": team})
    else:
        payload.update(container={"type": "message", "message_ts": "1.1", "channel_id": channel,
                                  "is_ephemeral": True},
                       channel={"id": channel, "name": "general"}, response_url=response_url)
        if message is not None:
            payload["container"]["is_ephemeral"] = False
            payload["message"] = {"type": "message", "ts": "1.1", "bot_id": "B1", **message}
    return urlencode({"payload": json.dumps(payload)})


_event_ids = itertools.count(1)


def event_body(event: dict, team: str = "T1", event_id: Optional[str] = None) -> str:
    """An Events API envelope; each gets its own event_id (as Slack's do) unless one is given (a retry repeats it)."""
    event_id = event_id or f"Ev{next(_event_ids):08d}"
    return json.dumps({"token": "legacy", "team_id": team, "api_app_id": "A1", "type": "event_callback",
                       "event": event, "event_id": event_id, "event_time": int(time.time()),
                       "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}]})


class Served:
    """An aiohttp web app with the adapter's routes on a free 127.0.0.1 port."""

    def __init__(self, adapter):
        self.adapter = adapter
        self.runner: Optional[web.AppRunner] = None
        self.url = ""

    async def __aenter__(self) -> "Served":
        web_app = web.Application()
        await self.adapter.start(web_app)
        self.runner = web.AppRunner(web_app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.close()
        await self.adapter.stop()
        await self.runner.cleanup()

    async def post(self, body: str, headers: Optional[dict] = None, json_body: bool = False):
        """POST a signed body to /slack/events; returns (status, text)."""
        h = {"Content-Type": "application/json" if json_body else "application/x-www-form-urlencoded"}
        h.update(sign(body) if headers is None else headers)
        async with self.http.post(self.url + "/slack/events", data=body.encode(), headers=h) as resp:
            return resp.status, await resp.text()
