"""The document model between the parser and the TEI encoder.

Offsets are into the normalized text (``Norm``); the encoder maps them back to the received
body (``Received``) through ``Normalized.original_offset`` when it needs a source position.
A document carries its parts explicitly (front, opener, body, closer, back), as the TEI
does, so that nothing downstream has to find them again.
"""

from __future__ import annotations

from typing import NewType

from pipeline.records import field, record

Norm = NewType("Norm", int)  # an offset into the normalized text
Received = NewType("Received", int)  # an offset into the body as received


@record
class Text:
    """A run of reading text, [start, end) of the normalized text."""

    start: Norm
    end: Norm


@record
class Span:
    """An editorial construct: an insertion, a deletion, a note, a name, a date...

    ``start``/``end`` cover the construct with its markers; ``children`` hold its content.
    ``kind`` is a name of ``pipeline.kinds.ENCODING``.
    """

    kind: str
    start: Norm
    end: Norm
    children: list = field(default_factory=list)
    reason: str | None = None  # a gap's or a supplied passage's reason
    ref: str | None = None  # a name's register entry
    when: str | None = None  # a date's or a time's ISO value
    lang: str | None = None  # a foreign passage's language
    repaired: bool = False  # markup the parser had to repair (an italic it closed)
    unclassified: bool = False  # a bracket no classifier claimed
    pulled: tuple[Norm, Norm] | None = None  # the text before it that a correction or expansion took in
    decision: object = None  # the editor's decision that set its kind (pipeline.decisions.Decision)


@record
class Block:
    """A paragraph-level unit: a title, a headnote, an opener line, a paragraph, a closer line.

    ``content`` is where its inline content starts when that is not ``start`` (after a label
    such as ``[Handwritten]`` or a footnote's number). Containers (``list``, ``sp``) hold
    their items and speeches in ``children``.
    """

    kind: str
    start: Norm
    end: Norm
    inlines: list = field(default_factory=list)
    content: Norm | None = None
    subtype: str | None = None  # an annotation's or a furniture line's kind
    n: str | None = None  # a footnote's number
    children: list["Block"] = field(default_factory=list)


@record
class DocumentInfo:
    """Correspondence metadata of one document, from the sidecar or inferred from the text."""

    title: str = ""
    date: str | None = None
    sender: str | None = None  # a register id or a plain name
    recipient: str | None = None
    place: str | None = None
    kind: str | None = None  # telegram, letter, record-of-conversation... (from the title)
    italics: str = "hi"
    brackets: str = "supplied"
    declared: list[str] = field(default_factory=list)
    italics_declared: bool = False


PARTS = ("front", "opener", "body", "closer", "back")


@record
class Document:
    """One document of a source: its metadata and its blocks, part by part, in reading order."""

    info: DocumentInfo
    front: list[Block] = field(default_factory=list)  # title, headnote, annotations on top
    opener: list[Block] = field(default_factory=list)  # docket, furniture, sender, address, dateline
    body: list[Block] = field(default_factory=list)  # paragraphs, lists, speeches
    closer: list[Block] = field(default_factory=list)  # salute, signature, dateline
    back: list[Block] = field(default_factory=list)  # annotations, furniture, footnotes, postscripts
    start: Norm = Norm(0)
    end: Norm = Norm(0)

    def parts(self):
        """(part name, blocks) in reading order."""
        return [(name, getattr(self, name)) for name in PARTS]

    def blocks(self):
        """Every leaf block in reading order (the items of a list, the speeches)."""
        for _, blocks in self.parts():
            for block in blocks:
                if block.children:
                    yield from block.children
                else:
                    yield block
