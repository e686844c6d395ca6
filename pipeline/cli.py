"""The ``dispatch`` command's entry point.

The commands, their options and their help are the typer application of ``pipeline.app``.
One command is served here first: ``dispatch check`` with plain arguments (paths, and any of
``--strict``, ``--format FORMAT``, ``--verbose``/``-v``), the command a pre-commit hook or an
editor's save hook runs again and again, where start-up is most of the wait. Loading typer
and its click is a fifth of such a check, and its parse of these few arguments is the same as
the one below (a test compares them over many argument lists). Anything else (``--help``, an
option this parse does not know, a repeated one, a format that is not one of ``FORMATS``, no
path at all) goes to typer, which parses and reports it as for every other command.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pipeline import recache

FORMATS = ("text", "json", "github")  # how check prints its findings (text: path:line:col: CODE message)
COMPLETION = "_DISPATCH_COMPLETE"  # typer's shell completion, asked for through the environment


def check_arguments(args: list[str]) -> tuple[list[Path], bool, str, bool] | None:
    """The paths, ``--strict``, ``--format`` and ``--verbose`` of ``dispatch check ARGS``
    when the arguments are in the plain form this parse knows; ``None`` for typer to parse."""
    paths: list[Path] = []
    options: dict[str, object] = {}
    rest = iter(args)
    for arg in rest:
        if arg == "--strict":
            name, value = "strict", True
        elif arg in ("--verbose", "-v"):
            name, value = "verbose", True
        elif arg == "--format" or arg.startswith("--format="):
            name, value = "format", arg.partition("=")[2] if "=" in arg else next(rest, None)
            if value not in FORMATS:
                return None
        elif arg.startswith("-"):
            return None
        else:
            paths.append(Path(arg))
            continue
        if name in options:
            return None
        options[name] = value
    if not paths:
        return None
    return paths, bool(options.get("strict")), str(options.get("format", "text")), bool(options.get("verbose"))


def serve_check(paths: list[Path], *, strict: bool, fmt: str, verbose: bool) -> int:
    """``dispatch check``: every stage up to validation, nothing written; the exit code."""
    from pipeline.commands import run_check

    missing = [p for p in paths if not p.exists()]
    if missing:
        sys.stderr.write(f"dispatch: no such file or folder: {missing[0]}\n")
        return 2
    return run_check(paths, strict=strict, fmt=fmt, verbose=verbose)


def _quiet_broken_pipe() -> None:
    """Output piped into a reader that stopped (``dispatch check | head``): the rest goes nowhere,
    as typer's click does it, instead of a traceback at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main() -> None:
    """Entry point of the ``dispatch`` console script."""
    recache.install()  # before anything compiles a pattern: typer's own are kept too
    try:
        args = sys.argv[1:]
        plain = check_arguments(args[1:]) if args[:1] == ["check"] and COMPLETION not in os.environ else None
        if plain is None:
            from pipeline.app import app

            app()
        else:
            paths, strict, fmt, verbose = plain
            try:
                code = serve_check(paths, strict=strict, fmt=fmt, verbose=verbose)
                sys.stdout.flush()
            except BrokenPipeError:
                _quiet_broken_pipe()
                code = 1
            sys.exit(code)
    except KeyboardInterrupt:
        sys.stderr.write("dispatch: interrupted\n")
        sys.exit(130)
    finally:
        recache.save()  # the patterns this run compiled first, for the next run
