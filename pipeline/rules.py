"""The normalization rule table, loaded from ``data/rules.toml`` and checked on loading.

A bad pattern, a duplicate id or a missing field is a located finding in the rules file,
never a traceback.
"""

from __future__ import annotations

import functools
import re
import re._constants as _c
import re._compiler as _sre_compiler
import re._parser as _sre_parser
from pathlib import Path

from pipeline import recache
from pipeline.datafiles import TomlLines, data_path, read_toml
from pipeline.diagnostics import Diagnostic
from pipeline.findings import make
from pipeline.records import field, record
from pipeline.usercache import Kept

KINDS = ("ocr", "layout", "markup", "furniture", "forme")
BUILTINS = ("furniture", "open-parenthesis", "nfc", "register-ocr", "register-fuzzy", "spaced-capitals",
            "running-heads")
RULE_ID = re.compile(r"^[A-Z][A-Z0-9-]+$")
ID_LINE = re.compile(r'\s*id\s*=\s*"([^"]*)"')
RULE_KEYS = ("id", "kind", "message", "literal", "pattern", "before", "after", "within", "replacement", "builtin",
             "examples")


@record(frozen=True)
class Rule:
    """One normalization rule: what it finds, what it writes, and why."""

    id: str
    kind: str
    message: str
    regex: re.Pattern | None = None
    context: re.Pattern | None = None  # what must stand just before a match (``before``)
    replacement: str = ""
    builtin: str | None = None
    examples: tuple[tuple[str, str], ...] = ()
    line: int = 1
    within: re.Pattern | None = None  # what the line holding a match must start with (``within``)

    @property
    def inline(self) -> bool:
        """OCR fixes are shown in the text as sic/corr; the rest go to the header's list."""
        return self.kind == "ocr"

    @functools.cached_property
    def needles(self) -> tuple[tuple[str, ...], ...]:
        """Groups of strings, one of each group in any text the rule's patterns can match.

        A text that lacks every string of one group cannot be changed by the rule, which is
        then not run on it: an ``in`` test costs far less than a regular expression's scan.
        The groups of fewer strings come first (fewer tests before one that fails). Worked out
        from the patterns once per rule, on first use (``required_strings``)."""
        patterns = [p for p in (self.regex, self.context, self.within) if p is not None]
        groups = dict.fromkeys(group for pattern in patterns for group in required_strings(pattern))
        return tuple(sorted(groups, key=len))

    @functools.cached_property
    def scanner(self) -> re.Pattern | None:
        """The rule's ``regex``, compiled so that a scan skips ahead to where a match can begin
        (``fast_scanner``); worked out once per rule, on first use."""
        return fast_scanner(self.regex) if self.regex is not None else None

    @functools.cached_property
    def finditer(self):
        """What ``regex.finditer`` yields for a text, found the fastest way known for the
        pattern: from its anchors (``anchored_finditer``), else with its ``scanner``. Worked out
        once per rule, on first use."""
        if self.regex is None:
            return None
        return anchored_finditer(self.regex) or self.scanner.finditer

    @functools.cached_property
    def context_end(self) -> re.Pattern | None:
        """A class of the characters the ``before`` context can end with (``last_character``):
        a context that must end just before a match is searched for only where the character
        before the match is one of them (the context ends at the match: ``compile_pattern`` ends it
        with ``\\Z``). Worked out once per rule, on first use."""
        if self.context is None or not self.context.pattern.endswith("\\Z"):
            return None
        return last_character(self.context)

    @functools.cached_property
    def adjacent(self) -> tuple[str, ...] | None:
        """The pairs of marks (``MARKS``) that stand in an ASCII text where the rule may match: a
        character its ``before`` context can end with (``context_end``), then one a match can
        begin with (``first_character``). The context ends just before a match: a text whose
        marks hold none of the pairs has none. None when this cannot be told, or when the pairs
        are too many for a cheap test. Worked out once per rule, on first use."""
        first = first_character(self.regex) if self.context_end is not None and self.regex is not None else None
        if first is None:
            return None
        ends = {MARKS[code] for code in range(128) if self.context_end.match(chr(code))}
        begins = {MARKS[code] for code in range(128) if first.match(chr(code))}
        pairs = tuple(sorted(end + begin for end in ends for begin in begins))
        return pairs if len(pairs) <= MAX_NEEDLES else None

    def may_match(self, text: str, present: Present | None = None) -> bool:
        """False when ``text`` cannot hold a match of the rule (see ``needles``); ``present``:
        the strings ``text`` holds, when the caller tests several rules on it (and then the
        marks of its characters, see ``adjacent``)."""
        if present is None:
            return may_hold(self.needles, text)
        return may_hold(self.needles, present) and (self.adjacent is None or present.adjacent(self.adjacent))


