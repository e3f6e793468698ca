"""Paper lookup (issue 10.4): every id/URL form, fetched once when missing (arXiv id_list + HF /api/papers/{id}),
a clear "not found on arXiv", `/paper` through the core and `paperwire paper --json`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core import Core
from bot.models import Message, Paper
from bot.paper_ref import find_refs, parse_ref
from test_fetch import atom_page, upstream  # noqa: F401 - the fixture

DATA = Path(__file__).parent / "data"
HF_ITEM = json.loads((DATA / "hf_daily_papers_2026-08-21.json").read_bytes())[0]["paper"]

FORMS = [
    ("2405.21060", "2405.21060", None, "id"), ("2405.21060v2", "2405.21060", 2, "id"),
    ("arXiv:2405.21060", "2405.21060", None, "id"), ("math/0502287", "math/0502287", None, "id"),
    ("hep-th/9901001v1", "hep-th/9901001", 1, "id"), ("math.DG/0502287", "math/0502287", None, "id"),
    ("0704.0001", "0704.0001", None, "id"),
    ("https://arxiv.org/abs/2405.21060v2", "2405.21060", 2, "arxiv"),
    ("arxiv.org/pdf/2405.21060v2", "2405.21060", 2, "arxiv"),
    ("https://arxiv.org/pdf/2405.21060v2.pdf", "2405.21060", 2, "arxiv"),
    ("https://arxiv.org/html/2405.21060v2/", "2405.21060", 2, "arxiv"),
    ("https://export.arxiv.org/abs/math/0502287v1", "math/0502287", 1, "arxiv"),
    ("https://huggingface.co/papers/2405.21060", "2405.21060", None, "hf"),
    ("huggingface.co/papers/2405.21060?utm=x", "2405.21060", None, "hf"),
    ("https://www.alphaxiv.org/abs/2405.21060", "2405.21060", None, "alphaxiv"),
    ("https://doi.org/10.48550/arXiv.2405.21060", "2405.21060", None, "doi"),
    ("10.48550/ARXIV.2405.21060", "2405.21060", None, "doi"),
    ("<https://arxiv.org/abs/2405.21060>", "2405.21060", None, "arxiv"),
]


@pytest.mark.parametrize("text,aid,version,source", FORMS)
def test_every_form_gives_the_versionless_id(text, aid, version, source):
    ref = parse_ref(text)
    assert ref is not None and (ref.arxiv_id, ref.version, ref.source) == (aid, version, source)


@pytest.mark.parametrize("text", ["flash attention", "2413.00001", "1412.12345", "1501.1234", "",
                                  "https://example.com/abs/2405.21060", "https://arxiv.org/abs/2405.210601",
                                  "x" * 1000, "2405.21060 2405.21061"])
def test_what_is_not_an_id_is_refused(text):
    assert parse_ref(text) is None


def test_links_found_in_a_message_once_each():
    text = ("see https://arxiv.org/abs/2405.21060v2 and huggingface.co/papers/2405.21060, "
            "<https://www.alphaxiv.org/abs/2310.06825|this> and version 2401.00001 (not a link)")
    assert [r.arxiv_id for r in find_refs(text)] == ["2405.21060", "2310.06825"]


def api_entry(aid: str, title: str) -> str:
    entry = (f"<entry><id>http://arxiv.org/abs/{aid}v2</id><title>{title}</title><summary>Abstract of {title}."
             f"</summary><published>2024-05-31T17:50:01Z</published><author><name>Tri Dao</name></author>"
             f"<author><name>Albert Gu</name></author><arxiv:primary_category term=\"cs.LG\"/></entry>")
    return atom_page(0, 0, 1).replace("</feed>", entry + "</feed>")


@pytest.fixture
def core(upstream, store, clock):
    settings = Settings(hf_endpoint=upstream.url, arxiv_api_url=upstream.url + "/api/query",
                        arxiv_feed_url=upstream.url + "/rss")
    return Core(store, settings, clock=clock)


async def say(core, text):
    return await core.handle(Message("test", "c1", "u1", text=text))


async def test_paper_not_in_the_store_is_fetched_stored_once_and_shown(core, upstream, store):
    upstream.default["/api/query"] = api_entry("2405.21060", "Transformers are SSMs")
    upstream.default["/api/papers/2405.21060"] = json.dumps(dict(HF_ITEM, id="2405.21060", title="Transformers are SSMs"))
    r = await say(core, "/paper https://arxiv.org/abs/2405.21060v2")
    assert not r.error and r.text.startswith("2405.21060: fetched from arXiv")
    (card,) = r.cards
    p = card.paper
    assert p.title == "Transformers are SSMs" and p.authors and p.upvotes == 163
    assert p.github_repo == HF_ITEM["githubRepo"] and set(p.sources) == {"arxiv", "hf"}
    assert [path for path, _, _ in upstream.requests] == ["/api/query", "/api/papers/2405.21060"]
    assert upstream.requests[0][1]["id_list"] == "2405.21060"
    again = await say(core, "/paper huggingface.co/papers/2405.21060")
    assert again.cards[0].paper.id == "2405.21060" and len(upstream.requests) == 2  # from the store
    assert store.papers.count() == 1


async def test_paper_in_the_store_is_answered_without_fetching(core, upstream, store):
    store.papers.upsert_many([Paper.make("Mamba", "2312.00752", sources=("arxiv",))])
    r = await say(core, "/p arXiv:2312.00752v2")
    assert r.cards[0].paper.title == "Mamba" and upstream.requests == []


async def test_unknown_id_says_not_found_on_arxiv(core, upstream, store):
    upstream.default["/api/query"] = atom_page(0, 0, 0)
    r = await say(core, "/paper 2405.99999")
    assert r.error and r.text == "2405.99999 was not found on arXiv." and store.papers.count() == 0
    r = await say(core, "/paper flash attention")
    assert r.error and "not an arXiv id or link" in r.text and "/paper 2405.21060" in r.text
    r = await say(core, "/paper")
    assert r.error and "Give an arXiv id or link" in r.text


async def test_hf_failure_still_gives_the_arxiv_paper_and_arxiv_failure_is_clear(core, upstream):
    upstream.default["/api/query"] = api_entry("2405.21060", "Transformers are SSMs")
    upstream.default["/api/papers/2405.21060"] = 404
    r = await say(core, "/paper 2405.21060")
    assert r.cards and r.cards[0].paper.upvotes is None
    upstream.default["/api/query"] = 400
    r = await say(core, "/paper 2405.21061")
    assert r.error and "Could not look up 2405.21061" in r.text and "127.0.0.1" in r.text
