"""Stage 2, normalize: fixes by rules and registers, every one recorded and reversible."""

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SAMPLE
from pipeline.normalize import normalize
from pipeline.read import read_source


def sample_changes():
    source, _ = read_source(SAMPLE)
    normalized, found = normalize(source.body, source=source)
    return source, normalized, found


def test_sample_changes_follow_the_editorial_reading():
    source, normalized, _ = sample_changes()
    seen = {(c.rule, c.before, c.after) for c in normalized.changes}
    assert ("OCR-II-IL", "II", "Il") in seen
    assert ("REGISTER-FUZZY", "Bulganiin", "Bulganin") in seen
    assert ("REGISTER-FUZZY", "Alexsandre Mansourov", "Alexandre Mansourov") in seen
    assert ("FURNITURE-WEB", "see down ", "") in seen
    assert ("MARKUP-HTML-ITALIC", "<i>", "*") in seen
    joins = [c for c in normalized.changes if c.rule in ("LAYOUT-DASH-CONTINUATION", "LAYOUT-OPEN-PARENTHESIS")]
    assert len(joins) == 2
    assert "Kim Il Sung" in normalized.text and "Bulganin via" in normalized.text
    assert "impossible - only the Chinese" in normalized.text
    assert "inserted and bracketed passages" in normalized.text


def test_what_looks_wrong_but_is_right_stays():
    source, normalized, _ = sample_changes()
    changed = "".join(c.before for c in normalized.changes)
    for kept in ("You", "Your", "cde.", "PHILIPPOV", "five-six", "five-to-six", "platz-d'arme", "8[7]"):
        assert kept in normalized.text
        assert kept not in changed
    assert normalized.text.count("cde.") == source.body.count("cde.")
    assert normalized.text.count(" You ") == source.body.count(" You ")


def test_changes_recompose_the_received_body():
    source, normalized, _ = sample_changes()
    assert normalized.reverse() == source.body


def test_furniture_is_dropped_and_reported_inside_a_line_only():
    from pipeline.stages import process

    source, normalized, found = sample_changes()
    assert "see down" in [c.before.strip() for c in normalized.changes if c.kind == "furniture"]
    assert not [d for d in found if d.code == "N220"]  # the parser reports it, knowing the page
    reported = [(d.code, d.line, d.col) for d in process(SAMPLE).diagnostics if d.code == "N220"]
    assert reported == [("N220", 3, 368)]


def test_furniture_alone_on_its_line_is_dropped_silently(tmp_path):
    from conftest import write_source
    from pipeline.stages import process

    path = write_source(tmp_path, "Skip to content\n\nLetter from Ivanov to Petrov, 2 March 1951\n\n"
                                  "The delegation arrived. Skip to content It left.\n")
    result = process(path)
    assert [(d.code, d.line) for d in result.diagnostics if d.code == "N220"] == [("N220", 5)]
    assert [c.before.strip() for c in result.changes if c.kind == "furniture"] == ["Skip to content"] * 2


def test_suggestion_names_the_candidate(tmp_path):
    from conftest import write_source

    source, _ = read_source(write_source(tmp_path, "The report of Molotav arrived."))
    normalized, found = normalize(source.body, source=source)
    assert "Molotav" in normalized.text
    assert [(d.code, d.line, d.col) for d in found] == [("N212", 1, 15)]
    assert "Molotov" in found[0].message and "molotov" in found[0].message


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_original_offsets_stay_inside_the_body(text):
    normalized, _ = normalize(text)
    for offset in range(len(normalized.text) + 1):
        assert 0 <= normalized.original_offset(offset) <= len(text)
    assert normalized.reverse() == text


