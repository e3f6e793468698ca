"""Votes, saves and the per-chat model: what the store keeps, what the learner concludes, and library files."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.core import Core
from bot.learn import FeatureSpace, analyze, fit_model, paper_text
from bot.library import parse_bibtex, parse_library, parse_zotero_csv, paper_ref, to_bibtex
from store import Store
from tests.learn_data import ids_of, theme_papers
from test_fetch import upstream  # noqa: F401 - the fixture

NOW = "2026-03-10T08:00:00+00:00"


def make_core(store, clock, papers=None):
    papers = papers or theme_papers()
    store.papers.upsert_many(papers, now="2026-03-09T12:00:00+00:00")
    core = Core(store, clock=clock)
    core.ensure_chat("test", "c1")
    return core, papers


def test_analyze_keeps_bigrams_and_drops_stop_words_and_numbers():
    terms = analyze("The Flash Attention of 2024 models")
    assert "flash attention" in terms and "flash" in terms
    assert "the" not in terms and "2024" not in terms


def test_vote_toggles_and_the_latest_vote_counts(store, clock):
    core, papers = make_core(store, clock)
    repo, pid = store.learning, papers[0].id
    assert repo.toggle_vote("test", "c1", "u1", pid, 1, source="button", now=NOW) == 1
    assert repo.toggle_vote("test", "c1", "u1", pid, 1, source="button", now=NOW) == 0  # second press withdraws
    assert repo.labels("test", "c1") == {}
    repo.toggle_vote("test", "c1", "u1", pid, 1, source="button", now=NOW)
    assert repo.toggle_vote("test", "c1", "u1", pid, -1, source="button", now=NOW) == -1  # switch: latest counts
    assert repo.labels("test", "c1") == {pid: -1}
    repo.toggle_vote("test", "c1", "u2", pid, 1, source="button", now=NOW)
    repo.toggle_vote("test", "c1", "u3", pid, 1, source="button", now=NOW)
    assert repo.labels("test", "c1") == {pid: 1}  # two likes outweigh one dislike
    assert repo.counts("test", "c1")["voters"] == 3


def test_feedback_survives_a_restart_and_a_chat_migration(tmp_path, clock):
    path = tmp_path / "pw.db"
    store = Store(path)
    core, papers = make_core(store, clock)
    store.learning.set_votes("test", "c1", "u1", [(papers[0].id, 1), (papers[1].id, -1)], source="cli", now=NOW)
    store.learning.save("test", "c1", papers[2].id, "u1", now=NOW)
    store.close()
    store = Store(path)
    assert store.learning.labels("test", "c1") == {papers[0].id: 1, papers[1].id: -1, papers[2].id: 1}
    assert store.learning.saved("test", "c1") == [papers[2].id]
    store.chats.migrate("test", "c1", "c9")
    assert store.learning.saved("test", "c9") == [papers[2].id]
    store.close()


def test_reset_forgets_votes_but_keeps_saved_papers(store, clock):
    core, papers = make_core(store, clock)
    store.learning.set_votes("test", "c1", "u1", [(papers[0].id, 1)], source="cli", now=NOW)
    store.learning.save("test", "c1", papers[2].id, "u1", now=NOW)
    v = store.learning.version("test", "c1")
    store.learning.reset("test", "c1")
    assert store.learning.labels("test", "c1") == {}
    assert store.learning.saved("test", "c1") == [papers[2].id]
    assert store.learning.version("test", "c1") > v


def test_no_model_below_three_positives_then_it_prefers_the_liked_theme(store, clock):
    core, papers = make_core(store, clock)
    robot = ids_of(papers, "robot")
    learner = core.learner
    store.learning.set_votes("test", "c1", "u1", [(pid, 1) for pid in robot[:2]], source="cli", now=NOW)
    assert learner.model("test", "c1") is None
    store.learning.set_votes("test", "c1", "u1", [(robot[2], 1), (ids_of(papers, "audio")[0], -1)], source="cli",
                             now=NOW)
    model = learner.model("test", "c1")
    assert model is not None and model.positives == 3
    picks = learner.recommend("test", "c1", datetime(2026, 3, 10, tzinfo=timezone.utc), limit=5)
    assert [p.paper.id for p in picks] and all(p.paper.id in robot[3:] for p in picks)
    assert all(p.why for p in picks)  # each pick names the terms that made it score
    taste = learner.taste("test", "c1")
    assert taste.active and taste.counts["likes"] == 3 and taste.counts["dislikes"] == 1
    top = " ".join(t for t, _ in taste.positive)
    assert any(w in top for w in ("robot", "grasping", "gripper", "manipulation", "tactile"))


def test_rank_reorders_and_picks_skip_rated_papers(store, clock):
    core, papers = make_core(store, clock)
    robot, audio = ids_of(papers, "robot"), ids_of(papers, "audio")
    store.learning.set_votes("test", "c1", "u1", [(pid, 1) for pid in robot[:4]], source="cli", now=NOW)
    learner = core.learner
    assert learner.rank("test", "c1", papers) == papers  # nothing fitted yet: order unchanged, refit requested
    learner.model("test", "c1")
    by_id = {p.id: p for p in papers}
    mixed = [by_id[audio[0]], by_id[audio[1]], by_id[robot[5]], by_id[audio[2]]]
    assert learner.rank("test", "c1", mixed)[0].id == robot[5]
    picks = learner.picks("test", "c1", papers, k=3)
    assert 1 <= len(picks) <= 3 and all(p.paper.id in robot[4:] for p in picks)


def test_similar_finds_the_same_theme(store, clock):
    core, papers = make_core(store, clock)
    protein = ids_of(papers, "protein")
    got = core.learner.similar(store.papers.get(protein[0]), limit=5)
    assert len(got) == 5 and protein[0] not in [p.paper.id for p in got]
    assert all(p.paper.id in protein for p in got)
    assert all(0 < p.score <= 1.0001 for p in got)


def test_new_papers_use_the_existing_vocabulary_until_the_corpus_grows_a_lot(store, clock):
    core, papers = make_core(store, clock)
    space = core.learner.sync()
    store.papers.upsert_many(theme_papers(per_theme=1, start=100, seed=9), now=NOW)
    assert core.learner.sync() is space and len(space) == len(papers) + 3  # extended, not refitted
    store.papers.upsert_many(theme_papers(per_theme=15, start=200, seed=11), now=NOW)
    assert core.learner.sync() is not space  # +50%: the IDF is refit


def test_feature_space_rows_are_unit_length_and_models_stay_sparse():
    papers = theme_papers()
    space = FeatureSpace().fit([p.id for p in papers], [paper_text(p.title, p.abstract) for p in papers])
    norms = space.X.multiply(space.X).sum(axis=1)
    assert abs(float(norms.max()) - 1) < 1e-4
    model = fit_model(space, [0, 1, 2, 3], [20], seed=1)
    assert model is not None and len(model.cols) < 2000 and model.seconds < 1.0


def test_bibtex_entries_by_eprint_url_doi_journal_and_title():
    text = r"""
    @article{a, title={Flash{A}ttention: Fast}, journal={arXiv preprint arXiv:2205.14135}, year={2022}}
    @misc{b, title = "Two", eprint = {2402.13214v2}, archivePrefix = {arXiv}}
    @misc{c, title={Three}, url={https://arxiv.org/pdf/2401.00001v1.pdf}}
    @misc{d, title={Four}, doi={10.48550/arXiv.2310.12345}}
    @book{e, title={Only A Title, With Comma}, year=1999}
    @comment{skip me}
    @misc{f, author={No Title}}
    @misc{broken, title={never closed
    """
    entries, bad = parse_bibtex(text)
    assert [e.arxiv_id for e in entries[:4]] == ["2205.14135", "2402.13214", "2401.00001", "2310.12345"]
    assert entries[0].title == "FlashAttention: Fast"
    assert entries[4].title == "Only A Title, With Comma" and entries[4].arxiv_id is None
    assert bad >= 1


def test_zotero_csv_and_garbage_files():
    csv_text = ('"Key","Item Type","Title","Url","DOI","Extra"\n'
                '"K1","preprint","Denoising Diffusion","http://arxiv.org/abs/2006.11239v2","",""\n'
                '"K2","journalArticle","A Journal Paper","","10.1/xyz","arXiv: 2401.00002"\n'
                '"K3","book","Only Title","","",""\n')
    entries, _ = parse_zotero_csv(csv_text)
    assert [(e.arxiv_id, e.title) for e in entries] == [("2006.11239", "Denoising Diffusion"),
                                                         ("2401.00002", "A Journal Paper"), (None, "Only Title")]
    entries, _, error = parse_library(b"\x00\xff garbage", "x.bib")
    assert entries == [] and "no references" in error


def test_paper_ref_accepts_ids_and_urls():
    assert paper_ref("2402.13214v3") == "2402.13214"
    assert paper_ref("https://huggingface.co/papers/2402.13214") == "2402.13214"
    assert paper_ref("https://arxiv.org/abs/math/0502287v1") == "math/0502287"
    assert paper_ref("arXiv:2402.13214") == "2402.13214"
    assert paper_ref("hello world") is None


def test_bibtex_export_round_trips():
    papers = theme_papers(per_theme=2)
    text = to_bibtex(papers)
    assert text.count("@misc{") == 6 and "archivePrefix = {arXiv}" in text and "primaryClass = {cs.RO}" in text
    entries, bad = parse_bibtex(text)
    assert [e.arxiv_id for e in entries] == [p.arxiv_id for p in papers] and bad == 0
    keys = [line.split("{", 1)[1].rstrip(",") for line in text.splitlines() if line.startswith("@misc")]
    assert len(set(keys)) == len(keys)


async def test_import_fetches_arxiv_ids_the_store_lacks_and_similar_fetches_a_missing_paper(upstream, store, clock):
    from bot.config import Settings
    from bot.models import Attachment, Message
    from test_paper_lookup import api_entry

    store.papers.upsert_many(theme_papers(), now="2026-03-09T12:00:00+00:00")
    settings = Settings(hf_endpoint=upstream.url, arxiv_api_url=upstream.url + "/api/query",
                        arxiv_feed_url=upstream.url + "/rss")
    core = Core(store, settings, clock=clock)
    upstream.default["/api/query"] = api_entry("2405.21060", "Transformers are SSMs")
    upstream.default["/api/papers/2405.21060"] = 404
    bib = (b"@misc{a, title={Transformers are SSMs}, eprint={2405.21060}, archivePrefix={arXiv}}\n"
           b"@misc{b, title={x}, eprint={2603.00001}, archivePrefix={arXiv}}\n")
    reply = await core.handle(Message("test", "c1", "u1", text="/import",
                                      attachment=Attachment("lib.bib", bib)))
    assert "Imported 2 of 2" in reply.text and "1 fetched from arXiv" in reply.text
    assert store.papers.get("2405.21060").title == "Transformers are SSMs"
    assert store.learning.labels("test", "c1") == {"2405.21060": 1, "2603.00001": 1}
    assert upstream.requests[0][1]["id_list"] == "2405.21060"
    store.papers.upsert_many([], now=NOW)
    reply = await core.handle(Message("test", "c1", "u1", text="/similar https://arxiv.org/abs/2405.21060v2"))
    assert "similar to “Transformers are SSMs”" in reply.text or "no papers similar" in reply.text
