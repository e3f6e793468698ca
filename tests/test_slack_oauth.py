"""Many workspaces through OAuth: install, redirect, per-workspace tokens, and uninstall deactivating the workspace."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.slack import SlackAdapter
from bot.config import Settings
from bot.core import Core
from bot.models import Chat, Digest, Reply
from tests.claims import held
from tests.slack_helpers import (  # noqa: F401 - `fake` is a fixture
    fake, PAPERS, SECRET, Served, command_body, event_body)

# slack_sdk's oauth.v2.access call uses aiohttp.BasicAuth, which aiohttp 3.14 deprecates: not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")



@pytest.fixture
async def served(fake, store, clock, tmp_path):
    store.papers.upsert_many(PAPERS, now="2026-03-11T05:00:00+00:00")
    settings = Settings(db_path=str(tmp_path / "pw.db"), slack_client_id="111.222", slack_client_secret="csecret",
                        slack_signing_secret=SECRET, slack_api_url=fake.base_url)
    async with Served(SlackAdapter(Core(store, settings, clock=clock), settings, min_post_interval=0)) as s:
        yield s


async def _install(served) -> tuple[str, str]:
    """GET /slack/install -> (state, cookie header) as a browser would carry them to the redirect."""
    async with served.http.get(served.url + "/slack/install") as resp:
        assert resp.status == 200
        html = await resp.text()
        cookie = resp.headers["Set-Cookie"].split(";")[0]
    url = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', html).group(1)
    assert "client_id=111.222" in url and "scope=commands,chat:write" in url
    state = re.search(r"state=([^&]+)", url).group(1)
    assert cookie == f"slack-app-oauth-state={state}"
    return state, cookie


async def test_install_redirect_then_the_workspace_token_is_used(served, fake, tmp_path):
    state, cookie = await _install(served)
    async with served.http.get(f"{served.url}/slack/oauth_redirect?code=c0de&state={state}",
                               headers={"Cookie": cookie}) as resp:
        assert resp.status == 200, await resp.text()
    [access] = fake.calls_to("oauth.v2.access")
    assert access.params["code"] == "c0de" and access.basic_user == "111.222"
    assert Path(tmp_path / "slack" / "installations.db").exists()

    # a command from the new workspace is authorized with its installation and lands on T2's chat
    status, _ = await served.post(command_body("follow ring attention", fake.response_url("r1"), team="T2",
                                               channel="C5"))
    assert status == 200
    await fake.wait_for(lambda: fake.responses)
    assert "ring attention" in str(served.adapter.core.overview("slack", "T2/C5")).lower()

    digest = Digest(1, Chat("slack", "T2/C5"), "digest", "2026-03-11", Reply(text="Digest"))
    assert (await served.adapter.deliver(held(served.adapter.core, digest))).status == "sent"
    assert fake.calls_to("chat.postMessage")[-1].token == "xoxb-team2"

    # uninstall: the installation is gone, the workspace's chats are deactivated, deliveries are blocked
    status, _ = await served.post(event_body({"type": "app_uninstalled", "event_ts": "1.1"}, team="T2"),
                                  json_body=True)
    assert status == 200
    chats = served.adapter.core.store.chats
    await fake.wait_for(lambda: not chats.get("slack", "T2/C5").active)
    result = await served.adapter.deliver(held(served.adapter.core, digest))
    assert (result.status, result.detail) == ("blocked", "not installed")


async def test_redirect_with_a_forged_or_reused_state_is_refused(served, fake):
    state, cookie = await _install(served)
    async with served.http.get(f"{served.url}/slack/oauth_redirect?code=c0de&state=forged",
                               headers={"Cookie": cookie}) as resp:
        assert resp.status in (400, 401)
    async with served.http.get(f"{served.url}/slack/oauth_redirect?code=c0de&state={state}",
                               headers={"Cookie": cookie}) as resp:
        assert resp.status == 200
    async with served.http.get(f"{served.url}/slack/oauth_redirect?code=c0de&state={state}",
                               headers={"Cookie": cookie}) as resp:
        assert resp.status == 401  # a state is good for one install only
    assert len(fake.calls_to("oauth.v2.access")) == 1


async def test_unknown_workspace_cannot_use_the_app(served, fake):
    status, _ = await served.post(command_body("attention", fake.response_url("r1"), team="T9"))
    assert status == 200  # Bolt answers Slack with an "not installed" message, the core is never asked
    assert served.adapter.core.store.chats.get("slack", "T9/C1") is None
