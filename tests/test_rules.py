"""The rule table: every example runs, and a broken table is a located finding."""

import re

import pytest

from conftest import SAMPLE
from pipeline.normalize import apply_rule
from pipeline.registers import load_register
from pipeline.rules import default_rules, load_rules

RULES = default_rules().rules


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_every_rule_example(rule):
    assert rule.examples, f"{rule.id} has no example"
    for given, expected in rule.examples:
        assert apply_rule(rule, given) == expected


def test_default_table_loads_clean():
    table, found = load_rules()
    assert found == []
    assert len({r.id for r in table.rules}) == len(table.rules)


def test_bad_pattern_and_duplicate_id_are_located(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[rule]]\nid = "A-ONE"\nkind = "ocr"\npattern = "(unclosed"\nreplacement = "x"\n'
        'message = "m"\nexamples = [{ input = "a", output = "a" }]\n\n'
        '[[rule]]\nid = "B-TWO"\nkind = "ocr"\nliteral = "b"\nreplacement = "c"\n'
        'message = "m"\nexamples = [{ input = "b", output = "c" }]\n\n'
        '[[rule]]\nid = "B-TWO"\nkind = "ocr"\nliteral = "d"\nreplacement = "e"\n'
        'message = "m"\nexamples = [{ input = "d", output = "e" }]\n',
        encoding="utf-8")
    table, found = load_rules(path)
    assert [(d.code, d.line) for d in found] == [("D607", 2), ("D603", 18)]
    assert [r.id for r in table.rules] == ["B-TWO"]


def test_rule_without_example_or_with_bad_kind(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[[rule]]\nid = "C-X"\nkind = "ocr"\nliteral = "b"\nmessage = "m"\n\n'
                    '[[rule]]\nid = "D-X"\nkind = "magic"\nliteral = "b"\nmessage = "m"\n'
                    'examples = [{ input = "b", output = "b" }]\n', encoding="utf-8")
    _, found = load_rules(path)
    assert [d.code for d in found] == ["D606", "D605"]


