"""The ``dispatch`` command's entry point.

The commands, their options and their help are the typer application of ``pipeline.app``.
Two commands are served here first, when their arguments are plain: ``dispatch check`` (a
pre-commit hook or an editor's save hook runs it again and again) and ``dispatch build``
(``make all``, mostly a rebuild that finds little or nothing to do). For both, start-up is
most of the wait, and loading typer and its click is a fifth of it; their parse of these few
arguments is the one below (a test compares the two over many argument lists). Anything else
(``--help``, an option this parse does not know, a repeated one, a value it is not sure of,
another command) goes to typer, which parses and reports it as for every command. A plain
check or build also ends its process as soon as its output is flushed and what it learnt is
kept in the per-user cache (``_leave``), without the interpreter's shutdown.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

from pipeline import recache

# allocations between two collections of the collector's young generation (Python's: 700); a
# build settles its own after its first source (commands._settle_collector)
YOUNG_GENERATION = 50_000

FORMATS = ("text", "json", "github")  # how check prints its findings (text: path:line:col: CODE message)
COMPLETION = "_DISPATCH_COMPLETE"  # typer's shell completion, asked for through the environment


def _format(value: str) -> str | None:
    return value if value in FORMATS else None


def _count(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() else None


def _folder(value: str) -> Path | None:
    return Path(value) if value and not value.startswith("-") else None


# per command: its flags, its options with a value (and how the value is read; None when this
# parse is not sure of it), whether it takes paths, and its defaults (as in pipeline.app)
PLAIN = {
    "check": ({"--strict": "strict", "--verbose": "verbose", "-v": "verbose"},
              {"--format": ("fmt", _format)},
              True,
              {"strict": False, "fmt": "text", "verbose": False}),
    "build": ({"--force": "force", "--quiet": "quiet", "-q": "quiet"},
              {"--sources": ("sources", _folder), "--outputs": ("outputs", _folder),
               "--jobs": ("jobs", _count), "-j": ("jobs", _count)},
              False,
              {"sources": Path("sources"), "outputs": Path("outputs"), "jobs": 0, "force": False, "quiet": False}),
}


def plain_arguments(command: str, args: list[str]) -> dict | None:
    """The arguments of ``dispatch COMMAND ARGS`` as keywords of its ``serve_`` function when
    they are in the plain form this parse knows (``paths`` for a command that takes paths);
    ``None`` for typer to parse."""
    if command not in PLAIN:
        return None
    flags, valued, takes_paths, defaults = PLAIN[command]
    given: dict[str, object] = {}
    paths: list[Path] = []
    rest = iter(args)
    for arg in rest:
        if arg in flags:
            name, value = flags[arg], True
        elif arg.partition("=")[0] in valued and (arg.startswith("--") or "=" not in arg):
            option, equals, attached = arg.partition("=")
            name, read = valued[option]
            raw = attached if equals else next(rest, None)
            value = read(raw) if raw is not None else None
            if value is None:
                return None
        elif arg.startswith("-") or not takes_paths:
            return None
        else:
            paths.append(Path(arg))
            continue
        if name in given:
            return None
        given[name] = value
    if takes_paths:
        if not paths:
            return None
        given["paths"] = paths
    return {**defaults, **given}


def serve_check(paths: list[Path], *, strict: bool, fmt: str, verbose: bool) -> int:
    """``dispatch check``: every stage up to validation, nothing written; the exit code."""
    from pipeline.commands import run_check

    missing = [p for p in paths if not p.exists()]
    if missing:
        sys.stderr.write(f"dispatch: no such file or folder: {missing[0]}\n")
        return 2
    return run_check(paths, strict=strict, fmt=fmt, verbose=verbose)


def serve_build(*, sources: Path, outputs: Path, jobs: int, force: bool, quiet: bool) -> int:
    """``dispatch build``: every source that changed into outputs/; the exit code."""
    from pipeline.commands import run_build

    if not sources.is_dir():
        sys.stderr.write(f"dispatch: no sources folder at '{sources}'\n")
        return 2
    return run_build(sources, outputs, jobs=jobs or (os.cpu_count() or 1), force=force, quiet=quiet)


SERVE = {"check": serve_check, "build": serve_build}


def _quiet_broken_pipe() -> None:
    """Output piped into a reader that stopped (``dispatch check | head``): the rest goes nowhere,
    as typer's click does it, instead of a traceback at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _keep_what_was_learnt() -> None:
    recache.save()  # the patterns this run compiled first, for the next run
    from pipeline import usercache

    usercache.flush()  # and the other facts it learnt (the fuzzy register verdicts)


def _leave(code: int) -> None:
    """End a plain check or build that has done all it had to: what it learnt kept, its output
    flushed, then the process ends at once. The interpreter's own shutdown (collecting and
    tearing down every module, table and tree of the run) would add a tenth to a check."""
    _keep_what_was_learnt()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()
        code = 1
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    """Entry point of the ``dispatch`` console script."""
    # Nearly all that a command allocates as it starts (modules, data tables, patterns) lives
    # until it ends: collected every 700 allocations, a check of one source ran 38 collections
    # (10 ms) that found nothing to free.
    gc.set_threshold(YOUNG_GENERATION, 10, 10)
    recache.install()  # before anything compiles a pattern: typer's own are kept too
    command, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    plain = plain_arguments(command, args) if COMPLETION not in os.environ else None
    try:
        if plain is None:
            try:
                from pipeline.app import app

                app()
            finally:
                _keep_what_was_learnt()
            return
        try:
            code = SERVE[command](**plain)
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_broken_pipe()
            code = 1
    except KeyboardInterrupt:
        sys.stderr.write("dispatch: interrupted\n")
        sys.exit(130)
    _leave(code)
