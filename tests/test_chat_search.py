"""Chat-style questions ("any new work on kv cache compression", "what's new in RLHF?") and acronyms the corpus
defines itself ("reinforcement learning from human feedback (RLHF)"): what the query language drops, what search
then finds, and where both stop (operators, no chat marker, quotes)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.acronyms import Miner, definitions, long_form
from bot.models import Paper
from bot.query import parse
from bot.search import Searcher
from tests.search_data import papers

NOW = datetime(2026, 3, 11, 6, tzinfo=timezone.utc)


def words(q):
    return [t.text for g in q.groups for t in g]


# ---- the query language ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, topic, dropped", [
    ("any new work on kv cache compression", "kv cache compression", "any new work on"),
    ("papers about reinforcement learning from human feedback", "reinforcement learning from human feedback",
     "papers about"),
    ("what's new in RLHF?", "RLHF", "what's new in"),
    ("Is there any research on Mamba?", "Mamba", "is there any research on"),
    ("diffusion transformers papers please", "diffusion transformers", "papers please"),
    ("show me the latest papers about state space models", "state space models", "show me the latest papers about"),
    ("latest on vision language action models", "vision language action models", "latest on"),
    ("how does flash attention work?", "flash attention", "how does work"),
])
def test_chat_questions_keep_only_the_topic(text, topic, dropped):
    q = parse(text)
    assert q.error is None
    assert q.topic == topic and q.dropped == dropped
    assert words(q) == words(parse(topic))
    assert q.canonical() == parse(topic).canonical()  # /follow "papers about X" is the topic X


@pytest.mark.parametrize("text", [
    "new physics",  # filler words, but nothing that makes it a question: taken as written
    "deep research",
    "research agents",
    "recent advances in diffusion",
    "diffusion work",  # a trailing filler word alone is no question
    "what is new",  # nothing would remain
    'any new work on "kv cache"',  # any operator: the text is a query, every word required
    "any new work on kv -medical",
    "papers about mamba OR s4",
    "papers about author:Gu",
    '"what" matters',
    "show-o papers about",  # a hyphenated name is a name; "papers about" alone is filler but no topic is left
])
def test_no_stripping_without_a_chat_marker_or_with_operators(text):
    q = parse(text)
    assert q.soft == () and q.topic == ""
    assert all(w in " ".join(words(q)) for w in ("new", "research", "diffusion", "what", "any", "papers", "work")
               if w in text.lower().split())


def test_chat_words_inside_the_topic_stay():
    q = parse("any papers on learning to rank for search")
    assert words(q) == ["learning", "to", "rank", "for", "search"]
    assert q.dropped == "any papers on"


def test_fast_path_and_full_lexer_agree_on_chat_questions():
    for text in ["any new work on kv cache compression", "papers about diffusion please", "new physics"]:
        fast, full = parse(text), parse(text + " ?")  # "?" forces the full lexer and adds nothing
        assert (fast.groups, fast.soft) == (full.groups, full.soft), text
        assert fast.topic == full.topic


# ---- acronym mining --------------------------------------------------------------------------------------------
def test_long_forms_are_the_words_that_spell_the_acronym():
    assert long_form("RLHF", "we study reinforcement learning from human feedback ") == (
        "reinforcement", "learning", "from", "human", "feedback")
    assert long_form("DPO", "Compared to Direct Preference Optimization ") == ("direct", "preference", "optimization")
    assert long_form("PPO", "trained with proximal policy optimization ") == ("proximal", "policy", "optimization")
    assert long_form("ViT", "a plain vision transformer ") == ("vision", "transformer")
    assert long_form("LLMs", "Recent large language models ") == ("large", "language", "models")
    assert long_form("KV", "the key-value ") == ("key", "value")
    assert long_form("RLHF", "the method proposed here ") is None
    assert long_form("RLHF", "Results. Feedback ") is None  # not across a sentence
    assert long_form("Adam", "an adaptive moment ") is None  # one capital: a name, not an acronym


def test_definitions_in_a_text():
    text = ("Retrieval-augmented generation (RAG) helps large language models (LLMs); we also use chain-of-thought "
            "(CoT) prompting and the (TODO) marker.")
    assert definitions(text) == {("rag", ("retrieval", "augmented", "generation")),
                                 ("llm", ("large", "language", "models")), ("cot", ("chain", "of", "thought"))}


def test_miner_counts_papers_and_keeps_agreed_definitions():
    m = Miner()
    m.feed([(1, "t", "Reinforcement learning from human feedback (RLHF) aligns models."),
            (2, "t", "We revisit reinforcement learning from human feedback (RLHF)."),
            (3, "t", "Reinforcement Learning from Human Feedback (RLHF) is costly."),
            (4, "t", "Rare lexical hash filters (RLHF) are something else.")])
    assert m.upto == 4
    assert m.table()["rlhf"] == [(("reinforcement", "learning", "from", "human", "feedback"), 3, 4)]


# ---- search ----------------------------------------------------------------------------------------------------
def _rlhf_papers():
    defs = [Paper.make(f"Alignment study {i}", f"2601.0000{i}", published="2026-01-0{}".format(i),
                       abstract=f"Reinforcement learning from human feedback (RLHF) is studied in setting {i}.")
            for i in range(1, 5)]
    only_long = Paper.make("Reward models for reinforcement learning from human feedback", "2601.00011",
                           published="2026-02-01", abstract="We train reward models on preference data.")
    only_short = Paper.make("Cheaper RLHF with small critics", "2601.00012", published="2026-02-02",
                            abstract="Critics are trained on preferences.")
    scattered = Paper.make("Learning from human reinforcement", "2601.00013", published="2026-02-03",
                           abstract="Human feedback on robots.")
    kv = [Paper.make(f"KV cache compression method {i}", f"2601.0002{i}", published="2026-02-0{}".format(i),
                     abstract="We compress the key-value (KV) cache of transformers.") for i in range(1, 4)]
    return defs + [only_long, only_short, scattered] + kv


@pytest.fixture
def searcher(store):
    store.papers.upsert_many(papers() + _rlhf_papers())
    return Searcher(store)


def ids(result):
    return {h.paper.arxiv_id for h in result.hits}


def test_acronym_and_expansion_find_each_other(searcher):
    short = searcher.search("rlhf", limit=50, now=NOW)
    long = searcher.search("reinforcement learning from human feedback", limit=50, now=NOW)
    assert {"2601.00011", "2601.00012"} <= ids(short)  # the expansion-only and the acronym-only paper
    assert ids(short) == ids(long)
    assert "2601.00013" not in ids(long)  # the words scattered: not the defined phrase
    hit = next(h for h in short.hits if h.paper.arxiv_id == "2601.00011")
    assert hit.matched == ("reinforcement learning from human feedback",)


def test_quoted_acronym_is_taken_literally(searcher):
    assert "2601.00011" not in ids(searcher.search('"RLHF"', limit=50, now=NOW))
    assert "2601.00012" not in ids(searcher.search('"reinforcement learning from human feedback"', limit=50, now=NOW))


def test_the_three_chat_questions(searcher):
    bare = searcher.search("kv cache compression", limit=10, now=NOW)
    chat = searcher.search("any new work on kv cache compression", limit=10, now=NOW)
    assert bare.total == 3 and chat.total == bare.total and ids(chat) == ids(bare)
    assert chat.note.startswith("Searched for: kv cache compression (left out: any new work on).")
    about = searcher.search("papers about reinforcement learning from human feedback", limit=10, now=NOW)
    assert ids(about) == ids(searcher.search("rlhf", limit=10, now=NOW))
    new = searcher.search("what's new in RLHF?", limit=10, now=NOW)
    assert ids(new) == ids(about) and len(new.hits) == 6


def test_exact_titles_that_start_like_a_question_still_come_first(store):
    a = Paper.make("What Matters in Transformers? Not All Attention is Needed", "2406.15786",
                   abstract="Attention layers can be dropped.")
    b = Paper.make("Routing matters in transformers", "2406.00001", abstract="Routing.")
    store.papers.upsert_many([b, a])
    s = Searcher(store)
    top = s.search("what matters in transformers not all attention is needed", now=NOW).hits[0]
    assert top.paper.arxiv_id == "2406.15786"


def test_follow_matching_uses_the_same_topic(searcher):
    batch = _rlhf_papers()
    topics = ["what's new in RLHF?", "rlhf", '"rlhf"', "reinforcement learning from human feedback"]
    got = searcher.match_window(topics, 0, searcher.store.papers.committed_seq())
    byid = searcher.store.papers.by_pks(sorted({pk for pks, _ in got.values() for pk in pks}))
    got = {t: {byid[pk].id for pk in pks} for t, (pks, _) in got.items()}
    assert got["what's new in RLHF?"] == got["rlhf"] == got["reinforcement learning from human feedback"]
    assert {batch[4].id, batch[5].id} <= got["rlhf"]
    assert batch[4].id not in got['"rlhf"']
    exact = searcher.search("rlhf", limit=100, now=NOW, exact=True)
    assert {h.paper.id for h in exact.hits} == got["rlhf"]


def test_new_papers_bring_new_acronyms(store):
    s = Searcher(store)
    store.papers.upsert_many(papers())
    assert s.search("qlx", now=NOW).total == 0
    store.papers.upsert_many([Paper.make(f"Quantum lattice {i}", f"2603.0000{i}",
                                         abstract="Quantum lattice exchange (QLX) is fast.") for i in range(1, 4)]
                             + [Paper.make("Faster quantum lattice exchange", "2603.00009", abstract="Speed.")])
    assert "2603.00009" in ids(s.search("qlx", now=NOW))


def test_mined_definitions_are_stored_and_reused(tmp_path):
    from store import Store

    path = tmp_path / "x.db"
    s1 = Store(path)
    s1.papers.upsert_many(_rlhf_papers())
    assert "2601.00011" in ids(Searcher(s1).search("rlhf", limit=50, now=NOW))
    assert s1.search.acronyms_mined_upto() == s1.search.max_pk()
    s1.close()
    s2 = Store(path)
    s2.search.texts_after = lambda pk: iter(()) if pk else (_ for _ in ()).throw(AssertionError("mined again"))
    assert "2601.00011" in ids(Searcher(s2).search("rlhf", limit=50, now=NOW))
    s2.close()


def test_an_expansion_typed_beside_its_acronym_is_not_added(searcher):
    """"masked autoencoders mae": the words are already there, the phrase would only add look-alikes."""
    from bot.search_plan import lexicon, make_plan

    lex = lexicon(searcher.repo)
    alone = make_plan(parse("rlhf"), searcher.repo, lex)
    assert [a.text for a in alone.groups[0].alts] == ["rlhf", "reinforcement learning from human feedback"]
    both = make_plan(parse("reinforcement learning rlhf from human feedback"), searcher.repo, lex)
    assert [[a.text for a in g.alts] for g in both.groups] == [
        ["reinforcement"], ["learning"], ["rlhf"], ["from"], ["human"], ["feedback"]]
    again = make_plan(parse("rlhf"), searcher.repo, lex)  # the memoized group was not changed
    assert len(again.groups[0].alts) == 2
