"""The convention language's data: declarations, bracket classifiers, structure patterns, tuning.

Loaded from ``conventions.toml`` and checked on loading: an unknown key, a bad regular
expression, a check or a bracket kind the code does not know, a meaning outside the allowed
ones, a missing structure pattern or a bad tuning value is a D finding at ``file:line``,
never a failure on the first source that reaches it. Every pattern is compiled once, when
first used: a run compiles only the patterns its sources need (a check, in a fresh process,
need not pay for all of them), and a file found clean before by this very code is not
checked again (``pipeline.datafiles``, the verdicts).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from pipeline.datafiles import TomlLines, data_path, found_clean, read_toml
from pipeline.diagnostics import Diagnostic
from pipeline.findings import make
from pipeline.records import record

# what a sign may mean, in a declaration or in a sidecar's `conventions = ["italics=add"]`
MEANINGS: dict[str, tuple[str, ...]] = {"italics": ("add", "new", "hi"), "brackets": ("del", "supplied")}

# the structure patterns the parser uses, each with the named groups it reads
STRUCTURE_PATTERNS: dict[str, tuple[str, ...]] = {
    "title": (),
    "correspondents": ("rest",),
    "correspondents_comma": ("rest",),
    "correspondents_recipient": ("recipient",),
    "correspondents_stop": (),
    "correspondents_heading": ("rest",),
    "correspondents_clause": (),
    "title_subject": (),
    "honorifics": (),
    "numbered_heading": (),
    "document_number": ("n",),
    "sender_line": (),
    "address_line": (),
    "salutation": (),
    "list_item": (),
    "elision": (),
    "speaker": ("speaker", "mark"),
    "time": ("h", "m", "suffix", "h2", "m2", "h3"),
    "signature_label": (),
    "postscript": (),
    "footnote": ("n",),
    "garbage": (),
    "not_garbage": (),
    "citation": (),
}
STRUCTURE_OTHER = ("salutes", "headnote_min_words", "furniture", "kinds", "kinds_without_correspondents",
                   "role_nouns", "line_mode_min_lines", "speaker_conversation", "speaker_exclude", "header",
                   "header_max_words", "header_max_paragraphs")
# lists of patterns in [structure], each checked on load
STRUCTURE_PATTERN_LISTS = ("speaker_conversation", "header")

# the numbers the stages use; every one is required, a positive integer
TUNING = (
    "bracket_lookbehind",
    "bracket_lookahead",
    "bracket_max_paragraphs",
    "date_window",
    "title_max_chars",
    "closer_line_max_chars",
    "signature_max_words",
    "speech_min_words",
    "max_findings_per_code",
    "flattened_line_min_chars",
)

TOP_KEYS = ("declaration", "bracket", "structure", "tuning")
DECLARATION_KEYS = ("pattern", "italics", "brackets")
BRACKET_KEYS = ("kind", "content", "before", "after", "check", "reason")


def known_kinds() -> frozenset[str]:
    """The bracket kinds a classifier may name: the parser's kinds of the kinds table."""
    from pipeline.kinds import ENCODING

    return frozenset(ENCODING)


def known_checks() -> frozenset[str]:
    """The names a classifier's ``check`` may give: the tests of ``inline.CHECKS``."""
    from pipeline import inline

    return frozenset(inline.CHECKS)


NEVER = r"(?!x)x"  # a pattern that matches nothing: the salute of conventions that could not be read


@record(frozen=True)
class Declaration:
    source: str  # the pattern, as written in the data file (compiled on first use, case-insensitive)
    italics: str | None
    brackets: str | None

    @functools.cached_property
    def pattern(self) -> re.Pattern:
        return re.compile(self.source, re.I)


@record(frozen=True)
class BracketClassifier:
    """A ``[[bracket]]`` of the data file; its patterns are compiled when first used."""

    kind: str
    content_source: str | None
    check: str | None
    reason: str | None
    before_source: str | None = None  # searched in the text before the bracket (anchor it with $)
    after_source: str | None = None  # matched at the start of the text after the bracket

    @functools.cached_property
    def content(self) -> re.Pattern | None:
        return _compiled(self.content_source)

    @functools.cached_property
    def before(self) -> re.Pattern | None:
        return _compiled(self.before_source)

    @functools.cached_property
    def after(self) -> re.Pattern | None:
        return _compiled(self.after_source)


def _compiled(source: str | None) -> re.Pattern | None:
    return None if source is None else re.compile(source)


