"""The Slack adapter end to end in one process: the real slack-bolt app with the real Core and an in-memory Store,
served on 127.0.0.1, driven by really signed requests, talking to a fake Slack Web API."""
from __future__ import annotations

import dataclasses
import json
import re
import time

import pytest

from adapters.slack import SlackAdapter, split_key
from adapters.slack_render import to_core_text
from bot.config import Settings
from bot.core import Core
from bot.models import Card, Chat, Digest, Paper, Reply
from tests.claims import held
from tests.slack_helpers import (  # noqa: F401 - `fake` is a fixture
    fake, PAPERS, SECRET, Served, action_body, command_body, event_body, sign)



@pytest.fixture
def core(store, clock):
    store.papers.upsert_many(PAPERS, now="2026-03-11T05:00:00+00:00")
    return Core(store, Settings(), clock=clock)


def slack_settings(fake, tmp_path, **kw) -> Settings:
    return Settings(db_path=str(tmp_path / "pw.db"), slack_bot_token="xoxb-test", slack_signing_secret=SECRET,
                    slack_api_url=fake.base_url, **kw)


@pytest.fixture
async def served(fake, core, tmp_path):
    async with Served(SlackAdapter(core, slack_settings(fake, tmp_path), min_post_interval=0)) as s:
        yield s


