"""The apparatus: the witnesses aligned in one table of columns, cut into segments.

The first witness is the base. Each other witness is aligned (``align.py``) against the
witness already placed that it is most like, and its words join that witness's columns; its
words that witness lacks are matched against the columns of the others in the same stretch,
or get columns of their own. Every witness's words stay in its own order.

The columns are then cut into segments: a stretch where every witness reads the same words
with the same hand edits is common text; any other stretch is a variant (``App``), one
reading per group of witnesses that read alike, the base's first (the lemma). Segments never
cross the end of one of the base's blocks (the units, which the TEI writes as ``ab``); a
variant also ends where every witness it holds ends a block, so a paragraph one witness adds
is a variant of its own. Every segment knows each witness's offsets, so each witness's text
is the concatenation of its readings, exactly (``Apparatus.text_of``).
"""

from __future__ import annotations

import bisect

from pipeline.collate.align import Alignment, Tokens, Vocabulary, align, key, likeness, near, tokenize
from pipeline.collate.witness import Witness
from pipeline.records import field, record

SUBSTANTIVE = ("addition", "omission", "substitution", "transposition", "hand")
ACCIDENTAL = ("punctuation", "layout", "spelling")


@record
class Reading:
    """What a group of witnesses reads in a variant: exact text, and hand edits inside it."""

    witnesses: list[int]  # indices into Apparatus.witnesses
    text: str
    hands: tuple[tuple[int, int, str], ...] = ()  # [start, end) of text, "add" | "del"
    type: str | None = None  # None for the lemma; else one of SUBSTANTIVE or ACCIDENTAL


@record
class App:
    n: int
    id: str
    readings: list[Reading]  # the first is the lemma: the base's reading
    spans: list[tuple[int, int]]  # each witness's [start, end) in its own text
    moves: tuple[int, ...] = ()  # the moves (indices into Apparatus.moves) it belongs to

    @property
    def substantive(self) -> bool:
        return any(r.type in SUBSTANTIVE for r in self.readings[1:])

    @property
    def by_hand(self) -> bool:
        """Some reading holds words a hand inserted, or words a hand later deleted."""
        return any(r.hands for r in self.readings)


@record
class Segment:
    spans: list[tuple[int, int]]  # each witness's [start, end)
    app: App | None = None  # None: every witness reads the same


@record
class Move:
    """A passage that stands elsewhere in ``witness`` than in ``reference``."""

    witness: int
    reference: int
    at_witness: tuple[int, int]  # offsets in the witness's text
    at_reference: tuple[int, int]
    similarity: float
    words: list[tuple[tuple[int, int], tuple[int, int]]]  # aligned words: (reference span, witness span)
    apps: list[str] = field(default_factory=list)  # the variants it makes, at both places


@record
class Pairing:
    """How a witness was aligned: against which, and the passages paired."""

    witness: int
    reference: int
    passages: list[dict]  # {"reference": [s, e], "witness": [s, e], "similarity": x, "moved": bool}


@record
class Apparatus:
    n: int
    witnesses: list[Witness]
    units: list[list[Segment]]  # the base's blocks, each a list of segments
    pairings: list[Pairing]
    moves: list[Move]
    blocks: list[dict]  # for each other witness, its blocks paired with the base's

    @property
    def apps(self) -> list[App]:
        return [s.app for unit in self.units for s in unit if s.app is not None]

    def reading(self, witness: int, segment: Segment) -> str:
        start, end = segment.spans[witness]
        return self.witnesses[witness].text[start:end]

    def text_of(self, witness: int) -> str:
        """The witness's text, made again from the segments alone."""
        return "".join(self.reading(witness, s) for unit in self.units for s in unit)


@record
class Collation:
    """The collations of one run: one apparatus per group of versions."""

    id: str
    title: str
    groups: list[Apparatus]

    @property
    def witnesses(self) -> list[Witness]:
        seen: dict[str, Witness] = {}
        for group in self.groups:
            for witness in group.witnesses:
                seen.setdefault(witness.id, witness)
        return list(seen.values())


