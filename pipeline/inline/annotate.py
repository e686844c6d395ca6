"""Inline parsing, step 3: the tree of spans, and what the plain text holds.

The paired and classified intervals are nested into a tree; corrected figures and
abbreviations take in the word before them; then the text runs are annotated by an ordered
list of small annotators (``ANNOTATORS``: elisions, names, foreign scripts, times, dates,
unrecognised tokens) with one conflict rule: a place the text claimed by an earlier annotator
is not claimed again.
"""

from __future__ import annotations

import bisect
import functools
import re
from typing import NamedTuple

from pipeline.dates import find_dates
from pipeline.inline.pairing import InlineContext, Interval
from pipeline.kinds import NON_LATIN, SCRIPTS, TAKES
from pipeline.model import Span, Text
from pipeline.rules import first_character, matches_at, may_hold, required_strings

# runs of a script other than Latin -> <foreign xml:lang>, from the one table of scripts
_JOIN = r"[\s,.;:!?\-\u2013\u2014\u00ab\u00bb\"'()\d]*"


@functools.cache
def script_patterns() -> tuple[tuple[re.Pattern, str], ...]:
    """(runs of the script, its xml:lang) for every script other than Latin (compiled on first
    use, once per process: importing the parser stays cheap)."""
    return tuple((script.pattern(_JOIN), script.lang) for script in SCRIPTS)


@functools.cache
def _figures() -> tuple[re.Pattern, re.Pattern]:
    """A figure (any script's); from a word's first figure to the word's end."""
    return re.compile(r"\d"), re.compile(r"\d\S*")


@functools.cache
def _needles(pattern: re.Pattern) -> tuple[tuple[str, ...], ...]:
    """Groups of strings, one of each group in any text ``pattern`` matches (worked out from the
    pattern once per process, ``rules.required_strings``)."""
    return required_strings(pattern)


def _may_hold(pattern: re.Pattern, text: str) -> bool:
    """False when ``text`` cannot hold a match of ``pattern`` (``rules.may_hold``)."""
    return may_hold(_needles(pattern), text)


@functools.cache
def _first_characters(pattern: re.Pattern) -> re.Pattern | None:
    """The class of the characters a match of ``pattern`` can begin with (worked out from the
    pattern once per process, ``rules.first_character``)."""
    return first_character(pattern)


def _finditer(pattern: re.Pattern, text: str):
    """What ``pattern.finditer(text)`` finds, the pattern tried only where a match can begin: the
    engine tries one that begins with a look-behind (the time's ``(?<![\\w.])``) at every character."""
    first = _first_characters(pattern)
    if first is None:
        return pattern.finditer(text)
    return matches_at(pattern, text, (m.start() for m in first.finditer(text)))


def _has_figure(text: str) -> bool:
    """Whether ``text`` holds a figure: in ASCII, ten searches for one character each (each far
    cheaper than a regular expression's scan of a class); otherwise the figures of every script."""
    if not text.isascii():
        return _figures()[0].search(text) is not None
    return ("0" in text or "1" in text or "2" in text or "3" in text or "4" in text
            or "5" in text or "6" in text or "7" in text or "8" in text or "9" in text)


def _words_with_figures(segment: str) -> list[tuple[int, str]]:
    """(offset, word) of every word (run of non-space characters) with a figure in it: found
    from its first figure (the regex engine skips to figures), then read back to its start."""
    words = []
    for m in _figures()[1].finditer(segment):
        start = m.start()
        while start and not segment[start - 1].isspace():
            start -= 1
        words.append((start, segment[start:m.end()]))
    return words


