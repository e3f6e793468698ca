"""Replies as plain text with numbered buttons: the console chat and the CLI previews print this."""
from __future__ import annotations

from bot.models import Button, Reply
from bot.render import date_label, paper_links, short_authors


def render(reply: Reply, first_number: int = 1) -> tuple[str, list[Button]]:
    """Plain text for a Reply and the buttons in the order they are numbered."""
    buttons: list[Button] = []
    lines: list[str] = []

    def label(b: Button) -> str:
        if b.url:
            return f"{b.label}: {b.url}"
        buttons.append(b)
        return f"[{first_number + len(buttons) - 1}] {b.label}"

    if reply.text:
        lines.append(("! " if reply.error else "") + reply.text)
    def card_lines(i: int, card) -> None:
        p = card.paper
        meta = ", ".join(x for x in (short_authors(p.authors), date_label(p),
                                     f"▲{p.upvotes}" if p.upvotes else "") if x)
        lines.append(f"{i}. {p.title}" + (f"  ({meta})" if meta else ""))
        lines.append(f"   {p.url}")
        for link_label, url in paper_links(p):
            lines.append(f"   {link_label}: {url}")
        body = p.abstract if card.show_abstract else card.snippet
        if body:
            lines.append("   " + body)
        if card.why:
            lines.append("   matched: " + "; ".join(card.why))
        if card.buttons:
            lines.append("   " + "  ".join(label(b) for b in card.buttons))

    first = max(1, reply.first_number)  # a second page of results is numbered on: 6, 7, ...
    for i, card in enumerate(reply.cards, first):
        card_lines(i, card)
    i = first - 1 + len(reply.cards)
    for sec in reply.sections:  # a digest's topic: title, cards, its own buttons
        lines.append(f"== {sec.title} ==")
        for card in sec.cards:
            i += 1
            card_lines(i, card)
        if sec.buttons:
            lines.append("  ".join(label(b) for b in sec.buttons))
    if reply.footer:
        lines.append(reply.footer)
    if reply.document is not None:
        lines.append(f"--- {reply.document.name} ---\n" + reply.document.data.decode("utf-8", "replace").rstrip())
    if reply.buttons:
        lines.append("  ".join(label(b) for b in reply.buttons))
    return "\n".join(lines), buttons