def values(message: dict) -> list[str]:
    return [e.get("value") for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def blob(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def topics_of(core, chat_id: str) -> str:
    """What the core holds for a chat, as the App Home would show it (lower-cased)."""
    return blob(dataclasses.asdict(core.overview("slack", chat_id))).lower()


async def command(served, fake, text: str, rid: str, **kw) -> dict:
    """Send /papers TEXT; the ack is immediate and empty; return the first ephemeral answer posted to response_url."""
    status, body = await served.post(command_body(text, fake.response_url(rid), **kw))
    assert (status, body) == (200, "")
    found = await fake.wait_for(lambda: [m for r, m in fake.responses if r == rid])
    return found[0]


def test_subcommands_map_to_the_core_grammar():
    assert to_core_text("follow diffusion -medical") == "/follow diffusion -medical"
    assert to_core_text("Channel trending 5 09:00") == "/channel trending 5 09:00"
    assert to_core_text("flash attention") == "/search flash attention"
    assert to_core_text("  ") == "/help"
    assert to_core_text("a &lt; b &amp; c") == "/search a < b & c"
    # a command word followed by words its command does not take is a search
    assert to_core_text("time series forecasting") == "/search time series forecasting"
    assert to_core_text("time 08:30") == "/time 08:30" and to_core_text("time") == "/time"
    assert to_core_text("channel estimation") == "/search channel estimation"
    assert to_core_text("pause detection in speech") == "/search pause detection in speech"
    assert to_core_text("trending week 5") == "/trending week 5"
    assert to_core_text("trending topics in NLP") == "/search trending topics in NLP"
    assert to_core_text("frequency weekly mon") == "/frequency weekly mon"
    assert to_core_text("links prediction") == "/search links prediction"
    assert to_core_text("links off") == "/links off" and to_core_text("saved export") == "/saved export"
    assert to_core_text("similar 2403.12345") == "/similar 2403.12345"  # free-text arguments: always the command
    assert split_key("T1/C2") == ("T1", "C2")


async def test_search_is_acked_then_answered_ephemerally_with_bold_matches_and_buttons(served, fake):
    msg = await command(served, fake, "flash attention", "r1")
    assert msg["response_type"] == "ephemeral" and msg["replace_original"] is False
    text = blob(msg["blocks"])
    assert "FlashAttention-3" in text and "https://huggingface.co/papers/2407.08608" in text
    assert "*attention*" in text or "*Attention*" in text
    acts = values(msg)
    assert any(v.startswith("share:") for v in acts) and any(v.startswith("fol:") for v in acts)
    assert msg["text"]  # plain-text fallback


async def test_empty_and_bad_queries_get_help_not_errors(served, fake):
    empty = await command(served, fake, "", "r1")
    assert "follow" in blob(empty).lower()
    bad = await command(served, fake, '"', "r2")
    assert bad["text"] and "Traceback" not in blob(bad)
    assert fake.calls_to("chat.postMessage") == []


async def test_follow_applies_to_the_channel_and_dm_follows_to_the_user(served, fake, core):
    answer = await command(served, fake, "follow diffusion models", "r1")
    assert "diffusion" in blob(answer).lower()
    assert "diffusion" in topics_of(core, "T1/C1")
    await command(served, fake, "follow ring attention", "r2", channel="D9", channel_name="directmessage")
    assert "ring attention" in topics_of(core, "T1/U1")
    assert "ring attention" not in topics_of(core, "T1/C1")
    topics = await command(served, fake, "topics", "r3")
    assert "diffusion" in blob(topics).lower()


async def test_buttons_share_next_and_follow(served, fake, core):
    first = await command(served, fake, "attention", "r1")
    acts = values(first)
    share = next(v for v in acts if v.startswith("share:"))
    more = next(v for v in acts if v.startswith("more:"))
    follow = next(v for v in acts if v.startswith("fol:"))

    assert (await served.post(action_body(share, fake.response_url("a1")))) == (200, "")
    [post] = await fake.wait_for(lambda: fake.calls_to("chat.postMessage"))
    assert post.params["channel"] == "C1" and post.token == "xoxb-test"
    paper = core.store.papers.get(share.split(":", 1)[1])
    assert paper.title.split(":")[0] in blob(post.params)

    await served.post(action_body(more, fake.response_url("a2")))
    [nxt] = await fake.wait_for(lambda: [m for r, m in fake.responses if r == "a2"])
    shown_first = {v for v in acts if v.startswith("share:")}
    shown_next = {v for v in values(nxt) if v.startswith("share:")}
    assert shown_next and not (shown_first & shown_next)
    # "Next 5" replaces the ephemeral page it was pressed on, and numbers on from 6
    assert nxt["replace_original"] is True and nxt["response_type"] == "ephemeral"
    assert nxt["blocks"][1]["text"]["text"].startswith("6. ")

    await served.post(action_body(follow, fake.response_url("a3")))
    await fake.wait_for(lambda: [m for r, m in fake.responses if r == "a3"])
    assert "attention" in topics_of(core, "T1/C1")


async def test_share_where_the_bot_is_not_invited_explains_how_to_invite(served, fake, core):
    first = await command(served, fake, "attention", "r1")
    share = next(v for v in values(first) if v.startswith("share:"))
    fake.fail("chat.postMessage", "not_in_channel")
    await served.post(action_body(share, fake.response_url("a1")))
    [answer] = await fake.wait_for(lambda: [m for r, m in fake.responses if r == "a1"])
    assert "/invite" in answer["text"] and answer["response_type"] == "ephemeral"


async def test_app_home_shows_follows_and_unfollow_updates_it(served, fake):
    await command(served, fake, "follow diffusion models", "r1", channel="D9", channel_name="directmessage")
    status, _ = await served.post(event_body({"type": "app_home_opened", "user": "U1", "channel": "D9",
                                              "tab": "home", "event_ts": "1.1"}), json_body=True)
    assert status == 200
    [pub] = await fake.wait_for(lambda: fake.calls_to("views.publish"))
    view = pub.params["view"] if isinstance(pub.params["view"], dict) else json.loads(pub.params["view"])
    assert pub.params["user_id"] == "U1" and view["type"] == "home"
    assert "diffusion" in blob(view).lower()
    unf = next(v for v in values(view) if v.startswith("unf:"))
    await served.post(action_body(unf, "", home=True))
    pubs = await fake.wait_for(lambda: fake.calls_to("views.publish")[1:])
    assert "diffusion models" not in blob(pubs[-1].params["view"]).lower()


async def test_admins_only_restricts_channel_settings_to_admins(fake, core, tmp_path):
    fake.users["U2"] = {"is_admin": True}
    adapter = SlackAdapter(core, slack_settings(fake, tmp_path, slack_admins_only=True), min_post_interval=0)
    async with Served(adapter) as served:
        refused = await command(served, fake, "follow diffusion", "r1", user="U1")
        assert "diffusion" not in topics_of(core, "T1/C1")
        assert refused["text"]
        await command(served, fake, "follow diffusion", "r2", user="U2")
        assert "diffusion" in topics_of(core, "T1/C1")
        assert {c.params.get("user") for c in fake.calls_to("users.info")} >= {"U1", "U2"}


async def test_forged_and_stale_signatures_are_rejected(served, fake):
    body = command_body("attention", fake.response_url("r1"))
    assert (await served.post(body, headers=sign(body, secret="wrong")))[0] == 401
    assert (await served.post(body, headers=sign(body, timestamp=int(time.time()) - 600)))[0] == 401
    assert (await served.post(body, headers={}))[0] == 401
    assert fake.responses == [] and fake.calls_to("chat.postMessage") == []


def _digest(kind: str, chat_id: str = "T1/C9", n: int = 3, claim_id: int = 1) -> Digest:
    cards = tuple(Card(p, matched=("attention",), why=("attention",)) for p in PAPERS[:n])
    return Digest(claim_id=claim_id, chat=Chat("slack", chat_id, kind="group"), kind=kind, local_date="2026-03-11",
                  reply=Reply(text=f"Your {kind} for 2026-03-11", cards=cards), paper_ids=tuple(p.id for p in PAPERS[:n]))


async def test_deliver_posts_a_digest_and_a_trending_post(served, fake):
    adapter = served.adapter
    result = await adapter.deliver(held(adapter.core, _digest("digest")))
    assert result.status == "sent" and result.message_ref
    trending = await adapter.deliver(held(adapter.core, _digest("trending", n=10)))
    assert trending.status == "sent"
    posts = fake.calls_to("chat.postMessage")
    assert [p.params["channel"] for p in posts] == ["C9", "C9"]
    assert all(p.token == "xoxb-test" for p in posts)
    assert "FlashAttention-3" in blob(posts[0].params["blocks"]) and "Your trending" in posts[1].params["text"]


async def test_long_digest_is_split_into_messages_within_limits(served, fake):
    cards = tuple(Card(p, show_abstract=True) for p in PAPERS) * 5
    digest = Digest(1, Chat("slack", "T1/C9"), "digest", "2026-03-11", Reply(text="Digest", cards=cards))
    assert (await served.adapter.deliver(held(served.adapter.core, digest))).status == "sent"
    posts = fake.calls_to("chat.postMessage")
    assert len(posts) >= 2 and all(len(p.params["blocks"]) <= 50 for p in posts)
    assert sum(blob(p.params["blocks"]).count("<https://") for p in posts) == len(cards)


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "is_archived", "account_inactive"])
async def test_gone_channels_are_blocked_without_retries(served, fake, error, caplog):
    fake.fail("chat.postMessage", error)
    result = await served.adapter.deliver(held(served.adapter.core, _digest("digest")))
    assert (result.status, result.detail) == ("blocked", error)
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert any(error in r.getMessage() and "C9" in r.getMessage() for r in caplog.records)


