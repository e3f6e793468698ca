"""Features and models: TF-IDF over title + abstract (word 1-2 grams), one linear classifier per chat, cosine neighbours.

Pure computation: no platform, no SQL, no clock. bot/taste.py feeds it rows from the store and keeps it current.

Why hashed features: the corpus matrix is built with sklearn's HashingVectorizer (2^20 buckets, counting in C) and an
IDF fitted on the corpus. Measured at 80k papers, a TfidfVectorizer vocabulary of 1-2 grams took 34 s to fit on a
30k sample plus 66 s to transform (Python dict look-ups per token) and peaked above 1 GB building the n-gram dict; the
hashed counts take about a third of that with no dictionary at all. The "vocabulary" is therefore the fitted IDF
(buckets seen in < 2 papers or in > half of them are dropped); new papers are transformed with it, and it is refit
only when the corpus has grown by REFIT_GROWTH. Terms are recovered for explanations by re-analysing the few papers
involved (a bucket's term is whichever n-gram of that paper hashes to it).

Why the matrix is kept column-major (CSC): "similar" gathers only the columns of the query's terms (a few ms at 80k,
where a full sparse product took ~100 ms), scoring all papers is one matvec either way, and one copy of the matrix
keeps resident memory inside the budget.

Why nothing here is stored on disk: the matrix is recomputed in a worker thread at start-up (tens of seconds at 80k),
and a chat's model refits in well under a second from the votes the store keeps; pickled sklearn objects would tie the
database to one sklearn version for no real gain.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer
from sklearn.linear_model import LogisticRegression

from bot.taste import MIN_POSITIVES  # noqa: E402  (one number, kept where the cheap module can read it)

N_FEATURES = 2 ** 20
REFIT_GROWTH = 0.5  # refit the IDF when the corpus grew by half since it was fitted
MIN_DF_CORPUS = 1000  # below this many papers every term is kept
NEGATIVE_SAMPLE = 300
PICK_PERCENTILE = 95  # a pick must outscore 95% of the sampled unrated papers  # unrated papers drawn as negatives (with the chat's dislikes)

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STOP = frozenset(ENGLISH_STOP_WORDS) | {"paper", "propose", "proposed", "method", "methods", "approach", "results",
                                         "show", "model", "models", "based", "using", "new", "work", "novel"}


def analyze(text: str) -> list[str]:
    """Lowercased word unigrams and bigrams, stop words and bare numbers dropped (bigrams span dropped words)."""
    toks = [t for t in _TOKEN.findall((text or "").lower()) if t not in _STOP and not t.isdigit()]
    return toks + [a + " " + b for a, b in zip(toks, toks[1:])]


def paper_text(title: str, abstract: str) -> str:
    return f"{title or ''}. {title or ''}. {abstract or ''}"  # the title counts twice: it is what the paper is about


_HASHER = HashingVectorizer(analyzer=analyze, n_features=N_FEATURES, alternate_sign=False, norm=None,
                            dtype=np.float32)
_TERM_HASHER = HashingVectorizer(analyzer=lambda terms: terms, n_features=N_FEATURES, alternate_sign=False,
                                 norm=None, dtype=np.float32)


class Stopped(Exception):
    """A long build was asked to stop (shutdown)."""


def bucket_terms(texts: Iterable[str]) -> dict[int, str]:
    """bucket -> the (shortest) n-gram of these texts hashing to it: names for weights and contributions."""
    terms = sorted({t for text in texts for t in analyze(text)}, key=lambda t: (len(t), t))
    if not terms:
        return {}
    m = _TERM_HASHER.transform([[t] for t in terms]).tocsr()
    out: dict[int, str] = {}
    for i, term in enumerate(terms):
        for b in m.indices[m.indptr[i]:m.indptr[i + 1]]:
            out.setdefault(int(b), term)
    return out


class FeatureSpace:
    """The corpus as a (papers x buckets) TF-IDF matrix with L2-normalized rows, plus the row of each paper id."""

    def __init__(self):
        self.ids: list[str] = []
        self.row_of: dict[str, int] = {}
        self.idf = np.zeros(N_FEATURES, dtype=np.float32)
        self.X = sp.csc_matrix((0, N_FEATURES), dtype=np.float32)
        self.fitted_on = 0  # papers the IDF was fitted on
        self.max_pk = 0  # the store rowid covered so far
        self.seconds = 0.0  # the last build/extend took

    def __len__(self) -> int:
        return len(self.ids)

    # -- building ------------------------------------------------------------------------------------------------
    def _counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        m = _HASHER.transform(texts).tocsr()
        m.indices = m.indices.astype(np.int32, copy=False)
        return m

    def _weigh(self, counts: sp.csr_matrix, in_place: bool = False) -> sp.csr_matrix:
        """log(1 + tf) x idf, rows scaled to unit length (in place when asked: the corpus build keeps one copy)."""
        if not in_place:
            counts = counts.copy()
        np.log1p(counts.data, out=counts.data)
        counts.data *= self.idf[counts.indices]
        counts.eliminate_zeros()
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        norms = np.sqrt(np.bincount(rows, weights=counts.data.astype(np.float64) ** 2, minlength=counts.shape[0]))
        norms[norms == 0] = 1.0
        counts.data /= norms[rows].astype(np.float32)
        return counts

    def fit(self, ids: Sequence[str], texts: Sequence[str], max_pk: int = 0, chunk: int = 10000,
            stop=None) -> "FeatureSpace":
        """Fit the IDF on these papers and build their matrix (the one expensive step). Two passes over chunks:
        counts (kept, float32/int32) and document frequencies, then weights in place, then one CSC copy."""
        start = time.perf_counter()
        blocks = []
        for i in range(0, len(texts), chunk):
            if stop is not None and stop.is_set():
                raise Stopped("feature space build stopped")
            blocks.append(self._counts(texts[i:i + chunk]))
        n = len(texts)
        df = np.zeros(N_FEATURES, dtype=np.int64)
        for b in blocks:
            df += np.bincount(b.indices, minlength=N_FEATURES)
        idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        if n >= MIN_DF_CORPUS:  # once-only buckets are noise, half-the-corpus ones say nothing (in a real corpus)
            idf[(df < 2) | (df > n // 2)] = 0.0
        self.idf = idf
        for b in blocks:
            self._weigh(b, in_place=True)
        if blocks:  # CSR blocks stack by concatenation; then one CSR -> CSC copy (peak: two copies, not four)
            rows = sp.vstack(blocks, format="csr")
            blocks.clear()
            self.X = rows.tocsc()
            del rows
        else:
            self.X = sp.csc_matrix((0, N_FEATURES), dtype=np.float32)
        self.ids = list(ids)
        self.row_of = {pid: i for i, pid in enumerate(self.ids)}
        self.fitted_on, self.max_pk = n, max_pk
        self.seconds = time.perf_counter() - start
        return self

    def needs_refit(self, total: int) -> bool:
        return self.fitted_on == 0 or total >= self.fitted_on * (1 + REFIT_GROWTH)

    def extend(self, ids: Sequence[str], texts: Sequence[str], max_pk: int = 0) -> int:
        """Add new papers with the existing IDF (a paper already present is left as it is). Returns how many."""
        fresh = [(pid, t) for pid, t in zip(ids, texts) if pid not in self.row_of]
        self.max_pk = max(self.max_pk, max_pk)
        if not fresh:
            return 0
        start = time.perf_counter()
        block = self.transform([t for _, t in fresh])
        self.X = sp.vstack([self.X, block], format="csc")
        for pid, _ in fresh:
            self.row_of[pid] = len(self.ids)
            self.ids.append(pid)
        self.seconds = time.perf_counter() - start
        return len(fresh)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Rows for texts, weighed with the fitted IDF (not added to the matrix)."""
        return self._weigh(self._counts(texts))

    def nbytes(self) -> int:
        x = self.X
        return int(x.data.nbytes + x.indices.nbytes + x.indptr.nbytes + self.idf.nbytes)

    # -- queries -------------------------------------------------------------------------------------------------
    def similar(self, vec: sp.csr_matrix, k: int = 5, exclude: Sequence[int] = ()) -> list[tuple[int, float]]:
        """The k rows nearest to `vec` by cosine (rows are unit length), best first."""
        if vec.nnz == 0 or len(self.ids) == 0:
            return []
        scores = np.asarray(self.X[:, vec.indices] @ vec.data).ravel()
        for r in exclude:
            if 0 <= r < len(scores):
                scores[r] = -1.0
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(r), float(scores[r])) for r in top if scores[r] > 0]

    def score_all(self, model: "TasteModel") -> np.ndarray:
        """The model's decision value for every row."""
        w = np.zeros(N_FEATURES, dtype=np.float32)
        w[model.cols] = model.coef
        return np.asarray(self.X @ w).ravel() + model.intercept


