"""Stage 2, normalize: repair OCR errors and broken layout by rules and registers.

Every rule of the table is matched against the received body; overlapping matches are
resolved by position (earliest, then longest, then table order) and applied in one pass.
Each applied match is a ``Change`` (rule id, original span, before, after) so that the
fix can be reviewed, shown in the TEI beside the original, and reversed.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from pathlib import Path

from pipeline.dates import find_dates, is_date_only
from pipeline.datafiles import TomlLines, data_path, read_toml
from pipeline.diagnostics import Diagnostic
from pipeline.findings import Reporter, make
from pipeline.page import default_page_data, interleaved_columns
from pipeline.records import record
from pipeline.registers import Register, default_register
from pipeline.rules import (Present, Rule, RuleTable, anchored_finditer, default_rules, matches_at, may_hold,
                            required_strings)

PARAGRAPH_BREAK = re.compile(r"[ \t]*\r?\n[ \t]*\r?\n\s*")
CONTEXT_WINDOW = 80  # how far before a match a rule's ``before`` context may reach
@functools.cache
def _name_run() -> re.Pattern:
    r"""Runs of one to four capitalized words (``Kim Il Sung``, ``Chiang Kai-shek``) that stand
    alone (no word character or hyphen on either side).

    The capital comes first and the look-behind after it (``[A-Z](?<![\w-].)``, which looks at
    the character before the capital), so that the scan only stops at capitals."""
    return re.compile(r"[A-Z](?<![\w-].)[a-z]+(?:[ -][A-Z][a-z]+){0,3}(?![\w-])")


@record(frozen=True)
class Change:
    """One applied fix: ``before`` at [start, end) of the received body became ``after``.

    ``nstart`` is where ``after`` begins in the normalized text.
    """

    rule: str
    kind: str
    start: int
    end: int
    before: str
    after: str
    message: str
    nstart: int = 0

    @property
    def nend(self) -> int:
        return self.nstart + len(self.after)

    @property
    def inline(self) -> bool:
        return self.kind == "ocr"


@record
class Normalized:
    """The normalized text, the changes that made it, and the map back to the received body."""

    text: str
    changes: list[Change]

    def __post_init__(self) -> None:
        self._nstarts = [c.nstart for c in self.changes]

    def reverse(self) -> str:
        """The received body, rebuilt by undoing every change: the changes are reversible."""
        pieces, position = [], 0
        for change in self.changes:
            pieces.append(self.text[position:change.nstart])
            pieces.append(change.before)
            position = change.nend
        pieces.append(self.text[position:])
        return "".join(pieces)

    def original_offset(self, offset: int) -> int:
        """The offset in the received body of a character of the normalized text."""
        i = bisect.bisect_right(self._nstarts, offset) - 1
        if i < 0:
            return offset
        change = self.changes[i]
        if offset < change.nend:
            return change.start + min(offset - change.nstart, max(len(change.before) - 1, 0))
        return change.end + (offset - change.nend)


def load_furniture(path: Path | None = None) -> tuple[tuple[str, ...], list[Diagnostic]]:
    """Load and check ``furniture.toml``: a list ``phrases`` of non-empty strings."""
    path = path or data_path("furniture.toml")
    text, data, found = read_toml(path)
    if data is None:
        return (), found
    where = TomlLines(text)
    for key in data:
        if key != "phrases":
            found.append(make("D608", str(path), where.line("", 0, key), 1, key=key, where="the file's top level",
                              known="phrases"))
    phrases = data.get("phrases", [])
    if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
        found.append(make("D611", str(path), where.line("", 0, "phrases"), 1, key="phrases", value=phrases,
                          where="the file's top level", allowed="a list of non-empty strings"))
        return (), found
    return tuple(phrases), found


@functools.cache
def load_default_furniture() -> tuple[tuple[str, ...], list[Diagnostic]]:
    """The data directory's furniture phrases and their findings (loaded once per process)."""
    return load_furniture()


def furniture_phrases() -> tuple[str, ...]:
    return load_default_furniture()[0]


@functools.cache
def _furniture_pattern() -> re.Pattern | None:
    phrases = sorted(furniture_phrases(), key=len, reverse=True)
    if not phrases:
        return None
    alternatives = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)
    return re.compile(rf"(?i)(?<![\w])(?:{alternatives})(?![\w])[ \t]*")


@functools.cache
def _furniture_first_words() -> tuple[str, ...]:
    """The first words of the furniture phrases, lower-cased: every match begins with one."""
    return tuple(sorted({p.split()[0].lower() for p in furniture_phrases()}))


