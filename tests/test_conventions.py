"""conventions.toml: checked on loading (D findings at file:line), compiled once, and its
header comment says what exists."""

import re
import shutil

import pytest

from pipeline import inline
from pipeline.conventions import (TUNING, Conventions, default_conventions, known_checks, known_kinds,
                                  load_conventions)
from pipeline.datafiles import PACKAGE_DATA

CONVENTIONS = PACKAGE_DATA / "conventions.toml"


def copy_with(tmp_path, old: str, new: str):
    """A copy of the package's conventions.toml with one change; the line it is on."""
    text = CONVENTIONS.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "conventions.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path, text[: text.index(old)].count("\n") + 1


def located(found):
    return [(d.code, d.line) for d in found]


def test_the_package_conventions_load_clean():
    conventions, found = load_conventions()
    assert found == []
    assert set(conventions.tunings) == set(TUNING)
    assert {b.kind for b in conventions.brackets} <= known_kinds()
    assert {b.check for b in conventions.brackets if b.check} <= known_checks()


def test_patterns_are_compiled_once_in_the_object():
    conventions = default_conventions()
    assert isinstance(conventions, Conventions)
    assert conventions.pattern("title") is conventions.pattern("title")
    assert isinstance(conventions.salute, re.Pattern)
    assert conventions.salute.match("Respectfully yours, Stalin").group() == "Respectfully yours,"
    import pipeline.conventions as module

    assert not hasattr(module, "_COMPILED")


def test_the_checks_come_from_the_code():
    assert known_checks() == frozenset(inline.CHECKS)


@pytest.mark.parametrize("old, new, code", [
    ('check = "attached-to-digits"', 'check = "attached-to-digit"', "D609"),
    ('kind = "supplied-date"', 'kind = "supplied-dates"', "D610"),
    ("content = '^[0-9]{1,4}$'", "content = '^[0-9]{1,4}($'", "D607"),
    ('italics = "new"', 'italics = "neu"', "D611"),
    ('reason = "elided"', 'reasons = "elided"', "D608"),
    ("speaker = '^(?P<speaker>", "speaker = '^(?P<who>", "D612"),
    ("max_findings_per_code = 50", "max_findings_per_code = -1", "D613"),
    ("signature_max_words = 5", "signature_max_words = 5.5", "D613"),
])
def test_a_typo_is_a_finding_at_its_line(tmp_path, old, new, code):
    path, line = copy_with(tmp_path, old, new)
    _, found = load_conventions(path)
    assert located(found) == [(code, line)], [d.format() for d in found]
    assert all(d.path == str(path) for d in found)


def test_a_missing_pattern_or_tuning_value(tmp_path):
    path, line = copy_with(tmp_path, "speech_min_words = 3\n", "")
    text = re.sub(r"(?m)^postscript = .*\n", "", path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    _, found = load_conventions(path)
    tuning = text[: text.index("[tuning]\n")].count("\n") + 1
    structure = text[: text.index("[structure]\n")].count("\n") + 1
    assert sorted(located(found)) == sorted([("D612", structure), ("D612", tuning)])
    assert {d.message for d in found} == {"[structure] has no pattern postscript", "[tuning] has no speech_min_words"}


def test_not_toml_and_not_a_file(tmp_path):
    path, line = copy_with(tmp_path, "[tuning]\n", "[tuning\n")
    assert located(load_conventions(path)[1]) == [("D601", line)]
    assert located(load_conventions(tmp_path / "missing.toml")[1]) == [("D600", 1)]


def test_the_header_comment_lists_the_checks_that_exist():
    text = CONVENTIONS.read_text(encoding="utf-8")
    listed = re.search(r"#   checks:\s*(.*?)\n(?!#\s{10,})", text, re.S).group(1)
    names = {n.strip() for n in re.sub(r"\n#\s+", " ", listed).split(",")}
    assert names == set(inline.CHECKS)
    for gone in ("previous", "at-block-start"):
        assert gone not in text


def test_data_dir_points_every_loader_elsewhere(tmp_path, monkeypatch):
    from pipeline.datafiles import data_path

    shutil.copytree(PACKAGE_DATA, tmp_path / "data")
    monkeypatch.setenv("DISPATCH_DATA_DIR", str(tmp_path / "data"))
    assert data_path("conventions.toml") == tmp_path / "data" / "conventions.toml"
    assert load_conventions()[1] == []


def test_a_file_found_clean_before_is_trusted_and_compiled_on_first_use():
    from pipeline.conventions import _Checker, _conventions

    checked, found = load_conventions()
    assert found == []
    text = CONVENTIONS.read_text(encoding="utf-8")
    import tomllib

    trusted, found = _conventions(_Checker(str(CONVENTIONS), text, trusting=True), tomllib.loads(text))
    assert found == []
    assert dict(trusted.patterns) == {}  # nothing compiled yet
    assert trusted.patterns.sources == checked.patterns.sources
    assert trusted.declarations == checked.declarations and trusted.brackets == checked.brackets
    assert (trusted.furniture_sources, trusted.kind_sources, trusted.list_sources, trusted.salutes, trusted.tunings) \
        == (checked.furniture_sources, checked.kind_sources, checked.list_sources, checked.salutes, checked.tunings)
    assert trusted.pattern("title").pattern == checked.pattern("title").pattern
    assert trusted.document_kind("Telegram from Stalin to Mao") == checked.document_kind("Telegram from Stalin to Mao")
    assert list(trusted.patterns) == ["title", "title_subject"]
    assert trusted.salute.pattern == checked.salute.pattern


def test_a_bad_pattern_is_still_reported_with_the_cache(tmp_path, monkeypatch):
    from pipeline.conventions import load_default_conventions

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path, line = copy_with(tmp_path, "content = '^[0-9]{1,4}$'", "content = '^[0-9]{1,4}($'")
    monkeypatch.setenv("DISPATCH_DATA_DIR", str(tmp_path))
    load_default_conventions.cache_clear()
    try:
        assert located(load_default_conventions()[1]) == [("D607", line)]
    finally:
        load_default_conventions.cache_clear()


def test_furniture_kind_is_the_first_furniture_pattern_that_matches():
    """The tests that skip a pattern (a line's first character, the strings its matches hold)
    leave out only patterns that cannot match: random lines built from furniture's pieces, and
    the lines of the sources, get the kind of the first pattern that matches the stripped line."""
    import random
    from pathlib import Path

    conventions = default_conventions()

    def first_matching(line):
        line = line.strip()
        return next((kind for kind, pattern in conventions.furniture if pattern.match(line)), None)

    pieces = ["...", "\u2026", ".", "....", " ", "  ", "Sent", "Received", "12.", "5", "No.", "Copy", "SECRET",
              "Telegram", "To", "#", "12:30", "Distribution:", "a", "word", "Chapter I", "\n", "\t", "-", "(", ")"]
    rng = random.Random(7)
    lines = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(5000)]
    root = Path(__file__).parent
    for path in sorted((root / "fixtures").glob("*.txt")) + sorted((root.parent / "sources").glob("*.txt")):
        lines.extend(path.read_text(encoding="utf-8").splitlines())
    assert any(first_matching(line) == "leaders" for line in lines)
    for line in lines:
        assert conventions.furniture_kind(line) == first_matching(line), line