def build(ctx: InlineContext, start: int, end: int, intervals: list[Interval]) -> list:
    """Nest intervals into a tree, in one pass: each run of text is annotated as it is laid
    (names, dates, garbage...), and a span, once its content is laid, takes in the corrected
    figure or the abbreviation before it (``TAKES``) and joins the dates over its corrections."""
    out: list = []
    if not intervals:  # (most blocks: one run of text, no tree to build)
        if end > start:
            _annotate_text(ctx, Text(start, end), out)
        return out
    intervals.sort(key=_outer_first)
    # a block with no figure, no character outside ASCII and no spaced full stops has none in any
    # of its runs: only names can be found in them (tested once here, not once a run)
    block = ctx.text[start:end]
    lay = _annotate_names if block.isascii() and not _has_figure(block) and ". ." not in block else _annotate_text
    italics = ctx.info.italics
    children, position = out, start  # the open span's children, and where its text resumes
    joins = False  # whether the open span's children hold a span a date is joined over
    stack: list[tuple[Interval, list, bool]] = []  # the open intervals, each with its parent's children and joins
    for interval in _nesting(ctx, intervals) + [None]:  # (None: the end of the block, where every span closes)
        while stack and (interval is None or interval.start >= stack[-1][0].end):
            top, parent, parent_joins = stack.pop()  # the open span ends: its text up to its content's end
            if top.cend > position:
                lay(ctx, Text(position, top.cend), children)
            span = Span(italics if top.kind == "italic" else top.kind, top.start, top.end,
                        _dates_over_corrections(ctx, children) if joins else children, **top.attrs)
            _take_before(ctx, span, parent)
            parent.append(span)
            children, position, joins = parent, top.end, parent_joins or span.kind in _JOINED
        if interval is None:
            break
        if interval.start > position:
            lay(ctx, Text(position, interval.start), children)
        stack.append((interval, children, joins))
        children, position, joins = [], interval.cstart, False
    if end > position:
        lay(ctx, Text(position, end), out)
    return _dates_over_corrections(ctx, out) if joins else out


def _outer_first(interval: Interval) -> tuple[int, int]:
    return interval.start, -interval.end  # of two that start together, the outer first


def _nesting(ctx: InlineContext, intervals: list[Interval]) -> list[Interval]:
    """The intervals (in order, the outer of two that start together first) that nest: one that
    crosses the end of an open one is reported (P302) and left out, before any text is laid (the
    findings of a block in this order)."""
    kept: list[Interval] = []
    ends: list[int] = []  # where the open intervals end, the innermost last
    for interval in intervals:
        while ends and interval.start >= ends[-1]:
            ends.pop()
        if ends and interval.end > ends[-1]:
            ctx.report(interval.start, "P302", case="span")
            continue
        kept.append(interval)
        ends.append(interval.end)
    return kept


def _take_before(ctx: InlineContext, span: Span, siblings: list) -> None:
    """A span of ``TAKES`` takes in what it corrects or expands from the run of text just before
    it (the last of ``siblings``): a corrected figure, an abbreviation."""
    pull = TAKES.get(span.kind)
    if pull and siblings and siblings[-1].__class__ is Text:
        previous = siblings[-1]
        m = pull.search(ctx.text[previous.start:previous.end])
        if m:
            pulled = previous.start + m.start()
            span.pulled = (pulled, previous.start + m.end())
            span.start = pulled
            previous.end = pulled
            if previous.end == previous.start:
                siblings.pop()


class Occupied:
    """Non-overlapping intervals, with an overlap test in logarithmic time."""

    def __init__(self):
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start)
        if i > 0 and self.ends[i - 1] > start:
            return True
        return i < len(self.starts) and self.starts[i] < end

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


class Found(NamedTuple):
    """A candidate annotation: [start, end) of the segment, its kind and fields, and the finding
    to report if it is kept."""

    start: int
    end: int
    kind: str
    fields: dict
    finding: tuple[str, dict] | None = None


# Each annotator returns what it finds in a segment, a list (empty when it cannot find anything:
# the cheap test first, and no generator to start for most runs of text).

def _elisions(ctx: InlineContext, segment: str) -> list[Found]:
    if ". ." not in segment:  # prefilter: spaced full stops
        return []
    return [Found(m.start(), m.end(), "gap", {"reason": "elided"})
            for m in _finditer(ctx.conventions.pattern("elision"), segment)]


def _names(ctx: InlineContext, segment: str) -> list[Found]:
    forms = ctx.register.forms
    found = []
    for m in ctx.names(segment):  # (Register.find, without a generator per run)
        entry = forms[m.group()]
        found.append(Found(m.start(), m.end(), entry.element, {"ref": entry.id}))
    return found


def _scripts(ctx: InlineContext, segment: str) -> list[Found]:
    if segment.isascii() or not NON_LATIN.search(segment):  # (every script it tags is outside ASCII)
        return []
    return [Found(m.start(), m.end(), "foreign", {"lang": lang})
            for pattern, lang in script_patterns() for m in pattern.finditer(segment)]