async def test_rate_limit_is_retried_after_retry_after_then_reported_as_retry(served, fake):
    fake.fail("chat.postMessage", status=429, retry_after=0)
    assert (await served.adapter.deliver(held(served.adapter.core, _digest("digest")))).status == "sent"
    assert len(fake.calls_to("chat.postMessage")) == 2
    fake.fail("chat.postMessage", status=429, retry_after=0, times=3)
    result = await served.adapter.deliver(held(served.adapter.core, _digest("digest", claim_id=2)))
    assert result.status == "retry" and result.detail == "ratelimited"
    assert len(fake.calls_to("chat.postMessage")) == 5


async def test_socket_mode_envelope_round_trip(fake, core, tmp_path):
    settings = slack_settings(fake, tmp_path, slack_app_token="xapp-test")
    async with Served(SlackAdapter(core, settings, min_post_interval=0)) as served:
        [opened] = await fake.wait_for(lambda: fake.calls_to("apps.connections.open"))
        assert opened.token == "xapp-test"
        payload = {"team_id": "T1", "channel_id": "C1", "channel_name": "general", "user_id": "U1",
                   "user_name": "ada", "command": "/papers", "text": "ring attention", "api_app_id": "A1",
                   "response_url": fake.response_url("s1"), "trigger_id": "1.2.3"}
        ack = await fake.send_envelope("slash_commands", payload, envelope_id="env-42")
        assert ack["envelope_id"] == "env-42"
        [answer] = await fake.wait_for(lambda: [m for r, m in fake.responses if r == "s1"])
        assert "Ring Attention" in blob(answer["blocks"])
        async with served.http.post(served.url + "/slack/events", data=b"{}") as resp:
            assert resp.status == 404  # no HTTP endpoint in Socket Mode


async def test_socket_mode_refused_or_unreachable_slack_is_one_fatal_line(fake, core, tmp_path):
    """Socket Mode checks the bot token with auth.test first (else slack_sdk retries a dead Slack forever)."""
    import socket

    from bot.errors import FatalError

    fake.fail("auth.test", error="invalid_auth")
    with pytest.raises(FatalError) as refused:
        await SlackAdapter(core, slack_settings(fake, tmp_path, slack_app_token="xapp-test")).start(None)
    assert "refused SLACK_BOT_TOKEN: invalid_auth" in str(refused.value) and "xoxb-test" not in str(refused.value)
    assert not fake.calls_to("apps.connections.open")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/api/"
    settings = dataclasses.replace(slack_settings(fake, tmp_path, slack_app_token="xapp-test"), slack_api_url=closed)
    with pytest.raises(FatalError) as unreachable:
        await SlackAdapter(core, settings).start(None)
    assert f"cannot reach the Slack Web API at {closed}" in str(unreachable.value)