class Patterns(dict):
    """The structure patterns by name, each compiled when first asked for (``patterns[name]``):
    a check compiles only what its source needs, and a build that rebuilds nothing none."""

    def __init__(self, sources: dict[str, str] | None = None):
        super().__init__()
        self.sources = dict(sources or {})

    def __missing__(self, name: str) -> re.Pattern:
        if name not in self.sources:
            raise KeyError(name)
        compiled = self[name] = re.compile(self.sources[name])
        return compiled

    def __contains__(self, name) -> bool:
        return name in self.sources

    def get(self, name, default=None):
        return self[name] if name in self.sources else default


@record(frozen=True)
class Conventions:
    """The conventions of the data file. Every pattern was checked when the file was (or, when
    this very file was found clean by this very code before, in the per-user cache), and is
    compiled when first used: the attributes below that hold patterns are made on first use."""

    declarations: tuple[Declaration, ...]
    brackets: tuple[BracketClassifier, ...]
    structure: dict
    patterns: Patterns  # the structure patterns, compiled on first use
    furniture_sources: tuple[tuple[str, str], ...] = ()
    salutes: tuple[str, ...] | None = None  # the closing salutes (None: none could be read)
    tunings: dict[str, int] | None = None
    kind_sources: tuple[tuple[str, str], ...] = ()  # document kinds, from the title
    list_sources: dict[str, tuple[str, ...]] | None = None  # [structure] lists of patterns

    @functools.cached_property
    def furniture(self) -> tuple[tuple[str, re.Pattern], ...]:
        return tuple((kind, re.compile(source)) for kind, source in self.furniture_sources)

    @functools.cached_property
    def salute(self) -> re.Pattern:
        """A closing salute at the start of a line."""
        return re.compile(NEVER) if self.salutes is None else salute_pattern(list(self.salutes))

    @functools.cached_property
    def kinds(self) -> tuple[tuple[str, re.Pattern], ...]:
        return tuple((kind, re.compile(source)) for kind, source in self.kind_sources)

    @functools.cached_property
    def lists(self) -> dict[str, tuple[re.Pattern, ...]]:
        return {name: tuple(re.compile(s) for s in sources) for name, sources in (self.list_sources or {}).items()}

    def patterns_of(self, name: str) -> tuple[re.Pattern, ...]:
        """A list of patterns of [structure] (speaker_conversation, header)."""
        return self.lists.get(name, ())

    def pattern(self, name: str) -> re.Pattern:
        """A structure pattern of the data file (compiled once, when first asked for)."""
        return self.patterns[name]

    def tuning(self, name: str) -> int:
        """A number of ``[tuning]``: a window, a length, a limit."""
        return (self.tunings or {})[name]

    @functools.cached_property
    def _furniture_for(self):
        """The furniture patterns that may match a line, by its first character (``rules.ByFirstCharacter``,
        imported here: a command that reads the conventions alone does not load the rules), each
        as (kind, its ``match``, a test that the line holds the strings any line it matches holds:
        ``rules.required_strings``, ``rules.may_hold``)."""
        from pipeline.rules import ByFirstCharacter, may_hold, required_strings

        def holding(needles):
            return functools.partial(may_hold, needles) if needles else None

        items = tuple((kind, pattern.match, holding(required_strings(pattern)), pattern) for kind, pattern in self.furniture)
        return ByFirstCharacter(items, lambda item: item[3])

    def furniture_kind(self, line: str) -> str | None:
        """The kind of archival furniture a line is (classification, telegram...), if any: the
        patterns tried are those that can begin with the line's first character, and only on a
        line that holds the strings they need (the leaders' ellipsis: an ``in`` test costs far
        less than the pattern's scan of a paragraph)."""
        line = line.strip()  # (once, not once per pattern)
        for kind, match, holds, _ in self._furniture_for(line):
            if (holds is None or holds(line)) and match(line):
                return kind
        return None

    def furniture_patterns(self) -> tuple[tuple[str, re.Pattern], ...]:
        return self.furniture

    def document_kind(self, title: str) -> str | None:
        """The kind of document a title names (telegram, letter, record-of-conversation...)."""
        title = re.split(r"[,:]?\s*[\u2018\u201c\"']", title or "", maxsplit=1)[0]  # not the subject in quotes
        subject = self.patterns.get("title_subject")
        head = subject.split(title, maxsplit=1)[0] if subject else title
        for words in (head, title):  # "Telegram to X on the Agenda for the Meeting": a telegram
            for kind, pattern in self.kinds:
                if pattern.search(words):
                    return kind
        return None

    def declare(self, text: str) -> tuple[str | None, str | None, list[str]]:
        """What a title's parenthesis declares: (italics meaning, brackets meaning, phrases)."""
        italics = brackets = None
        phrases = []
        for d in self.declarations:
            m = d.pattern.search(text)
            if m:
                italics = d.italics or italics
                brackets = d.brackets or brackets
                phrases.append(m.group())
        return italics, brackets, phrases