def _hand_marks(witness: Witness, tokens: Tokens) -> list[tuple]:
    """For each token, the hand-edit spans inside it, relative to the token's start."""
    marks: list[tuple] = [()] * len(tokens)
    if not witness.hands:
        return marks
    starts = [tokens.lead(i) for i in range(len(tokens))]
    for start, end, kind in witness.hands:
        first = max(0, bisect.bisect_right(starts, start) - 1)
        for i in range(first, len(tokens)):
            lead, stop = starts[i], tokens.stops[i]
            if lead >= end:
                break
            a, b = max(start, lead), min(end, stop)
            if a < b:
                marks[i] = marks[i] + ((a - lead, b - lead, kind),)
    return marks


def hands_in(witness: Witness, start: int, end: int) -> tuple[tuple[int, int, str], ...]:
    """The hand-edit spans of a witness inside [start, end), relative to start."""
    out = []
    for a, b, kind in witness.hands:
        a, b = max(a, start), min(b, end)
        if a < b:
            out.append((a - start, b - start, kind))
    return tuple(out)


def _place(columns: list[list], r: int, w: int, alignment: Alignment, tokens: list[Tokens],
           width: int) -> list[list]:
    """The table with witness w's tokens added, aligned against witness r's."""
    column_of = [0] * len(tokens[r])
    for c, column in enumerate(columns):
        if column[r] is not None:
            column_of[column[r]] = c
    moved = {j for p in alignment.moves for j in range(*p.y)}
    out: list[list] = []
    previous_c, previous_t = -1, -1
    for rt, wt in alignment.matches + [(None, len(tokens[w]))]:
        c = column_of[rt] if rt is not None else len(columns)
        out += _local(columns[previous_c + 1:c], list(range(previous_t + 1, wt)), w, tokens, width, moved)
        if rt is not None:
            out.append(columns[c] + [wt])
        previous_c, previous_t = c, wt
    return out


def _column_key(column: list, tokens: list[Tokens]) -> str:
    for witness, t in enumerate(column):
        if t is not None:
            return tokens[witness].keys[t]
    return ""


def _local(interval: list[list], run: list[int], w: int, tokens: list[Tokens], width: int,
           moved: set[int]) -> list[list]:
    """A stretch of witness w's words its reference lacks, matched with the other witnesses'
    columns of the same stretch (runs of three words or more), else in columns of their own."""
    if not run or not interval:
        return _fill(interval, run, w, tokens, width)
    from pipeline.collate.align import align_words, gap_run

    run_keys = [tokens[w].keys[t] if t not in moved else f"\x00{t}" for t in run]
    matches = align_words(run_keys, [_column_key(c, tokens) for c in interval], gap_run(len(run), len(interval)))
    out: list[list] = []
    i = j = 0
    for a, b in matches + [(len(run), len(interval))]:
        out += _fill(interval[j:b], run[i:a], w, tokens, width)
        if a < len(run):
            out.append(interval[b] + [run[a]])
        i, j = a + 1, b + 1
    return out


def _fill(interval: list[list], run: list[int], w: int, tokens: list[Tokens], width: int) -> list[list]:
    """Unmatched columns and unmatched words of w: a word ending a block shares the column of
    the stretch's block end (first with first), so that "reply" and "response." at the ends of
    two paragraphs make one variant; the other words get columns of their own, before the
    others' (they follow the word they follow in their own text)."""
    ends = [k for k, column in enumerate(interval)
            if any(t is not None and tokens[v].ends_block(t) for v, t in enumerate(column))]
    breaks = [k for k, t in enumerate(run) if tokens[w].ends_block(t)]
    out: list[list] = []
    i = j = 0
    for a, b in list(zip(ends, breaks)) + [(len(interval), len(run))]:
        # the new words first: they follow the word they follow in their own text
        out += [[None] * width + [t] for t in run[j:b]]
        out += [column + [None] for column in interval[i:a]]
        if a < len(interval):
            out.append(interval[a] + [run[b]])
        i, j = a + 1, b + 1
    return out


def classify(lemma: str, reading: str, moved: bool) -> str:
    """What kind of variant a reading is, against the lemma."""
    if moved:
        return "transposition"
    if not lemma.strip():
        return "addition"
    if not reading.strip():
        return "omission"
    if lemma == reading:
        return "hand"  # the same words: one witness has them from a hand edit
    if " ".join(lemma.split()) == " ".join(reading.split()):
        return "layout"
    a, b = [key(word) for word in lemma.split()], [key(word) for word in reading.split()]
    if a == b:
        return "punctuation"
    if len(a) == len(b) and all(near(x, y) for x, y in zip(a, b)):
        return "spelling"
    return "substitution"


