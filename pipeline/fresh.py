"""``python -m pipeline.fresh``: fail when ``outputs/`` is not what a build would write.

Builds every source into a temporary folder and compares it with the committed outputs,
byte for byte; prints each stale, missing or extra file. Every file of each output folder is
compared, the web edition's shared pages (index, persons, places, search index) included.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path

from pipeline.commands import OPTIONAL_OUTPUTS, OUTPUT_FOLDERS, broken_data, run_build


def stale_files(sources: Path, outputs: Path) -> list[str]:
    """The outputs that differ from a fresh build, as 'stale: path' lines."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch)
        with contextlib.redirect_stdout(io.StringIO()):
            run_build(sources, fresh, jobs=1, force=True, quiet=True)
        problems = []
        for folder in [*OUTPUT_FOLDERS, *OPTIONAL_OUTPUTS]:
            expected = _files(fresh / folder)
            present = _files(outputs / folder)
            for name in sorted(expected.keys() | present.keys()):
                if name not in present:
                    problems.append(f"missing: {outputs / folder / name}")
                elif name not in expected:
                    problems.append(f"extra: {outputs / folder / name}")
                elif expected[name].read_bytes() != present[name].read_bytes():
                    problems.append(f"stale: {outputs / folder / name}")
        return problems


def _files(folder: Path) -> dict[str, Path]:
    """The files of an output folder (hidden ones, such as temporary files, aside)."""
    if not folder.is_dir():
        return {}
    return {p.name: p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, default=Path("sources"))
    parser.add_argument("--outputs", type=Path, default=Path("outputs"))
    args = parser.parse_args(argv)
    if broken_data(what="compared"):
        return 1
    problems = stale_files(args.sources, args.outputs)
    for line in problems:
        print(line)
    if problems:
        print(f"outputs/ is not up to date ({len(problems)} files): run 'make all' and commit the result")
        return 1
    print("outputs/ is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
