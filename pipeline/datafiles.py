"""The pipeline's data files: where they are, and reading one as TOML with located findings.

The data files (``rules.toml``, ``registers.toml``, ``conventions.toml``, ``furniture.toml``)
are read from ``pipeline/data/``, or from the folder named by the environment variable
``DISPATCH_DATA_DIR`` when it is set (every data file is then read from that folder). Every
loader checks its file and reports problems as D findings at ``file:line``.

Checking a file means compiling its patterns, which costs more than the rest of a check of
one source. So the verdict "these bytes, checked by this code, have no finding" is kept in
the per-user cache (``pipeline.usercache``): a file with those very bytes is not checked
again until the file or the code changes. Only clean verdicts are kept: a file with findings
is checked, and its findings reported, every run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pipeline.diagnostics import Diagnostic
from pipeline.findings import make

ENVIRONMENT = "DISPATCH_DATA_DIR"
PACKAGE_DATA = Path(__file__).resolve().parent / "data"
NAMES = ("rules.toml", "registers.toml", "conventions.toml", "furniture.toml")


def data_dir() -> Path:
    """The folder of the data files: ``$DISPATCH_DATA_DIR``, else the package's ``data/``."""
    value = os.environ.get(ENVIRONMENT)
    return Path(value) if value else PACKAGE_DATA


def data_path(name: str) -> Path:
    return data_dir() / name


VERDICTS = "data-checks"  # the cache's folder of clean verdicts


def _verdict(path: Path, text: str) -> str:
    from pipeline.usercache import code_stamp, digest

    return digest(code_stamp(), path.name, text)


def found_clean(path: Path, text: str | None) -> bool:
    """Whether this code found the data file ``path`` with this ``text`` clean before."""
    from pipeline.usercache import recall

    return text is not None and recall(VERDICTS, _verdict(path, text)) is not None


def keep_clean(path: Path, text: str) -> None:
    """Keep the verdict that the data file ``path`` with this ``text`` (the text that was
    checked, not the file as it may be now) has no finding."""
    from pipeline.usercache import remember

    remember(VERDICTS, _verdict(path, text))


def read_text(path: Path) -> str | None:
    """A data file's text, or ``None`` when it cannot be read (its loader reports why)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def read_toml(path: Path) -> tuple[str | None, dict | None, list[Diagnostic]]:
    """A data file's text and table; ``None`` and a D600 or D601 finding when it cannot be had."""
    spath = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        return None, None, [make("D600", spath, 1, 1, reason=reason)]
    try:
        return text, parse_toml(text), []
    except ValueError as err:  # tomllib's TOMLDecodeError is one; tomllib is imported only on a miss of the cache
        import tomllib

        if not isinstance(err, tomllib.TOMLDecodeError):
            raise
        m = re.search(r"at line (\d+), column (\d+)", str(err))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        return text, None, [make("D601", spath, line, col, error=str(err).split(" (at")[0])]


TABLES = "toml"  # the cache's folder of parsed data files


def parse_toml(text: str) -> dict:
    """``tomllib.loads(text)``, with the table kept in the per-user cache under the text's
    digest: parsing the data files is a tenth of a check of one source in a fresh process,
    reading a kept table back (marshal) a hundredth of that. A text that does not parse
    raises as ``tomllib.loads`` does and is never kept; nor is a table marshal cannot hold
    (TOML dates: the data files have none). Marshal's format is the interpreter's, hence
    its version in the key."""
    import marshal
    import sys

    from pipeline import usercache

    key = usercache.digest(sys.version, text)
    kept = usercache.recall_bytes(TABLES, key)
    if kept is not None:
        try:
            table = marshal.loads(kept)
            if isinstance(table, dict):
                return table
        except (EOFError, ValueError, TypeError):
            pass  # a damaged entry: parsed again, and kept anew
    import tomllib

    table = tomllib.loads(text)
    try:
        data = marshal.dumps(table)
    except ValueError:
        return table
    usercache.remember(TABLES, key, data)
    return table


HEADER = re.compile(r"^\s*(?P<array>\[)?\[\s*(?P<name>[A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(?:#.*)?$")
KEY = re.compile(r"^\s*(?P<key>[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')\s*=")


class TomlLines:
    """Where tables and keys stand in a TOML text, for findings at ``file:line``.

    A table is named as in the file (``structure``, ``structure.furniture``); the n-th table
    of an array of tables (``[[bracket]]``) is ``index`` n (from 0). The top level is ``""``.
    The text is read on the first ``line`` asked for: a loader makes one for every data file,
    and a sound file has no finding to place (reading the rules, registers and furniture
    files line by line was a millisecond of every fresh ``dispatch check``).
    """

    def __init__(self, text: str):
        self.text = text
        self._places: tuple[dict, dict] | None = None

    def _read(self) -> tuple[dict, dict]:
        """(tables, keys): the line of each table's header and of each key of a table."""
        tables: dict[tuple[str, int], int] = {}
        keys: dict[tuple[str, int, str], int] = {}
        counts: dict[str, int] = {}
        table = ("", 0)
        quotes = None  # inside a multi-line string
        for number, line in enumerate(self.text.split("\n"), 1):
            if quotes is not None:
                if line.count(quotes) % 2:
                    quotes = None
                continue
            header = HEADER.match(line)
            if header:
                name = header.group("name").replace('"', "").replace("'", "").replace(" ", "")
                index = 0
                if header.group("array"):
                    index = counts[name] = counts.get(name, -1) + 1
                table = (name, index)
                tables.setdefault(table, number)
                continue
            key = KEY.match(line)
            if key:
                keys.setdefault((*table, key.group("key").strip("\"'")), number)
                for mark in ('"""', "'''"):
                    if line.count(mark) % 2:
                        quotes = mark
        return tables, keys

    def line(self, table: str = "", index: int = 0, key: str | None = None) -> int:
        """The line of a key of a table, else of the table's header, else 1."""
        if self._places is None:
            self._places = self._read()
        tables, keys = self._places
        if key is not None and (table, index, key) in keys:
            return keys[(table, index, key)]
        return tables.get((table, index), 1)