def salute_pattern(salutes: list[str]) -> re.Pattern:
    """A closing salute at the start of a line, the longest alternative first."""
    alternatives = "|".join(re.escape(x) for x in sorted(salutes, key=len, reverse=True))
    return re.compile(rf"^(?:{alternatives})[,.!]?(?=\s|$)")


def _shown(value) -> str:
    """A value as TOML writes it, for a message."""
    import json  # a message about a data file's typo: not loaded at every start

    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


class _Checker:
    """Checks the parsed file, collecting findings at the lines of ``TomlLines``.

    A ``trusting`` checker is for a file this very code found clean before: it does the same
    cheap checks (they find nothing) but compiles no pattern, which is what costs."""

    def __init__(self, path: str, text: str, trusting: bool = False):
        self.path = path
        self.text = text
        self.trusting = trusting
        self.found: list[Diagnostic] = []

    @functools.cached_property
    def lines(self) -> TomlLines:
        """Where tables and keys stand: worked out only when there is something to report."""
        return TomlLines(self.text)

    def report(self, code: str, table: str = "", index: int = 0, at: str | None = None, **fields) -> None:
        """A finding at the key ``at`` of a table (of the n-th of an array of tables), else at its header."""
        self.found.append(make(code, self.path, self.lines.line(table, index, at), 1, **fields))

    def keys(self, item: dict, allowed, table: str, index: int, where: str) -> None:
        for key in item:
            if key not in allowed:
                self.report("D608", table, index, key, key=key, where=where, known=", ".join(allowed))

    def compile(self, value, flags: int, table: str, index: int, key: str, where: str,
                groups: tuple[str, ...] = ()) -> bool:
        """Whether ``value`` is a regular expression (reported when not); a missing named group
        of ``groups`` is reported too, but leaves the pattern usable."""
        if not isinstance(value, str):
            self.report("D611", table, index, key, key=key, value=_shown(value), where=where,
                        allowed="a regular expression in a string")
            return False
        if self.trusting:
            return True
        try:
            compiled = re.compile(value, flags)
        except re.error as err:
            self.report("D607", table, index, key, where=f"{where}, {key}", error=err)
            return False
        for group in groups:
            if group not in compiled.groupindex:
                self.report("D612", table, index, key, where=f"the pattern {key} of {where}",
                            what=f"group (?P<{group}>...)")
        return True

    def tables(self, data: dict, name: str) -> list:
        items = data.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            self.report("D611", "", 0, name, key=name, value=f"a {type(items).__name__}",
                        where="the file's top level", allowed=f"tables [[{name}]]")
            return []
        return items


def load_conventions(path: Path | None = None, *, kinds=None, checks=None) -> tuple[Conventions, list[Diagnostic]]:
    """Load and check ``conventions.toml``; what is wrong is left out and reported.

    ``kinds`` and ``checks`` are the names a bracket classifier may use (by default
    ``known_kinds()`` and ``known_checks()``).
    """
    path = path or data_path("conventions.toml")
    text, data, found = read_toml(path)
    if data is None:
        return Conventions((), (), {}, Patterns()), found
    return _conventions(_Checker(str(path), text), data, kinds, checks)