def build(witnesses: list[Witness], n: int = 1, prefix: str = "") -> Apparatus:
    """Align the witnesses (the first is the base) and cut the table into segments."""
    tokens = [tokenize(w.text) for w in witnesses]
    vocabulary = Vocabulary()
    columns: list[list] = [[t] for t in range(len(tokens[0]))]
    alignments: list[tuple[int, int, Alignment]] = []
    for w in range(1, len(witnesses)):
        reference = max(range(w), key=lambda r: (likeness(tokens[r], tokens[w], vocabulary), -r))
        alignment = align(tokens[reference], tokens[w], vocabulary)
        alignments.append((reference, w, alignment))
        columns = _place(columns, reference, w, alignment, tokens, w)
    marks = [_hand_marks(witness, tok) for witness, tok in zip(witnesses, tokens)]
    # which columns belong to a moved passage (of which move)
    move_records: list[Move] = []
    column_moves: list[set[int]] = [set() for _ in columns]
    where = [dict() for _ in witnesses]  # witness -> token -> column
    for c, column in enumerate(columns):
        for witness, t in enumerate(column):
            if t is not None:
                where[witness][t] = c
    for reference, w, alignment in alignments:
        for pair in alignment.moves:
            index = len(move_records)
            rt, wt = tokens[reference], tokens[w]
            move_records.append(Move(
                w, reference, (wt.starts[pair.y[0]], wt.ends[pair.y[1] - 1]),
                (rt.starts[pair.x[0]], rt.ends[pair.x[1] - 1]), pair.similarity,
                [((rt.starts[a], rt.ends[a]), (wt.starts[b], wt.ends[b])) for a, b in pair.matches]))
            for t in range(*pair.y):
                column_moves[where[w][t]].add(index)
            for t in range(*pair.x):
                if columns[where[reference][t]][w] is None:
                    column_moves[where[reference][t]].add(index)
    units = _segments(witnesses, tokens, marks, columns, column_moves, move_records, prefix)
    pairings = [Pairing(w, r, [{"reference": [tokens[r].offset(p.x[0]), tokens[r].stops[p.x[1] - 1]],
                                "witness": [tokens[w].offset(p.y[0]), tokens[w].stops[p.y[1] - 1]],
                                "similarity": round(p.similarity, 3), "moved": p.moved} for p in a.pairs])
                for r, w, a in alignments]
    return Apparatus(n, witnesses, units, pairings, move_records, _block_pairs(witnesses, tokens, columns))


def _segments(witnesses: list[Witness], tokens: list[Tokens], marks: list[list[tuple]], columns: list[list],
              column_moves: list[set[int]], moves: list[Move], prefix: str) -> list[list[Segment]]:
    count = len(witnesses)
    position = [0] * count  # where each witness's next token starts
    units: list[list[Segment]] = [[]]
    numbered: list[int] = []

    def identity(witness: int, t: int) -> tuple:
        # the last word of a text has no space after it: it still agrees with the same word
        # followed by a space (the space then opens the next segment)
        token = tokens[witness].token(t)
        if t == len(tokens[witness]) - 1 and tokens[witness].stops[t] == tokens[witness].ends[t]:
            token += " "
        return token, marks[witness][t]

    def partners(column: list) -> dict[int, tuple]:
        """For each witness present, the witnesses whose word there is the same word, and those
        who write it the same way with the same hand edits."""
        keys = {w: tokens[w].keys[t] for w, t in enumerate(column) if t is not None}
        same = {w: identity(w, t) for w, t in enumerate(column) if t is not None}
        return {w: (frozenset(v for v in keys if v != w and keys[v] == k),
                    frozenset(v for v in same if v != w and same[v] == same[w])) for w, k in keys.items()}

    def agrees(column: list) -> bool:
        return all(t is not None for t in column) and all(identity(w, column[w]) == identity(0, column[0])
                                                          for w in range(1, count))

    def close(first: int, end: int, common: bool) -> None:
        spans = []
        last = columns[end - 1]
        # a common stretch ending on a text's last word leaves the other texts' space after it
        # to the next segment
        bare = common and any(tokens[w].stops[t] == tokens[w].ends[t] for w, t in enumerate(last))
        for w in range(count):
            held = [columns[k][w] for k in range(first, end) if columns[k][w] is not None]
            stop = (tokens[w].ends if bare else tokens[w].stops)[held[-1]] if held else position[w]
            spans.append((position[w], stop))
            position[w] = stop
        segment = Segment(spans)
        texts = {(witnesses[w].text[a:b], hands_in(witnesses[w], a, b)) for w, (a, b) in enumerate(spans)}
        if not common and len(texts) > 1:  # (words placed apart can still read alike in the end)
            numbered.append(len(numbered) + 1)
            segment.app = _app(witnesses, spans, numbered[-1], prefix, sorted(column_moves[first]), moves)
        units[-1].append(segment)

    start, common = 0, True
    before: dict[int, tuple] = {}
    for c, column in enumerate(columns):
        agree = agrees(column)
        now = partners(column)
        # inside a variant, a witness that changes partners starts another variant: where the
        # final message follows the draft's inserted words, and then its deleted ones
        regrouped = not agree and not common and any(before[w] != now[w] for w in now.keys() & before.keys())
        before = now
        if c > start and (agree != common or column_moves[c] != column_moves[start] or regrouped):
            close(start, c, common)
            start = c
        if c == start:
            common = agree
        base_break = column[0] is not None and tokens[0].ends_block(column[0])
        all_break = all(tokens[w].ends_block(t) for w, t in enumerate(column) if t is not None)
        if base_break or (not common and all_break):
            close(start, c + 1, common)
            start = c + 1
            if base_break:
                units.append([])
    if start < len(columns):
        close(start, len(columns), common)
    if not units[-1]:
        units.pop()
    return units


