"""The local model's matcher: which article a question is about, and how sure we are.

Full-text search ranks articles by shared words; customers rarely use the article's words. Articles
carry example questions, so the best evidence is "this question resembles questions this article
answers". Each article is indexed as its example questions (one document each) plus a centroid of
them all, in TF-IDF space over word unigrams, word bigrams and character 4-grams (robust to
inflection and typos). A query scores each article by its best example and its centroid.

Pure Python and precomputed per organization: an inverted index over L2-normalized sparse vectors.
Very common features are left out of the postings (their IDF makes them near worthless and their
lists are what would make a query slow), so a query touches only a few short lists.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Words that say nothing about the topic. A question whose other words the article never uses is not
# about that article, however alike the phrasing ("what is the ..."): see ``coverage``.
_COMMON_WORDS = (
    "a an and are as at be but by can could did do does for from had has have how i if in into is it "
    "its me my of on or our so than that the their them then there these they this to was we were "
    "what when where which who why will with would you your please hi hello hey thanks tell know want "
    "need get any some about just there's it's i'm i'd i've don't doesn't am much many more most like "
    "also very really"
)
COMMON = frozenset(_COMMON_WORDS.split())
COVERAGE_FLOOR = 0.5
# How many articles (by their closest examples) are scored in full for each question.
CANDIDATES = 40


def fold(text: str) -> str:
    """Lower case without accents, so "Café" and "cafe" match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _stem(word: str) -> str:
    """A light suffix strip: enough to join "bookings"/"booking"/"book" without a dictionary."""
    word = word.split("'")[0]
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


COMMON_STEMS = frozenset(_stem(w) for w in COMMON)


def features(text: str) -> dict[str, float]:
    """Raw counts of the features of ``text``."""
    counts: dict[str, float] = defaultdict(float)
    # Function words stay: "my", "how", "can i" tell intents apart; the IDF weighs them down anyway.
    tokens = [_stem(w) for w in words(text)]
    for t in tokens:
        counts["w:" + t] += 1.0
    for a, b in itertools.pairwise(tokens):
        counts["b:" + a + "_" + b] += 1.0
    for t in tokens:
        padded = f" {t} "
        if len(padded) <= 4:
            continue
        for i in range(len(padded) - 3):
            counts["c:" + padded[i : i + 4]] += 0.5
    return counts


@dataclass
class Match:
    article_id: str
    title: str
    score: float
    best_example: str = ""


@dataclass
class _Doc:
    article: int
    vector: dict[str, float]
    text: str


