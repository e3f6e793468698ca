"""Reply -> Telegram HTML: escaping, limits and keyboards, checked with the fake server's own HTML parser."""
from __future__ import annotations

from adapters.telegram_render import inline_results, render, visible_len
from bot.models import Button, Card, Hit, Paper, Reply, SearchResult
from fake_telegram import parse_html, utf16_len
from telegram_helpers import HOSTILE


def paper(i: int = 0, title: str = "A paper", abstract: str = "About attention.", **kw) -> Paper:
    return Paper.make(title, f"2603.{i:05d}", abstract=abstract, **kw)


def test_hostile_text_is_escaped_everywhere():
    p = paper(title=HOSTILE, abstract="x < y && z > w <b>not bold</b>", authors=("Eve <eve@x>", "&amp;"))
    [chunk] = render(Reply(text="Results for <b>q</b> & co", cards=(Card(p, matched=("bold",)),),
                           footer="<i>footer</i>"))
    shown = parse_html(chunk.text)  # raises like Telegram would on a stray < or &
    assert HOSTILE in shown and "x < y && z > w <b>not bold</b>" in shown and "Eve <eve@x>" in shown
    assert "Results for <b>q</b> & co" in shown and "<i>footer</i>" in shown
    assert "<b>bold</b>" in chunk.text  # matched terms are the only bold text from the paper


def test_card_shows_link_authors_date_upvotes_and_highlight():
    p = paper(7, "Flash attention", abstract="We make attention fast.", authors=("A", "B", "C", "D"),
              published="2026-03-01", hf_date="2026-03-02", upvotes=42)
    [chunk] = render(Reply(cards=(Card(p, matched=("attention",), why=("flash attention",)),)))
    assert '<a href="https://huggingface.co/papers/2603.00007">Flash attention</a>' in chunk.text
    shown = parse_html(chunk.text)
    assert "A, B, C et al. · 2026-03-01 (HF daily 2026-03-02) · ▲ 42" in shown and "Matched: flash attention" in shown
    assert "We make <b>attention</b> fast." in chunk.text


def test_every_chunk_fits_even_with_emoji_and_huge_abstracts():
    emoji = "🚀" * 3000  # 2 UTF-16 units each: 6000 units in 3000 characters
    cards = tuple(Card(paper(i, f"Paper {i} {emoji[:50]}", abstract=emoji), show_abstract=True) for i in range(5))
    chunks = render(Reply(text="head " + emoji, cards=cards))
    assert len(chunks) >= 5
    for chunk in chunks:
        assert utf16_len(parse_html(chunk.text)) <= 4096 and visible_len(chunk.text) <= 4096
    assert all(sum(f"Paper {i} " in parse_html(c.text) for c in chunks) == 1 for i in range(5))


def test_keyboards_number_buttons_and_drop_oversized_callback_data():
    cards = tuple(Card(paper(i), buttons=(Button("Abstract", f"abs:2603.{i:05d}"),)) for i in range(3))
    reply = Reply(cards=cards, buttons=(Button("More", "more:1:5"), Button("Too long", "x" * 65),
                                        Button("Link", "", url="https://arxiv.org")))
    [chunk] = render(reply)
    rows = chunk.keyboard.inline_keyboard
    assert [b.text for b in rows[0]] == ["1· Abstract"] and rows[0][0].callback_data == "abs:2603.00000"
    assert [b.text for b in rows[-1]] == ["More", "Link"]
    assert all(len((b.callback_data or "").encode()) <= 64 for row in rows for b in row)


def test_reply_buttons_go_on_the_last_chunk_only():
    cards = tuple(Card(paper(i, abstract="word " * 600), show_abstract=True) for i in range(6))
    chunks = render(Reply(cards=cards, buttons=(Button("Show 4 more", "dmore:1"),)))
    assert len(chunks) > 1
    assert all(c.keyboard is None for c in chunks[:-1])
    assert chunks[-1].keyboard.inline_keyboard[-1][0].callback_data == "dmore:1"


def test_empty_reply_renders_nothing_and_inline_results_are_articles():
    assert render(Reply()) == []
    result = SearchResult("q", hits=(Hit(paper(1, HOSTILE, upvotes=3, authors=("Z",)), 1.0, ("flash",)),), total=1)
    [article] = inline_results(result)
    assert article.title == HOSTILE and article.id == "2603.00001" and "▲ 3" in article.description
    assert HOSTILE in parse_html(article.input_message_content.message_text)
