"""The JSON writer: metadata, documents, blocks, annotations and entities, with offsets.

Every span has ``start``, ``end`` and ``text``: code-point offsets into the plain-text
output and the exact characters there (as W3C Web Annotation's position and quote
selectors). What the reading leaves out (a deletion, a gap, a note) has a zero-width
position and its own text in ``content``. The shape is ``schemas/dispatch-output.schema.json``.
"""

from __future__ import annotations

import json

from pipeline.writers.walk import Edition

SCHEMA_ID = "https://dispatch.example/schemas/dispatch-output.schema.json"


def write_json(edition: Edition) -> bytes:
    """The JSON form of an edition, UTF-8, keys in a fixed order."""
    rendered = edition.reading
    documents = []
    for number, (document, placed) in enumerate(zip(edition.documents, rendered.documents), 1):
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
            "blocks": placed["blocks"],
            "annotations": [{key: value for key, value in a.items() if key != "document"}
                            for a in rendered.annotations if a["document"] == number],
        })
    data = {
        "$schema": SCHEMA_ID,
        "id": edition.id,
        "title": edition.title,
        "language": edition.language,
        "metadata": edition.metadata,
        "text": rendered.text,
        "documents": documents,
        "entities": [{"id": key, **value} for key, value in sorted(edition.entities.items())],
        "changes": edition.changes,
    }
    return (layout(data) + "\n").encode("utf-8")


def layout(value, level: int = 0) -> str:
    """JSON with the top levels indented and each record (block, annotation, entity) on one line.

    Readable in a diff (one annotation a line) and written by the C encoder.
    """
    pad = "  " * (level + 1)
    if level < 3 and isinstance(value, dict) and value:
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {layout(v, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * level + "}"
    if level < 4 and isinstance(value, list) and value and isinstance(value[0], (dict, list)):
        items = [pad + layout(v, level + 1) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + "  " * level + "]"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