async def test_core_scheduled_digest_and_trending_post_reach_the_channel(served, fake, core, clock):
    """The real path: settings typed in the channel, the core's schedule claims, deliver() posts, the core records."""
    await command(served, fake, "follow sparse attention", "r1")
    await command(served, fake, "channel trending 3 09:00", "r2")
    fresh = Paper.make("Sparse attention for trillion-token training", "2603.99999",
                                     abstract="A sparse attention kernel.", published="2026-03-11")
    core.store.papers.upsert_many([fresh], now="2026-03-11T07:00:00+00:00")
    sent = []
    for at in ("2026-03-11T08:00:30+00:00", "2026-03-11T09:00:30+00:00"):
        clock.set(at)
        for digest in core.due_digests():
            result = await served.adapter.deliver(digest)
            core.record_delivery(digest, result)
            sent.append((digest.kind, result.status))
    assert sent == [("digest", "sent"), ("trending", "sent")]
    digest_post, trending_post = fake.calls_to("chat.postMessage")
    assert digest_post.params["channel"] == "C1" and "Sparse attention for trillion-token" in blob(digest_post.params)
    assert trending_post.params["channel"] == "C1"
    assert "Efficient attention variant number 12" in blob(trending_post.params["blocks"])
    clock.set("2026-03-11T09:05:00+00:00")
    assert core.due_digests() == []  # recorded as sent: never twice


def test_manifest_asks_for_what_the_adapter_uses():
    """The pasted manifest and the code must agree: scopes (also used for OAuth installs), events, the command."""
    from pathlib import Path

    from adapters.slack import SCOPES

    text = (Path(__file__).resolve().parent.parent / "slack-manifest.yml").read_text()
    bot_scopes = re.search(r"\n    bot:\n((?:      - .*\n)+)", text).group(1)
    assert [ln.split("- ")[1].split()[0] for ln in bot_scopes.splitlines()] == SCOPES
    events = re.search(r"bot_events:\n((?:      - .*\n)+)", text).group(1)
    assert {ln.split("- ")[1].split()[0] for ln in events.splitlines()} == {"app_home_opened", "app_uninstalled",
                                                                             "tokens_revoked", "message.im",
                                                                             "link_shared", "reaction_added",
                                                                             "reaction_removed"}
    assert "im:history" in SCOPES  # message.im needs it
    assert "reactions:read" in SCOPES  # reaction_added / reaction_removed need it
    from adapters.slack_links import UNFURL_DOMAINS

    domains = re.search(r"unfurl_domains:.*\n((?:    - .*\n)+)", text).group(1)
    assert tuple(ln.split("- ")[1].strip() for ln in domains.splitlines()) == UNFURL_DOMAINS
    assert "command: /papers" in text and "socket_mode_enabled: true" in text
    assert re.search(r"interactivity:\n    is_enabled: true", text)


async def test_url_verification_and_uninstall_in_single_workspace_mode(served, fake, core):
    status, text = await served.post(json.dumps({"token": "legacy", "challenge": "ch4ll", "type": "url_verification"}),
                                     json_body=True)
    assert status == 200 and "ch4ll" in text
    await command(served, fake, "follow diffusion", "r1")
    revoked_users = {"type": "tokens_revoked", "tokens": {"oauth": ["U1"], "bot": []}, "event_ts": "1.1"}
    assert (await served.post(event_body(revoked_users), json_body=True))[0] == 200
    home = {"type": "app_home_opened", "user": "U1", "channel": "D9", "tab": "home", "event_ts": "1.3"}
    await served.post(event_body(home), json_body=True)  # a later event with a visible effect: the first one is done
    await fake.wait_for(lambda: fake.calls_to("views.publish"))
    assert core.store.chats.get("slack", "T1/C1").active  # user tokens only: the bot still works there
    assert (await served.post(event_body({"type": "app_uninstalled", "event_ts": "1.2"}), json_body=True))[0] == 200
    await fake.wait_for(lambda: not core.store.chats.get("slack", "T1/C1").active)