def _conventions(check: _Checker, data: dict, kinds=None, checks=None) -> tuple[Conventions, list[Diagnostic]]:
    """The conventions of the parsed file, checked by ``check`` (which reports what is wrong)."""
    kinds = known_kinds() if kinds is None else kinds
    checks = known_checks() if checks is None else checks
    check.keys(data, TOP_KEYS, "", 0, "the file's top level")

    declarations = []
    for index, item in enumerate(check.tables(data, "declaration")):
        where = f"[[declaration]] {index + 1}"
        check.keys(item, DECLARATION_KEYS, "declaration", index, where)
        if "pattern" not in item:
            check.report("D612", "declaration", index, where=where, what="pattern")
            continue
        good = check.compile(item["pattern"], re.I, "declaration", index, "pattern", where)
        meanings = {}
        for sign, allowed in MEANINGS.items():
            value = item.get(sign)
            if value is not None and value not in allowed:
                check.report("D611", "declaration", index, sign, key=sign, value=_shown(value), where=where,
                             allowed=", ".join(allowed))
                value = None
            meanings[sign] = value
        if "italics" not in item and "brackets" not in item:
            check.report("D612", "declaration", index, where=where, what="italics or brackets meaning")
        if good:
            declarations.append(Declaration(item["pattern"], meanings["italics"], meanings["brackets"]))

    brackets = []
    for index, item in enumerate(check.tables(data, "bracket")):
        where = f"[[bracket]] {index + 1}"
        check.keys(item, BRACKET_KEYS, "bracket", index, where)
        good = True
        kind = item.get("kind")
        if kind is None:
            check.report("D612", "bracket", index, where=where, what="kind")
            good = False
        elif kind not in kinds:
            check.report("D610", "bracket", index, "kind", kind=kind, where=where, known=", ".join(sorted(kinds)))
            good = False
        for key in ("content", "before", "after"):
            if key in item:
                good = check.compile(item[key], 0, "bracket", index, key, where) and good
        name = item.get("check")
        if name is not None and name not in checks:
            check.report("D609", "bracket", index, "check", check=name, where=where, known=", ".join(sorted(checks)))
            good = False
        reason = item.get("reason")
        if reason is not None and not isinstance(reason, str):
            check.report("D611", "bracket", index, "reason", key="reason", value=_shown(reason), where=where,
                         allowed="a string")
            good = False
        if good:
            brackets.append(BracketClassifier(kind, item.get("content"), name, reason, item.get("before"),
                                              item.get("after")))

    structure = data.get("structure", {})
    if not isinstance(structure, dict):
        check.report("D611", "", 0, "structure", key="structure", value=f"a {type(structure).__name__}",
                     where="the file's top level",
                     allowed="a table [structure]")
        structure = {}
    check.keys(structure, (*STRUCTURE_PATTERNS, *STRUCTURE_OTHER), "structure", 0, "[structure]")
    patterns = {}
    for name, groups in STRUCTURE_PATTERNS.items():
        if name not in structure:
            check.report("D612", "structure", where="[structure]", what=f"pattern {name}")
            continue
        if check.compile(structure[name], 0, "structure", 0, name, "[structure]", groups):
            patterns[name] = structure[name]
    salutes = structure.get("salutes", [])
    if not isinstance(salutes, list) or not all(isinstance(s, str) and s for s in salutes):
        check.report("D611", "structure", 0, "salutes", key="salutes", value=_shown(salutes), where="[structure]",
                     allowed="a list of non-empty strings")
        salutes = []
    minimum = structure.get("headnote_min_words", 12)
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
        check.report("D611", "structure", 0, "headnote_min_words", key="headnote_min_words", value=_shown(minimum),
                     where="[structure]", allowed="a positive integer")
    furniture = []
    table = structure.get("furniture", {})
    if not isinstance(table, dict):
        check.report("D611", "structure", 0, "furniture", key="furniture", value=_shown(table), where="[structure]",
                     allowed="a table [structure.furniture] of patterns")
        table = {}
    for kind, value in table.items():
        if check.compile(value, 0, "structure.furniture", 0, kind, "[structure.furniture]"):
            furniture.append((kind, value))

    kinds = []
    table = structure.get("kinds", {})
    for kind, value in (table.items() if isinstance(table, dict) else []):
        if check.compile(value, 0, "structure.kinds", 0, kind, "[structure.kinds]"):
            kinds.append((kind, value))
    lists = {}
    for name in STRUCTURE_PATTERN_LISTS:
        values = structure.get(name, [])
        if not isinstance(values, list):
            check.report("D611", "structure", 0, name, key=name, value=_shown(values), where="[structure]",
                         allowed="a list of patterns")
            values = []
        lists[name] = tuple(v for v in values if check.compile(v, 0, "structure", 0, name, "[structure]"))

    tunings = {}
    tuning = data.get("tuning", {})
    if not isinstance(tuning, dict):
        check.report("D611", "", 0, "tuning", key="tuning", value=_shown(tuning),
                     where="the file's top level", allowed="a table [tuning]")
        tuning = {}
    check.keys(tuning, TUNING, "tuning", 0, "[tuning]")
    for name in TUNING:
        value = tuning.get(name)
        if value is None:
            check.report("D612", "tuning", where="[tuning]", what=name)
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            check.report("D613", "tuning", 0, name, key=name, value=_shown(value))
        else:
            tunings[name] = value

    conventions = Conventions(tuple(declarations), tuple(brackets), structure, Patterns(patterns), tuple(furniture),
                              tuple(salutes), tunings, tuple(kinds), lists)
    return conventions, check.found


@functools.cache
def load_default_conventions() -> tuple[Conventions, list[Diagnostic]]:
    """The data directory's ``conventions.toml`` and its findings (loaded once per process).

    A file with the very bytes this very code found clean before (``pipeline.datafiles``'s
    verdicts) is not checked again: its patterns are compiled when first used, not here."""
    path = data_path("conventions.toml")
    text, data, found = read_toml(path)
    if data is None:
        return Conventions((), (), {}, Patterns()), found
    return _conventions(_Checker(str(path), text, trusting=found_clean(path, text)), data)


def default_conventions() -> Conventions:
    """The data directory's conventions (each pattern compiled when first used)."""
    return load_default_conventions()[0]
