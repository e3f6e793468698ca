"""Slack requests are answered once and only when well-formed: the real Bolt app on 127.0.0.1, really signed requests,
the fake Slack Web API. Replays (the same signature within Bolt's 5-minute window) and Slack's own retries of an event
already handled are dropped, also by a second process on the same database; malformed headers get 401, never 500."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import pytest

from adapters.slack import SlackAdapter
from bot.commands import CHECK_FAILED, NOT_ADMIN
from bot.config import Settings
from bot.core import Core
from store import Store
from tests.slack_helpers import (  # noqa: F401 - `fake` is a fixture
    fake, PAPERS, SECRET, Served, action_body, command_body, event_body, sign)


def slack_settings(fake, tmp_path, **kw) -> Settings:
    return Settings(db_path=str(tmp_path / "pw.db"), slack_bot_token="xoxb-test", slack_signing_secret=SECRET,
                    slack_api_url=fake.base_url, **kw)


@pytest.fixture
def file_store(tmp_path):
    s = Store(tmp_path / "pw.db")
    s.papers.upsert_many(PAPERS, now="2026-03-11T05:00:00+00:00")
    yield s
    s.close()


@pytest.fixture
async def served(fake, file_store, clock, tmp_path):
    async with Served(SlackAdapter(Core(file_store, Settings(), clock=clock), slack_settings(fake, tmp_path),
                                   min_post_interval=0)) as s:
        yield s


def topics(store, chat: str = "T1/C1") -> list[str]:
    return [t["query"] for t in store.chats.topics("slack", chat)]


async def answered(served, fake, text: str, rid: str) -> dict:
    status, body = await served.post(command_body(text, fake.response_url(rid)))
    assert (status, body) == (200, "")
    return (await fake.wait_for(lambda: [m for r, m in fake.responses if r == rid]))[0]


async def test_a_replayed_command_is_answered_once_even_by_another_process(served, fake, file_store, clock, tmp_path):
    await answered(served, fake, "follow diffusion", "f1")
    await answered(served, fake, "follow attention", "f2")
    body = command_body("unfollow 1", fake.response_url("u1"))
    headers = sign(body)
    assert await served.post(body, headers=headers) == (200, "")
    await fake.wait_for(lambda: [m for r, m in fake.responses if r == "u1"])
    assert topics(file_store) == ["attention"]
    assert await served.post(body, headers=headers) == (200, "")  # the replay: acknowledged, nothing done
    await answered(served, fake, "topics", "t1")  # a later request is answered: the replay had its chance
    assert [r for r, _ in fake.responses].count("u1") == 1
    assert topics(file_store) == ["attention"]
    other = Store(tmp_path / "pw.db")  # a second process (or a restart) on the same database
    try:
        async with Served(SlackAdapter(Core(other, Settings(), clock=clock), slack_settings(fake, tmp_path),
                                       min_post_interval=0)) as second:
            assert await second.post(body, headers=headers) == (200, "")
            status, _ = await second.post(*(lambda b: (b, sign(b)))(command_body("topics", fake.response_url("t2"))))
            assert status == 200
            await fake.wait_for(lambda: [m for r, m in fake.responses if r == "t2"])
    finally:
        other.close()
    assert [r for r, _ in fake.responses].count("u1") == 1 and topics(file_store) == ["attention"]


async def test_a_replayed_button_press_runs_once(served, fake, file_store):
    await answered(served, fake, "follow diffusion", "f1")
    await answered(served, fake, "follow attention", "f2")
    [first, _] = file_store.chats.topics("slack", "T1/C1")
    body = action_body(f"unf:{first['id']}", fake.response_url("a1"))
    headers = sign(body)
    for _ in range(3):
        assert (await served.post(body, headers=headers))[0] == 200
    await answered(served, fake, "topics", "t1")
    assert [r for r, _ in fake.responses].count("a1") == 1 and topics(file_store) == ["attention"]


async def test_slack_retries_of_a_handled_event_are_acknowledged_and_dropped(served, fake):
    home = {"type": "app_home_opened", "user": "U1", "channel": "D9", "tab": "home", "event_ts": "1.3"}
    first = event_body(home, event_id="EvRETRY1")
    assert (await served.post(first, json_body=True))[0] == 200
    await fake.wait_for(lambda: fake.calls_to("views.publish"))
    for n in (1, 2, 3):  # Slack's retries: new timestamp and signature, same event_id, X-Slack-Retry-Num
        headers = {**sign(first, timestamp=int(time.time()) + n), "X-Slack-Retry-Num": str(n),
                   "X-Slack-Retry-Reason": "http_timeout"}
        assert await served.post(first, headers=headers, json_body=True) == (200, "")
    assert (await served.post(event_body(home), json_body=True))[0] == 200  # a new event is handled
    await fake.wait_for(lambda: len(fake.calls_to("views.publish")) >= 2)
    assert len(fake.calls_to("views.publish")) == 2


@pytest.mark.parametrize("timestamp,signature", [
    ("abc", None), ("12.5", None), ("", None), ("١٧٠٠٠٠٠٠٠٠", None), ("9" * 40, None), ("-1", None),
    (None, "v0=zz"), (None, "v1=" + "0" * 64), (None, ""), (None, "v0=" + "A" * 64), (None, "v0=" + "0" * 64),
])
async def test_malformed_signature_headers_get_401_never_500(served, fake, timestamp, signature):
    body = command_body("follow diffusion", fake.response_url("r1"))
    headers = sign(body)
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    status, text = await served.post(body, headers=headers)
    assert status == 401 and "Traceback" not in text
    assert fake.responses == []


async def test_missing_headers_bad_bytes_and_unparsable_signed_bodies(served, fake):
    body = command_body("follow diffusion", fake.response_url("r1"))
    assert (await served.post(body, headers={}))[0] == 401
    assert (await served.post(body, headers={"X-Slack-Signature": sign(body)["X-Slack-Signature"]}))[0] == 401
    raw = b"payload=%7B&x=\xff\xfe"
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256).hexdigest()
    async with served.http.post(served.url + "/slack/events", data=raw, headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig}) as resp:
        assert resp.status == 400
    for signed in ("payload=not-json", "payload=%5B1%2C2%5D"):  # correctly signed, but not a Slack payload
        assert (await served.post(signed))[0] == 400, signed
    assert (await served.post(json.dumps([1, 2]), json_body=True))[0] == 400
    assert fake.responses == []


async def test_replay_memory_is_pruned(file_store, clock):
    core = Core(file_store, Settings(), clock=clock)
    assert core.first_time("slack-signature:a", timedelta(minutes=15))
    assert not core.first_time("slack-signature:a", timedelta(minutes=15))
    assert core.first_time("slack-event:b", timedelta(hours=2))
    clock.advance(minutes=16)
    assert core.first_time("slack-signature:c", timedelta(minutes=15))  # prunes "a"
    assert file_store.seen.count() == 2
    assert core.first_time("slack-signature:a", timedelta(minutes=15))  # forgotten: Bolt refuses it as stale anyway


async def test_channel_settings_buttons_need_an_admin_and_a_failing_check_fails_closed(fake, file_store, clock,
                                                                                       tmp_path):
    fake.users["U2"] = {"is_admin": True}
    core = Core(file_store, Settings(), clock=clock)
    adapter = SlackAdapter(core, slack_settings(fake, tmp_path, slack_admins_only=True), min_post_interval=0)
    async with Served(adapter) as served:
        await served.post(command_body("follow diffusion", fake.response_url("f1"), user="U2"))
        await fake.wait_for(lambda: topics(file_store) == ["diffusion"])
        [topic] = file_store.chats.topics("slack", "T1/C1")
        found = await answered(served, fake, "attention", "s1")  # search is open to everyone
        fol = next(e["value"] for b in found["blocks"] if b["type"] == "actions" for e in b["elements"]
                   if e.get("value", "").startswith("fol:"))
        for i, value in enumerate((fol, f"unf:{topic['id']}", "tz:Asia/Tokyo")):
            await served.post(action_body(value, fake.response_url(f"p{i}"), user="U1"))
            [refused] = await fake.wait_for(lambda: [m for r, m in fake.responses if r == f"p{i}"])
            assert NOT_ADMIN.split(".")[0] in json.dumps(refused), value
        fake.fail("users.info", "ratelimited", times=1)
        await served.post(action_body("tz:Asia/Tokyo", fake.response_url("x1"), user="U2"))
        [failed] = await fake.wait_for(lambda: [m for r, m in fake.responses if r == "x1"])
        assert CHECK_FAILED.split(",")[0] in json.dumps(failed)
        assert topics(file_store) == ["diffusion"] and file_store.chats.settings("slack", "T1/C1")["tz"] == "UTC"
        await served.post(action_body("tz:Asia/Tokyo", fake.response_url("ok"), user="U2"))
        await fake.wait_for(lambda: file_store.chats.settings("slack", "T1/C1")["tz"] == "Asia/Tokyo")


async def test_no_slack_secret_in_any_log_line(fake, file_store, clock, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    core = Core(file_store, Settings(), clock=clock)
    async with Served(SlackAdapter(core, slack_settings(fake, tmp_path), min_post_interval=0)) as served:
        await answered(served, fake, "follow diffusion", "f1")
        body = command_body("topics", fake.response_url("x"))
        await served.post(body, headers=sign(body, secret="wrong"))
    assert "auth.test" in caplog.text  # slack_sdk logged its API calls (with their headers) at DEBUG
    assert SECRET not in caplog.text and "xoxb-test" not in caplog.text


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_no_workspace_token_or_client_secret_in_oauth_debug_logs(fake, file_store, clock, tmp_path, caplog):
    """slack_sdk logs the oauth.v2.access answer (with the new workspace's bot token) at DEBUG: it is masked."""
    from tests.test_slack_oauth import _install

    caplog.set_level(logging.DEBUG)
    settings = Settings(db_path=str(tmp_path / "pw.db"), slack_client_id="111.222", slack_client_secret="csecret-42",
                        slack_signing_secret=SECRET, slack_api_url=fake.base_url)
    async with Served(SlackAdapter(Core(file_store, settings, clock=clock), settings, min_post_interval=0)) as served:
        state, cookie = await _install(served)
        async with served.http.get(served.url + f"/slack/oauth_redirect?code=abc&state={state}",
                                   headers={"Cookie": cookie}) as resp:
            assert resp.status == 200
        assert fake.calls_to("oauth.v2.access")
    assert "oauth.v2.access" in caplog.text and "<token>" in caplog.text  # the answer was logged, masked
    assert "xoxb-team2" not in caplog.text and "csecret-42" not in caplog.text and SECRET not in caplog.text
