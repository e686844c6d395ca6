"""Witnesses: what is collated, named on the command line or in a sidecar, read from the TEI.

A witness is named ``PATH[#N][@LAYER]``: a source (``sources/x.txt``, or a TEI file), one of
its documents counting from 1 (without ``#N``: the whole source), and a layer of that
document's hand edits:

- ``revised`` (the default, the reading): insertions in, deletions out;
- ``first``: the text as first written, deletions in, insertions out.

Its text is read from the TEI through the edition's walk (``writers/walk.py``), as the
document's words: the opener, paragraphs, closer and postscript, one block a line, each
block's spaces collapsed. The edition's title and headnote, annotations on the document,
archival furniture, notes, glosses, gaps and footnote references are not the document's
words and stay out; a correction or an OCR fix reads as corrected, an abbreviation as
written, supplied letters without their brackets. Where the layer holds a hand edit (an
insertion in the revised text, a passage later deleted in the first version), the witness
keeps its span, so the apparatus can say which variants the hand edits made.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.diagnostics import Diagnostic
from pipeline.findings import make
from pipeline.kinds import ABBREVIATION, BY_NAME, EMPTY, NOTE, OMIT
from pipeline.read import LAYERS
from pipeline.records import field, record
from pipeline.writers.walk import Edition, Node

SPEC = re.compile(r"^(?P<path>[^#@]+?)(?:#(?P<document>[^#@]*))?(?:@(?P<layer>[^#@]*))?$")
WITNESS_PARTS = ("opener", "body", "closer")
WITNESS_BLOCKS = ("p", "item", "sender", "address", "dateline", "salutation", "salute", "signed", "postscript")
DROPPED = None  # where the layer leaves something out: the spacing around it is mended
MENDED = ".,;:!?)"


@record(frozen=True)
class Spec:
    """A witness as named: a source, one of its documents (``None``: all) and a layer."""

    path: Path
    document: int | None = None
    layer: str | None = None  # None: the reading (the revised text)
    named: str = ""  # as the user wrote it, for messages

    @property
    def effective_layer(self) -> str:
        return self.layer or "revised"


def parse_spec(argument: str) -> Spec | Diagnostic:
    """``PATH[#N][@LAYER]`` as a ``Spec``, or a C700 finding saying what is wrong with it."""
    match = SPEC.match(argument)
    if match is None:
        return make("C700", argument.split("#")[0].split("@")[0] or argument, 1, 1, case="syntax", named=argument)
    path = Path(match.group("path"))
    document = match.group("document")
    layer = match.group("layer")
    if document is not None and not re.fullmatch(r"[1-9][0-9]{0,5}", document):
        return make("C700", str(path), 1, 1, case="syntax", named=argument)
    if layer is not None and layer not in LAYERS:
        return make("C700", str(path), 1, 1, case="layer", named=argument, layer=layer, layers=", ".join(LAYERS))
    return Spec(path, int(document) if document else None, layer, argument)


@record
class Witness:
    """One witness: its text (one block a line) and the spans of it that hand edits made."""

    id: str  # the xml:id of its <witness> in the collation's TEI
    siglum: str  # A, B, C... in the order given
    label: str  # what it is, for a reader
    source: str  # the source id
    path: str
    document: int | None
    layer: str | None
    text: str
    hands: list[tuple[int, int, str]] = field(default_factory=list)  # [start, end) "add" | "del"
    edited: bool = False  # its document has hand edits (insertions or deletions)

    @property
    def named(self) -> str:
        return self.path + (f"#{self.document}" if self.document else "") + (f"@{self.layer}" if self.layer else "")


def _pieces(nodes: list[Node], layer: str, hand: str | None, out: list) -> None:
    """The words of nodes in a layer, as (text, hand) pieces; DROPPED where words are left out."""
    for node in nodes:
        if node.kind == "text":
            out.append((node.text, hand))
            continue
        kind = BY_NAME[node.kind]
        if node.kind == "deletion":
            if layer == "first":
                _pieces(node.children, layer, "del", out)
            else:
                out.append(DROPPED)
        elif node.kind == "insertion":
            if layer == "revised":
                _pieces(node.children, layer, hand or "add", out)
            else:
                out.append(DROPPED)
        elif not kind.written or kind.role in (NOTE, EMPTY, OMIT) or node.kind == "noteref":
            out.append(DROPPED)
        elif kind.role == ABBREVIATION:
            _pieces(node.alt, layer, hand, out)  # the abbreviation as written
        else:
            _pieces(node.children, layer, hand, out)  # a correction's reading, supplied text, a name...


def _assemble(pieces: list) -> tuple[list[str], list[str | None]]:
    """Characters and their hands: spaces collapsed, and no space left before punctuation
    where a passage was left out ("ultimately, [5)]." reads "ultimately,.")."""
    chars: list[str] = []
    hands: list[str | None] = []
    dropped = False
    for piece in pieces:
        if piece is DROPPED:
            dropped = True
            continue
        text, hand = piece
        for ch in text:
            if ch.isspace():
                if chars and chars[-1] != " ":
                    chars.append(" ")
                    hands.append(hand)
                continue
            if dropped and ch in MENDED and chars and chars[-1] == " ":
                chars.pop()
                hands.pop()
                if chars and chars[-1] == ch and ch in ".,;:":  # "satellite. [deleted]. I"
                    dropped = False
                    continue
            dropped = False
            chars.append(ch)
            hands.append(hand)
    while chars and chars[-1] == " ":
        chars.pop()
        hands.pop()
    return chars, hands


def has_hand_edits(edition: Edition, document: int | None) -> bool:
    """Whether the document (or any document of the edition) holds an insertion or a deletion."""
    def walk(nodes: list[Node]) -> bool:
        return any(n.kind in ("insertion", "deletion") or walk(n.children) or walk(n.alt) for n in nodes)

    documents = edition.documents if document is None else [edition.documents[document - 1]]
    return any(walk(block.inlines) for d in documents for block in d.blocks
               if block.part in WITNESS_PARTS or block.kind == "postscript")


def witness_text(edition: Edition, document: int | None, layer: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The text of a document (or of every document) in a layer, and its hand-edit spans."""
    documents = edition.documents if document is None else [edition.documents[document - 1]]
    chars: list[str] = []
    hands: list[str | None] = []
    for doc in documents:
        for block in doc.blocks:
            if block.kind not in WITNESS_BLOCKS or (block.part not in WITNESS_PARTS and block.kind != "postscript"):
                continue
            pieces: list = []
            _pieces(block.inlines, layer, None, pieces)
            block_chars, block_hands = _assemble(pieces)
            if not block_chars:
                continue
            if chars:
                chars.append("\n")
                hands.append(None)
            chars += block_chars
            hands += block_hands
    text = "".join(chars)
    spans: list[tuple[int, int, str]] = []
    start = None
    for offset, hand in enumerate(hands + [None]):
        if start is not None and hand != hands[start]:
            end = offset
            while end > start and text[end - 1].isspace():
                end -= 1
            first = start
            while first < end and text[first].isspace():
                first += 1
            if first < end:
                spans.append((first, end, hands[start]))
            start = None
        if start is None and hand is not None:
            start = offset
    return text, spans


def title_of(edition: Edition, document: int | None) -> str:
    """A document's title without the parenthesis declaring its conventions."""
    if document is None:
        return edition.title
    title = edition.documents[document - 1].title
    bare = re.sub(r"\s*\([^()]*\)\s*$", "", title)
    return bare or title or f"document {document}"


LAYER_LABELS = {"first": "first version, before the hand edits", "revised": "revised, with the hand edits"}


def make_witness(edition: Edition, path: str, document: int | None, layer: str | None, wid: str,
                 siglum: str) -> Witness:
    effective = layer or "revised"
    text, hands = witness_text(edition, document, effective)
    edited = has_hand_edits(edition, document)
    label = title_of(edition, document)
    if edited:
        label += f" ({LAYER_LABELS[layer] if layer else 'its reading, with the hand edits'})"
    return Witness(wid, siglum, label, edition.id, path, document, layer, text, hands, edited)


def siglum(number: int) -> str:
    """A, B, ... Z, AA, AB...: the sigla of the witnesses in the order given."""
    letters = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def witness_id(source: str, document: int | None, layer: str | None, single_source: bool) -> str:
    """An xml:id for a witness: ``d2-first`` inside one source, ``<source>-d2-first`` across sources."""
    parts = [] if single_source else [source]
    parts.append(f"d{document}" if document else "all")
    if layer:
        parts.append(layer)
    wid = "-".join(parts)
    return wid if re.match(r"[A-Za-z_]", wid) else "w-" + wid


def plain_witness(text: str, siglum_: str, label: str = "", hands: list[tuple[int, int, str]] | None = None) -> Witness:
    """A witness from a text alone (tests and benchmarks): blocks are its lines."""
    return Witness(f"w-{siglum_}", siglum_, label or f"witness {siglum_}", "text", "", None, None, text,
                   list(hands or []), bool(hands))
