"""Inline parsing, step 1: pair the signs of a block.

Square brackets are paired with a stack (nested at most ``MAX_DEPTH`` deep); italic markers
(``*...*``, ``_..._``) are paired inside the bracket that contains them. Unbalanced and crossing
markers are repaired by general rules and reported. The result is a list of intervals that
nest; each bracket is then classified (``brackets.py``) and the tree built (``annotate.py``).
"""

from __future__ import annotations

import bisect
import functools
import re

from pipeline.conventions import Conventions
from pipeline.model import DocumentInfo
from pipeline.records import field, record
from pipeline.registers import Register

OPENING = set("([{\"'\u201c\u2018\u2014\u2013-/")
CLOSING = set(")]}.,;:!?\"'\u201d\u2019\u2014\u2013-/")
MAX_DEPTH = 24  # brackets nested deeper are kept as text: bounded work, no recursion limit


@functools.cache
def _sentence_end() -> re.Pattern:
    """The last sign of a sentence (compiled on first use, once per process)."""
    return re.compile(r"[.!?][\"'\u201d\u2019)]*(?=\s|$)")


@functools.cache
def _non_space() -> re.Pattern:
    """A character that is not white space."""
    return re.compile(r"\S")


def positions_of(text: str, signs: str, start: int, end: int) -> list[int]:
    """Where any of the characters ``signs`` stands in [start, end) of ``text``, in order: found
    by ``str.find`` (a scan for one character skips ahead many at a time, where a regular
    expression of a class of characters tests each character in turn, ten times slower; signs
    are few)."""
    positions: list[int] = []
    for sign in signs:
        i = text.find(sign, start, end)
        while i >= 0:
            positions.append(i)
            i = text.find(sign, i + 1, end)
    if len(signs) > 1:
        positions.sort()
    return positions


@record
class Interval:
    """A span of the block: [start, end) with its markers, [cstart, cend) its content, its kind."""

    start: int
    end: int
    cstart: int
    cend: int
    kind: str
    attrs: dict = field(default_factory=dict)


@record
class InlineContext:
    """What the inline parser needs besides the text: registers, conventions, the document."""

    text: str
    register: Register
    conventions: Conventions
    info: DocumentInfo
    report: callable  # report(offset, code, **fields): a code of findings.REGISTRY and its fields
    decide: callable = None  # decide(kind, rule, start, end, reading, confidence, why, id_rule): the editor's
    #                          decision on a heuristic one (pipeline.decisions), when they are recorded

    @functools.cached_property
    def names(self):
        """A function giving the matches of the register's names in a part of the text
        (``Register.names_in``), chosen when first needed."""
        return self.register.names_in(self.text)


def _italic_tokens(text: str, start: int, end: int):
    if text.find("*", start, end) < 0 and text.find("_", start, end) < 0:
        return  # most blocks have no italic marker
    for i in positions_of(text, "*_", start, end):
        char = text[i]
        prev = text[i - 1] if i > start else " "
        nxt = text[i + 1] if i + 1 < end else " "
        if char == "_" and (prev.isalnum() and nxt.isalnum()):
            continue
        if prev == char or nxt == char:
            continue
        left = prev.isspace() or prev in OPENING
        right = nxt.isspace() or nxt in CLOSING
        opener = left and not nxt.isspace()
        closer = right and not prev.isspace()
        if opener and not closer:
            yield i, "open", char
        elif closer and not opener:
            yield i, "close", char


def _last_words(text: str, count: int = 4) -> str:
    words = text.split()
    return ("… " if len(words) > count else "") + " ".join(words[-count:])


def _close_at_sentence(text: str, cstart: int, limit: int) -> int:
    """Where an unclosed italic ends: after the last sentence before ``limit``, else at it."""
    segment = text[cstart:limit]
    ends = [m.end() for m in _sentence_end().finditer(segment.rstrip())]
    if ends:
        return cstart + ends[-1]
    return cstart + len(segment.rstrip())


@record
class Paired:
    """What pairing found in a block: the italic intervals, the bracket pairs (opening ->
    closing position), the repairs it made ((offset, message), for the TEI header) and whether
    the block uses italic markers at all."""

    intervals: list[Interval]
    pairs: dict[int, int]
    repairs: list[tuple[int, str]]
    italics: bool