async def test_a_plain_message_in_the_app_dm_is_a_search(served, fake, core):
    """`message.im`, really signed: the DM text is searched and the answer posted in the DM; the bot's own posts,
    edits and channel messages are left alone (the bot never answers itself)."""
    dm = {"type": "message", "channel": "D9", "channel_type": "im", "user": "U1", "text": "ring attention",
          "ts": "100.1", "event_ts": "100.1"}
    status, _ = await served.post(event_body(dm), json_body=True)
    assert status == 200
    [post] = await fake.wait_for(lambda: fake.calls_to("chat.postMessage"))
    assert post.params["channel"] == "D9"
    assert "Ring Attention with Blockwise Transformers" in blob(post.params)
    assert any(v.startswith("fol:") for v in values(post.params))  # "Follow this search" works from the DM too
    for ignored in ({**dm, "bot_id": "B1", "text": "ring attention (my own answer)"},
                    {**dm, "subtype": "message_changed"},
                    {**dm, "channel": "C1", "channel_type": "channel"}):
        assert (await served.post(event_body(ignored), json_body=True))[0] == 200
    await served.post(event_body({**dm, "text": "help"}), json_body=True)  # a later one with a visible effect
    posts = await fake.wait_for(lambda: fake.calls_to("chat.postMessage")[1:])
    assert len(posts) == 1 and "/papers follow" in blob(posts[0].params)


async def test_a_trending_post_whose_second_message_fails_resumes_at_that_message(served, fake, core, clock):
    extra = [Paper.make(f"Sparse mixture {i} of experts", f"2603.{100 + i:05d}", abstract="Experts route tokens. " * 20,
                        published="2026-03-10", hf_date="2026-03-10", upvotes=100 + i, sources=("hf",))
             for i in range(20)]
    core.store.papers.upsert_many(extra, now="2026-03-11T05:00:00+00:00")
    await command(served, fake, "channel trending 25 09:00", "r1")
    clock.set("2026-03-11T09:00:30+00:00")
    [post] = core.due_digests()
    fake.fail("chat.postMessage", "internal_error", after=1)  # the first message goes out, the second fails
    result = await served.adapter.deliver(post)
    assert result.status == "retry"
    core.record_delivery(post, result)
    assert len(fake.calls_to("chat.postMessage")) == 2
    clock.set("2026-03-11T09:04:00+00:00")
    [again] = core.due_digests()
    result = await served.adapter.deliver(again)
    assert result.status == "sent"
    core.record_delivery(again, result)
    first, failed, resumed, *rest = fake.calls_to("chat.postMessage")  # rest: more parts (6 buttons per card)
    assert resumed.params["blocks"] == failed.params["blocks"]  # the same second message, not the first again
    delivered = blob(first.params["blocks"]) + "".join(blob(c.params["blocks"]) for c in [resumed, *rest])
    for p in extra:
        assert delivered.count(p.title) == 1
    clock.set("2026-03-11T09:30:00+00:00")
    assert core.due_digests() == []


async def test_show_more_for_a_topic_grows_the_posted_digest(served, fake, core):
    """"Show K more for this topic" under a digest posted in a channel: response_url replaces that message with
    the same blocks plus the topic's other papers where the button was (the button itself is used up)."""
    from datetime import timedelta

    from slack_sdk.models.blocks import Block

    await command(served, fake, "follow attention", "r1")
    core.clock.advance(hours=1)
    core.store.papers.upsert_many([Paper.make(f"Attention study {i}", f"2603.{700 + i:05d}", abstract="Attention.",
                                              published="2026-03-10", upvotes=i) for i in range(9)],
                                  now=core.clock().isoformat(timespec="seconds"))
    digest = next(d for d in core.due_digests(core.clock() + timedelta(hours=3)) if d.chat.chat_id == "T1/C1")
    core.record_delivery(digest, await served.adapter.deliver(digest))
    [post] = [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == "C1"][-1:]
    blocks = post.params["blocks"] if isinstance(post.params["blocks"], list) else json.loads(post.params["blocks"])
    more = next(v for v in values({"blocks": blocks}) if v.startswith("dsec:"))
    await served.post(action_body(more, fake.response_url("m1"), message={"text": post.params["text"],
                                                                          "blocks": blocks}))
    [grown] = await fake.wait_for(lambda: [m for r, m in fake.responses if r == "m1"])
    assert grown["replace_original"] is True
    assert more not in values(grown) and len(grown["blocks"]) > len(blocks)
    assert grown["blocks"][: 2] == blocks[: 2]  # the digest itself is unchanged above
    assert "more for “attention”" in blob(grown)
    for b in grown["blocks"]:
        Block.parse(b).validate_json()
    ids = [e["action_id"] for b in grown["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert len(ids) == len(set(ids))
