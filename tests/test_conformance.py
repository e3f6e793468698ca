"""Every rendered part fits its platform in the worst case, checked with the platforms' own rules and objects:
telegram.constants limits + the real PTB Bot sending to the fake Bot API server (which parses the HTML like Telegram
and refuses long messages, long rows, bad link hosts), and slack_sdk.models.blocks validating every Slack block.

Worst case: 50 followed topics of 500 characters that all match one paper, titles and author names of thousands of
characters full of `<&>"`, 3,000 authors, link URLs that do not parse, a 30k-character abstract, 50 unfollow buttons.
"""
from __future__ import annotations

import json
import re

import pytest
from slack_sdk.models.blocks import Block
from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, InlineKeyboardMarkupLimit, MessageLimit

from adapters import slack_render, telegram_render
from bot import digests as dg
from bot.core import Core
from bot.models import Button, Card, Message, Paper, Reply
from bot.render import safe_url
from fake_telegram import TOKEN, FakeTelegram, parse_html, utf16_len

EVIL = '<b>&amp;</b> "quoted" <script>x</script> & | > < 🧪 '
BAD_URLS = ("https://exa mple.com/a b", "https://", 'https://x.org/"><script>', "javascript:alert(1)",
            "https://exa<mple>.com", "ftp://example.com/x", "https://-bad-.com/", "https://a|b.com/")


def hostile_paper(i: int = 0, repo: str = BAD_URLS[0]) -> Paper:
    return Paper.make(
        f"Diffusion {i} " + EVIL * 80, None, abstract=("diffusion models & <scores> " * 1200),
        authors=(EVIL * 40,) + tuple(f"Author{j} <&>" for j in range(3000)), published="2026-03-09", hf_date="2026-03-10",
        upvotes=10**9, github_repo=repo, categories=("cs.LG",) * 50)


def long_topic(i: int) -> str:
    return f"diffusion t{i} " + "OR ".join(f'"x{i}{j}{EVIL[:10]}"' for j in range(30))[:480]


def worst_replies() -> list[Reply]:
    why = tuple(long_topic(i) for i in range(50))
    cards = tuple(Card(hostile_paper(i, BAD_URLS[i % len(BAD_URLS)]), matched=("diffusion", "scores", "models"),
                       why=why, buttons=dg.paper_buttons(f"t-{i:012d}"),) for i in range(12))
    unfollow = tuple(Button(f"Unfollow {i}", f"unf:{i}") for i in range(1, 51))
    links = tuple(Button(f"link {u}", "", url=u) for u in BAD_URLS)
    return [
        Reply(text="Topics (50/50):\n" + "\n".join(f"{i}. {long_topic(i)}" for i in range(50)), buttons=unfollow),
        Reply(text=EVIL * 2000, cards=cards, footer=EVIL * 500, buttons=unfollow + links),
        Reply(cards=(Card(hostile_paper(), show_abstract=True, why=why),)),
        Reply(text="& " * 5000, first_number=96, cards=cards[:5], buttons=(Button("More results", "more:1:10"),)),
        Reply(cards=tuple(Card(hostile_paper(i), matched=("diffusion",)) for i in range(40)), buttons=unfollow * 3),
    ]


@pytest.fixture(scope="module")
def replies() -> list[Reply]:
    return worst_replies()


def test_bad_urls_are_never_links():
    assert [u for u in BAD_URLS if safe_url(u)] == []
    assert safe_url("https://github.com/a/b") and safe_url("https://huggingface.co/papers/2402.13214")
    assert safe_url("https://arxiv.org/search/?searchtype=title&query=a+b") and safe_url("http://10.0.0.1:8080/x")


# ---- Telegram -------------------------------------------------------------------------------------------------
def check_telegram_chunk(chunk: telegram_render.Chunk) -> None:
    visible = parse_html(chunk.text)  # raises like Telegram on broken or unescaped HTML
    assert 1 <= utf16_len(visible) <= MessageLimit.MAX_TEXT_LENGTH
    assert telegram_render.entity_count(chunk.text) <= MessageLimit.MESSAGE_ENTITIES
    for href in re.findall(r'<a href="([^"]*)"', chunk.text):
        assert safe_url(href.replace("&amp;", "&")), href
    if chunk.keyboard is not None:
        assert isinstance(chunk.keyboard, InlineKeyboardMarkup)
        rows = chunk.keyboard.inline_keyboard
        assert all(1 <= len(row) <= InlineKeyboardMarkupLimit.BUTTONS_PER_ROW for row in rows)
        assert sum(len(row) for row in rows) <= InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER
        for b in (b for row in rows for b in row):
            assert b.url is None or safe_url(b.url)
            assert b.callback_data is None or len(b.callback_data.encode()) <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA


def test_worst_case_telegram_messages_fit(replies):
    for reply in replies:
        chunks = telegram_render.render(reply)
        assert chunks
        for chunk in chunks:
            check_telegram_chunk(chunk)
    # every button survives (nothing dropped by a row over 12 or the 100 cap): the 50 unfollows of the topic list
    [*_, last] = telegram_render.render(replies[0])
    assert sum(len(r) for r in last.keyboard.inline_keyboard) == 50
    # a second page is numbered on from 96
    assert "<b>96.</b>" in telegram_render.render(replies[3])[-1].text or any(
        "<b>96.</b>" in c.text for c in telegram_render.render(replies[3]))


