"""A fake Slack on 127.0.0.1 (aiohttp): the Web API, response_url endpoints and a Socket Mode websocket.

The real slack_sdk / slack-bolt clients talk to it through `base_url`, so tests exercise the real libraries.
It records every call, and can be told to fail a method (an error code, or HTTP 429 with Retry-After).
"""
from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

TEAMS = {"xoxb-test": "T1", "xoxb-team2": "T2"}


@dataclass
class Call:
    method: str
    params: dict
    token: Optional[str] = None
    basic_user: Optional[str] = None  # oauth.v2.access authenticates the app with HTTP Basic client_id:secret


@dataclass
class FakeSlack:
    users: dict = field(default_factory=dict)  # user id -> {"is_admin": bool, "is_owner": bool}
    calls: list = field(default_factory=list)
    responses: list = field(default_factory=list)  # (response_url id, json body) posted to response_url
    acks: dict = field(default_factory=dict)  # Socket Mode envelope_id -> ack message
    failures: dict = field(default_factory=dict)  # method -> [(status, error, retry_after), ...] served in order
    arrived: dict = field(default_factory=dict)  # response_url id -> perf_counter() of its last post (benchmarks)

    def __post_init__(self):
        self._ts = itertools.count(1)
        self._runner: Optional[web.AppRunner] = None
        self._sockets: list[web.WebSocketResponse] = []
        self._changed = asyncio.Event()
        self.port = 0

    # ---- lifecycle ------------------------------------------------------------------------------------------
    async def start(self) -> "FakeSlack":
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk sends some reads (users.info) as GET
        app.router.add_post("/response/{rid}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, rid: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{rid}"

    # ---- scripting ------------------------------------------------------------------------------------------
    def fail(self, method: str, error: str = "", status: int = 200, retry_after: int = 0, times: int = 1,
             after: int = 0) -> None:
        """Answer the next `times` calls of `method` (after `after` calls that succeed) with an error code, or a
        429 when status=429."""
        self.failures.setdefault(method, []).extend([None] * after + [(status, error, retry_after)] * times)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, predicate, timeout: float = 5.0):
        """Wait until predicate() is truthy (an I/O event from the app, not a schedule)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if loop.time() > deadline:
                raise AssertionError(f"timed out after {timeout}s; calls={[c.method for c in self.calls]}, "
                                     f"responses={len(self.responses)}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=0.05)
            except asyncio.TimeoutError:
                pass

    def _note(self) -> None:
        self._changed.set()

    # ---- Web API -------------------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.text()
        if request.content_type == "application/json" and raw:
            params: dict[str, Any] = json.loads(raw)
        else:
            params = dict(parse_qsl(raw))
            params.update(request.query)
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else params.get("token")
        basic = base64.b64decode(auth[6:]).decode().split(":")[0] if auth.startswith("Basic ") else None
        self.calls.append(Call(method, params, token, basic))
        self._note()
        queued = self.failures.get(method)
        failure = queued.pop(0) if queued else None
        if failure is not None:
            status, error, retry_after = failure
            if status == 429:
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(retry_after)})
            return web.json_response({"ok": False, "error": error}, status=status)
        return web.json_response(self._answer(method, params, token))

    def _answer(self, method: str, p: dict, token: Optional[str]) -> dict:
        team = TEAMS.get(token or "", "T1")
        if method == "auth.test":
            return {"ok": True, "url": "https://fake.slack.com/", "team": f"Team {team}", "team_id": team,
                    "user": "paperwire", "user_id": "UBOT", "bot_id": "BBOT"}
        if method == "chat.postMessage":
            return {"ok": True, "channel": p.get("channel"), "ts": f"1700000000.{next(self._ts):06d}",
                    "message": {"text": p.get("text", "")}}
        if method == "views.publish":
            view = p.get("view")
            return {"ok": True, "view": json.loads(view) if isinstance(view, str) else view}
        if method == "users.info":
            user = {"id": p.get("user"), "is_admin": False, "is_owner": False}
            user.update(self.users.get(p.get("user"), {}))
            return {"ok": True, "user": user}
        if method == "oauth.v2.access":
            return {"ok": True, "access_token": "xoxb-team2", "token_type": "bot", "scope": "commands,chat:write",
                    "bot_user_id": "UBOT2", "app_id": "A1", "team": {"id": "T2", "name": "Team Two"},
                    "enterprise": None, "authed_user": {"id": "U2"}}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}
        return {"ok": True}

    # ---- response_url ----------------------------------------------------------------------------------------
    async def _response_url(self, request: web.Request) -> web.Response:
        self.arrived[request.match_info["rid"]] = time.perf_counter()
        self.responses.append((request.match_info["rid"], await request.json()))
        self._note()
        return web.Response(text="ok")

    # ---- Socket Mode -----------------------------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        self._note()
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    data = json.loads(msg.data)
                    if "envelope_id" in data:
                        self.acks[data["envelope_id"]] = data
                        self._note()
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
        return ws

    async def send_envelope(self, kind: str, payload: dict, envelope_id: str = "env-1") -> dict:
        """Send one envelope over the connected socket and wait for the app's ack."""
        await self.wait_for(lambda: self._sockets)
        await self._sockets[-1].send_json({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                           "accepts_response_payload": kind != "events_api"})
        return await self.wait_for(lambda: self.acks.get(envelope_id))
