"""A source's id: its file name without its suffix.

Apart from ``pipeline.read`` (which also checks that an id is usable), so that a rebuild
that reads no source, which needs every source's id, does not import the reader.
"""

from __future__ import annotations

from pathlib import Path


def source_id(path: Path) -> str:
    """The id of a source: its file name without ``.txt``/``.xml`` (without its suffix, as
    ``Path.suffix`` has it: the last dot's part, for a name that is more than that part)."""
    name = path.name
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name