def _furniture(body: str, register: Register):
    pattern = _furniture_pattern()
    if pattern is None:
        return
    lowered = body.lower()
    if not any(word in lowered for word in _furniture_first_words()):
        return
    if not body.isascii():
        for m in pattern.finditer(body):
            yield m.start(), m.end(), ""
        return
    # An ASCII text lower-cases character for character, as the case-blind pattern compares:
    # a match can only begin where a phrase's first word stands, and the pattern is tried
    # there alone, left to right, as ``finditer`` would find it (at most a handful of places
    # instead of every character of the text).
    position = 0
    for candidate in sorted(_occurrences(lowered, _furniture_first_words())):
        if candidate < position:
            continue
        m = pattern.match(body, candidate)
        if m is not None:
            yield m.start(), m.end(), ""
            position = m.end()


def _occurrences(text: str, needles: tuple[str, ...]) -> set[int]:
    """Every offset where one of ``needles`` stands in ``text``."""
    found = set()
    for needle in needles:
        at = text.find(needle)
        while at >= 0:
            found.add(at)
            at = text.find(needle, at + 1)
    return found


@functools.cache
def _paragraph_breaks():
    """What ``PARAGRAPH_BREAK.finditer`` yields for a text, found from the line breaks
    (``rules.anchored_finditer``): the pattern, which begins with an optional run of spaces, is
    otherwise tried at every character of the text."""
    return anchored_finditer(PARAGRAPH_BREAK) or PARAGRAPH_BREAK.finditer


def _open_parenthesis(body: str, register: Register):
    if "(" not in body:
        return
    depth = 0
    position = 0
    for sep in _paragraph_breaks()(body):
        paragraph = body[position:sep.start()]
        depth = max(depth + paragraph.count("(") - paragraph.count(")"), 0)
        if depth > 0 and sep.end() < len(body):
            yield sep.start(), sep.end(), " "
        else:
            depth = 0
        position = sep.end()


def _nfc(body: str, register: Register):
    if unicodedata.is_normalized("NFC", body):
        return
    for m in re.finditer(r"\S+", body):
        token = m.group()
        if not unicodedata.is_normalized("NFC", token):
            yield m.start(), m.end(), unicodedata.normalize("NFC", token)


def _register_ocr(body: str, register: Register):
    for entry in register.entries:
        for form in entry.ocr:
            for m in re.finditer(rf"(?<![\w-]){re.escape(form)}(?![\w-])", body):
                yield m.start(), m.end(), entry.name


def _register_fuzzy(body: str, register: Register, found: Reporter | None = None):
    """Correct confident near misses of register names; report doubtful ones as suggestions.

    Runs of capitalized words are found here; what the register makes of each run (its
    names, near misses and suggestions: ``Register.judge_run``) depends on the run's text
    alone and is worked out once per process for each distinct run.
    """
    judge = register.judge_run
    reporting = found is not None
    known = register.judged_runs(reporting)
    for run in _name_run().finditer(body):
        actions = known.get(run.group())
        if actions is None:
            actions = judge(run.group(), reporting)
        if not actions:
            continue
        offset = run.start()
        for start, end, judged in actions:
            if judged[0] == "correct":
                yield offset + start, offset + end, judged[1]
            elif judged[0] == "suggest" and found is not None:
                _, form, entry, score = judged
                found.at(offset + start, "N212", token=run.group()[start:end], form=form, kind=entry.kind,
                         id=entry.id, score=score)


@functools.cache
def _spaced_capitals_pattern() -> tuple[re.Pattern, re.Pattern]:
    r"""Four or more capitals, each followed by one space but the last, standing alone (``(?<!\w)``
    written after the first capital, ``(?<!\w.)``); and the space after the first capital of
    every such run (one followed by three spaced capitals), where the scan stops far less often
    than at every capital: a space is a single character the engine skips ahead to, and seldom
    followed by a capital and a space."""
    return re.compile(r"[A-Z](?<!\w.) (?:[A-Z] ){2,}[A-Z](?!\w)"), re.compile(r" (?=[A-Z] [A-Z] [A-Z])")


def _spaced_capitals(body: str, register: Register, present: Present | None = None):
    """Spaced capitals joined (``present``: the text's strings and marks, which show first
    whether four capitals, each followed by one space but the last, stand in it)."""
    if present is not None and not present.adjacent(("A A A A",)):
        return
    pattern, after_first = _spaced_capitals_pattern()
    for m in matches_at(pattern, body, (space.start() - 1 for space in after_first.finditer(body) if space.start())):
        yield m.start(), m.end(), m.group().replace(" ", "")


SENTENCE_END = ".!?:;\"'\u201d\u2019)]\u2026"
BLANK = " \t\u00a0\r"


def find_date_line(text: str) -> bool:
    """A line that is mostly a date ('14 August 1969', '28-29 December 1957]')."""
    for date in find_dates(text):
        return len(text) - (date.end - date.start) <= 8
    return False