@dataclass
class TasteModel:
    """One chat's linear model, kept sparse: weights only for the buckets its training papers used."""

    cols: np.ndarray  # int32 bucket ids, sorted
    coef: np.ndarray  # float32 weights, same length
    intercept: float
    threshold: float  # "scores high": above this share of unrated papers (PICK_PERCENTILE)
    positives: int
    negatives: int
    version: int = 0
    seconds: float = 0.0
    train_rows: tuple[int, ...] = field(default=(), repr=False)

    def score(self, rows: sp.csr_matrix) -> np.ndarray:
        w = np.zeros(N_FEATURES, dtype=np.float32)
        w[self.cols] = self.coef
        return np.asarray(rows @ w).ravel() + self.intercept

    def contributions(self, row: sp.csr_matrix, k: int = 3) -> list[tuple[int, float]]:
        """(bucket, weight x value) of the row's largest positive contributions."""
        pos = np.searchsorted(self.cols, row.indices)
        pos = np.minimum(pos, len(self.cols) - 1) if len(self.cols) else pos
        hit = (len(self.cols) > 0) & (self.cols[pos] == row.indices) if len(self.cols) else np.zeros(0, bool)
        if not len(self.cols) or not hit.any():
            return []
        contrib = row.data[hit] * self.coef[pos[hit]]
        buckets = row.indices[hit]
        order = np.argsort(-contrib)[:k]
        return [(int(buckets[i]), float(contrib[i])) for i in order if contrib[i] > 0]

    def top_buckets(self, k: int = 10, sign: int = 1) -> list[tuple[int, float]]:
        order = np.argsort(-sign * self.coef)[:k]
        return [(int(self.cols[i]), float(self.coef[i])) for i in order if sign * self.coef[i] > 0]