def _app(witnesses: list[Witness], spans: list[tuple[int, int]], n: int, prefix: str, move_ids: list[int],
         moves: list[Move]) -> App:
    readings: list[Reading] = []
    for w, (start, end) in enumerate(spans):
        text = witnesses[w].text[start:end]
        hands = hands_in(witnesses[w], start, end)
        for reading in readings:
            if reading.text == text and reading.hands == hands:
                reading.witnesses.append(w)
                break
        else:
            readings.append(Reading([w], text, hands))
    lemma = readings[0].text
    moved_witnesses = {moves[m].witness for m in move_ids}
    for reading in readings[1:]:
        reading.type = classify(lemma, reading.text, bool(moved_witnesses & set(reading.witnesses)))
    app = App(n, f"{prefix}app{n}", readings, spans, tuple(move_ids))
    for m in move_ids:
        moves[m].apps.append(app.id)
    return app


def _block_pairs(witnesses: list[Witness], tokens: list[Tokens], columns: list[list]) -> list[dict]:
    """For each witness besides the base, each base block paired with the block of that witness
    that shares most of its aligned words (the blocks are lines of the witness's text)."""
    def block_of(tok: Tokens) -> list[int]:
        out, block = [], 0
        for i in range(len(tok)):
            out.append(block)
            if tok.ends_block(i):
                block += 1
        return out

    def spans(witness: Witness) -> list[tuple[int, int]]:
        out, start = [], 0
        for line in witness.text.split("\n"):
            out.append((start, start + len(line)))
            start += len(line) + 1
        return out

    base_blocks = block_of(tokens[0])
    base_spans = spans(witnesses[0])
    result = []
    for w in range(1, len(witnesses)):
        blocks = block_of(tokens[w])
        shared: dict[tuple[int, int], int] = {}
        for column in columns:
            a, b = column[0], column[w]
            if a is not None and b is not None and near(tokens[0].keys[a], tokens[w].keys[b]):
                pair = (base_blocks[a], blocks[b])
                shared[pair] = shared.get(pair, 0) + 1
        best: dict[int, tuple[int, int]] = {}
        for (a, b), words in sorted(shared.items()):
            if words > best.get(a, (0, -1))[0]:
                best[a] = (words, b)
        other = spans(witnesses[w])
        pairs = [{"base": list(base_spans[a]), "witness": list(other[b]), "words": words}
                 for a, (words, b) in sorted(best.items())]
        result.append({"witness": w, "pairs": pairs})
    return result


def collate_texts(texts: list[str], labels: list[str] | None = None) -> Apparatus:
    """Collate plain texts (one block a line): for tests, benchmarks and other programs."""
    from pipeline.collate.witness import plain_witness, siglum

    return build([plain_witness(text, siglum(i), (labels or [""] * len(texts))[i]) for i, text in enumerate(texts)])