def test_matched_line_is_short_whatever_the_topics(replies):
    card = replies[2].cards[0]
    html = telegram_render.card_html(card)
    matched = next(line for line in parse_html(html).split("\n") if line.startswith("Matched: "))
    assert len(matched) <= 320 and "more" in matched
    assert "Matched: " in slack_render.card_text(card)


async def test_worst_case_goes_through_the_real_bot_to_the_fake_server(replies):
    """The real PTB Bot serializes the chunks; the fake server refuses what Telegram would refuse or silently drop."""
    async with FakeTelegram() as fake:
        chat = fake.add_chat(-100777, "group", title="Lab")["id"]
        bot = Bot(TOKEN, base_url=fake.url + "/bot")
        async with bot:
            for reply in replies:
                for chunk in telegram_render.render(reply):
                    await bot.send_message(chat, chunk.text, parse_mode="HTML", reply_markup=chunk.keyboard)
            for article in telegram_render.inline_results(
                    type("R", (), {"hits": [type("H", (), {"paper": hostile_paper(i, u), "matched": ("diffusion",)})()
                                            for i, u in enumerate(BAD_URLS)]})()):
                content = article.input_message_content
                assert utf16_len(parse_html(content.message_text)) <= MessageLimit.MAX_TEXT_LENGTH
                assert article.url is None or safe_url(article.url)
        assert len(fake.sent) >= len(replies)


# ---- Slack ----------------------------------------------------------------------------------------------------
def check_slack_payload(payload: dict) -> None:
    blocks = payload.get("blocks", [])
    assert len(blocks) <= slack_render.MAX_BLOCKS
    assert len(json.dumps(blocks, ensure_ascii=False)) <= 12_000
    for b in blocks:
        parsed = Block.parse(b)
        assert parsed is not None and parsed.type == b["type"]
        parsed.validate_json()  # slack_sdk's Block Kit rules: text lengths, element counts, url/value lengths
        assert parsed.to_dict() == b, "slack_sdk must recognise every field we send"
    texts = [payload["text"]] + [t for b in blocks for t in _mrkdwn(b)]
    for t in texts:
        assert not re.search(r"&(?!amp;|lt;|gt;)", t), t[:80]  # no cut entity like "&am" or bare "&"
        assert "<" not in re.sub(r"<https?://[^\s|<>]+\|[^<>]*>", "", t), t[:80]  # only well-formed links
    assert len(payload["text"]) <= slack_render.SECTION_CHARS + 20


def _mrkdwn(block: dict) -> list[str]:
    if block["type"] == "section":
        return [block["text"]["text"]]
    if block["type"] == "context":
        return [e["text"] for e in block["elements"]]
    return []


def test_worst_case_slack_messages_validate(replies):
    for reply in replies:
        payloads = slack_render.reply_messages(reply)
        for payload in payloads:
            check_slack_payload(payload)
        urls = [el.get("url") for p in payloads for b in p.get("blocks", []) if b["type"] == "actions"
                for el in b["elements"]]
        assert all(u is None or safe_url(u) for u in urls)
    view = slack_render.home_view(replies[1])
    assert len(view["blocks"]) <= slack_render.MAX_HOME_BLOCKS
    for b in view["blocks"]:
        Block.parse(b).validate_json()


def test_fallback_text_is_truncated_before_escaping():
    reply = Reply(text="a" * 2998 + "&<>" * 10)
    [first, *rest] = slack_render.reply_messages(Reply(text=reply.text, cards=(Card(hostile_paper()),) * 60))
    for text in [first["text"]] + [p["text"] for p in rest]:
        assert not re.search(r"&(?!amp;|lt;|gt;)", text)
    assert first["text"].endswith("…") and len(first["text"]) <= slack_render.SECTION_CHARS
    assert rest and all(p["text"].endswith(" (continued)") for p in rest)


async def test_fifty_long_topics_matching_one_paper_reach_both_platforms(store, clock):
    """The issue's case end to end: a chat following many long topics that all match one paper gets a digest that
    Telegram and Slack accept (it used to be 5,137 UTF-16 units and refused forever)."""
    core = Core(store, clock=clock)
    chat = Message("test", "c1", "u1")
    core.ensure_chat("test", "c1")
    for i in range(50):  # ~450 characters: over today's topic limits, as topics followed before them can be
        topic = "diffusion " + " ".join(f"-zz{i}w{j}" for j in range(50))  # matches every paper
        store.chats.add_topic("test", "c1", topic, topic, now=dg.iso(clock()))
    clock.advance(minutes=1)
    store.papers.upsert_many([hostile_paper(i) for i in range(3)], now=dg.iso(clock()))
    clock.advance(minutes=1)
    d = core.preview_digest(chat.platform, chat.chat_id)
    assert d is not None and (d.reply.cards or d.reply.sections)
    for chunk in telegram_render.render(d.reply):
        check_telegram_chunk(chunk)
    for payload in slack_render.reply_messages(d.reply):
        check_slack_payload(payload)
    topics = await core.handle(Message("test", "c1", "u1", text="/topics"))
    assert len(topics.buttons) == 50
    for chunk in telegram_render.render(topics):
        check_telegram_chunk(chunk)
    for payload in slack_render.reply_messages(topics):
        check_slack_payload(payload)