def _date_line(text: str) -> bool:
    """A line that is a date, or mostly one: never a running head or a page number."""
    return is_date_only(text) or find_date_line(text)


def _interrupts(lines: list[tuple[int, str]], i: int, heads: set[int]) -> bool:
    """Does line ``i`` stand inside a sentence (the text before it runs on after it)?"""
    before = next((lines[k][1] for k in range(i - 1, -1, -1) if lines[k][1].strip(BLANK) and k not in heads), "")
    after = next((lines[k][1] for k in range(i + 1, len(lines)) if lines[k][1].strip(BLANK) and k not in heads), "")
    before, after = before.rstrip(BLANK), after.lstrip(BLANK)
    return bool(before and after) and before[-1] not in SENTENCE_END and after[0].islower()


def running_head_lines(body: str) -> dict[int, str]:
    """The lines of a printed page's running heads and page numbers: {line index: fw type}.

    A line naming a periodical is a running head wherever it stands; another short line is one
    when it comes back with different page numbers, or comes back and interrupts a sentence; a
    page number alone on its line is one on a page with running heads, or when such numbers
    come back in increasing order and interrupt a sentence (``[running_heads]``, page.toml).
    """
    data = default_page_data().running_heads
    # the periodical pattern (tried twice a line, and slow to fail) only on a line holding a word
    # such a title needs (``required_strings``; the head is part of the line): most hold none
    periodical_words = required_strings(data.periodical)
    lines, position = [], 0
    for piece in body.split("\n"):
        lines.append((position, piece))
        position += len(piece) + 1
    found: dict[int, str] = {}
    repeated: dict[str, list[tuple[int, str | None]]] = {}
    numbers: list[int] = []
    for i, (_, raw) in enumerate(lines):
        text = raw.strip(BLANK)
        if not text or len(text) > 160:
            continue
        # a line that is a date is none of these: tested only for a line that would be one (the
        # date patterns cost more than the tests below, which most lines fail)
        if data.page_number.match(text):
            if not _date_line(text):
                numbers.append(i)
            continue
        m = data.numbered.match(text)
        head = (m.group("head") or m.group("head2")) if m else text
        number = (m.group("lead") or m.group("trail")) if m else None
        if may_hold(periodical_words, text) and (data.periodical.match(text) or data.periodical.match(head)):
            if not _date_line(text):
                found[i] = "header"
            continue
        if len(head.split()) > data.max_words or head.endswith((".", ":", ",", ";")) or not re.search(
                r"[^\W\d_]{2}", head):
            continue
        if not _date_line(text):
            repeated.setdefault(" ".join(head.casefold().split()), []).append((i, number))
    for key, hits in repeated.items():
        if len(hits) < data.repeats or len(re.findall(r"[^\W\d_]{2,}", key)) < 2:
            continue
        starts = [lines[i][0] for i, _ in hits]
        if any(b - a < data.min_interval for a, b in zip(starts, starts[1:])):
            continue  # a printed page's worth of text between two running heads
        at = {i for i, _ in hits}
        if len({n for _, n in hits if n}) >= 2 or any(_interrupts(lines, i, at) for i, _ in hits):
            found.update((i, "header") for i, _ in hits)
    values = [int(lines[i][1].strip(BLANK + "-\u2013\u2014")) for i in numbers]
    spaced = all(lines[b][0] - lines[a][0] >= data.min_interval for a, b in zip(numbers, numbers[1:]))
    if numbers and (found or (len(numbers) >= 2 and spaced and values == sorted(set(values)) and any(
            _interrupts(lines, i, set(numbers)) for i in numbers))):
        found.update((i, "pageNum") for i in numbers)
    return found


def _running_heads(body: str, register: Register):
    """Running heads and page numbers out; the text they interrupted joined again."""
    if "\n" not in body:
        return
    found = running_head_lines(body)
    if not found:
        return
    lines, position = [], 0
    for piece in body.split("\n"):
        lines.append((position, piece))
        position += len(piece) + 1
    blank = [not raw.strip(BLANK) for _, raw in lines]
    groups: list[list[int]] = []
    for i in sorted(found):
        if groups and all(blank[k] for k in range(groups[-1][-1] + 1, i)):
            groups[-1].append(i)
        else:
            groups.append([i])
    for group in groups:
        p = group[0] - 1
        while p >= 0 and blank[p]:
            p -= 1
        n = group[-1] + 1
        while n < len(lines) and blank[n]:
            n += 1
        if p >= 0:
            start = lines[p][0] + len(lines[p][1].rstrip(BLANK))
        else:
            start = lines[group[0]][0]
        end = lines[n][0] + len(lines[n][1]) - len(lines[n][1].lstrip(BLANK)) if n < len(lines) else len(body)
        before, after = body[:start], body[end:]
        if p < 0 or n >= len(lines):
            yield start, end, ""
        elif re.search(r"[^\W\d_]{2}-\Z", before) and re.match(r"[^\W\d_]{2}", after) and after[0].islower():
            yield start - 1, end, ""  # a word hyphenated across the page break
        elif before[-1] not in SENTENCE_END and after[0].islower():
            yield start, end, "\n"  # a sentence running on across the page break
        else:
            yield start, end, "\n\n"


