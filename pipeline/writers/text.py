"""The plain-text writer: the reading text, or on request the diplomatic text."""

from __future__ import annotations

from pipeline.writers.walk import Edition


def write_text(edition: Edition, *, diplomatic: bool = False) -> bytes:
    """The plain text of an edition, UTF-8."""
    return (edition.diplomatic if diplomatic else edition.reading).text.encode("utf-8")
