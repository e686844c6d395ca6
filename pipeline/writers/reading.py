"""The reading text and the diplomatic text, with the position of every annotation.

The plain-text writer prints what this module renders, and the JSON writer reports the
annotations it records, so JSON offsets always point into the plain text.

Reading text policy (documented in the README):
- insertions in, deletions out, corrections and OCR fixes applied, gaps left out;
- glosses and expansions follow their word in square brackets, supplied text is bracketed;
- translator's, editorial and inline handwritten notes leave the line: a marker ``[n]``
  stands in the text and the notes follow the document, numbered;
- archival furniture (dockets, labels, classification, stamps) is left out;
- a handwritten annotation on the document is a paragraph of its own, after ``[Handwritten]``.

Diplomatic text: the document as it stood, every intervention marked one way:
``\\insertion/``, ``⟦deletion⟧``, ``{received→reading}`` for corrections and OCR fixes,
``[…]`` for a gap, ``[supplied]``, ``unclear(?)``, ``[= gloss]``, ``[note: …]``, and
furniture in ``⟨…⟩``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.kinds import (ABBREVIATION, ANNOTATED, BRACKETED, BY_NAME, CHOICE, EMPTY, NOTE, OMIT, WRAP,
                            Editorial)
from pipeline.writers.walk import Block, Edition, Node

FURNITURE_BLOCKS = ("docket", "classification", "furniture")
LINE_BREAKS = re.compile(r"[ \t]*\n[ \t\n]*")


@dataclass
class Rendered:
    """A rendered text: ``annotations`` of every document in order, and ``documents`` each with
    its blocks and, in ``annotations``, its own (the same records: the JSON writer lists them
    by document, with no number of the document in each to take out again)."""

    text: str
    annotations: list[dict] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)


def plain(nodes: list[Node]) -> str:
    """The characters of nodes as written (deletions included, notes excluded)."""
    out = []
    for node in nodes:
        if node.kind == "text":
            out.append(node.text)
        elif BY_NAME[node.kind].written:
            out.append(plain(node.children))
    return "".join(out)


class Renderer:
    def __init__(self, edition: Edition, diplomatic: bool = False):
        self.edition = edition
        self.diplomatic = diplomatic
        self.parts: list[str] = []
        self.length = 0
        self.annotations: list[dict] = []
        self.notes: list[tuple[int, str, str]] = []
        self.dropped = False
        self.block_start = 0

    def emit(self, text: str) -> None:
        """Append text; after a passage the reading leaves out, mend the spacing around it."""
        if text and self.dropped:
            if text[0].isspace() and (self.length == self.block_start or self._ends_with_space()):
                text = text.lstrip(" ")
            elif text[0] in ".,;:!?)" and self._ends_with_space():
                self.retract()
                if self.parts and self.parts[-1][-1:] == text[0] and text[0] in ".,;:":
                    text = text[1:]  # "satellite. [deleted sentence]. I" reads "satellite. I"
        if text:
            self.dropped = False
            self.parts.append(text)
            self.length += len(text)

    def _ends_with_space(self) -> bool:
        return bool(self.parts) and self.parts[-1].endswith(" ")

    def retract(self) -> None:
        """Take back one trailing space, and keep every recorded position inside the text."""
        self.parts[-1] = self.parts[-1][:-1]
        self.length -= 1
        for record in self.annotations[-8:]:
            record["start"] = min(record["start"], self.length)
            record["end"] = min(record["end"], self.length)

    def drop(self) -> None:
        self.dropped = True

    def annotate(self, node: Node, start: int, extra: dict | None = None) -> None:
        if self.diplomatic or node.kind not in ANNOTATED:
            return
        record = {"type": node.kind, "start": start, "end": self.length, "text": ""}
        for key, value in node.attrs.items():
            if value is not None:
                record[key] = value
        if extra:
            record.update(extra)
        self.annotations.append(record)

    # -- inline ----------------------------------------------------------------------------
    def nodes(self, nodes: list[Node]) -> None:
        for node in nodes:
            # most nodes: text on one line, after text the reading keeps (``emit`` has nothing
            # to mend); appended without the calls of ``node`` and ``emit``
            if node.kind == "text" and not self.dropped and "\n" not in node.text:
                if node.text:
                    self.parts.append(node.text)
                    self.length += len(node.text)
            else:
                self.node(node)

    def node(self, node: Node) -> None:
        if node.kind == "text":
            text = node.text
            if "\n" in text:  # a line break, or a blank line kept inside a block
                text = LINE_BREAKS.sub(" ", text)
            self.emit(text)
            return
        kind = BY_NAME[node.kind]
        if self.diplomatic:
            self.diplomatic_node(node, kind)
            return
        start = self.length
        role = kind.role
        if role == WRAP:  # the most frequent (names, dates, insertions)
            self.nodes(node.children)
            self.annotate(node, start)
        elif role == OMIT:
            self.annotate(node, start, {"content": plain(node.children)})
            self.drop()
        elif role == EMPTY:
            self.annotate(node, start, {"content": plain(node.children)})
            self.drop()
        elif role == NOTE:
            content = self.inline_string(node.children)
            self.notes.append((len(self.notes) + 1, kind.note_label, content))
            self.emit(f"[{len(self.notes)}]")
            self.annotate(node, start, {"content": content, "note": len(self.notes)})
        elif role == BRACKETED:
            # in square brackets; a gloss is set off from the word it glosses
            spaced = kind.spaced and not (self.parts and self.parts[-1].endswith(" "))
            self.emit(" [" if spaced else "[")
            inner = self.length
            self.nodes(node.children)
            self.annotate(node, inner)
            self.emit("]")
        elif role == CHOICE:
            self.nodes(node.children)
            self.annotate(node, start, {"original": plain(node.alt)})
        elif role == ABBREVIATION:
            self.nodes(node.alt)
            self.emit(" [")
            self.nodes(node.children)
            self.emit("]")
            self.annotate(node, start, {"abbreviation": plain(node.alt), "expansion": plain(node.children)})
        else:  # (no other role: ROLES)
            self.nodes(node.children)
            self.annotate(node, start)

    def diplomatic_node(self, node: Node, kind: Editorial) -> None:
        before, between, after = kind.diplomatic
        if kind.role == NOTE:
            before, after = f"[note ({kind.note_label}): ", "]"
        self.emit(before)
        if kind.role in (CHOICE, ABBREVIATION):
            self.nodes(node.alt)
            self.emit(between)
        if kind.role != EMPTY:
            self.nodes(node.children)
        self.emit(after)

    def inline_string(self, nodes: list[Node]) -> str:
        sub = Renderer(self.edition, self.diplomatic)
        sub.nodes(nodes)
        return "".join(sub.parts)

    def furniture_annotations(self, nodes: list[Node]) -> None:
        """What furniture (left out of the reading) holds is annotated where it stood: zero
        width, its words in ``content``."""
        for node in nodes:
            if node.kind == "text":
                continue
            self.annotate(node, self.length, {"content": plain(node.children)})
            if self.annotations and self.annotations[-1]["type"] == node.kind:
                self.annotations[-1]["end"] = self.length
            self.furniture_annotations(node.children)

    # -- blocks ----------------------------------------------------------------------------
    def block(self, block: Block) -> None:
        start = self.block_start = self.length
        self.dropped = True  # no leading space in a block
        if block.kind in FURNITURE_BLOCKS and not self.diplomatic:
            return
        if block.kind == "headnote":
            self.emit("[")
            self.nodes(block.inlines)
            self.emit("]")
        elif block.kind == "annotation":
            self.emit("[Handwritten] ")
            self.nodes(block.inlines)
        elif block.kind in FURNITURE_BLOCKS:
            self.emit("\u27e8")
            self.nodes(block.inlines)
            self.emit("\u27e9")
        else:
            self.nodes(block.inlines)
        while self.length > start and self._ends_with_space():
            self.retract()
        self.dropped = False
        self.blocks.append({"type": block.kind, "part": block.part, "start": start, "end": self.length,
                            "text": ""})

    def render(self) -> Rendered:
        documents = []
        for number, document in enumerate(self.edition.documents, 1):
            self.notes = []
            self.blocks: list[dict] = []
            if number > 1:
                self.emit("\n\n")
            start = self.length
            first_annotation = len(self.annotations)
            previous = None
            for block in document.blocks:
                if block.kind in FURNITURE_BLOCKS and not self.diplomatic:
                    self.furniture_annotations(block.inlines)
                    continue
                mark = (len(self.parts), self.length, len(self.annotations), len(self.blocks))
                if previous is not None:
                    tight = (previous.part == block.part and block.part in ("opener", "closer"))
                    self.emit("\n" if tight else "\n\n")
                self.block(block)
                if self.blocks[-1]["start"] == self.blocks[-1]["end"]:
                    # a block the reading leaves empty (a paragraph wholly deleted) is not printed;
                    # what it held stays as zero-width annotations at that place
                    del self.parts[mark[0]:]
                    self.length = mark[1]
                    del self.blocks[mark[3]:]
                    for record in self.annotations[mark[2]:]:
                        record["start"] = record["end"] = mark[1]
                    continue
                previous = block
            end = self.length
            if self.notes:
                self.emit("\n\nNotes")
                for number_, kind, text in self.notes:
                    self.emit(f"\n[{number_}] {text} ({kind})")
            documents.append({"n": document.n, "id": document.id, "start": start, "end": end,
                              "blocks": self.blocks, "annotations": self.annotations[first_annotation:]})
        self.emit("\n")
        text = "".join(self.parts)
        for record in self.annotations + [b for d in documents for b in d["blocks"]]:
            record["text"] = text[record["start"]:record["end"]]
        return Rendered(text, self.annotations, documents)
