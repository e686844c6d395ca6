"""Speed work must not change a byte of output: the digests of every output of the sample, of
every fixture and of the benchmark corpus (the 1,000 generated sources of ``make bench``),
built by the real command on all cores, against the digests committed in
``tests/fixtures/digests.tsv`` (one line per source and one for the files the whole edition
shares). A changed line names the source whose outputs changed; rebuild it and read the
difference as an editor would before accepting it with ``pytest --force-regen``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from benchmarks.synthetic import generate
from conftest import FIXTURES, ROOT, SOURCES

DISPATCH = Path(sys.executable).parent / "dispatch"
STATE = ".dispatch-state.json"
KEPT = ".dispatch-site"  # what a build keeps for the next (it names the code that made it): not an output


def digests(outputs: Path, ids: set[str]) -> dict[str, str]:
    """One digest per source over all its output files (by their path under ``outputs``), and
    one, under "(edition)", over the files no single source owns."""
    groups: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(p for p in outputs.rglob("*")
                       if p.is_file() and p.name != STATE and p.relative_to(outputs).parts[0] != KEPT):
        stem = path.name.split(".")[0]
        groups[stem if stem in ids else "(edition)"].append(path)
    result = {}
    for name, paths in groups.items():
        hash_ = hashlib.sha256()
        for path in paths:
            hash_.update(path.relative_to(outputs).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        result[name] = hash_.hexdigest()[:24]
    return result


def built(sources: Path, outputs: Path) -> dict[str, str]:
    done = subprocess.run([DISPATCH, "build", "--sources", sources, "--outputs", outputs, "--quiet"],
                          capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    ids = {p.stem for p in sources.iterdir() if p.suffix in (".txt", ".xml")}
    return digests(outputs, ids)


@pytest.mark.slow
def test_outputs_of_sample_fixtures_and_bench_corpus_are_unchanged(tmp_path, file_regression):
    corpus = tmp_path / "bench"
    generate(corpus, 1000)
    lines = []
    for label, sources in (("sample", SOURCES), ("fixtures", FIXTURES), ("bench", corpus)):
        for name, digest in sorted(built(sources, tmp_path / f"out-{label}").items()):
            lines.append(f"{label}\t{name}\t{digest}\n")
    file_regression.check("".join(lines), fullpath=FIXTURES / "digests.tsv")


def test_digests_name_each_source_and_the_shared_files(tmp_path):
    (tmp_path / "xml").mkdir()
    (tmp_path / "html").mkdir()
    (tmp_path / "xml" / "a.xml").write_bytes(b"<a/>")
    (tmp_path / "html" / "a.html").write_bytes(b"<p/>")
    (tmp_path / "html" / "index.html").write_bytes(b"<p/>")
    (tmp_path / STATE).write_bytes(b"{}")
    (tmp_path / KEPT / "entries").mkdir(parents=True)
    (tmp_path / KEPT / "entries" / "a.json").write_bytes(b'{"code": "1"}')
    first = digests(tmp_path, {"a"})
    assert set(first) == {"a", "(edition)"}
    (tmp_path / "html" / "a.html").write_bytes(b"<p>changed</p>")
    assert digests(tmp_path, {"a"})["a"] != first["a"]
    assert digests(tmp_path, {"a"})["(edition)"] == first["(edition)"]
    second = digests(tmp_path, {"a"})
    (tmp_path / KEPT / "entries" / "a.json").write_bytes(b'{"code": "2"}')  # what another code kept
    assert digests(tmp_path, {"a"}) == second
