"""Reply -> Block Kit stays inside Slack's limits, escapes mrkdwn and keeps every paper and button."""
from __future__ import annotations

import json

from adapters.slack_render import (MAX_BLOCKS, MESSAGE_CHARS, SECTION_CHARS, card_text, escape, home_view,
                                   reply_messages)
from bot.models import Button, Card, Paper, Reply


def _paper(i: int = 1, **kw) -> Paper:
    fields = dict(abstract="We study flash attention kernels for long context. " * 3, authors=("Ada", "Bob"),
                  published="2026-03-10", upvotes=42, hf_date="2026-03-10")
    fields.update(kw)
    title = fields.pop("title", f"Paper {i}: fast attention")
    return Paper.make(title, f"2603.{i:05d}", **fields)


def _all_text(messages) -> str:
    return json.dumps(messages, ensure_ascii=False)


def test_card_has_link_authors_date_upvotes_and_bold_matches():
    text = card_text(Card(_paper(), matched=("attention",)))
    assert text.startswith("*<https://huggingface.co/papers/2603.00001|Paper 1: fast attention>*")
    assert "Ada, Bob · 2026-03-10 · ▲ 42" in text
    assert "flash *attention* kernels" in text


def test_long_author_list_is_shortened():
    text = card_text(Card(_paper(authors=tuple(f"Author {i}" for i in range(3303)))))
    assert "Author 0, Author 1, Author 2 et al." in text
    assert "Author 3 " not in text


def test_mrkdwn_control_characters_are_escaped():
    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    p = _paper(abstract="x <script> & <@U123> <!channel>", title="A <b> & C")
    text = card_text(Card(p))
    assert "<!channel>" not in text and "<@U123>" not in text and "<script>" not in text
    assert "&lt;!channel&gt;" in text and "A &lt;b&gt; &amp; C" in text
    msg = reply_messages(Reply(text="hello <!here> & bye"))[0]
    assert "<!here>" not in _all_text(msg) and "&lt;!here&gt; &amp; bye" in msg["blocks"][0]["text"]["text"]


def test_reply_buttons_carry_the_core_action_and_unique_action_ids():
    reply = Reply(text="Results", cards=(Card(_paper(1), buttons=(Button("Share in channel", "share:2603.00001"),)),
                                         Card(_paper(2), buttons=(Button("Share in channel", "share:2603.00002"),))),
                  buttons=(Button("Next 5", "more:7:5"), Button("Follow in this channel", "fol:7"),
                           Button("arXiv", "", url="https://arxiv.org")))
    [msg] = reply_messages(reply)
    elements = [e for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [e.get("value") for e in elements] == ["share:2603.00001", "share:2603.00002", "more:7:5", "fol:7", None]
    assert elements[-1]["url"] == "https://arxiv.org"
    ids = [e["action_id"] for e in elements]
    assert len(set(ids)) == len(ids) and all(i.startswith("pw:") for i in ids)
    assert msg["text"].startswith("Results")


def test_big_reply_is_split_within_block_and_size_limits_without_losing_papers():
    cards = tuple(Card(_paper(i, abstract="word " * 600), show_abstract=True,
                       buttons=(Button("Share in channel", f"share:{i}"),)) for i in range(60))
    reply = Reply(text="Your digest\n" + "line\n" * 900, cards=cards, footer="Reply /papers unfollow N",
                  buttons=(Button("More", "dmore:1"),))
    messages = reply_messages(reply)
    assert len(messages) > 2
    for m in messages:
        assert len(m["blocks"]) <= MAX_BLOCKS
        assert len(json.dumps(m["blocks"], ensure_ascii=False)) <= MESSAGE_CHARS + SECTION_CHARS + 500
        assert len(json.dumps(m["blocks"], ensure_ascii=False)) < 12_000
        assert m["text"]
        for b in m["blocks"]:
            if b["type"] == "section":
                assert len(b["text"]["text"]) <= SECTION_CHARS
    blob = _all_text(messages)
    assert all(f"share:{i}\"" in blob for i in range(60))
    assert messages[-1]["blocks"][-1]["elements"][0]["value"] == "dmore:1"  # reply buttons come last
    assert "Reply /papers unfollow N" in blob


def test_empty_reply_still_has_fallback_text():
    [msg] = reply_messages(Reply())
    assert msg["text"]


def test_home_view_is_a_home_view_with_unfollow_buttons_and_at_most_100_blocks():
    reply = Reply(text="Your topics", buttons=tuple(Button(f"Unfollow {i}", f"unf:{i}") for i in range(400)),
                  cards=tuple(Card(_paper(i)) for i in range(120)))
    view = home_view(reply)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    small = home_view(Reply(text="Topics:\n1. diffusion", buttons=(Button("Unfollow 1", "unf:1"),)))
    assert "1. diffusion" in _all_text(small) and "unf:1" in _all_text(small)


def test_core_commands_read_as_slash_papers_subcommands():
    [msg] = reply_messages(Reply(text="/follow TOPIC - follow\nsee https://x.org/search/q and /topics, /papers help",
                                 footer="Send /unfollow N"))
    text = _all_text(msg)
    assert "/papers follow TOPIC" in text and "/papers topics," in text and "/papers unfollow N" in text
    assert "https://x.org/search/q" in text and "/papers papers" not in text
    assert msg["text"].startswith("/papers follow TOPIC")


def test_core_buttons_get_slack_words():
    from adapters.slack_render import button_element

    assert button_element(Button("Share", "share:2603.00001"), 0)["text"]["text"] == "Share in channel"
    assert button_element(Button("Follow this search", "fol:ab12"), 1)["text"]["text"] == "Follow in this channel"
    assert button_element(Button("More results", "more:ab12:5"), 2)["text"]["text"] == "Next 5"
    assert button_element(Button("Abstract", "abs:2603.00001"), 3)["text"]["text"] == "Abstract"
