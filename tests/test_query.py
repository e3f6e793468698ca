"""The query language: what each operator parses to, canonical forms, and that no text at all can make it raise."""
from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from bot.query import MAX_CHARS, parse


def texts(q):
    return [[t.text for t in g] for g in q.groups]


def test_plain_words_are_lowercased_and_all_required():
    q = parse("Flash  ATTENTION")
    assert q.error is None
    assert texts(q) == [["flash"], ["attention"]]
    assert q.terms == ("flash", "attention")


def test_phrases_exclusions_or_author_since_sort():
    q = parse('"state space" -medical -"image segmentation" mamba OR s4 author:"Albert Gu" author:Dao since:2026-06-01 sort:new')
    assert texts(q) == [["state space"], ["mamba", "s4"]]
    assert q.groups[0][0].quoted
    assert [t.text for t in q.excludes] == ["medical", "image segmentation"]
    assert [t.text for t in q.authors] == ["albert gu", "dao"]
    assert q.since == "2026-06-01" and q.since_days is None
    assert q.sort == "new"
    assert q.error is None


def test_or_binds_tighter_than_and_and_needs_two_positive_sides():
    assert texts(parse("a OR b c")) == [["a", "b"], ["c"]]
    assert texts(parse("OR a")) == [["a"]]
    assert texts(parse("a OR")) == [["a"]]
    q = parse("-x OR y")
    assert texts(q) == [["y"]] and [t.text for t in q.excludes] == ["x"]
    assert texts(parse("a | b")) == [["a", "b"]]


def test_hyphenated_names_are_phrases_as_written():
    q = parse("JRT-RNN")
    assert texts(q) == [["jrt rnn"]]
    assert q.groups[0][0].is_phrase
    assert texts(parse("MPCViT")) == [["mpcvit"]]
    assert texts(parse("SGAligner++")) == [["sgaligner"]]


def test_not_and_parentheses_and_stars_are_forgiven():
    q = parse("(diffusion AND transformer*) NOT medical")
    assert texts(q) == [["diffusion"], ["transformer"]]
    assert [t.text for t in q.excludes] == ["medical"]


def test_relative_since():
    q = parse("llm since:7d")
    assert q.since_days == 7
    assert q.since_date(datetime(2026, 3, 11, 6, tzinfo=timezone.utc)) == "2026-03-04"
    assert parse("llm since:2w").since_days == 14


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "Type some words"),
        ("   ", "Type some words"),
        ("-medical", "exclusions"),
        ('-"x y" NOT z', "exclusions"),
        ("((( *** )))", "no words"),
        ("llm since:yesterday", "since:"),
        ("llm since:2026-02-30", "since:"),
        ("llm sort:sideways", "sort:"),
        ("author:", "author:"),
    ],
)
def test_problems_become_clear_messages(text, fragment):
    q = parse(text)
    assert q.error and fragment in q.error


def test_canonical_ignores_order_case_and_spacing():
    a = parse('Diffusion  -Medical "Image Gen" author:Smith')
    b = parse('author:smith -medical "image gen"   diffusion')
    assert a.canonical() == b.canonical() == '"image gen" diffusion -medical author:smith'
    assert parse("a OR b").canonical() == parse("b OR a").canonical()
    assert parse("llm since:7d").canonical() != parse("llm").canonical()
    assert parse("x y").canonical() != parse('"x y"').canonical()


def test_long_and_binary_input_is_cut_not_fatal():
    q = parse("attention " * 20_000)
    assert q.error is None and any("first" in n for n in q.notes)
    assert len(q.text) <= MAX_CHARS
    q = parse("flash\x00attention")
    assert texts(q) == [["flash"], ["attention"]]


def test_unicode():
    q = parse("Schrödinger bridge 拡散モデル")
    assert q.error is None
    assert texts(q)[0] == ["schrödinger"]
    assert len(q.groups) == 3


def test_fuzz_random_text_never_raises():
    rng = random.Random(1234)
    alphabet = 'ab cD-"():*+|\\\x00\n\t\'é漢😀ORANDNOTauthor:since:sort:7d2026-01-01-'
    pieces = ["OR", "NOT", "AND", '"', "-", "author:", "since:", "sort:", "(", ")", "*", "\x00", "new", "7d", "x"]
    for i in range(3000):
        if i % 2:
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        else:
            text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        q = parse(text)
        assert q.error is None or isinstance(q.error, str)
        assert isinstance(q.canonical(), str)
        if q.error is None:
            assert q.groups or q.authors


def test_plain_word_fast_path_parses_like_the_full_lexer():
    for text in ["flash attention", "Diffusion Models 3D", "ﬁsh tank", "llm llm", "a OR b", "x NOT y", "état de l art"]:
        fast, full = parse(text), parse(text + ' ""')  # an empty phrase forces the full lexer, adds nothing
        assert (fast.groups, fast.excludes, fast.error) == (full.groups, full.excludes, full.error), text
