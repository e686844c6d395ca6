"""Stage 3a, parse inline: the convention language of a block, as a tree of spans.

Signs: ``*...*`` and ``_..._`` (italics, whose meaning the document declares), and square
brackets of every kind, classified by the data in ``conventions.toml`` or explicitly with
``[@kind text]``. Three steps, one module each: ``pairing`` (brackets and italics, repaired and
reported when unbalanced or crossing), ``brackets`` (what each bracket is) and ``annotate`` (the
tree, and the names, scripts, dates and times of its text). The tree never has crossing spans.
"""

from __future__ import annotations


from pipeline.inline.annotate import build
from pipeline.inline.brackets import CHECKS, classify
from pipeline.inline.pairing import MAX_DEPTH, InlineContext, Interval, pair, positions_of
from pipeline.records import record

__all__ = ["CHECKS", "MAX_DEPTH", "Inline", "InlineContext", "Interval", "classify", "parse_inline", "positions_of"]


@record
class Inline:
    """The inline parse of a block: its tree of ``Text`` and ``Span``, the markup repairs made
    ((offset, message), recorded in the TEI header) and whether it uses italic markers."""

    nodes: list
    repairs: list[tuple[int, str]]
    italics: bool


def parse_inline(ctx: InlineContext, start: int, end: int) -> Inline:
    """Parse [start, end) of the normalized text. The context is only read (and reported to)."""
    paired = pair(ctx, start, end)
    pairs = paired.pairs
    if not pairs:  # (most blocks: no bracket)
        return Inline(build(ctx, start, end, paired.intervals), paired.repairs, paired.italics)
    inner_of_doubled = {o + 1 for o, c in pairs.items() if pairs.get(o + 1) == c - 1}  # [[May]]: one bracket
    intervals = paired.intervals + [classify(ctx, start, o, c) for o, c in pairs.items() if o not in inner_of_doubled]
    return Inline(build(ctx, start, end, intervals), paired.repairs, paired.italics)
