"""The JSON writer: metadata, documents, blocks, annotations and entities, with offsets.

Every span has ``start``, ``end`` and ``text``: code-point offsets into the plain-text
output and the exact characters there (as W3C Web Annotation's position and quote
selectors). What the reading leaves out (a deletion, a gap, a note) has a zero-width
position and its own text in ``content``. The shape is ``schemas/dispatch-output.schema.json``.
"""

from __future__ import annotations

import functools
import itertools
import json
from json.encoder import c_make_encoder, encode_basestring

from pipeline.writers.walk import Edition

SCHEMA_ID = "https://dispatch.example/schemas/dispatch-output.schema.json"


def write_json(edition: Edition) -> bytes:
    """The JSON form of an edition, UTF-8, keys in a fixed order."""
    rendered = edition.reading
    documents = []
    written = plain(rendered.text)  # (each block's text is a slice of it)
    for document, placed in zip(edition.documents, rendered.documents):
        documents.append({
            "n": document.n,
            "id": document.id,
            "title": document.title,
            "date": document.date,
            "sender": document.sender,
            "recipient": document.recipient,
            "place": document.place,
            "kind": document.kind,
            "start": placed["start"],
            "end": placed["end"],
            "blocks": Lines(map(block_line, placed["blocks"])) if written else placed["blocks"],
            "annotations": placed["annotations"],
        })
    data = {
        "$schema": SCHEMA_ID,
        "id": edition.id,
        "title": edition.title,
        "language": edition.language,
        "metadata": edition.metadata,
        "text": Written(lines_escaped(rendered.text)) if written else rendered.text,
        "documents": documents,
        "entities": Records({"id": key, **value} for key, value in sorted(edition.entities.items())),
        "changes": Records(edition.changes),
    }
    return (layout(data) + "\n").encode("utf-8")


def _one_line_encoders():
    """The encoders of ``json.dumps(value, ensure_ascii=False, separators=(", ", ": "))``, made
    once: of one value, and of each value of a list (as ``map`` of the first, lazily).

    ``json.dumps`` builds a new encoder on every call, which costs more than encoding a
    record; a document's JSON encodes hundreds of records and keys. The C encoder, when the
    interpreter has it, is made here with the arguments ``json.dumps`` gives it (no circular
    check: the writers' data is a tree), else the pure-Python one is kept. The records of a
    list (a document's blocks and annotations) are encoded by the C encoder directly, without
    a call of ``one_line`` each.
    """
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))
    if c_make_encoder is None:
        return encoder.encode, functools.partial(map, encoder.encode)
    encode = c_make_encoder(None, encoder.default, encode_basestring, None, encoder.key_separator,
                            encoder.item_separator, False, False, True)

    def one_line(value) -> str:
        if isinstance(value, str):
            return encode_basestring(value)
        return "".join(encode(value, 0))

    def each_line(values):
        return map("".join, map(encode, values, itertools.repeat(0)))

    return one_line, each_line


one_line, each_line = _one_line_encoders()

# what JSON escapes in a string, but the line break: a quote, a backslash, a control character
ESCAPED = ('"', "\\", *(chr(code) for code in range(0x20) if code != 0x0A))


class Written(str):
    """A value written as JSON already (``layout`` sets it as it is)."""


class Lines(list):
    """Records written as JSON already, one a line (``layout`` sets them as it sets its own)."""


class Records(list):
    """Records (the entities, the changes) whose every value is written on one line: each laid
    out by ``members``."""


def plain(text: str) -> bool:
    """True when JSON escapes no character of ``text`` but its line breaks.

    The reading text and its blocks' texts, the JSON's bulk (the text twice: whole, and block
    by block), are most often so: found once in the whole text (a C search for each character
    JSON escapes), they are written with their line breaks escaped (``lines_escaped``) rather
    than looked at character by character, twice, by the escaper (a third of the writer's time).
    """
    return not any(character in text for character in ESCAPED)


def lines_escaped(text: str) -> str:
    """A text in which JSON escapes no character but line breaks, as a JSON string."""
    return '"' + (text.replace("\n", "\\n") if "\n" in text else text) + '"'


def block_line(block: dict) -> str:
    """``one_line(block)`` of a block record of a plain text (its keys as ``Renderer.block`` gives them)."""
    return (f'{{"type": {encode_basestring(block["type"])}, "part": {encode_basestring(block["part"])}, '
            f'"start": {block["start"]}, "end": {block["end"]}, "text": {lines_escaped(block["text"])}}}')


INDENTS = tuple("  " * level for level in range(6))


def layout(value, level: int = 0) -> str:
    """JSON with the top levels indented and each record (block, annotation, entity) on one line.

    Readable in a diff (one annotation a line) and written by the C encoder.
    """
    out: list[str] = []
    _layout(value, level, out)
    return "".join(out)


def members(record: dict, level: int) -> str:
    """``layout(record, level)`` of a non-empty record whose every value it writes on one line
    (a string, a number, null, a list of strings): one member a line, made in one comprehension
    rather than by a round of ``_layout``'s tests and appends per member (the entities and the
    changes are a third of the JSON's members)."""
    indent = INDENTS[level + 1]
    lines = [f"{encode_basestring(key)}: {encode_basestring(item) if type(item) is str else one_line(item)}"
             for key, item in record.items()]
    return "{\n" + indent + (",\n" + indent).join(lines) + "\n" + INDENTS[level] + "}"


def _layout(value, level: int, out: list[str]) -> None:
    """``layout`` of ``value``, its pieces appended to ``out`` (joined once, at the end)."""
    if level < 3 and isinstance(value, dict) and value:
        before = "{\n" + INDENTS[level + 1]
        for key, item in value.items():
            out.append(before)
            # a string (every key, most values): the C function of ``one_line``, called directly
            out.append(encode_basestring(key) if type(key) is str else one_line(key))
            out.append(": ")
            if type(item) is str:
                out.append(encode_basestring(item))
            elif type(item) is Written:
                out.append(item)
            elif isinstance(item, (dict, list)):
                _layout(item, level + 1, out)
            else:
                out.append(one_line(item))
            before = ",\n" + INDENTS[level + 1]
        out.append("\n" + INDENTS[level] + "}")
    elif level < 4 and isinstance(value, list) and value and (type(value) is Lines
                                                              or isinstance(value[0], (dict, list))):
        if level == 3:  # records (blocks, annotations), each on one line: hundreds, joined at once
            between = ",\n" + INDENTS[4]
            lines = value if type(value) is Lines else each_line(value)
            out.append("[" + between[1:] + between.join(lines) + "\n" + INDENTS[3] + "]")
            return
        before = "[\n" + INDENTS[level + 1]
        if type(value) is Records:
            out.append(before + ("," + before[1:]).join([members(item, level + 1) for item in value])
                       + "\n" + INDENTS[level] + "]")
            return
        for item in value:
            out.append(before)
            _layout(item, level + 1, out)
            before = ",\n" + INDENTS[level + 1]
        out.append("\n" + INDENTS[level] + "]")
    else:
        out.append(one_line(value))
