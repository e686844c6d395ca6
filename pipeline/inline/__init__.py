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
from pipeline.inline.pairing import MAX_DEPTH, InlineContext, Interval, pair

__all__ = ["CHECKS", "MAX_DEPTH", "InlineContext", "Interval", "classify", "parse_inline"]


def parse_inline(ctx: InlineContext, start: int, end: int) -> list:
    """Parse [start, end) of the normalized text into a list of ``Text`` and ``Span``."""
    intervals, pairs = pair(ctx, start, end)
    inner_of_doubled = {o + 1 for o, c in pairs.items() if pairs.get(o + 1) == c - 1}  # [[May]]: one bracket
    intervals += [classify(ctx, start, o, c) for o, c in pairs.items() if o not in inner_of_doubled]
    return build(ctx, start, end, intervals)