def _times(ctx: InlineContext, segment: str) -> list[Found]:
    found = []
    for m in _finditer(ctx.conventions.pattern("time"), segment):
        when = _time_value(m)
        if when:
            found.append(Found(m.start(), m.end(), "time", {"when": when}))
    return found


def _dates(ctx: InlineContext, segment: str) -> list[Found]:
    return [Found(date.start, date.end, "date", {"when": date.when} if date.when else {},
                  None if date.when else ("P320", {"date": date.text}))
            for date in find_dates(segment)]


def _unrecognised(ctx: InlineContext, segment: str) -> list[Found]:
    garbage = ctx.conventions.pattern("garbage")
    fine = ctx.conventions.pattern("not_garbage")
    found = []
    for start, word in _words_with_figures(segment):
        token = word.strip(".,;:!?()\"'")
        if garbage.match(token) and not fine.match(token):
            s = start + word.find(token)
            found.append(Found(s, s + len(token), "unclear", {"reason": "unrecognised"},
                               ("N230", {"token": token})))
    return found


# (annotator, what a run must hold for it to find anything: a figure, a character outside ASCII,
# spaced full stops, or None for any run): tried in this order; the first to claim a place keeps it
ANNOTATORS = ((_elisions, "spaced stops"), (_names, None), (_scripts, "non-ascii"), (_times, "figure"),
              (_dates, "figure"), (_unrecognised, "figure"))


@functools.cache
def _tried(figure: bool, non_ascii: bool, spaced_stops: bool) -> tuple:
    """The annotators, in order, that may find something in a run with (or without) a figure,
    a character outside ASCII and spaced full stops: the others are not called at all (most
    runs hold none of the three)."""
    held = {None: True, "figure": figure, "non-ascii": non_ascii, "spaced stops": spaced_stops}
    return tuple(annotator for annotator, needs in ANNOTATORS if held[needs])


def _annotate_text(ctx: InlineContext, node: Text, out: list, citations: bool = True) -> None:
    """Append to ``out`` a text run split around what the annotators find in it (a citation
    first: its own span)."""
    text = ctx.text
    segment = text[node.start:node.end]
    if not segment or segment.isspace():
        out.append(node)
        return
    non_ascii = not segment.isascii()
    digits = _has_figure(segment)
    if citations and digits:
        citation = ctx.conventions.pattern("citation")
        m = citation.search(segment) if _may_hold(citation, segment) else None
        if m:
            s, e = node.start + m.start(), node.start + m.end()
            inner: list = []
            _annotate_text(ctx, Text(s, e), inner, citations=False)
            if s > node.start:
                _annotate_text(ctx, Text(node.start, s), out)
            out.append(Span("bibl", s, e, inner))
            if e < node.end:
                _annotate_text(ctx, Text(e, node.end), out)
            return
    spaced_stops = ". ." in segment
    if not (digits or non_ascii or spaced_stops):
        _annotate_names(ctx, node, out)  # only names can be found (most runs)
        return
    found = _claimed(ctx, node.start, segment, _tried(digits, non_ascii, spaced_stops))
    if not found:
        out.append(node)  # the run as it is (most runs hold nothing to annotate)
        return
    position = node.start
    for f in found:
        s, e = node.start + f.start, node.start + f.end
        if s < position:
            continue
        if s > position:
            out.append(Text(position, s))
        out.append(Span(f.kind, s, e, [] if f.kind == "gap" else [Text(s, e)], **f.fields))
        position = e
    if position < node.end:
        out.append(Text(position, node.end))


def _annotate_names(ctx: InlineContext, node: Text, out: list) -> None:
    """Append to ``out`` a run of text in which only names can be found, split around them: what
    ``_annotate_text`` makes of ``_names``'s findings, without making them (names never overlap,
    and come in text order)."""
    start = position = node.start
    forms = ctx.register.forms
    for m in ctx.names(ctx.text[start:node.end]):
        s, e = start + m.start(), start + m.end()
        if s > position:
            out.append(Text(position, s))
        entry = forms[m.group()]
        out.append(Span(entry.element, s, e, [Text(s, e)], ref=entry.id))
        position = e
    if position == start:
        out.append(node)  # the run as it is (most runs hold nothing to annotate)
    elif position < node.end:
        out.append(Text(position, node.end))