def fit_model(space: FeatureSpace, positive_rows: Sequence[int], negative_rows: Sequence[int], *,
              seed: int = 0, extra_negatives: int = NEGATIVE_SAMPLE, C: float = 4.0,
              extra_rows: Optional[sp.csr_matrix] = None, extra_labels: Sequence[int] = ()) -> Optional[TasteModel]:
    """Logistic regression on positives vs. dislikes + sampled unrated papers; None below MIN_POSITIVES.

    `extra_rows` are papers outside the matrix (e.g. just ingested), with their labels."""
    start = time.perf_counter()
    pos = sorted(set(positive_rows))
    neg = sorted(set(negative_rows) - set(pos))
    n_pos = len(pos) + sum(1 for v in extra_labels if v > 0)
    if n_pos < MIN_POSITIVES:
        return None
    rng = np.random.default_rng(seed)
    labelled = set(pos) | set(neg)
    want = min(extra_negatives, max(0, len(space) - len(labelled)))
    sampled: list[int] = []
    if want:
        draw = rng.choice(len(space), size=min(len(space), want + len(labelled)), replace=False)
        sampled = [int(r) for r in draw if int(r) not in labelled][:want]
    rows = pos + neg + sampled
    y = np.array([1] * len(pos) + [0] * (len(neg) + len(sampled)), dtype=np.int8)
    X = space.X[rows].tocsr() if rows else sp.csr_matrix((0, N_FEATURES), dtype=np.float32)
    if extra_rows is not None and extra_rows.shape[0]:
        X = sp.vstack([X, extra_rows], format="csr")
        y = np.concatenate([y, (np.asarray(extra_labels) > 0).astype(np.int8)])
    if len(set(y.tolist())) < 2:  # nothing to contrast with (a tiny corpus): no model yet
        return None
    cols = np.unique(X.indices).astype(np.int32)
    sub = X[:, cols]
    # the dual problem: a few hundred papers x tens of thousands of terms (4x faster than the primal here)
    clf = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", dual=True, max_iter=500)
    clf.fit(sub, y)
    coef = clf.coef_.ravel().astype(np.float32)
    keep = coef != 0
    unrated = clf.decision_function(sub[len(pos) + len(neg):len(rows)]) if sampled else np.zeros(1)
    threshold = float(np.percentile(unrated, PICK_PERCENTILE))
    return TasteModel(cols=cols[keep], coef=coef[keep], intercept=float(clf.intercept_[0]), threshold=threshold,
                      positives=n_pos,
                      negatives=int(len(y) - y.sum()), seconds=time.perf_counter() - start,
                      train_rows=tuple(rows))
