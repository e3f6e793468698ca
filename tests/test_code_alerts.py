"""Code alerts (issue 10.7): a paper a chat was sent, or that matches its topics, later gains a code repository ->
its next digest carries one "Code released" line, once; a preview tells nothing."""
from __future__ import annotations

from bot.core import Core
from bot.models import DeliveryResult, Paper
from test_digests import at, due_one, ingest, p, say


def with_code(paper: Paper, repo: str) -> Paper:
    return Paper.make(paper.title, paper.arxiv_id, github_repo=repo, github_stars=12, sources=("hf",))


async def test_code_released_line_once_for_sent_and_matching_papers(store, clock):
    core = Core(store, clock=clock)
    await say(core, "/follow diffusion")
    sent = p(1, "Diffusion transformers at scale")
    ingest(store, "2026-03-11T07:00:00+00:00", sent)
    d = due_one(core, "2026-03-11T08:00:00+00:00")
    assert d.paper_ids == ("2603.00001",) and "Code released" not in d.reply.text
    core.record_delivery(d, DeliveryResult("sent"))
    old_match = p(2, "Latent diffusion for audio")  # matches the topic, was committed before the follow's window
    unrelated = p(3, "Graph networks")
    store.papers.upsert_many([old_match, unrelated], now="2026-03-01T00:00:00+00:00")  # already known papers
    # HF later lists code for all three
    ingest(store, "2026-03-11T20:00:00+00:00", with_code(sent, "https://github.com/a/dit"),
           with_code(old_match, "https://github.com/b/ldm"), with_code(unrelated, "https://github.com/c/gnn"))
    assert store.papers.get("2603.00001").github_repo == "https://github.com/a/dit"

    preview = core.preview_digest("test", "c1", at("2026-03-12T07:00:00+00:00"))
    assert preview is not None and "Code released" in preview.reply.text  # shown in the preview ...
    d = due_one(core, "2026-03-12T08:00:00+00:00")  # ... and still in the real digest: a preview tells nothing
    lines = [ln for ln in d.reply.text.splitlines() if ln.startswith("Code released")]
    assert sorted(lines) == ["Code released: Diffusion transformers at scale - https://github.com/a/dit",
                             "Code released: Latent diffusion for audio - https://github.com/b/ldm"]
    core.record_delivery(d, DeliveryResult("sent"))
    ingest(store, "2026-03-13T07:00:00+00:00", p(4, "Diffusion news"))
    d = due_one(core, "2026-03-13T08:00:00+00:00")
    assert "Code released" not in d.reply.text  # once


async def test_a_paper_first_seen_with_code_is_no_alert(store, clock):
    core = Core(store, clock=clock)
    await say(core, "/follow diffusion")
    ingest(store, "2026-03-11T07:00:00+00:00",
           Paper.make("Diffusion with code from day one", "2603.00001", published="2026-03-10",
                      github_repo="https://github.com/a/b", sources=("hf",)))
    d = due_one(core, "2026-03-11T08:00:00+00:00")
    assert "Code released" not in d.reply.text and store.papers.code_released_since("2026-01-01") == []
