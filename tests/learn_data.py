"""A small corpus with three clear themes (robot grasping, speech audio, protein folding) for the learning tests."""
from __future__ import annotations

import random

from bot.models import Paper

THEMES = {
    "robot": ("robot grasping manipulation gripper policy tactile arm dexterous pick place embodied", "Robot"),
    "audio": ("speech audio waveform speaker vocoder acoustic spectrogram voice asr prosody", "Speech"),
    "protein": ("protein folding residue structure binding molecule enzyme sequence docking ligand", "Protein"),
}
COMMON = "we present evaluate benchmark large scale efficient learning training data experiments state art".split()


def theme_papers(per_theme: int = 12, day: str = "2026-03-09", start: int = 0, seed: int = 3) -> list[Paper]:
    rng = random.Random(seed)
    out = []
    n = start
    for name, (words, head) in THEMES.items():
        vocab = words.split()
        for i in range(per_theme):
            pick = rng.sample(vocab, 5) + rng.sample(COMMON, 4)
            abstract = " ".join(rng.choice(pick) for _ in range(40)) + "."
            title = f"{head} {rng.choice(vocab)} {rng.choice(vocab)} study {n}"
            out.append(Paper.make(title, f"2603.{n:05d}", abstract=abstract, authors=(f"Ann {name.title()}",),
                                  published=day, hf_date=day, upvotes=100 - n % 100, sources=("hf",),
                                  categories=("cs.RO",) if name == "robot" else ()))
            n += 1
    return out


def ids_of(papers, theme: str) -> list[str]:
    head = THEMES[theme][1]
    return [p.id for p in papers if p.title.startswith(head)]
