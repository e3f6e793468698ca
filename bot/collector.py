"""The cyclic garbage collector around bulk work: the two small tricks a benchmark asked for, in one place.

- `collector_paused()`: building a digest slice (or the search vocabulary) allocates ~100k-millions of small objects
  that all stay alive until the work is done; the collector would rescan them again and again while they pile up
  (measured: 5 of 13 s of a 10k-chat tick). Nothing built there is cyclic garbage that must go early, so collection
  waits until the work is done. Process-wide: the event loop's own collections wait too, for that long.
- `freeze_long_lived()`: after start-up and after a new vocabulary is swapped in, the objects alive then (the
  vocabulary's millions of dicts and strings) move to the permanent generation, so a later full collection does not
  walk them (a full collection of an 80k-paper vocabulary stalls every thread for a few hundred ms). They are still
  freed by reference counting when dropped; only cycles among them would stay.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def collector_paused():
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def freeze_long_lived() -> None:
    gc.freeze()  # O(1): the generations are spliced onto the permanent one (no collection on the caller's thread)
