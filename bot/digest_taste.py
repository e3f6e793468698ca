"""The learned taste's two hooks into a topic digest (bot/digest_build.py calls them; nothing else changes there):

- `candidates(active)`: how many of a section's best-by-relevance papers the model may choose from (relevance
  to the topic still decides what is in a section; the model only orders them, so with a model the section's top
  shown papers can come from a little further down the relevance order);
- `rerank(...)`: that order;
- `picks(...)`: "Picked for you", up to PICKS papers of the window that matched none of the chat's topics but score
  above the model's threshold, each with the terms that made it score.

The learner (bot/taste.py) never fits here: chats whose model is not fitted yet get the plain digest.
"""
from __future__ import annotations

from typing import Optional, Sequence

from bot import digests as dg
from bot.models import Card, Chat, DigestPaper, Paper, Section
from bot.render import snippet

PICKS = 3
POOL_FACTOR = 2  # a re-ranked section chooses from twice as many relevance candidates as it can show
TITLE = "Picked for you"


def active(taste, chat: Chat) -> bool:
    return taste is not None and taste.cached(chat.platform, chat.chat_id) is not None


def candidates(active: bool) -> int:
    """How many relevance candidates a section's model chooses from (`active`: this chat has a fitted model)."""
    return dg.PER_TOPIC * (POOL_FACTOR if active else 1)


def rerank(taste, chat: Chat, papers: Sequence[Paper], key=None) -> list[Paper]:
    return taste.rank(chat.platform, chat.chat_id, papers, key=key) if active(taste, chat) else list(papers)


def picks(taste, chat: Chat, pool: Sequence[Paper], shown: Sequence[str], key=None
          ) -> tuple[Optional[Section], tuple[DigestPaper, ...]]:
    """The "Picked for you" section (None when nothing scores high enough) and its papers for the Digest."""
    if not pool or not active(taste, chat):
        return None, ()
    chosen = taste.picks(chat.platform, chat.chat_id, pool, k=PICKS, exclude=shown, key=key)
    if not chosen:
        return None, ()
    cards = tuple(Card(paper=p.paper, why=("picked for: " + ", ".join(p.why),) if p.why else (),
                       snippet=snippet(p.paper, p.why), buttons=dg.paper_buttons(p.paper.id)) for p in chosen)
    section = Section(title=f"{TITLE}: {len(cards)} paper{'s' if len(cards) != 1 else ''} outside your topics, "
                            "chosen by what this chat liked", cards=cards)
    return section, tuple(DigestPaper(p.paper, p.why) for p in chosen)