def test_made_up_ocr_damage_is_fixed_and_listed():
    """A source with OCR damage of other kinds than the sample's: every fix and suggestion listed."""
    import subprocess
    import sys

    from conftest import ROOT

    listing = subprocess.run([sys.executable, "-m", "pipeline", "normalize", "tests/fixtures/ocr-damage.txt"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()
    expected = [
        'tests/fixtures/ocr-damage.txt:1:1: FURNITURE-WEB "Skip to content" -> ""',
        'tests/fixtures/ocr-damage.txt:8:28: OCR-II-IL "II" -> "Il"',
        'tests/fixtures/ocr-damage.txt:8:68: LAYOUT-HYPHENATION "-\\n" -> ""',
        'tests/fixtures/ocr-damage.txt:9:49: REGISTER-FUZZY "Molotoov" -> "Molotov"',
        'tests/fixtures/ocr-damage.txt:9:68: OCR-ZERO-O "0" -> "o"',
        'tests/fixtures/ocr-damage.txt:9:73: OCR-RUN-TOGETHER "." -> ". "',
        'tests/fixtures/ocr-damage.txt:11:38: MARKUP-HTML-ENTITY-AMP "&amp;" -> "&"',
        'tests/fixtures/ocr-damage.txt:11:62: OCR-DROPPED-R "eceived" -> "received"',
        'tests/fixtures/ocr-damage.txt:11:78: LAYOUT-MULTIPLE-SPACES "  " -> " "',
    ]
    for line in expected:
        assert line in listing
    suggestion = [line for line in listing if ": N212 " in line]
    assert suggestion == ["tests/fixtures/ocr-damage.txt:12:15: N212 'Grornyko' looks like the register name "
                          "'Gromyko' (person 'gromyko', score 80)"]


# -- the printed page: running heads and page numbers -------------------------------------------
PAGE = "We report that the talks on the railway went on all week and that both sides were ready. " * 9


def _heads(text):
    from pipeline.normalize import running_head_lines

    lines = text.split("\n")
    return {lines[i]: kind for i, kind in running_head_lines(text).items()}


def test_a_short_line_back_with_other_page_numbers_is_a_running_head():
    text = f"{PAGE}\n\nKATHRYN WEATHERSBY 12\n\n{PAGE}\n\n13 KATHRYN WEATHERSBY\n\n{PAGE}"
    assert _heads(text) == {"KATHRYN WEATHERSBY 12": "header", "13 KATHRYN WEATHERSBY": "header"}


def test_lines_that_come_back_are_not_running_heads_by_themselves():
    # speaker labels, dates, classifications, lines close together: no page between them
    speech = "MAO ZEDONG\n\nWe agree with the proposal of the Soviet comrades.\n\n"
    assert _heads(speech * 4) == {}
    assert _heads(f"14 August 1969\n\n{PAGE}\n\n1 August 1969\n\n{PAGE}") == {}
    assert _heads(f"TOP SECRET\n\n{PAGE}\n\nTOP SECRET\n\n{PAGE}") == {}
    assert _heads("two hundred tons of fuel\n" * 40) == {}


def test_page_numbers_alone_go_with_running_heads_or_in_order():
    text = f"{PAGE}\n\n42\n\nCWIHP BULLETIN 6-7\n\n{PAGE}"
    assert _heads(text) == {"42": "pageNum", "CWIHP BULLETIN 6-7": "header"}
    list_numbers = f"{PAGE}\n\n1\n\n{PAGE}"
    assert _heads(list_numbers) == {}


def test_a_running_head_across_a_hyphenated_word_is_one_reversible_change():
    body = f"{PAGE}the rail-\n\nCOLD WAR INTERNATIONAL HISTORY PROJECT BULLETIN 43\n\nway was ready."
    normalized, _ = normalize(body)
    assert "the railway was ready." in normalized.text and "BULLETIN" not in normalized.text
    assert [c.kind for c in normalized.changes if c.rule == "LAYOUT-RUNNING-HEAD"] == ["forme"]
    assert normalized.reverse() == body


COLUMN_PIECES = ["the", "of", "ba", "sic", "It", "The", "We", "appre", "USSR", "put", "Attachment", "- ", " ", "-",
                 "'", "’", "a", "In", "ab", "Xy", "x", "\n", "9"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(COLUMN_PIECES), max_size=40))
def test_the_anchors_of_the_column_signs_find_what_a_full_scan_finds(pieces):
    """page.toml's anchors only say where a sign's match may begin: with or without them the
    signs of interleaved columns are the same."""
    from pipeline.page import default_page_data, interleaved_columns
    from pipeline.records import replace

    data = default_page_data()
    assert any(data.column_anchors)
    plain = replace(data, column_anchors=(None,) * len(data.column_signs))
    for text in ("".join(pieces), " ".join(pieces), SAMPLE.read_text(encoding="utf-8")):
        assert interleaved_columns(text, data) == interleaved_columns(text, plain)


# -- the near misses kept between runs (registers.Register._kept_near) -------------------------
TOKENS = ["Bulganiin", "Alexsandre Mansourov", "Molotoff", "Stalln", "Zhou Enlal", "Peking", "Wednesday",
          "Chairman", "Kim Il Sunq", "Moscou", "Vyshinskii", "Panyushkin", "Roshchlin", "Gromyko"]


def fresh_register(path=None):
    from pipeline.registers import load_register

    register, found = load_register(path)
    assert not found
    return register


def test_kept_near_misses_are_what_the_matcher_finds_and_spare_it(tmp_path, monkeypatch):
    from pipeline import usercache
    from pipeline.datafiles import PACKAGE_DATA
    from pipeline.registers import NEAR_MISSES, Register

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(usercache, "_at_exit", [])
    first = fresh_register()
    worked_out = [first.near_miss(token) for token in TOKENS]
    assert any(worked_out) and None in worked_out  # near misses and tokens that are none
    usercache.flush()
    assert len(list((tmp_path / "cache" / "dispatch" / NEAR_MISSES).iterdir())) == 1

    def no_matcher(self, token):
        raise AssertionError(f"the matcher ran for {token!r}")

    with monkeypatch.context() as patched:
        patched.setattr(Register, "_near_miss", no_matcher)
        again = fresh_register()
        assert [again.near_miss(token) for token in TOKENS] == worked_out  # entries, forms, scores, runner-ups

    # other forms are another key: worked out afresh; a damaged entry too
    data = tmp_path / "registers.toml"
    data.write_text((PACKAGE_DATA / "registers.toml").read_text(encoding="utf-8").replace(
        'variants = ["Bulganin", ', 'variants = ["Bulganine", "Bulganin", ', 1), encoding="utf-8")
    other = fresh_register(data)
    assert other.forms != first.forms
    calls = []
    monkeypatch.setattr(Register, "_near_miss", lambda self, token: calls.append(token))
    other.near_miss("Bulganiin")
    for entry in (tmp_path / "cache" / "dispatch" / NEAR_MISSES).iterdir():
        entry.write_bytes(b"\x00damaged")
    fresh_register().near_miss("Molotoff")
    assert calls == ["Bulganiin", "Molotoff"]


def test_a_second_check_of_a_source_does_not_load_the_fuzzy_matcher(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DISPATCH_NO_CACHE"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    runs = [subprocess.run([sys.executable, "-X", "importtime", "-m", "pipeline", "check", "-v", SAMPLE],
                           capture_output=True, text=True, env=env, timeout=300) for _ in range(2)]
    assert runs[0].returncode == runs[1].returncode == 0 and runs[0].stdout == runs[1].stdout
    assert " rapidfuzz\n" in runs[0].stderr and " rapidfuzz\n" not in runs[1].stderr


def test_spaced_capitals_found_alike_with_the_marks_of_the_text():
    """``_spaced_capitals`` given the text's marks (``Present``) finds what it finds without."""
    import random

    from pipeline.normalize import _spaced_capitals
    from pipeline.registers import default_register
    from pipeline.rules import Present

    chance = random.Random(7)
    for _ in range(3_000):
        text = "".join(chance.choice(["A", "B", " ", "  ", "x", "\n", "U S S R", "\u00c9"])
                       for _ in range(chance.randint(0, 14)))
        assert (list(_spaced_capitals(text, default_register(), Present(text)))
                == list(_spaced_capitals(text, default_register())))
