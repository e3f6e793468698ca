"""`paperwire run` as a real process in Slack HTTP mode, against the fake Slack, driven by signed HTTP requests."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.fake_slack import FakeSlack
from tests.slack_helpers import SECRET, command_body, sign

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def fake():
    f = await FakeSlack().start()
    yield f
    await f.stop()


async def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as http:
        while loop.time() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"paperwire run exited with {proc.returncode}")
            try:
                async with http.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)  # polling a starting process, not waiting on a schedule
    raise AssertionError("paperwire run did not become healthy")


async def test_paperwire_run_answers_papers_over_http(fake, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_", "PAPERWIRE_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.base_url,
               PORT=str(port), HOST="127.0.0.1", PAPERWIRE_INGEST="0", PYTHONPATH=str(ROOT))
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "adapters.cli", "--db", str(tmp_path / "pw.db"), "run"],
                            cwd=str(tmp_path), env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_healthy(url, proc)
        async with aiohttp.ClientSession() as http:
            body = command_body("flash attention io complexity", fake.response_url("e2e"))
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
            async with http.post(url + "/slack/events", data=body.encode(), headers=headers) as resp:
                assert resp.status == 200
            [(_, answer)] = await fake.wait_for(lambda: fake.responses, timeout=15)
            assert answer["response_type"] == "ephemeral"
            assert "I/O Complexity of Attention" in json.dumps(answer["blocks"])

            forged = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, secret="nope")}
            async with http.post(url + "/slack/events", data=body.encode(), headers=forged) as resp:
                assert resp.status == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    output = (tmp_path / "run.log").read_text(errors="replace")
    assert "xoxb-test" not in output and SECRET not in output  # secrets never reach the logs
    assert proc.returncode == 0, output[-2000:]