def test_rules_file_that_is_not_toml(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[[rule]\nid = "x"\n', encoding="utf-8")
    _, found = load_rules(path)
    assert found[0].code == "D601" and found[0].line == 1


def test_register_lists_every_entity_of_the_sample():
    register, found = load_register()
    assert found == []
    names = ["Joseph Stalin", "Mao Zedong", "Kim Il Sung", "Zhou Enlai", "Lin Biao", "Nikolai Bulganin",
             "Chiang Kai-shek", "Kathryn Weathersby", "Alexandre Mansourov", "Korea", "China",
             "USA", "Japan", "Taiwan", "Beijing", "England", "Germany", "38th parallel",
             "Chinese Communist Party", "UN", "Security Council",
             "Central People's Government of China", "USSR", "CWIHP"]
    for name in names:
        assert register.lookup(name) is not None, name
    assert register.lookup("PHILIPPOV").id == "stalin"
    assert register.lookup("Jiang Jieshi").id == "chiang-kai-shek"


def test_register_duplicate_id(tmp_path):
    path = tmp_path / "registers.toml"
    path.write_text('[[person]]\nid = "a"\nname = "A"\n\n[[place]]\nid = "a"\nname = "B"\n', encoding="utf-8")
    register, found = load_register(path)
    assert [(d.code, d.line) for d in found] == [("D603", 2)]


@pytest.mark.parametrize("pattern, groups", [
    (r"II", (("II",),)),
    (r"&(?:quot|#34|#x22);", (("&#34;", "&#x22;", "&quot;"),)),
    (r"[ \t]{2,}|\t", (("\t", "  "),)),
    (r"(?:Digital Archive\s+)?digitalarchive\.", (("digitalarchive.",),)),
    (r"ab?c", (("a",), ("c",))),
    (r"x(?=yz)", (("x",), ("yz",))),
    (r"(?i)abc", ()),
    (r"\d{1,2}", ()),
])
def test_required_strings_of_a_pattern(pattern, groups):
    from pipeline.rules import required_strings

    assert required_strings(re.compile(pattern)) == groups


@pytest.mark.parametrize("pattern", [r"\d{1,2}(?![\w\[])", r"[ \t]+(?=\n|\Z)", r"(?P<t>a{2,3}?)b", r"x+", r"\s*y",
                                     r"(?P<t>[ \t]*\n[ \t]*\n\s*)(?=-)", r"(?P<t>[ab]{0,3})c", r"[a-c]*[c-d]"])
def test_fast_scanner_finds_what_the_pattern_finds(pattern):
    from pipeline.rules import fast_scanner

    text = "GROMYKO3 and 12 of 123  \nxx aab aaab aaaab  y \t\n x"
    compiled = re.compile(pattern)
    scanner = fast_scanner(compiled)
    assert [m.span() for m in scanner.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert scanner.groupindex == compiled.groupindex


@pytest.mark.parametrize("pattern", [r"(?P<t>[ \t]*\n[ \t]*\n\s*)(?=[-x]+\s+[a-z])", r"[ \t]*\n",
                                     r"[ab]{0,3}c", r"(?P<t>a*b)x?"])
def test_fast_scanner_of_an_optional_run_matches_as_the_pattern_on_random_texts(pattern):
    import random

    from pipeline.rules import fast_scanner

    compiled = re.compile(pattern)
    scanner = fast_scanner(compiled)
    assert scanner is not compiled  # the case it rewrites
    chance = random.Random(16)
    for _ in range(20_000):
        text = "".join(chance.choice(" \t\n-abcx") for _ in range(chance.randint(0, 16)))
        assert [(m.span(), m.groups()) for m in scanner.finditer(text)] == \
            [(m.span(), m.groups()) for m in compiled.finditer(text)], text


def random_texts(alphabet: str, longest: int, count: int = 20_000):
    """``count`` texts of the alphabet's characters, of 0 to ``longest``, the same at every run."""
    import random

    chance = random.Random(16)
    for _ in range(count):
        yield "".join(chance.choice(alphabet) for _ in range(chance.randint(0, longest)))


@pytest.mark.parametrize("pattern", [r"(?P<t>[ \t]*\n[ \t]*\n\s*)(?=[-x]+\s+[a-z])", r"[ \t]*\n", r"(?P<t>a*b)x?",
                                     r"(?P<t>[ \t]+)(?=\n|\Z)", r"a{2,3}b", r"[ab]{0,3}c", r"a+(?=b|\Z)",
                                     r"[ \t]*\r?\n[ \t]*\r?\n\s*", r"(?P<t>[ \t]{0,2}\r?\n)", r"a+b?c"])
def test_anchored_scan_matches_as_the_pattern_on_random_texts(pattern):
    from pipeline.rules import anchored_finditer

    compiled = re.compile(pattern)
    finditer = anchored_finditer(compiled)
    assert finditer is not None  # the case it scans by anchors
    for text in random_texts(" \t\r\n-abcx", 16):
        assert [(m.span(), m.groups()) for m in finditer(text)] == \
            [(m.span(), m.groups()) for m in compiled.finditer(text)], text


@pytest.mark.parametrize("pattern", [r"\d{1,2}", r"[ \t]*(?=x)", r"[ab]*[bc]", r"\s*\n", r"(?i)a*b", r"[ \t]+(?=\n|)",
                                     r"[ \t]*\t?\n", r"[ \t]*\r?[\n ]", r"[ \t]*\r?", r"[ \t]*\r??\n"])
def test_no_anchored_scan_where_it_could_differ(pattern):
    from pipeline.rules import anchored_finditer

    assert anchored_finditer(re.compile(pattern)) is None


@pytest.mark.parametrize("pattern", [r"(?<![\w.])(?:(?P<h>[01]?\d|2[0-3])[.:](?P<m>[0-5]\d)|(?<=at )(?P<h2>\d)x)",
                                     r"a?b*c", r"(?:ab|c?d)+e", r"(?:a|)b", r"(?<![a1])(?:b|1)", r"(?<!ab)c",
                                     r"(?<!\S)\.(?: \.){2,}(?!\S)", r"(?i)ab"])
def test_first_character_finds_where_every_match_begins_on_random_texts(pattern):
    from pipeline.rules import first_character, matches_at

    compiled = re.compile(pattern)
    first = first_character(compiled)
    assert first is not None
    for text in random_texts("abcdexAB12.: ", 14):
        starts = (m.start() for m in first.finditer(text))
        assert [m.span() for m in matches_at(compiled, text, starts)] == [m.span() for m in compiled.finditer(text)]


@pytest.mark.parametrize("pattern", [r"x*", r"(?<!a)b?c?", r"[^a]b", r"(?:a|b*)?c?"])
def test_no_first_character_where_a_match_may_begin_anywhere(pattern):
    from pipeline.rules import first_character

    assert first_character(re.compile(pattern)) is None


def test_every_rule_scans_and_prefilters_like_its_pattern():
    text = SAMPLE.read_text(encoding="utf-8")
    for rule in RULES:
        if rule.regex is None:
            continue
        found = [m.span() for m in rule.regex.finditer(text)]
        assert [m.span() for m in rule.scanner.finditer(text)] == found
        assert [m.span() for m in rule.finditer(text)] == found
        assert rule.may_match(text) or not found


@pytest.mark.parametrize("pattern", [r"(?:\b[A-Z][a-z]+ )\Z", r"(?:[a-z]{2,})\Z", r"(?:\S)\Z", r"(?:\b[A-Z]{3,})\Z",
                                     r"(?i)ab\Z", r"(?:x|y[0-9]+)\Z", r"(?:(?<![\w\-])[A-Za-z]?[a-z]{2,})\Z"])
def test_last_character_of_a_context_holds_the_last_character_of_every_match(pattern):
    import random

    from pipeline.rules import last_character

    compiled = re.compile(pattern)
    last = last_character(compiled)
    assert last is not None
    chance = random.Random(16)
    for _ in range(5_000):
        text = "".join(chance.choice("aAbBxyz09 \n-") for _ in range(chance.randint(1, 10)))
        for end in range(1, len(text) + 1):
            if compiled.search(text, 0, end):
                assert last.match(text, end - 1), (text, end)


@pytest.mark.parametrize("pattern", [r"(?i:ab)\Z", r"(?:a|b?)\Z", r"[^a]\Z", r"a.\Z", r"(?<!\w)\Z"])
def test_last_character_unknown_gives_no_test(pattern):
    from pipeline.rules import last_character

    assert last_character(re.compile(pattern)) is None


READ_PATTERNS = [r"\d{1,2}(?![\w\[])", r"[ \t]+(?=\n|\Z)", r"(?P<t>[ \t]*\n[ \t]*\n\s*)(?=-)", r"(?:x|y[0-9]+)\Z",
                 r"(?<![\w.])(?P<h>[01]?\d)[.:](?P<m>[0-5]\d)", r"&(?:quot|#34);", r"(?i)ab", r"x*"]
READERS = ("_scanner", "_anchored_run", "_first_character", "_last_character", "_required_strings")


def read_patterns() -> list[tuple]:
    """Everything the rules module reads from each of ``READ_PATTERNS``."""
    from pipeline import rules

    return [(rules.fast_scanner(p), rules.anchored_finditer(p) is not None, rules._reading("anchors", p, None),
             rules.first_character(p), rules.last_character(p), rules.required_strings(p))
            for p in map(re.compile, READ_PATTERNS)]


@pytest.mark.skipif(not __import__("pipeline.recache").recache.supported(),
                    reason="an interpreter whose re internals recache does not know: compiled every time")
def test_what_is_read_from_a_pattern_is_kept_and_read_back_the_same(tmp_path, monkeypatch):
    from pipeline import rules, usercache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(usercache, "_at_exit", [])
    kept = tmp_path / "dispatch" / "pattern-readings"

    def fresh_process() -> None:
        monkeypatch.setattr(rules, "_kept_readings", usercache.Kept("pattern-readings", 100))

    fresh_process()
    worked_out = read_patterns()
    scanners, anchored, _, firsts, lasts, required = zip(*worked_out)
    # each reading has patterns it makes something of, and patterns it makes nothing of
    assert {s is p for s, p in zip(scanners, map(re.compile, READ_PATTERNS))} == {True, False}
    assert set(anchored) == {True, False} and None in firsts and None in lasts and () in required
    assert any(firsts) and any(lasts) and any(required)
    usercache.flush()
    [path] = kept.iterdir()

    calls = []
    fresh_process()
    with monkeypatch.context() as patched:
        for reader in READERS:
            patched.setattr(rules, reader, lambda pattern, reader=reader: calls.append(reader))
        assert read_patterns() == worked_out  # the same patterns (flags and code), strings and scans
    assert calls == []

    path.write_bytes(b"\x00damaged")
    fresh_process()
    assert read_patterns() == worked_out  # read again from the patterns
    usercache.flush()
    assert path.read_bytes() != b"\x00damaged"  # and kept anew, whole


def test_what_is_read_from_a_pattern_without_the_cache_is_what_is_kept(monkeypatch):
    from pipeline import rules, usercache

    with_cache = read_patterns()
    monkeypatch.setenv("DISPATCH_NO_CACHE", "1")
    monkeypatch.setattr(usercache, "_at_exit", [])
    monkeypatch.setattr(rules, "_kept_readings", usercache.Kept("pattern-readings", 100))
    assert read_patterns() == with_cache


@pytest.mark.parametrize("pattern", [r"(?i)^\(?(?:top secret|secret)\)?$", r"^(?:\d{1,2}[:.]\d{2}\s+)?Sent\b",
                                     r"^(?:www\.)?[\w-]+(?:\.[\w-]+)+/\S*$", r"x*", r"(?<!a)b", r"^$"])
def test_the_patterns_left_out_for_a_first_character_cannot_match_there(pattern):
    from pipeline.rules import ByFirstCharacter

    compiled = re.compile(pattern)
    tried = ByFirstCharacter([compiled], lambda p: p)
    for text in random_texts("(aAbsSTt1:. \tx/-", 12):
        if compiled.match(text):
            assert tried(text) == (compiled,), text


def test_the_register_finds_names_as_one_regex_of_every_form_does():
    from pipeline.registers import Entry, Register, name_finder

    register = Register([Entry("us", "place", "United States", ("the United States", "US")),
                         Entry("su", "place", "Soviet Union", ("the Soviet Union", "the Union", "Union"))], {})
    every = name_finder(register.forms)
    for text in random_texts(["the ", "United ", "States", "Soviet", "Union", "US", " ", "-", "x"], 10):
        found = [m.span() for m in every.finditer(text)]
        assert [m.span() for m in register.finditer(text)] == found, text
        assert [m.span() for m in register.names_in(text)(text)] == found, text



def test_present_finds_what_in_finds_and_rules_prefilter_alike_with_it():
    """``Present`` (a text's strings, found once, their first character tested first) says what
    ``in`` says, and a rule's prefilter gives the same answer with it as without it (the marks
    of its characters aside: ``Rule.adjacent``)."""
    from pipeline.rules import Present

    text = SAMPLE.read_text(encoding="utf-8") + " &amp; x\tII"
    present = Present(text)
    for needle in ("&amp;", "&quot;", "II", "\t", "  ", "zzz", "Q", "e", "eceived", "\ufeff"):
        assert present[needle] == (needle in text)
        assert present[needle] == (needle in text)  # asked again: the kept answer
    for body in (text, "plain words only", ""):
        present = Present(body)
        for rule in RULES:
            if rule.regex is not None:
                held = rule.adjacent is None or present.adjacent(rule.adjacent)
                assert rule.may_match(body, present) == (rule.may_match(body) and held)


def test_a_text_whose_marks_lack_a_rules_pairs_holds_no_match_of_it():
    """``Rule.adjacent``: where the marks of an ASCII text hold none of a rule's pairs (a
    character its context ends with, then one a match begins with), the rule, run without any
    prefilter, changes nothing; a text that is not ASCII is never left out."""
    import random

    from pipeline.normalize import _matches
    from pipeline.registers import default_register
    from pipeline.rules import Present

    class Unfiltered(Present):
        """Every string present, every pair held: the rule is run on any text."""

        def __missing__(self, needle: str) -> bool:
            return True

        def adjacent(self, pairs) -> bool:
            return True

    rules = [rule for rule in RULES if rule.regex is not None and rule.adjacent]
    assert any(rule.id == "MARKUP-FLATTENED-FOOTNOTE" for rule in rules)
    chance = random.Random(16)
    left_out = 0
    for _ in range(3_000):
        text = "".join(chance.choice(["GROMYKO", "3", "12", " ", "II ", "Kim", "word", ".", "-", "\n", "a", "Q"])
                       for _ in range(chance.randint(0, 12)))
        for rule in rules:
            if not Present(text).adjacent(rule.adjacent):
                left_out += 1
                assert not list(_matches(rule, text, default_register(), None, Unfiltered(text)))
    assert left_out > 1_000
    assert Present("GROMYKO3 \u00e9").adjacent(("zz",))  # not ASCII: not told
