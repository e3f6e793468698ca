"""Feedback through the real PTB Application against the fake Bot API: 👍/👎/Save presses (acknowledged on the
button, no new message), withdrawing a vote, a reaction update, /saved and /saved export, /import with a .bib file."""
from __future__ import annotations

from fake_telegram import FakeTelegram  # noqa: F401  (the fixture module)
from telegram_helpers import actions, running, say

from tests.learn_data import ids_of, theme_papers

CHAT = 4242


async def _answered(fake, n_before: int) -> dict:
    calls = await fake.wait_for(lambda: fake.calls_of("answerCallbackQuery")[n_before:])
    return calls[0].params


async def press_ack(fake, data: str, user_id: int = CHAT, chat_id: int = CHAT) -> dict:
    before = len(fake.calls_of("answerCallbackQuery"))
    sent = len(fake.sent)
    fake.press(chat_id, data, user_id=user_id)
    params = await _answered(fake, before)
    assert len(fake.sent) == sent  # acknowledged on the button: no new message
    return params


async def test_cards_carry_feedback_buttons_and_presses_are_acknowledged_in_place(store, clock):
    async with running(store, clock) as (fake, adapter, core):
        store.papers.upsert_many(theme_papers(), now="2026-03-10T12:00:00+00:00")
        [msg] = await say(fake, CHAT, "/search flash attention")
        data = actions(msg)
        assert {"up:2205.14135", "dn:2205.14135", "sv:2205.14135", "sim:2205.14135"} <= set(data)
        assert all(len(d.encode()) <= 64 for d in data)
        ack = await press_ack(fake, "up:2205.14135")
        assert ack["text"].startswith("👍 Liked") and "2 more likes" in ack["text"]
        assert store.learning.labels("telegram", str(CHAT)) == {"2205.14135": 1}
        ack = await press_ack(fake, "up:2205.14135")  # the same button again withdraws
        assert ack["text"] == "Vote withdrawn."
        assert store.learning.labels("telegram", str(CHAT)) == {}
        ack = await press_ack(fake, "dn:2205.14135")
        assert ack["text"].startswith("👎")
        assert store.learning.labels("telegram", str(CHAT)) == {"2205.14135": -1}
        ack = await press_ack(fake, "sv:2205.14135")
        assert ack["text"].startswith("Saved.")
        ack = await press_ack(fake, "up:no-such-paper")
        assert ack.get("show_alert") and "can't find" in ack["text"]


async def test_saved_list_unsave_and_bibtex_export(store, clock):
    async with running(store, clock) as (fake, adapter, core):
        await press_ack(fake, "sv:2205.14135")
        await press_ack(fake, "sv:2006.11239")
        [msg] = await say(fake, CHAT, "/saved")
        assert "Saved papers (2)" in msg["plain"] and "1. FlashAttention" in msg["plain"]
        assert "usv:2205.14135" in actions(msg)
        await say(fake, CHAT, "/saved export")
        doc = await fake.wait_for(lambda: fake.documents)
        text = doc[0]["data"].decode()
        assert doc[0]["name"] == "paperwire-saved.bib"
        assert text.count("@misc{") == 2 and "eprint = {2205.14135}" in text and "archivePrefix = {arXiv}" in text
        await press_ack(fake, "usv:2205.14135")
        [msg] = await say(fake, CHAT, "/saved")
        assert "Saved papers (1)" in msg["plain"] and "FlashAttention" not in msg["plain"]


async def test_a_reaction_on_a_single_paper_message_is_a_vote(store, clock):
    async with running(store, clock) as (fake, adapter, core):
        polls = await fake.wait_for(lambda: fake.calls_of("getUpdates"))
        assert "message_reaction" in polls[0].params["allowed_updates"]
        [shown] = await press_msgs(fake, "abs:2205.14135")  # one paper in one message
        fake.reaction(CHAT, shown["message_id"], user_id=77, new=("👍",))
        await fake.wait_for(lambda: store.learning.labels("telegram", str(CHAT)))
        assert store.learning.labels("telegram", str(CHAT)) == {"2205.14135": 1}
        fake.reaction(CHAT, shown["message_id"], user_id=77, new=(), old=("👍",))  # taken back
        await fake.wait_for(lambda: not store.learning.labels("telegram", str(CHAT)))
        fake.reaction(CHAT, 999_999, user_id=77, new=("👎",))  # not one of ours: ignored
        fake.reaction(CHAT, shown["message_id"], user_id=78, new=("👎",))
        await fake.wait_for(lambda: store.learning.labels("telegram", str(CHAT)))
        assert store.learning.labels("telegram", str(CHAT)) == {"2205.14135": -1}


async def press_msgs(fake, data: str, n: int = 1):
    before = len([m for m in fake.sent if m["chat_id"] == CHAT])
    fake.press(CHAT, data)
    got = await fake.wait_sent(before + n, chat_id=CHAT)
    return got[before:]


async def test_import_a_bib_file_then_recommend_and_taste(store, clock):
    async with running(store, clock) as (fake, adapter, core):
        papers = theme_papers()
        store.papers.upsert_many(papers, now="2026-03-10T12:00:00+00:00")
        robot = [p for p in papers if p.id in ids_of(papers, "robot")]
        bib = "\n".join(f"@misc{{k{i}, title={{{p.title}}}, eprint={{{p.arxiv_id}}}, archivePrefix={{arXiv}}}}"
                        for i, p in enumerate(robot[:4]))
        bib += "\n@article{nope, title={A Paper Nobody Has}}\n"
        before = len(fake.sent)
        fake.document_update(CHAT, bib.encode(), name="mine.bib", caption="/import")
        [answer] = (await fake.wait_sent(before + 1))[before:]
        assert "Imported 4 of 5" in answer["plain"] and "A Paper Nobody Has" in answer["plain"]
        [msg] = await say(fake, CHAT, "/import")  # no file: says how
        assert "Attach a .bib file" in msg["plain"]
        before = len(fake.sent)
        fake.document_update(CHAT, b"\x00\x01 not bibtex", name="junk.bib", caption="/import")
        [bad] = (await fake.wait_sent(before + 1))[before:]
        assert "no references" in bad["plain"]
        await core.learner.settle()
        msgs = await say(fake, CHAT, "/recommend")
        assert "Picked for you" in msgs[0]["plain"]
        assert any(p.title[:20] in msgs[0]["plain"] for p in robot[4:])
        [taste] = await say(fake, CHAT, "/taste")
        assert "4 imported" in taste["plain"] and "More of:" in taste["plain"]
        [reset] = await say(fake, CHAT, "/taste reset")
        assert "Forgot 4" in reset["plain"]
        [taste] = await say(fake, CHAT, "/taste")
        assert "Picks start at 3" in taste["plain"]


async def test_similar_command_and_button(store, clock):
    async with running(store, clock) as (fake, adapter, core):
        papers = theme_papers()
        store.papers.upsert_many(papers, now="2026-03-10T12:00:00+00:00")
        protein = ids_of(papers, "protein")
        [msg] = await say(fake, CHAT, f"/similar https://arxiv.org/abs/{protein[0]}v2")
        assert "5 papers similar to" in msg["plain"] and msg["plain"].count("Protein") >= 5
        [msg] = await press_msgs(fake, f"sim:{protein[1]}")
        assert "5 papers similar to" in msg["plain"]
        [msg] = await say(fake, CHAT, "/similar no-such-thing")
        assert "not an arXiv id or link" in msg["plain"]