@record
class RuleTable:
    rules: list[Rule] = field(default_factory=list)
    path: str = ""

    def by_id(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


MAX_NEEDLES = 16  # more alternative strings than this make no cheap test


def matches_at(pattern: re.Pattern, text: str, starts):
    """The matches of ``pattern`` in ``text`` tried only at ``starts`` (the offsets where a match
    may begin, in order), left to right and skipping the starts inside a match found, as
    ``finditer`` resumes after its match: what ``pattern.finditer(text)`` finds when ``starts``
    holds every place a match can begin, without the engine trying every character."""
    position = 0
    for start in starts:
        if start < position:
            continue
        m = pattern.match(text, start)
        if m is not None:
            yield m
            position = m.end()


class ByFirstCharacter:
    """Items each tried with its pattern's ``match`` at a text's start (a line's furniture
    patterns, its navigation patterns), as a function of a text: the items, in order, whose
    pattern can match a text beginning with that text's first character (``first_character``),
    the others left out. Most lines begin with a character that none or one of the patterns can
    begin with, and a call of ``match`` costs far more than a look-up of the first character;
    what each first character leaves is worked out when first met."""

    def __init__(self, items, pattern_of):
        self._firsts = tuple((item, first_character(pattern_of(item))) for item in items)
        self._by_first: dict[str, tuple] = {}

    def __call__(self, text: str) -> tuple:
        first = text[:1]
        held = self._by_first.get(first)
        if held is None:
            if len(self._by_first) > 4096:
                self._by_first.clear()
            held = self._by_first[first] = tuple(
                item for item, chars in self._firsts if chars is None or (first and chars.match(first)))
        return held


def may_hold(needles: tuple[tuple[str, ...], ...], text: str | Present) -> bool:
    """False when ``text`` lacks every string of one of the groups of ``needles`` (as
    ``required_strings`` gives them): it cannot hold a match (an ``in`` test costs far less
    than a regular expression's scan)."""
    for group in needles:
        for needle in group:
            if needle in text:
                break
        else:
            return False
    return True


class Present(dict):
    """Whether each string asked for stands in ``text`` (``present[string]``), each found once.

    The rules' needles share characters and strings (seven begin with ``&``, several are a
    line break): a string whose first character is not in the text is absent without a search
    for it, and that character is searched for once for all of them (a search for one character
    runs far faster than one for a string)."""

    __slots__ = ("text", "marks")

    def __init__(self, text: str):
        super().__init__()
        self.text = text
        self.marks: str | None = None  # the text's ``MARKS``, made when first asked for

    def __missing__(self, needle: str) -> bool:
        found = self[needle] = (len(needle) == 1 or self[needle[0]]) and needle in self.text
        return found

    def __contains__(self, needle: str) -> bool:
        """``needle in present``: whether the string stands in the text (as ``needle in text``
        says), so that ``may_hold`` reads a ``Present`` as it reads the text itself."""
        return self[needle]

    def adjacent(self, marked: tuple[str, ...]) -> bool:
        """Whether the marks of the text's characters (``MARKS``: a text of ASCII only is
        translated once, in one call) hold one of the strings of marks ``marked`` (a rule's
        pairs); True for any other text."""
        if self.marks is None:
            self.marks = self.text.translate(MARKS) if self.text.isascii() else ""
        return not self.marks or any(marks in self.marks for marks in marked)


def _mark(character: str) -> str:
    if "A" <= character <= "Z":
        return "A"
    if "a" <= character <= "z":
        return "a"
    return "0" if "0" <= character <= "9" else character


# an ASCII character's mark: 'A' for every capital, 'a' for every small letter, '0' for every
# digit, any other character itself; where a rule may match, its text's marks show a pair of
# them (``Rule.adjacent``), found with ``in`` rather than the rule's scan
MARKS = {code: _mark(chr(code)) for code in range(128)}


# what is read from each pattern (what it requires, its scanner...), kept between runs: parsing
# the thirty-odd patterns a check needs for each reading, and compiling the patterns read from
# them, was some 9 ms of a check of one source in a fresh process (4 of them the required strings)
_kept_readings = Kept("pattern-readings", 4000)


def _reading(name: str, pattern: re.Pattern, read):
    """``read(pattern)`` (something marshal can keep), or what an earlier run with this very code
    and interpreter read from the same pattern and flags under the same ``name``."""
    key = (name, pattern.pattern, pattern.flags)
    kept = _kept_readings.get(key)
    if kept is None:
        kept = (read(pattern),)  # (a reading may be None: none to be had)
        _kept_readings.add(key, kept)
    return kept[0]


def _compiled_reading(name: str, pattern: re.Pattern, rewrite) -> re.Pattern | None:
    """The pattern that ``rewrite`` makes of ``pattern`` (a parsed pattern of ``re._parser``, or
    None when it makes none), compiled; None when it makes none. The code of what an earlier run
    compiled is kept (``_reading``) and handed to the regex engine, as ``recache`` keeps the
    code of pattern strings; where ``recache`` does not know the interpreter, it is compiled."""
    try:
        if not recache.supported():
            parsed = rewrite(pattern)
            return None if parsed is None else _sre_compiler.compile(parsed, pattern.flags)

        def read(pattern: re.Pattern) -> tuple | None:
            parsed = rewrite(pattern)
            return None if parsed is None else recache.code_of(parsed, pattern.flags)

        code = _reading(name, pattern, read)
        return None if code is None else recache.from_code(None, code)
    except Exception:  # noqa: BLE001 - the engine's internals changed: no pattern read from it
        return None


def required_strings(pattern: re.Pattern) -> tuple[tuple[str, ...], ...]:
    """Groups of strings, one string of each group in any text that ``pattern`` matches.

    Read from the parsed pattern: runs of literal characters (and of small character sets,
    taken as their alternatives) through groups, alternations, repeats of at least one and
    look-arounds (the text they look at is in the text too). A case-insensitive pattern, or
    one this reading does not know, gets no groups: no cheap test. (What an earlier run read
    from the same pattern is kept in the per-user cache: ``_reading``.)"""
    return _reading("required", pattern, _required_strings)


def _required_strings(pattern: re.Pattern) -> tuple[tuple[str, ...], ...]:
    if pattern.flags & re.IGNORECASE:
        return ()
    try:
        parsed = _sre_parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - a pattern this reading does not know gets no cheap test
        return ()
    groups = {_shortest(group) for group in _strings(list(parsed))[1]}
    kept = [g for g in groups if not any(o != g and _implies(o, g) for o in groups)]
    return tuple(sorted(tuple(sorted(g)) for g in kept))


Strings = frozenset[str]


def _shortest(group: Strings) -> Strings:
    """A group without the strings that contain another of its strings (those add nothing)."""
    return frozenset(s for s in group if not any(o != s and o in s for o in group))


def _implies(a: Strings, b: Strings) -> bool:
    """Does finding a string of ``a`` mean finding one of ``b`` (each of ``a`` holds one of ``b``)?"""
    return all(any(y in x for y in b) for x in a)


def _best(groups: list[Strings]) -> Strings | None:
    """The most selective group: longest shortest string, then fewest strings."""
    return max(groups, key=lambda g: (min(map(len, g)), -len(g)), default=None)


def _product(a: Strings, b: Strings) -> Strings | None:
    if len(a) * len(b) > MAX_NEEDLES:
        return None
    return frozenset(x + y for x in a for y in b)


def _strings(items: list) -> tuple[Strings | None, list[Strings]]:
    """(exact, required) of a sequence of parsed items: ``exact`` every string the sequence can
    match, when few (else None); ``required`` groups of strings, one of each group in any text
    the sequence matches."""
    exact: Strings | None = frozenset({""})
    run: Strings | None = exact  # the exact strings of the items since the last inexact one
    required: list[Strings] = []

    def close_run() -> None:
        if run and "" not in run:
            required.append(run)

    for op, av in items:
        if op in (_c.AT, _c.ASSERT_NOT):
            continue  # zero-width: the text on either side stays one run
        if op is _c.ASSERT:
            required.extend(_strings(list(av[1]))[1])
            continue
        item_exact, item_required = _item(op, av)
        required.extend(item_required)
        joined = _product(run, item_exact) if run is not None and item_exact is not None else None
        if joined is None:
            close_run()
            run = item_exact
        else:
            run = joined
        exact = _product(exact, item_exact) if exact is not None and item_exact is not None else None
    close_run()
    return exact, required


def _item(op, av) -> tuple[Strings | None, list[Strings]]:
    """(exact, required) of one parsed item (see ``_strings``)."""
    if op is _c.LITERAL:
        return frozenset({chr(av)}), []
    if op is _c.IN:
        if len(av) <= MAX_NEEDLES and all(o is _c.LITERAL for o, _ in av):
            return frozenset(chr(a) for _, a in av), []
        return None, []
    if op is _c.SUBPATTERN:
        _, add_flags, _, sub = av
        return _strings(list(sub)) if not add_flags & re.IGNORECASE else (None, [])
    if op is _c.BRANCH:
        results = [_strings(list(branch)) for branch in av[1]]
        exact = None
        if all(e is not None for e, _ in results):
            exact = frozenset().union(*(e for e, _ in results))
        best = [_best(r + ([e] if e and "" not in e else [])) for e, r in results]
        if all(best):
            union = frozenset().union(*best)
            return (exact if exact is not None and len(exact) <= MAX_NEEDLES else None), (
                [union] if len(union) <= MAX_NEEDLES else [])
        return (exact if exact is not None and len(exact) <= MAX_NEEDLES else None), []
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        low, high, sub = av
        if low == 0:
            return (frozenset({""}) if high == 0 else None), []
        sub_exact, sub_required = _strings(list(sub))
        repeated = sub_exact
        for _ in range(low - 1):
            repeated = _product(repeated, sub_exact) if repeated is not None else None
        if repeated is not None and "" in repeated:
            repeated = None
        if low == high:
            return repeated, sub_required
        return None, sub_required + ([repeated] if repeated else [])
    return None, []


def fast_scanner(pattern: re.Pattern) -> re.Pattern:
    """``pattern``, matching the same text, compiled so that a scan skips ahead to its first
    character when it begins with a repeat of one character class (``\\d{1,2}``, ``[ \\t]+``,
    ``[ \\t]*\\n``).

    The regular expression engine skips ahead only for a pattern that begins with a character
    or a class; one that begins with a repeat is tried at every position of the text. A repeat
    of at least one is the same as one occurrence followed by the repeat of one less, which
    begins with the class. A repeat of none or more of a class C followed by a character or
    class X that shares no character with C (``_optional_run_first``) begins with C or X. Any
    other pattern is returned as it is."""
    return _compiled_reading("scanner", pattern, _scanner) or pattern


def _scanner(pattern: re.Pattern) -> _sre_parser.SubPattern | None:
    """The parsed pattern of ``fast_scanner``; None when it is the pattern as it is."""
    try:
        parsed = _sre_parser.parse(pattern.pattern, pattern.flags)
        items = parsed.data
        while items and items[0][0] is _c.SUBPATTERN:
            items = items[0][1][3].data
        if not items or items[0][0] not in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            return None
        op, (low, high, sub) = items[0]
        if len(sub.data) != 1 or sub.data[0][0] not in (_c.IN, _c.LITERAL):
            return None
        if low < 1:
            return _optional_run_first(parsed, items, pattern)
        rest = (op, (low - 1, high if high is _c.MAXREPEAT else high - 1, sub))
        items[0:1] = [sub.data[0], rest]
        return parsed
    except Exception:  # noqa: BLE001 - the engine's internals changed: scan with the pattern as it is
        return None


def _characters(item) -> frozenset[int] | None:
    """The characters a parsed character or class (of characters and ranges only) matches."""
    op, av = item
    if op is _c.LITERAL:
        return frozenset({av})
    if op is not _c.IN:
        return None
    chars: set[int] = set()
    for kind, value in av:
        if kind is _c.LITERAL:
            chars.add(value)
        elif kind is _c.RANGE and value[1] - value[0] < 256:
            chars.update(range(value[0], value[1] + 1))
        else:
            return None  # a category, a negation, a wide range: not worked out here
    return frozenset(chars)


def _optional_run_first(parsed, items: list, pattern: re.Pattern) -> _sre_parser.SubPattern | None:
    """``C*X...`` (C a class, X a character or class with no character of C, the repeat greedy,
    without case folding) written ``[CX](?:(?<=X)|(?<=C)C*X)...``: the same matches, each found
    the same way (the run of C before X is all of it, there being no other way to reach X), but
    a pattern that begins with a class, which the engine skips ahead to (``parsed`` rewritten;
    None for any other pattern)."""
    op, (low, high, sub) = items[0]
    if (op is not _c.MAX_REPEAT or high == 0 or len(items) < 2 or pattern.flags & re.IGNORECASE
            or items[1][0] not in (_c.IN, _c.LITERAL)):
        return None
    run, then = _characters(sub.data[0]), _characters(items[1])
    if not run or not then or run & then:
        return None
    state = parsed.state

    def sub_pattern(*data) -> _sre_parser.SubPattern:
        return _sre_parser.SubPattern(state, list(data))

    def behind(item) -> tuple:
        return (_c.ASSERT, (-1, sub_pattern(item)))

    either = (_c.IN, [(_c.LITERAL, ch) for ch in sorted(run | then)])
    rest = (op, (0, high if high is _c.MAXREPEAT else high - 1, sub))
    branch = (_c.BRANCH, (None, [sub_pattern(behind(items[1])),
                                 sub_pattern(behind(sub.data[0]), rest, items[1])]))
    items[0:2] = [either, branch]
    return parsed


def anchored_finditer(pattern: re.Pattern):
    """A function of a text that yields what ``pattern.finditer`` yields, for a pattern (without
    case folding) that begins with a greedy run of a character class C (``[ \\t]*``, ``[ \\t]+``)
    followed by its anchor: a character or class with none of C's characters (``\\n``), such a
    character or class after an optional one (``\\r?\\n``), or a look-ahead each of whose
    alternatives begins with one or is the text's end (``(?=\\n|\\Z)``); None for any other pattern.

    The engine tries such a pattern at every character of C (every space of a text, each try far
    dearer than a skip); the anchors are rarer (line breaks). A match is the run of C that ends
    at an anchor, then the rest: the run being greedy and C apart from the anchor, it is found
    by matching the pattern once at the run's start, no earlier than where the last match ended
    (``finditer`` resumes there) nor more characters before the anchor than the run may hold,
    anchor after anchor, left to right. (What is read from the pattern is kept: ``_reading``.)"""
    reading = _reading("anchors", pattern, _anchored_run)
    if reading is None:
        return None
    chars, at_end, run, longest = reading
    anchors = re.compile("[" + "".join(re.escape(chr(c)) for c in chars) + "]")
    run_chars = frozenset(map(chr, run))

    def places(text: str):
        for a in anchors.finditer(text):
            yield a.start()
        if at_end:
            yield len(text)

    def finditer(text: str):
        position = 0
        for anchor_at in places(text):
            if anchor_at < position:
                continue
            start = anchor_at
            first = position if longest is None else max(position, anchor_at - longest)
            while start > first and text[start - 1] in run_chars:
                start -= 1
            m = pattern.match(text, start)
            if m is not None:
                yield m
                position = m.end()

    return finditer


def _anchored_run(pattern: re.Pattern) -> tuple[tuple[int, ...], bool, tuple[int, ...], int | None] | None:
    """What ``anchored_finditer`` scans ``pattern`` by: (the anchors' characters, whether the
    text's end is one too, the run's characters, the most characters the run may hold or None);
    None for a pattern it does not scan."""
    try:
        items = _leading_items(list(_sre_parser.parse(pattern.pattern, pattern.flags)))
        if pattern.flags & re.IGNORECASE or len(items) < 2 or items[0][0] is not _c.MAX_REPEAT:
            return None
        low, high, sub = items[0][1]
        run = _characters(sub.data[0]) if len(sub.data) == 1 else None
        anchor = _anchor(items[1:])
        if not run or anchor is None:
            return None
        chars, at_end = anchor
        if not chars or run & chars or (low < 1 and items[1][0] is _c.ASSERT):
            return None  # (a run of none before a look-ahead: a match could be empty)
        return tuple(sorted(chars)), at_end, tuple(sorted(run)), None if high is _c.MAXREPEAT else high
    except Exception:  # noqa: BLE001 - the engine's internals changed: no anchored scan
        return None


def _leading_items(items: list) -> list:
    """A sequence of parsed items with its leading groups (of no flags of their own) opened, so
    that its first item is not a group: the same text matched, read item by item."""
    while items and items[0][0] is _c.SUBPATTERN and not items[0][1][1] and not items[0][1][2]:
        items = list(items[0][1][3]) + items[1:]
    return items


def _anchor(items: list) -> tuple[frozenset[int], bool] | None:
    """(the characters, whether the text's end too) that the parsed items ``items`` begin with: a
    character or class, one after an optional one (``\\r?\\n``: either), or a look-ahead whose
    alternatives each begin with one or are the text's end; None when they begin with anything
    else (see ``anchored_finditer``)."""
    item = items[0]
    chars = _characters(item)
    if chars:
        return chars, False
    op, av = item
    if op is _c.MAX_REPEAT and av[0] == 0 and av[1] == 1 and len(av[2].data) == 1 and len(items) > 1:
        optional, then = _characters(av[2].data[0]), _characters(items[1])
        return (optional | then, False) if optional and then else None
    if op is not _c.ASSERT or av[0] != 1:
        return None
    body = list(av[1])
    alternatives = [list(b) for b in body[0][1][1]] if len(body) == 1 and body[0][0] is _c.BRANCH else [body]
    found: set[int] = set()
    at_end = False
    for alternative in alternatives:
        if not alternative:
            return None
        if alternative[0] == (_c.AT, _c.AT_END_STRING):
            at_end = True
            continue
        first = _characters(alternative[0])
        if not first:
            return None
        found |= first
    return frozenset(found), at_end


def last_character(pattern: re.Pattern) -> re.Pattern | None:
    """A pattern of one character class that matches the last character of every text that
    ``pattern`` matches (read from the parsed pattern, its zero-width items skipped: a class, a
    character, a repeat of at least one of them, a group or an alternation of those); None when
    this reading cannot tell (an optional last item, a negated class...). (Its code is kept:
    ``_compiled_reading``.)"""
    return _compiled_reading("last", pattern, _last_character)


def _last_character(pattern: re.Pattern) -> _sre_parser.SubPattern | None:
    """The parsed pattern of ``last_character``, or None."""
    try:
        chars = _last_items(list(_sre_parser.parse(pattern.pattern, pattern.flags)))
        if not chars:
            return None
        parsed = _sre_parser.parse("x", pattern.flags)
        parsed.data[:] = [(_c.IN, chars)]
        return parsed
    except Exception:  # noqa: BLE001 - the engine's internals changed: no cheap test
        return None


ZERO_WIDTH = (_c.AT, _c.ASSERT, _c.ASSERT_NOT)


def first_character(pattern: re.Pattern) -> re.Pattern | None:
    """A pattern of one character class that matches the first character of every text that
    ``pattern`` matches (read from the parsed pattern, its zero-width items skipped: a class,
    a character, a repeat, a group or an alternation of those, an optional one joined with what
    may come first after it); None when this reading cannot tell, or when the pattern may match
    empty text. The regular expression engine skips ahead to a pattern's first character only
    when the pattern begins with it (not with a look-behind): ``matches_at`` tries the pattern
    only where this class finds a character. A look-behind at one character that the pattern
    begins with (``(?<![\\w.])``) is kept, tested after that character: ``[\\d](?<![\\w.].)``.
    (Its code is kept: ``_compiled_reading``.)"""
    return _compiled_reading("first", pattern, _first_character)


def _first_character(pattern: re.Pattern) -> _sre_parser.SubPattern | None:
    """The parsed pattern of ``first_character``, or None."""
    try:
        items = list(_sre_parser.parse(pattern.pattern, pattern.flags))
        chars = _first_items(items)
        if not chars:
            return None
        categories = [item for item in chars if item[0] is _c.CATEGORY]
        if categories:  # the characters of a category it holds are not tested again ([01\d]: \d)
            parsed = _sre_parser.parse("x", pattern.flags)
            parsed.data[:] = [(_c.IN, categories)]
            category = _sre_compiler.compile(parsed, pattern.flags)
            chars = [item for item in chars if item[0] is not _c.LITERAL or not category.match(chr(item[1]))]
        chars = list(dict.fromkeys(chars))
        parsed = _sre_parser.parse("x(?<!x(?s:.))", pattern.flags)
        parsed.data[0] = (_c.IN, chars)
        op, av = items[0]
        if op is _c.ASSERT_NOT and av[0] == -1 and av[1].getwidth() == (1, 1) and len(av[1].data) == 1:
            parsed.data[1][1][1].data[0] = av[1].data[0]  # the look-behind's character, then any
        else:
            del parsed.data[1:]
        return parsed
    except Exception:  # noqa: BLE001 - the engine's internals changed: no cheap test
        return None


def _first_items(items: list) -> list | None:
    """The class items (characters, ranges, categories) of what the sequence ``items`` can begin
    with, or None when not known or when it may match empty text (see ``first_character``)."""
    chars: list = []
    for index, (op, av) in enumerate(items):
        if op in ZERO_WIDTH:
            continue
        if op is _c.LITERAL:
            return chars + [(_c.LITERAL, av)]
        if op is _c.IN:
            return None if any(kind is _c.NEGATE for kind, _ in av) else chars + list(av)
        rest = items[index + 1:]
        if op is _c.SUBPATTERN:
            first = _first_items(list(av[3]) + rest) if not av[1] and not av[2] else None  # (no flags of its own)
            return None if first is None else chars + first
        if op is _c.BRANCH:
            firsts = [_first_items(list(branch) + rest) for branch in av[1]]
            return None if any(first is None for first in firsts) else chars + [i for f in firsts for i in f]
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            first = _first_items(list(av[2]))
            if first is None:
                return None
            if av[0] >= 1:
                return chars + first
            chars += first  # optional: what follows it may come first
            continue
        return None
    return None  # the sequence may match empty text


def _last_items(items: list) -> list | None:
    """The class items (characters, ranges, categories) of what the sequence ``items`` can end
    with, or None when not known (see ``last_character``)."""
    for op, av in reversed(items):
        if op in ZERO_WIDTH:
            continue
        if op is _c.LITERAL:
            return [(_c.LITERAL, av)]
        if op is _c.IN:
            return None if any(kind is _c.NEGATE for kind, _ in av) else list(av)
        if op is _c.SUBPATTERN:
            return _last_items(list(av[3])) if not av[1] and not av[2] else None  # (no flags of its own)
        if op is _c.BRANCH:
            ends = [_last_items(list(branch)) for branch in av[1]]
            return None if any(not end for end in ends) else [item for end in ends for item in end]
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            return _last_items(list(av[2]))
        return None
    return None


def compile_pattern(item: dict) -> tuple[re.Pattern, re.Pattern | None]:
    """The rule's regexes: the replaced text as group ``target`` with its context after, and
    the context that must end just before it (checked on a window, so that it may vary in
    length, which a look-behind may not)."""
    if "literal" in item:
        core = re.escape(item["literal"])
    else:
        core = item["pattern"]
        re.compile(core)  # report errors in the pattern itself first
    after = f"(?={item['after']})" if item.get("after") else ""
    context = re.compile(f"(?:{item['before']})\\Z") if item.get("before") else None
    return re.compile(f"(?P<target>{core}){after}"), context


def load_rules(path: Path | None = None) -> tuple[RuleTable, list[Diagnostic]]:
    """Load and check the rule table."""
    path = path or data_path("rules.toml")
    spath = str(path)
    text, data, found = read_toml(path)
    if data is None:
        return RuleTable(path=spath), found
    lines = text.split("\n")
    where = TomlLines(text)
    for key in data:
        if key != "rule":
            found.append(make("D608", spath, where.line("", 0, key), 1, key=key, where="the file's top level",
                              known="rule"))
    rules: list[Rule] = []
    seen: set[str] = set()
    id_lines: dict[str, list[int]] = {}
    for number, content in enumerate(lines, 1):
        m = ID_LINE.match(content)
        if m:
            id_lines.setdefault(m.group(1), []).append(number)
    occurrences: dict[str, int] = {}
    for index, item in enumerate(data.get("rule", [])):
        rid = str(item.get("id", ""))
        occurrences[rid] = occurrences.get(rid, 0) + 1
        matching = id_lines.get(rid, [])
        line = matching[occurrences[rid] - 1] if len(matching) >= occurrences[rid] else 1

        def bad(code: str, case: str | None = None, **fields) -> None:
            found.append(make(code, spath, line, 1, case=case, **fields))

        unknown = [key for key in item if key not in RULE_KEYS]
        for key in unknown:
            found.append(make("D608", spath, where.line("rule", index, key), 1, key=key, where=f"rule {rid}",
                              known=", ".join(RULE_KEYS)))
        if unknown:
            continue
        if not RULE_ID.match(rid):
            bad("D604", id=rid)
            continue
        if rid in seen:
            bad("D603", what="rule", id=rid)
            continue
        seen.add(rid)
        kind = item.get("kind")
        if kind not in KINDS:
            bad("D605", rule=rid, kinds=", ".join(KINDS))
            continue
        if not item.get("message"):
            bad("D605", "message", rule=rid)
            continue
        examples = tuple((e.get("input", ""), e.get("output", "")) for e in item.get("examples", []))
        if not examples:
            bad("D606", rule=rid)
            continue
        builtin = item.get("builtin")
        regex = context = None
        if builtin is not None:
            if builtin not in BUILTINS:
                bad("D605", "builtin", rule=rid, builtin=builtin, builtins=", ".join(BUILTINS))
                continue
        else:
            if ("literal" in item) == ("pattern" in item):
                bad("D605", "literal", rule=rid)
                continue
            try:
                regex, context = compile_pattern(item)
            except re.error as err:
                bad("D607", where=f"rule {rid}", error=err)
                continue
            if regex.search("") is not None:
                bad("D607", where=f"rule {rid}", error="the pattern matches the empty string")
                continue
        within = None
        if item.get("within"):
            try:
                within = re.compile(item["within"])
            except re.error as err:
                bad("D607", where=f"rule {rid} (within)", error=err)
                continue
        rules.append(Rule(rid, kind, item["message"], regex, context if builtin is None else None,
                          item.get("replacement", ""), builtin, examples, line, within))
    return RuleTable(rules, spath), found


@functools.cache
def load_default_rules() -> tuple[RuleTable, list[Diagnostic]]:
    """The data directory's rule table and its findings (loaded once per process)."""
    return load_rules()


def default_rules() -> RuleTable:
    """The package's rule table."""
    return load_default_rules()[0]