def _claimed(ctx: InlineContext, offset: int, segment: str, annotators: tuple) -> list[Found]:
    """What the annotators find in a run (at ``offset`` of the text), in text order: the first
    to claim a place keeps it; the findings of what is kept are reported."""
    found: list[Found] = []
    taken = None
    for annotator in annotators:
        candidates = annotator(ctx, segment)
        if candidates and taken is None:
            taken = Occupied()
        for candidate in candidates:
            if taken.overlaps(candidate.start, candidate.end):
                continue
            taken.add(candidate.start, candidate.end)
            if candidate.finding:
                code, fields = candidate.finding
                ctx.report(offset + candidate.start, code, **fields)
            found.append(candidate)
    found.sort(key=_in_text_order)
    return found


def _in_text_order(found: Found) -> tuple[int, int]:
    return found.start, -found.end  # the outer of two that start together first


def _time_value(m: re.Match) -> str | None:
    hour = m.group("h") or m.group("h2") or m.group("h3")
    minute = m.group("m") or m.group("m2") or "00"
    value = int(hour)
    suffix = (m.group("suffix") or "").lower()
    if suffix == "p.m." and value < 12:
        value += 12
    elif suffix == "a.m." and value == 12:
        value = 0
    if value > 23:
        return None
    return f"{value:02d}:{minute}:00"


_JOINED = frozenset({"correction", "supplied-date"})  # what a date is joined over
_JOINS_FROM = frozenset({"correction", "date"})  # what such a joined date begins with


def _dates_over_corrections(ctx: InlineContext, nodes: list) -> list:
    """``8[7] October 1950``: a corrected day followed by month and year is one date; so is a
    day and month followed by a supplied year, ``5 October [1950]``. (Only brackets make the
    spans of ``_JOINED``: ``build`` calls this where one of them stands.)"""
    out: list = []
    i = 0
    while i < len(nodes):
        node = nodes[i]
        if node.__class__ is not Span or node.kind not in _JOINS_FROM:
            out.append(node)  # (the runs of text, names... of a long paragraph: passed over at once)
            i += 1
            continue
        if node.kind == "correction" and i + 1 < len(nodes):
            corrected = "".join(ctx.text[t.start:t.end] for t in node.children if isinstance(t, Text))
            following = ctx.text[node.end:node.end + ctx.conventions.tuning("date_window")]
            date = next(iter(find_dates(corrected + following)), None) if corrected.isdigit() else None
            if date is not None and date.start == 0 and date.end > len(corrected):
                limit = node.end + date.end - len(corrected)
                inside: list = [node]
                j = i + 1
                while j < len(nodes) and nodes[j].end <= limit:
                    inside.append(nodes[j].children[0] if isinstance(nodes[j], Span) and nodes[j].kind == "date"
                                  else nodes[j])
                    j += 1
                if j < len(nodes) and isinstance(nodes[j], Text) and nodes[j].start < limit:
                    inside.append(Text(nodes[j].start, limit))
                    nodes[j] = Text(limit, nodes[j].end)
                if inside[-1].end == limit:
                    attrs = {"when": date.when} if date.when else {}
                    out.append(Span("date", node.start, limit, inside, **attrs))
                    i = j
                    continue
        if (node.kind == "date" and i + 2 < len(nodes)
                and isinstance(nodes[i + 1], Text) and ctx.text[nodes[i + 1].start:nodes[i + 1].end] == " "
                and isinstance(nodes[i + 2], Span) and nodes[i + 2].kind == "supplied-date"
                and re.fullmatch(r"--\d\d-\d\d", node.when or "")):
            year = "".join(ctx.text[t.start:t.end] for t in nodes[i + 2].children if isinstance(t, Text))
            when = node.when
            merged = Span("date", node.start, nodes[i + 2].end, [*node.children, nodes[i + 1], nodes[i + 2]],
                          when=f"{year}-{when[2:]}" if year.isdigit() else None)
            out.append(merged)
            i += 3
            continue
        out.append(node)
        i += 1
    return out
