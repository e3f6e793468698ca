"""What the sources did, in words: the `/status` text and the notes a digest or trending post carries.

`source_notes(store, day)` is the typed API the digest builder uses: one line per source that delivered nothing on
`day` - "could not be reached since ..." when it is failing, "made no announcement" for an arXiv weekend or holiday -
so a quiet digest never claims "nothing was published" when a source simply failed. A source never fetched (not
configured) says nothing.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from bot.models import SourceDay, SourceState


def source_label(source: str) -> str:
    if source == "hf":
        return "Hugging Face"
    if source.startswith("arxiv:"):
        return f"arXiv {source.split(':', 1)[1]}"
    return source


def when(iso: Optional[str]) -> str:
    """`2026-06-29T07:00:00+00:00` -> `2026-06-29 07:00 UTC`."""
    if not iso:
        return "never"
    try:
        t = datetime.fromisoformat(iso).astimezone(timezone.utc)
    except ValueError:
        return iso
    return f"{t:%Y-%m-%d %H:%M} UTC"


def _reason(error: str) -> str:
    """The short cause of a FetchError text (after the host part), for a one-line note."""
    text = error.split("): ", 1)[-1] if "): " in error else error
    return text if len(text) <= 120 else text[:119] + "…"


def source_notes(store, day: str) -> list[str]:
    """Lines for a digest or trending post of `day` (YYYY-MM-DD): failing sources and days without announcement."""
    days: dict[str, SourceDay] = store.sources.days(day)
    notes: list[str] = []
    for st in store.sources.states():
        record = days.get(st.source)
        label = source_label(st.source)
        if st.failing_since and (record is None or record.status == "failed"):
            notes.append(f"{label} could not be reached since {when(st.failing_since)} ({_reason(st.last_error)}), "
                         "so its papers may be missing.")
        elif record is not None and record.status == "empty" and st.source.startswith("arxiv:"):
            notes.append(f"{label} made no announcement on {day} (weekend or holiday).")
    return notes


def status_lines(store, today: str) -> list[str]:
    """`/status`: each source's last success, today's counts, and whether (since when, why) it is failing."""
    states: list[SourceState] = store.sources.states()
    if not states:
        return ["No source has been fetched yet. `paperwire run` fetches every hour; `paperwire fetch hf` "
                "fetches now."]
    days = store.sources.days(today)
    lines = []
    for st in states:
        label = source_label(st.source)
        record = days.get(st.source)
        if record is not None and record.status == "ok":
            counts = f"today {record.items} papers ({record.added} new, {record.updated} updated)"
        elif record is not None and record.status == "empty":
            counts = "no announcement today (weekend or holiday)" if st.source.startswith("arxiv:") \
                else "no papers listed today yet"
        else:
            last = store.sources.last_day(st.source)
            counts = f"nothing read for today; last day read {last.day} ({last.items} papers)" if last \
                else "nothing read yet"
        line = f"{label}: last success {when(st.last_success)}; {counts}."
        if st.failing_since:
            line += f" FAILING since {when(st.failing_since)}: {_reason(st.last_error)}"
        lines.append(line)
    return lines