def pair(ctx: InlineContext, start: int, end: int) -> Paired:
    """The italic intervals of [start, end) and the bracket pairs (opening -> closing position)."""
    text = ctx.text
    # 1. brackets, paired with a stack
    pairs: dict[int, int] = {}
    stack: list[int] = []
    too_deep: list[int] = []
    has_brackets = text.find("[", start, end) >= 0 or text.find("]", start, end) >= 0
    if not has_brackets and text.find("*", start, end) < 0 and text.find("_", start, end) < 0:
        return Paired([], {}, [], False)  # no sign to pair (most blocks): nothing found, nothing reported
    for i in positions_of(text, "[]", start, end) if has_brackets else ():
        if text[i] == "[":
            stack.append(i)
        elif stack:
            opened = stack.pop()
            if len(stack) < MAX_DEPTH:
                pairs[opened] = i
            else:
                too_deep.append(opened)
        else:
            ctx.report(i, "P303", case="unopened")
    if stack:
        # the text ends in this block, in the middle of a sentence: a page cut off inside the bracket
        # (looked for after the block, not copied: the rest of the text may be long)
        cut_off = _non_space().search(text, end) is None and \
            not _sentence_end().search(text[start:end].rstrip()[-3:] + " ")
        for i in stack:
            ctx.report(i, "P303", case="cut-off" if cut_off and i == stack[0] else None)
    if too_deep:
        ctx.report(min(too_deep), "P306", depth=MAX_DEPTH)
    # 2. italics, paired inside the bracket that contains them
    markers = list(_italic_tokens(text, start, end))
    if not markers:
        return Paired([], pairs, [], False)  # no italic marker (most blocks): nothing to pair or repair
    closes = {c: o for o, c in pairs.items()}
    intervals: list[Interval] = []
    repairs: list[tuple[int, str]] = []
    italics = False
    scopes: list[tuple[int, int]] = [(start, end)]  # (open bracket position, close)
    open_italic: dict[int, tuple[int, str]] = {}  # scope start -> (position, marker)
    bracket_opens: dict[int, list[int]] = {start: []}

    def repair(scope: int, limit: int, why: str) -> None:
        position, marker = open_italic.pop(scope)
        opens = bracket_opens.get(scope, [])
        later = bisect.bisect_right(opens, position)  # opens are in text order
        if later < len(opens):
            limit = min(limit, opens[later])
        close = _close_at_sentence(text, position + 1, limit)
        if close > position + 1 and ctx.decide is not None:
            decision = ctx.decide("repair", "close-italic-at-sentence-end", position, close,
                                  f"italic closed after '{_last_words(text[position + 1:close])}'", "low",
                                  f"the italic marker {why}: closed at the end of its sentence", "")
            if decision is not None and decision.editor.action == "reject":
                decision.applied = "rejected"
                close = position + 1
        if close <= position + 1:
            ctx.report(position, "P301", case="unclosed", marker=marker)
            return
        intervals.append(Interval(position, close, position + 1, close, "italic", {"repaired": True}))
        ending = _last_words(text[position + 1:close])
        repairs.append((position, f"unclosed italic marker '{marker}' closed after '{ending}'"))
        ctx.report(position, "P301", marker=marker, why=why, ending=ending)

    tokens = sorted(
        [(i, "[", "[") for i in pairs] + [(i, "]", "]") for i in closes] + markers
    )
    for position, kind, marker in tokens:
        scope = scopes[-1][0]
        if kind == "[":
            bracket_opens.setdefault(scope, []).append(position)
            scopes.append((position, pairs[position]))
            bracket_opens[position] = []
        elif kind == "]":
            if scope in open_italic:
                repair(scope, position, "is not closed before the bracket ends")
            scopes.pop()
        elif kind == "open":
            italics = True
            if scope in open_italic:
                repair(scope, position, "is not closed before the next italic opens")
            open_italic[scope] = (position, marker)
        else:  # a closer
            italics = True
            if scope in open_italic:
                opened, _ = open_italic.pop(scope)
                intervals.append(Interval(opened, position + 1, opened + 1, position, "italic"))
                continue
            outer = next((s for s, _ in reversed(scopes[:-1]) if s in open_italic), None)
            if outer is not None:
                ctx.report(position, "P302", marker=marker)
                repair(outer, scope, "crosses a bracket")
            else:
                ctx.report(position, "P301", case="unopened", marker=marker)
    for scope in list(open_italic):
        repair(scope, end, "is never closed")
    return Paired(intervals, pairs, repairs, italics)
