"""The document model between the parser and the TEI encoder.

Offsets are into the normalized text; the encoder maps them back to the received body
through ``Normalized.original_offset`` when it needs a source position.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Text:
    """A run of reading text, [start, end) of the normalized text."""

    start: int
    end: int


@dataclass
class Span:
    """An editorial construct: an insertion, a deletion, a note, a name, a date...

    ``start``/``end`` cover the construct with its markers; ``children`` hold its content.
    ``kind`` is one of the keys of ``pipeline.encode.INLINE``.
    """

    kind: str
    start: int
    end: int
    children: list = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Block:
    """A paragraph-level unit: a title, a headnote, an opener line, a paragraph, a closer line."""

    kind: str
    start: int
    end: int
    inlines: list = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class DocumentInfo:
    """Correspondence metadata of one document, from the sidecar or inferred from the text."""

    title: str = ""
    date: str | None = None
    sender: str | None = None  # a register id or a plain name
    recipient: str | None = None
    place: str | None = None
    italics: str = "hi"
    brackets: str = "supplied"
    declared: list[str] = field(default_factory=list)
    italics_declared: bool = False


@dataclass
class Document:
    """One document of a source: its blocks in reading order and its metadata."""

    info: DocumentInfo
    blocks: list[Block] = field(default_factory=list)
    start: int = 0
    end: int = 0
