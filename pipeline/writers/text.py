"""The plain-text writer: the reading text, or on request the diplomatic text."""

from __future__ import annotations

from pipeline.writers.reading import render
from pipeline.writers.walk import read_edition


def write_text(root, source_id: str, *, diplomatic: bool = False) -> bytes:
    """The plain text of a TEI document, UTF-8."""
    return render(read_edition(root, source_id), diplomatic=diplomatic).text.encode("utf-8")