@dataclass
class LocalIndex:
    """Built once per organization and knowledge revision; read by many requests at once (never mutated)."""

    article_ids: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)
    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    centroids: list[dict[str, float]] = field(default_factory=list)
    docs: list[_Doc] = field(default_factory=list)
    vocab: list[frozenset[str]] = field(default_factory=list)
    example_weight: float = 0.5

    @classmethod
    def build(cls, articles: Iterable[tuple[str, str, str, Sequence[str]]], *, max_df: float = 0.04) -> LocalIndex:
        """``articles``: (id, title, body, example questions)."""
        index = cls()
        raw_docs: list[tuple[int, dict[str, float], str]] = []
        for n, (article_id, title, body, examples) in enumerate(articles):
            index.article_ids.append(article_id)
            index.titles.append(title)
            index.bodies.append(body)
            texts = [title, *[q for q in examples if q.strip()]]
            index.vocab.append(frozenset(_stem(w) for t in (*texts, body) for w in words(t)))
            if len(texts) == 1 and body:
                # No examples: the body's first sentence stands in for the question it answers.
                texts.append(body.split("\n")[0][:200])
            for text in texts:
                raw_docs.append((n, features(text), text))
        total = max(len(raw_docs), 1)
        df: dict[str, int] = defaultdict(int)
        for _, feats, _ in raw_docs:
            for f in feats:
                df[f] += 1
        index.idf = {f: math.log((1 + total) / (1 + d)) + 1.0 for f, d in df.items()}
        limit = max(50, int(max_df * total))
        char_limit = max(50, limit // 4)
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        centroids: list[dict[str, float]] = [defaultdict(float) for _ in index.article_ids]
        for n, feats, text in raw_docs:
            vector = _normalize({f: (1 + math.log(c)) * index.idf[f] for f, c in feats.items()})
            doc_id = len(index.docs)
            index.docs.append(_Doc(n, vector, text))
            for f, w in vector.items():
                centroids[n][f] += w
                # Character grams are many per word and widely shared: a tighter cap keeps their lists short.
                if df[f] <= (char_limit if f[0] == "c" else limit):
                    postings[f].append((doc_id, w))
        index.postings = dict(postings)
        index.centroids = [_normalize(c) for c in centroids]
        return index

    def __len__(self) -> int:
        return len(self.article_ids)

    def vectorize(self, text: str) -> dict[str, float]:
        feats = features(text)
        return _normalize({f: (1 + math.log(c)) * self.idf[f] for f, c in feats.items() if f in self.idf})

    def search(self, text: str, *, limit: int = 5, allowed: set[str] | None = None) -> list[Match]:
        """Articles best matching ``text``, best first, each scored in [0, 1].

        An article's score mixes the mean of its two closest example questions (one lucky near-duplicate
        is weaker evidence than two) with its centroid's similarity.
        """
        query = self.vectorize(text)
        if not query:
            return []
        doc_scores: dict[int, float] = defaultdict(float)
        for f, qw in query.items():
            for doc_id, w in self.postings.get(f, ()):
                doc_scores[doc_id] += qw * w
        # The two best examples of each article, tracked in one pass (no per-article lists to sort).
        first: dict[int, tuple[float, int]] = {}
        second: dict[int, float] = {}
        docs = self.docs
        for doc_id, s in doc_scores.items():
            n = docs[doc_id].article
            top = first.get(n)
            if top is None:
                first[n] = (s, doc_id)
            elif s > top[0]:
                second[n] = top[0]
                first[n] = (s, doc_id)
            elif s > second.get(n, 0.0):
                second[n] = s
        # Centroids are compared only for the articles whose examples came closest: a full pass over
        # every centroid is what would make a large knowledge base slow.
        ew = self.example_weight
        examples = {n: (top[0] + second.get(n, 0.0)) / 2 for n, top in first.items()}
        shortlist = heapq.nlargest(CANDIDATES, examples.items(), key=lambda kv: kv[1])
        combined: dict[int, float] = {}
        centroids = self.centroids
        for n, example_score in shortlist:
            centroid = centroids[n]
            similarity = sum(qw * centroid.get(f, 0.0) for f, qw in query.items())
            combined[n] = ew * example_score + (1 - ew) * similarity
        best_doc = {n: doc_id for n, (_, doc_id) in first.items()}
        ranked = sorted(combined.items(), key=lambda kv: kv[1], reverse=True)[: limit + 5]
        content = {_stem(w) for w in words(text)} - COMMON_STEMS
        if content:
            ranked = sorted(
                (
                    (n, s * (COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * len(content & self.vocab[n]) / len(content)))
                    for n, s in ranked
                ),
                key=lambda kv: kv[1],
                reverse=True,
            )
        out = []
        for n, score in ranked:
            if allowed is not None and self.article_ids[n] not in allowed:
                continue
            example = self.docs[best_doc[n]].text if n in best_doc else ""
            out.append(Match(self.article_ids[n], self.titles[n], min(1.0, score), example))
            if len(out) >= limit:
                break
        return out


# Calibration, fitted on CLINC150's validation split (bench/answer_quality.py prints the curve): the raw
# evidence is the best score plus half its lead over the runner-up, since a close second means the
# question could be either. A logistic maps it so that 0.5 sits where out-of-scope questions start to
# outnumber answerable ones.
CALIBRATION_MIDPOINT = 0.21
CALIBRATION_SCALE = 0.05


def confidence(matches: Sequence[Match]) -> float:
    if not matches:
        return 0.0
    s1 = matches[0].score
    s2 = matches[1].score if len(matches) > 1 else 0.0
    raw = s1 + 0.5 * (s1 - s2)
    return 1.0 / (1.0 + math.exp(-(raw - CALIBRATION_MIDPOINT) / CALIBRATION_SCALE))


def _normalize(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    if norm == 0:
        return {}
    return {f: w / norm for f, w in vector.items()}
