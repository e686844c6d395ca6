"""The received body, rebuilt byte for byte from the TEI's ``sourceDoc``."""

from __future__ import annotations

from pipeline.tei import NS


def received_text(root) -> str | None:
    """The body as received, or ``None`` when the TEI holds no received transcription."""
    surface = root.find("t:sourceDoc/t:surface", NS)
    if surface is None:
        return None
    return "\n".join(line.text or "" for line in surface.findall("t:line", NS))
