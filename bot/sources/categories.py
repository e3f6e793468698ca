"""arXiv's category taxonomy (arxiv.org/category_taxonomy), so a mistyped category is refused, not fetched.

`check_category("cs.cl")` -> "cs.CL"; `check_category("foo.bar")` raises ValueError with a suggestion.
Whole archives (`cs`, `math`, `hep-th`) are accepted too: the listing feed serves them.
"""
from __future__ import annotations

import difflib

_ARCHIVES = {
    "cs": "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE NI OH OS PF PL "
          "RO SC SD SE SI SY",
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "math": "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA RT SG SP ST",
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "nlin": "AO CD CG PS SI",
    "physics": "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an ed-ph flu-dyn gen-ph "
               "geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph",
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "stat": "AP CO ME ML OT TH",
    "gr-qc": "", "hep-ex": "", "hep-lat": "", "hep-ph": "", "hep-th": "", "math-ph": "", "nucl-ex": "",
    "nucl-th": "", "quant-ph": "",
}

CATEGORIES: frozenset[str] = frozenset(
    [a for a in _ARCHIVES] + [f"{a}.{s}" for a, subs in _ARCHIVES.items() for s in subs.split()]
)
_BY_LOWER = {c.lower(): c for c in CATEGORIES}


def check_category(name: str) -> str:
    """The canonical spelling of an arXiv category or archive; ValueError (with a suggestion) for anything else."""
    text = (name or "").strip()
    found = _BY_LOWER.get(text.lower())
    if found:
        return found
    close = difflib.get_close_matches(text.lower(), list(_BY_LOWER), n=1, cutoff=0.6)
    hint = f" - did you mean {_BY_LOWER[close[0]]}?" if close else " (see arxiv.org/category_taxonomy, e.g. cs.CL)"
    return _raise(f"{text[:40]!r} is not an arXiv category{hint}")


def _raise(message: str) -> str:
    raise ValueError(message)
