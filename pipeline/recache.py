"""Compiled regular expressions kept between runs, as Python keeps compiled modules.

The rules, registers, conventions and page signs are some three hundred regular expressions.
Compiling them (parsing each pattern and generating its matcher code) is about a third of a
``dispatch check`` on one source in a fresh process, and every run compiles the very same
patterns again. Python's ``re`` caches compiled patterns only within a process; this module
keeps the result of the costly part, the matcher code, in the per-user cache
(``pipeline.usercache``), so that a later process only hands it to the regex engine.

How: :func:`install` wraps ``re._compiler.compile``, the function ``re`` calls on a miss of
its own in-process cache. A pattern string already compiled by an earlier run (same pattern,
same flags, same Python and regex engine) is made from its kept code by ``_sre.compile``,
which validates the code it is given; any other pattern is compiled as Python always does and
its code is kept for the next run. :func:`save` writes what was learnt, whole or not at all.

Nothing changes what a pattern matches: the kept code is exactly what Python's compiler
produced for that pattern and flags. The cache is keyed by the interpreter (``cache_tag``)
and the engine (``_sre.MAGIC``, ``CODESIZE``), and is read only where the interpreter is one
whose ``re`` internals this module knows (CPython 3.11 to 3.13); elsewhere, or when anything
about the file is wrong, the patterns are simply compiled. ``DISPATCH_NO_CACHE`` turns it
off, as it does the rest of the per-user cache.
"""

from __future__ import annotations

import marshal
import re
import sys

from pipeline import usercache

KIND = "regex"
LIMIT = 5000  # patterns kept at most; beyond, the file starts afresh (patterns of data files long changed)

_python_compile = re._compiler.compile if hasattr(re, "_compiler") else None  # Python's own, kept for the tests
_DEBUG = int(re.DEBUG)  # as a plain int: ``flags & re.DEBUG`` calls the enum's own ``&``, dearer than a hit
_kept: dict[tuple[str | bytes, int], tuple] = {}
_learnt = False
_installed = False


def _file_name() -> str:
    import _sre

    return f"{sys.implementation.cache_tag}-{_sre.MAGIC}-{_sre.CODESIZE}-bytes.marshal"  # the code as bytes


def supported() -> bool:
    """Whether this interpreter's ``re`` is one whose compiler this module knows how to wrap
    (and whose code units are C ints, as the kept code is written)."""
    import _sre

    return (sys.implementation.name == "cpython" and (3, 11) <= sys.version_info[:2] <= (3, 13)
            and hasattr(re, "_compiler") and hasattr(re._compiler, "_code")
            and memoryview(bytes(8)).cast("I").itemsize == _sre.CODESIZE)


def install() -> bool:
    """Wrap the regex compiler with the kept code (once per process); ``False`` when the cache
    is off or the interpreter is not one this module knows."""
    global _installed
    if _installed:
        return True
    folder = usercache.cache_dir()
    if folder is None or not supported():
        return False
    try:
        loaded = marshal.loads(usercache.recall_bytes(KIND, _file_name()) or b"")
        if isinstance(loaded, dict):
            _kept.update(loaded)
    except (EOFError, ValueError, TypeError):
        pass  # no file yet, or a damaged one: compile, and write a sound one at the end
    original = _python_compile

    def compile(p, flags=0):  # noqa: A001 - the name of the function it stands in for
        if flags & _DEBUG or not isinstance(p, (str, bytes)):
            return original(p, flags)
        key = (p, flags)
        entry = _kept.get(key)
        if entry is not None:
            try:
                return from_code(p, entry)
            except (RuntimeError, TypeError, ValueError, OverflowError):
                del _kept[key]  # not code this engine accepts: compile it afresh
        entry = _compiled(p, flags)
        _remember(key, entry)
        return from_code(p, entry)

    re._compiler.compile = compile
    _installed = True
    return True


def from_code(pattern, entry: tuple) -> re.Pattern:
    """The compiled pattern of ``entry`` (as ``code_of`` gives it): what ``re._compiler.compile``
    returns for the pattern the code was worked out from (``pattern``: its string, or ``None``
    for one given parsed). The regex engine checks the code it is given."""
    import _sre

    final_flags, code, groups, groupindex, indexgroup = entry
    return _sre.compile(pattern, final_flags, memoryview(code).cast("I").tolist(), groups, groupindex, indexgroup)


def _compiled(pattern, flags: int) -> tuple:
    """What ``re._compiler.compile`` hands to ``_sre.compile`` for a pattern string."""
    return code_of(re._parser.parse(pattern, flags), flags)


def code_of(parsed, flags: int) -> tuple:
    """What ``re._compiler.compile`` hands to ``_sre.compile`` for a parsed pattern (one of
    ``re._parser``), worked out as it does, in a form marshal can keep (see ``from_code``)."""
    import array

    code = re._compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    # the code kept as the bytes of its C ints: a file of lists of ints takes three times as
    # long to read, and a run needs fewer than half of the patterns it holds
    return (int(flags | parsed.state.flags), array.array("I", code).tobytes(), parsed.state.groups - 1,
            groupindex, tuple(indexgroup))


def _remember(key, entry: tuple) -> None:
    global _learnt
    if len(_kept) >= LIMIT:
        _kept.clear()
    _kept[key] = entry
    _learnt = True


def save() -> None:
    """Write the kept code when this run compiled patterns the file did not have (written
    whole or not at all: two runs saving at once leave one whole file)."""
    global _learnt
    if not (_installed and _learnt):
        return
    try:
        data = marshal.dumps(dict(_kept))
    except ValueError:
        return  # not written: compiled again next time
    usercache.remember(KIND, _file_name(), data)
    _learnt = False