BUILTIN_FINDERS = {
    "running-heads": _running_heads,
    "spaced-capitals": _spaced_capitals,
    "furniture": _furniture,
    "open-parenthesis": _open_parenthesis,
    "nfc": _nfc,
    "register-ocr": _register_ocr,
}


def _matches(rule: Rule, body: str, register: Register, found: Reporter | None, present: Present):
    """The (start, end, replacement) of each match of ``rule`` in ``body`` (``present``: the
    strings ``body`` holds, shared by the rules' prefilters)."""
    if rule.builtin == "register-fuzzy":
        yield from _register_fuzzy(body, register, found)
    elif rule.builtin == "spaced-capitals":
        yield from _spaced_capitals(body, register, present)
    elif rule.builtin:
        yield from BUILTIN_FINDERS[rule.builtin](body, register)
    elif rule.may_match(body, present):
        context, context_end, within = rule.context, rule.context_end, rule.within
        for m in rule.finditer(body):
            start, end = m.span("target")
            if start == end:
                continue
            if context is not None and (
                    (context_end is not None and (start == 0 or context_end.match(body, start - 1) is None))
                    or not context.search(body, max(0, start - CONTEXT_WINDOW), start)):
                continue  # (the context's last character first: a test far cheaper than its search)
            if within is not None and not within.match(body, body.rfind("\n", 0, start) + 1):
                continue
            after = m.expand(rule.replacement) if "\\" in rule.replacement else rule.replacement
            yield start, end, after


# what kind of decision a change is on the review page, and how sure its rule is
DECISION_KIND = {"furniture": "chrome", "ocr": "ocr", "layout": "layout", "markup": "markup", "forme": "page"}
MEDIUM = frozenset({"register-fuzzy", "spaced-capitals", "open-parenthesis", "furniture", "running-heads"})


def decision_kind(rule: Rule) -> str:
    return "name" if rule.builtin == "register-fuzzy" else DECISION_KIND[rule.kind]


def normalize(body: str, rules: RuleTable | None = None, register: Register | None = None,
              source=None, ledger=None) -> tuple[Normalized, list[Diagnostic]]:
    """Apply the rule table to ``body``; return the normalized text, its changes and findings.

    Findings (suggestions) are made only when ``source`` is given, at offsets of its received
    text, at most ``max_findings_per_code`` of one code; dropped web-page furniture is reported
    by the parser, which knows the page around the documents (N220). With a ``ledger``
    (``pipeline.decisions``) every change is recorded as a decision, and a change the editor
    rejected is not made: the received form stays in the reading.
    """
    rules = rules or default_rules()
    register = register or default_register()
    found = Reporter.for_source(source) if source is not None else None
    candidates = []
    present = Present(body)
    for order, rule in enumerate(rules.rules):
        for start, end, after in _matches(rule, body, register, found, present):
            if body[start:end] != after:
                candidates.append((start, -(end - start), order, end, after, rule))
    candidates.sort(key=lambda c: c[:3])
    accepted = []
    last_end = 0
    for start, _, _, end, after, rule in candidates:
        if start >= last_end:
            accepted.append((start, end, after, rule))
            last_end = end
    pieces: list[str] = []
    changes: list[Change] = []
    position = 0
    length = 0
    for start, end, after, rule in accepted:
        if ledger is not None:
            decision = ledger.decide(decision_kind(rule), rule.id, start, end, after,
                                     "medium" if rule.builtin in MEDIUM else "high", rule.message)
            if decision is not None and decision.editor.action == "reject":
                decision.applied = "rejected"
                continue
        pieces.append(body[position:start])
        length += start - position
        changes.append(Change(rule.id, rule.kind, start, end, body[start:end], after, rule.message, length))
        pieces.append(after)
        length += len(after)
        position = end
    pieces.append(body[position:])
    if found is None:
        return Normalized("".join(pieces), changes), []
    columns = interleaved_columns(body)
    if columns:
        offset, signs = columns
        found.at(offset, "N240", count=len(signs), signs=", ".join(f"'{s}'" for s in signs[:3]))
    return Normalized("".join(pieces), changes), found.diagnostics()


def apply_rule(rule: Rule, text: str, register: Register | None = None) -> str:
    """Apply one rule alone to ``text`` (used to run the examples in the rule table)."""
    table = RuleTable([rule])
    return normalize(text, table, register)[0].text
