"""A small per-user cache of facts that cost time to establish and little to recognise.

What it holds: that a data file with these very bytes was checked by this very code and had
no finding (so that a later run need not compile and check its patterns again). Each fact is
a file named by a digest of everything it depends on, so that a changed input is simply a
miss: nothing is ever invalidated, and a stale entry is never read.

Where: ``$XDG_CACHE_HOME/dispatch``, else ``~/.cache/dispatch``; never inside the package.
``DISPATCH_NO_CACHE`` set to anything but the empty string turns the cache off. When the
folder cannot be made or written, the facts are established again every run, as without it.
"""

from __future__ import annotations

import functools
import marshal
import os
import sys
from pathlib import Path

from pipeline import __version__

try:  # the interpreter's own SHA-256 (_sha2 from Python 3.12): the same digests as hashlib's,
    # without loading its OpenSSL backend (5 ms of a check's start) for the few kilobytes a key holds
    from _sha256 import sha256
except ImportError:
    try:
        from _sha2 import sha256
    except ImportError:
        from hashlib import sha256

DISABLE = "DISPATCH_NO_CACHE"
PACKAGE = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    """The cache's folder, or ``None`` when the cache is turned off."""
    if os.environ.get(DISABLE):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):  # the XDG rule: a relative path is to be ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dispatch"


def recall(kind: str, key: str) -> str | None:
    """The value kept for ``key`` among the facts of ``kind``, or ``None``."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(folder / kind / key, encoding="utf-8") as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError):
        return None


def recall_bytes(kind: str, key: str) -> bytes | None:
    """The bytes kept for ``key`` among the facts of ``kind``, or ``None``."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(folder / kind / key, "rb") as stream:
            return stream.read()
    except OSError:
        return None


def remember(kind: str, key: str, value: str | bytes = "") -> None:
    """Keep ``value`` for ``key``: written whole or not at all (a temporary file renamed),
    so that two processes that keep the same fact at once cannot leave half of it."""
    folder = cache_dir()
    if folder is None:
        return
    import tempfile  # only a miss writes

    try:
        target = folder / kind
        target.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target, prefix=".", suffix=".tmp")
        try:
            with (os.fdopen(handle, "wb") if isinstance(value, bytes)
                  else os.fdopen(handle, "w", encoding="utf-8")) as stream:
                stream.write(value)
            os.replace(temporary, target / key)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass  # a cache that cannot be written is no cache: the work is done again next time


_at_exit: list = []  # what writes its facts when the command ends (``keep_at_exit``)


def keep_at_exit(write) -> None:
    """Have ``write()`` called when the command ends (``flush``): facts learnt during a run,
    such as compiled patterns or fuzzy verdicts, are written once, not as each is learnt."""
    if write not in _at_exit:
        _at_exit.append(write)


def flush() -> None:
    """Write what the run learnt (the command's entry point calls it as it ends)."""
    for write in _at_exit:
        write()


class Kept:
    """A table of facts kept in one file of the cache (marshal): read whole when first asked,
    written whole when the command ends (``flush``) if the run added to it. For facts a run
    needs many of, each cheap to keep and costly to work out again, and that depend only on the
    key, this very code and this very interpreter (compiled code, what a pattern requires): the
    file is named by the interpreter's version and the code's stamp, so that only the facts of
    the running code are ever read. Beyond ``limit`` facts the table starts afresh."""

    def __init__(self, kind: str, limit: int):
        self.kind, self.limit = kind, limit
        self._file: str | None = None
        self._table: dict | None = None

    def _read(self) -> dict:
        if self._table is None:
            self._file = digest(sys.version, code_stamp())
            data = recall_bytes(self.kind, self._file)
            try:
                loaded = marshal.loads(data) if data else {}
            except (EOFError, ValueError, TypeError):
                loaded = None  # a damaged file: the facts are worked out again, and kept anew
            self._table = loaded if isinstance(loaded, dict) else {}
        return self._table

    def get(self, key):
        """The fact kept for ``key``, or ``None``."""
        return self._read().get(key)

    def add(self, key, value) -> None:
        """Keep ``value`` (something marshal can write) for ``key``, for the next runs."""
        table = self._read()
        if len(table) >= self.limit:
            table.clear()
        table[key] = value
        keep_at_exit(self._write)

    def _write(self) -> None:
        remember(self.kind, self._file, marshal.dumps(self._table))


def digest(*parts: str | bytes) -> str:
    """One key from several parts (each part's length is hashed too, so parts cannot run together)."""
    hashed = sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        hashed.update(f"{len(data)}:".encode())
        hashed.update(data)
    return hashed.hexdigest()


def _code_stamps(folder: str, prefix: str = "") -> list[str]:
    """``relative/path.py size:mtime_ns`` for every Python file under ``folder`` (one listing
    and one stat a file: this is done at every start)."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.endswith(".py"):
                stat = entry.stat()
                found.append(f"{prefix}{entry.name} {stat.st_size}:{stat.st_mtime_ns}")
            elif entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__" and not entry.name.startswith("."):
                found += _code_stamps(entry.path, f"{prefix}{entry.name}/")
    return found


@functools.cache
def code_stamp() -> str:
    """The version and the size and time of every Python file of the package: a change of
    the code that checks the data files makes every verdict on them a miss. (Time, not
    content: reading the code would cost what the cache saves. An edit of the same size in
    the same clock tick goes unseen, as in make.)"""
    return digest(__version__, *sorted(_code_stamps(str(PACKAGE))))
