"""Aligning two witnesses: the passages they share first, then the words within each pair.

1. Each witness is cut into tokens (a word with the spaces after it) and passages (its
   sentences, a block ending one too). A token's key folds case, accents and the punctuation
   around the word, so "reply," and "Reply" compare equal.
2. Passages are compared as sequences of words (rapidfuzz's Indel similarity, each word
   standing for one character). The heaviest chain of pairs that keeps both witnesses' order
   is kept (a weighted longest increasing subsequence); a pair grows to take in the passage
   beside it when a sentence was split or joined. Passages left over that are still alike
   pair out of order: they moved.
3. Words are aligned within each pair by difflib's matching blocks; inside what it leaves
   unmatched, near matches (an OCR variant, a spelling: rapidfuzz's Levenshtein
   similarity, or letters OCR confuses) pair by a small dynamic programme. Between pairs,
   only runs of three words or more align, so that no stray "of" or "the" is paired across a
   passage one witness leaves out.

So the final message's few paragraphs find the draft paragraphs they come from, not the
draft's scattered function words.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from difflib import SequenceMatcher

from rapidfuzz import process
from rapidfuzz.distance import Indel, Levenshtein

from pipeline.records import field, record

PUNCTUATION = string.punctuation + "\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e\u2014\u2013\u2026\u00b7\u2039\u203a"
SENTENCE_END = re.compile(r"(?:[.!?][\"'\u201d\u2019\u00bb)\]]*|;)$")
ABBREVIATION = re.compile(r"^(?:[A-Za-z]\.){2,}$")
STARTS_SENTENCE = re.compile(r"^[\"'\u201c\u2018\u00ab(\[]*[A-Z0-9\u0400-\u042f]")
ORDER_THRESHOLD = 0.34  # passages at least this alike may pair in order
MOVE_THRESHOLD = 0.6  # ... and this alike out of order, when both have MOVE_MIN_WORDS words
MOVE_MIN_WORDS = 4
MIN_PASSAGE = 3  # a passage shorter than this joins the next one in its block
GAP_RUN = 3  # between paired passages, only runs of this many words (or more: gap_run) align
CONTENT_WORD = 5  # ... holding a word of this many letters
NEAR_SIMILARITY = 0.75
NEAR_MIN_LENGTH = 3
NEAR_CELLS = 4000  # the near-match programme runs on unmatched stretches up to this size
OCR_CONFUSIONS = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("0", "o"), ("1", "l"), ("i", "l"), ("|", "l"))


@record
class Tokens:
    """A witness cut into tokens: token i is text[lead(i):stops[i]], its word text[starts[i]:ends[i]]."""

    text: str
    starts: list[int]
    ends: list[int]
    stops: list[int]
    keys: list[str]

    def __len__(self) -> int:
        return len(self.keys)

    def lead(self, i: int) -> int:
        return self.stops[i - 1] if i else 0

    def token(self, i: int) -> str:
        return self.text[self.lead(i):self.stops[i]]

    def word(self, i: int) -> str:
        return self.text[self.starts[i]:self.ends[i]]

    def ends_block(self, i: int) -> bool:
        return "\n" in self.text[self.ends[i]:self.stops[i]]

    def offset(self, i: int) -> int:
        """Where token i starts (the text's end for i == len)."""
        return self.lead(i) if i < len(self.keys) else len(self.text)


def key(word: str) -> str:
    """What a word is compared by: case, accents and the punctuation around it folded."""
    folded = unicodedata.normalize("NFKD", word)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    return folded.strip(PUNCTUATION) or folded


def tokenize(text: str) -> Tokens:
    starts, ends = [], []
    for match in re.finditer(r"\S+", text):
        starts.append(match.start())
        ends.append(match.end())
    if not starts and text:
        starts, ends = [0], [0]  # only spaces: one empty word keeps them
    stops = starts[1:] + [len(text)]
    return Tokens(text, starts, ends, stops, [key(text[s:e]) for s, e in zip(starts, ends)])


def passages(tokens: Tokens) -> list[tuple[int, int]]:
    """Token ranges of the sentences (and clauses ending in ';'); a block ends one too."""
    n = len(tokens)
    ranges: list[tuple[int, int]] = []
    start = 0
    for i in range(n):
        word = tokens.word(i)
        end = tokens.ends_block(i) or i == n - 1
        if not end and SENTENCE_END.search(word) and not ABBREVIATION.match(word):
            end = word.endswith(";") or bool(STARTS_SENTENCE.match(tokens.word(i + 1)))
        if end:
            ranges.append((start, i + 1))
            start = i + 1
    merged: list[tuple[int, int]] = []
    for first, last in ranges:
        if merged and merged[-1][1] - merged[-1][0] < MIN_PASSAGE and not tokens.ends_block(merged[-1][1] - 1):
            merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return merged


class Vocabulary:
    """Each distinct key as one character, so that rapidfuzz compares sequences of words."""

    def __init__(self):
        self.codes: dict[str, str] = {}

    def encode(self, keys: list[str]) -> str:
        codes = self.codes
        out = []
        for k in keys:
            code = codes.get(k)
            if code is None:
                code = codes[k] = chr(0x10000 + len(codes))
            out.append(code)
        return "".join(out)


@record
class PassagePair:
    """Passages of two witnesses paired: token ranges [x0, x1) and [y0, y1)."""

    x: tuple[int, int]
    y: tuple[int, int]
    similarity: float
    moved: bool = False
    matches: list[tuple[int, int]] = field(default_factory=list)  # for a moved pair: its words aligned


@record
class Alignment:
    """Two witnesses aligned: word matches in order (x token, y token), and the passage pairs."""

    matches: list[tuple[int, int]]
    pairs: list[PassagePair]

    @property
    def moves(self) -> list[PassagePair]:
        return [p for p in self.pairs if p.moved]


def _chain(points: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """The heaviest chain of (i, j, weight) strictly increasing in both i and j."""
    if not points:
        return []
    size = max(j for _, j, _ in points) + 2
    tree = [(0.0, -1)] * (size + 1)  # Fenwick tree of prefix maxima over j: (value, point)

    def query(j: int) -> tuple[float, int]:  # best over j' < j
        best = (0.0, -1)
        while j > 0:
            if tree[j][0] > best[0]:
                best = tree[j]
            j -= j & -j
        return best

    def update(j: int, item: tuple[float, int]) -> None:
        j += 1
        while j <= size:
            if item[0] > tree[j][0]:
                tree[j] = item
            j += j & -j

    points = sorted(points)
    value = [0.0] * len(points)
    before = [-1] * len(points)
    k = 0
    while k < len(points):
        group = k
        while group < len(points) and points[group][0] == points[k][0]:
            group += 1
        for p in range(k, group):  # pairs of one passage i do not chain with each other
            best, previous = query(points[p][1])
            value[p], before[p] = best + points[p][2], previous
        for p in range(k, group):
            update(points[p][1], (value[p], p))
        k = group
    end = max(range(len(points)), key=lambda p: (value[p], -p))
    chain = []
    while end != -1:
        chain.append(points[end])
        end = before[end]
    return chain[::-1]


def pair_passages(x: Tokens, y: Tokens, xp: list[tuple[int, int]], yp: list[tuple[int, int]],
                  vocabulary: Vocabulary) -> list[PassagePair]:
    """The passages of x and y paired: in order, grown over split sentences, then moved ones."""
    xs = [vocabulary.encode(x.keys[a:b]) for a, b in xp]
    ys = [vocabulary.encode(y.keys[a:b]) for a, b in yp]
    similar: dict[tuple[int, int], float] = {}
    points = []
    for i, query in enumerate(xs):
        for _, score, j in process.extract(query, ys, scorer=Indel.normalized_similarity,
                                           score_cutoff=ORDER_THRESHOLD, limit=None):
            similar[i, j] = score
            points.append((i, j, (score - ORDER_THRESHOLD) * (len(query) + len(ys[j]))))
    chain = _chain(points)
    # grow each pair over unpaired neighbours while the pair becomes more alike
    groups = [[i, i + 1, j, j + 1] for i, j, _ in chain]
    for index, group in enumerate(groups):
        low_x = groups[index - 1][1] if index else 0
        high_x = groups[index + 1][0] if index + 1 < len(groups) else len(xp)
        low_y = groups[index - 1][3] if index else 0
        high_y = groups[index + 1][2] if index + 1 < len(groups) else len(yp)
        score = Indel.normalized_similarity("".join(xs[group[0]:group[1]]), "".join(ys[group[2]:group[3]]))
        grown = True
        while grown:
            grown = False
            for option in ((group[0] - 1, group[1], group[2], group[3]), (group[0], group[1] + 1, group[2], group[3]),
                           (group[0], group[1], group[2] - 1, group[3]), (group[0], group[1], group[2], group[3] + 1)):
                if option[0] < low_x or option[1] > high_x or option[2] < low_y or option[3] > high_y:
                    continue
                candidate = Indel.normalized_similarity("".join(xs[option[0]:option[1]]),
                                                        "".join(ys[option[2]:option[3]]))
                if candidate > score + 1e-9:
                    group[:], score, grown = list(option), candidate, True
                    break
        group.append(score)
    pairs = [PassagePair((xp[g[0]][0], xp[g[1] - 1][1]), (yp[g[2]][0], yp[g[3] - 1][1]), g[4]) for g in groups]
    # out of order: the passages left that are still alike (and long enough to tell)
    used_x = {i for g in groups for i in range(g[0], g[1])}
    used_y = {j for g in groups for j in range(g[2], g[3])}
    candidates = sorted(((score, i, j) for (i, j), score in similar.items()
                         if score >= MOVE_THRESHOLD and i not in used_x and j not in used_y
                         and min(len(xs[i]), len(ys[j])) >= MOVE_MIN_WORDS), key=lambda c: (-c[0], c[1], c[2]))
    for score, i, j in candidates:
        if i in used_x or j in used_y:
            continue
        used_x.add(i)
        used_y.add(j)
        pairs.append(PassagePair(xp[i], yp[j], score, moved=True))
    return pairs


def near(a: str, b: str) -> bool:
    """Whether two keys are one word spelled or read differently (OCR, orthography)."""
    if a == b:
        return True
    if min(len(a), len(b)) >= NEAR_MIN_LENGTH and Levenshtein.normalized_similarity(a, b) >= NEAR_SIMILARITY:
        return True
    return len(a) >= 2 and len(b) >= 2 and _skeleton(a) == _skeleton(b)


def _skeleton(word: str) -> str:
    for confused, read in OCR_CONFUSIONS:
        word = word.replace(confused, read)
    return word


def _near_matches(xk: list[str], yk: list[str]) -> list[tuple[int, int]]:
    """Near matches inside an unmatched stretch, in order (a longest common subsequence)."""
    m, n = len(xk), len(yk)
    if not m or not n or m * n > NEAR_CELLS:
        return []
    table = [[0] * (n + 1) for _ in range(m + 1)]
    for i in range(m - 1, -1, -1):
        row, below = table[i], table[i + 1]
        for j in range(n - 1, -1, -1):
            if near(xk[i], yk[j]):
                row[j] = below[j + 1] + 1
            else:
                row[j] = max(below[j], row[j + 1])
    out, i, j = [], 0, 0
    while i < m and j < n:
        if near(xk[i], yk[j]) and table[i][j] == table[i + 1][j + 1] + 1:
            out.append((i, j))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


def gap_run(m: int, n: int) -> int:
    """How many words in a row must agree to align outside paired passages: three, more in
    longer stretches, where a phrase such as "in such a" recurs by chance."""
    return max(GAP_RUN, math.ceil(math.log2(max(m * n, 2)) / 2))


def align_words(xk: list[str], yk: list[str], min_run: int = 1) -> list[tuple[int, int]]:
    """Word matches of two key sequences, in order: difflib's blocks, then near matches.

    With ``min_run`` above 1 (outside paired passages), only blocks of that many words that
    hold a word of five letters or more are kept, and no near match is made.
    """
    matcher = SequenceMatcher(None, xk, yk, autojunk=False)
    out: list[tuple[int, int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            if min_run == 1 or (i2 - i1 >= min_run and any(len(k) >= CONTENT_WORD for k in xk[i1:i2])):
                out += zip(range(i1, i2), range(j1, j2))
        elif tag == "replace" and min_run == 1:
            out += [(i1 + a, j1 + b) for a, b in _near_matches(xk[i1:i2], yk[j1:j2])]
    return out


def align(x: Tokens, y: Tokens, vocabulary: Vocabulary | None = None) -> Alignment:
    """Align witness y against witness x: passage pairs, then words within each pair."""
    vocabulary = vocabulary or Vocabulary()
    pairs = pair_passages(x, y, passages(x), passages(y), vocabulary)
    ordered = sorted((p for p in pairs if not p.moved), key=lambda p: p.x)
    moved_x = {i for p in pairs if p.moved for i in range(*p.x)}
    moved_y = {j for p in pairs if p.moved for j in range(*p.y)}
    matches: list[tuple[int, int]] = []
    previous = (0, 0)
    regions = []
    for pair in ordered:
        regions.append((previous, (pair.x[0], pair.y[0]), GAP_RUN))  # what lies between pairs
        regions.append(((pair.x[0], pair.y[0]), (pair.x[1], pair.y[1]), 1))
        previous = (pair.x[1], pair.y[1])
    regions.append((previous, (len(x), len(y)), GAP_RUN))
    for (x0, y0), (x1, y1), run in regions:
        if x1 <= x0 or y1 <= y0:
            continue
        if run > 1:
            run = gap_run(x1 - x0, y1 - y0)
        xk = [k if i not in moved_x else f"\x00x{i}" for i, k in zip(range(x0, x1), x.keys[x0:x1])]
        yk = [k if j not in moved_y else f"\x00y{j}" for j, k in zip(range(y0, y1), y.keys[y0:y1])]
        matches += [(x0 + a, y0 + b) for a, b in align_words(xk, yk, run)]
    for pair in pairs:
        if pair.moved:
            pair.matches = [(pair.x[0] + a, pair.y[0] + b)
                            for a, b in align_words(x.keys[pair.x[0]:pair.x[1]], y.keys[pair.y[0]:pair.y[1]])]
    return Alignment(matches, sorted(pairs, key=lambda p: (p.moved, p.x, p.y)))


def likeness(x: Tokens, y: Tokens, vocabulary: Vocabulary) -> float:
    """How alike two whole witnesses are, word for word (to choose whom a witness aligns to)."""
    return Indel.normalized_similarity(vocabulary.encode(x.keys), vocabulary.encode(y.keys))
