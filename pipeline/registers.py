"""Registers of people, places and organizations, loaded from ``data/registers.toml``.

A register entry has an id, a kind, a canonical name and variants (pseudonyms, other
romanizations, known OCR corruptions). The register finds names in text and matches
near misses fuzzily, with thresholds that are settings in the data file.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from pipeline.datafiles import TomlLines, data_path, read_toml
from pipeline.diagnostics import Diagnostic
from pipeline.findings import make
from pipeline.records import field, record

KINDS = {"person": "persName", "place": "placeName", "org": "orgName"}
ENTRY_KEYS = ("id", "name", "variants", "ocr", "index")
TABLE_KEYS = {"fuzzy": ("correct", "suggest", "margin", "min_length", "ignore"), "abbreviation": ("abbr", "expan"),
              **{kind: ENTRY_KEYS for kind in KINDS}}
ID_RE = re.compile(r"^[a-z][a-z0-9-]*$")
RUN_WORD = re.compile(r"[^ -]+")  # the words of a run of capitalized words


def name_finder(forms) -> re.Pattern:
    r"""A regex finding the ``forms`` (the longest first) where they stand alone: no word
    character or hyphen on either side.

    It is one alternation of every form between ``(?<![\w-])`` and ``(?![\w-])``, but with
    the alternatives grouped by their first character, each group opening with that character
    (the boundary before the name tested after it, ``(?<![\w-](?s:.))``): the regex engine then
    skips ahead to those characters and at each tries only the forms that begin with it, in the
    same order, where the plain alternation tries every form at every position of the text. The
    matches are the same."""
    groups: dict[str, list[str]] = {}
    for form in sorted(forms, key=lambda f: (-len(f), f)):
        groups.setdefault(form[0], []).append(form[1:])
    body = "|".join(
        re.escape(first) + r"(?<![\w-](?s:.))(?:" + "|".join(re.escape(rest) for rest in rests) + ")"
        for first, rests in groups.items()
    ) or r"(?!x)x"
    return re.compile(rf"(?:{body})(?![\w-])")


@record(frozen=True)
class Entry:
    """One person, place or organization."""

    id: str
    kind: str
    name: str
    variants: tuple[str, ...] = ()
    ocr: tuple[str, ...] = ()
    index: str | None = None

    @property
    def element(self) -> str:
        return KINDS[self.kind]

    def forms(self) -> list[str]:
        """Every written form that names this entry (not the OCR corruptions)."""
        forms = [self.name, *self.variants]
        return forms + [f.upper() for f in forms if f.upper() != f and len(f) > 3]


@record
class Register:
    """All entries, their written forms, and the fuzzy matcher's settings."""

    entries: list[Entry]
    abbreviations: dict[str, str]
    correct: float = 92.0
    suggest: float = 84.0
    margin: float = 4.0
    min_length: int = 5
    ignore: frozenset[str] = frozenset()
    forms: dict[str, Entry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for entry in self.entries:
            for form in entry.forms():
                self.forms.setdefault(form, entry)
        # the forms in two regexes: those that begin with a lower-case letter ("the United States")
        # apart, for a scan of the others stops only at capitals, figures and other scripts' signs
        # (one regex of every form stops at every 't' of a text); ``finditer`` reads both as one
        self._lowercase = tuple(form for form in self.forms if form[:1].islower())
        self.finder = name_finder([form for form in self.forms if not form[:1].islower()])
        self._lowercase_finder = name_finder(self._lowercase) if self._lowercase else None
        self.by_id = {e.id: e for e in self.entries}
        self._choices: dict[int, list[str]] = {}
        self._near: dict[str, tuple | None] = {}  # memo: words recur from document to document
        self._kept: dict[str, tuple | None] | None = None  # the near misses kept between runs (``_kept_near``)
        self._kept_key, self._kept_changed = "", False
        self._verdicts: dict[str, tuple | None] = {}  # memo of ``verdict``, for the same reason
        self._runs: tuple[dict[str, tuple], dict[str, tuple]] = ({}, {})  # memo of ``judge_run``, by ``reporting``

    def finditer(self, text: str):
        """The matches of the forms in ``text``, as one regex of them all (``name_finder``) finds
        them: where no form beginning with a lower-case letter stands in ``text``, those of the
        regex of the others (``finditer`` itself, no generator in between), else ``_merged``."""
        for form in self._lowercase:
            if form in text:
                return self._merged(text)
        return self.finder.finditer(text)

    def _merged(self, text: str):
        """The matches of both regexes, left to right: the earlier of the next match of each, the
        other's sought again after it where it began inside it (no two matches begin at the same
        place: the forms of one regex begin with a character those of the other never do)."""
        finders = (self.finder, self._lowercase_finder)
        found = [finder.search(text) for finder in finders]
        while found[0] is not None or found[1] is not None:
            first = 0 if found[1] is None or (found[0] is not None and found[0].start() < found[1].start()) else 1
            m = found[first]
            yield m
            for i, other in enumerate(found):
                if other is not None and other.start() < m.end():
                    found[i] = finders[i].search(text, m.end())

    def names_in(self, text: str):
        """A function that gives what ``finditer`` gives for any part of ``text``: the lower-case
        forms that stand in ``text`` are found once for a document, and only those are looked
        for in each of its runs of text (where none stands, the one regex of the others)."""
        present = tuple(form for form in self._lowercase if form in text)
        if not present:
            return self.finder.finditer
        finditer, merged = self.finder.finditer, self._merged

        def names(part: str):
            for form in present:
                if form in part:
                    return merged(part)
            return finditer(part)

        return names

    def find(self, text: str):
        """Yield (start, end, entry) for every register name in ``text``, longest first."""
        for m in self.finditer(text):
            yield m.start(), m.end(), self.forms[m.group()]

    def lookup(self, form: str) -> Entry | None:
        return self.forms.get(form.strip())

    def ends_with_name(self, text: str) -> Entry | None:
        """The entry whose name ends ``text`` (the words just before a bracket), if any."""
        tail = text.rstrip()
        best = None
        for m in self.finditer(tail[-80:]):
            if m.end() == len(tail[-80:]):
                best = self.forms[m.group()]
        return best

    def judge_run(self, run: str, reporting: bool) -> tuple[tuple[int, int, tuple], ...]:
        """What the fuzzy matcher makes of a run of capitalized words (``Kim II Sung``): the
        windows (start, end in ``run``) that are register names, near misses to correct or
        (when ``reporting``) to suggest, with their verdicts. Memoized: runs recur.

        The words are read left to right; at each word the longest window (up to three
        words) with a verdict is taken and the words it covers are skipped; a window that
        is not a name is compared with the register's names of its length in words."""
        memo = self._runs[reporting]
        try:
            return memo[run]
        except KeyError:
            pass
        if len(memo) > 50_000:
            memo.clear()
        words = [(w.start(), w.end()) for w in RUN_WORD.finditer(run)] if " " in run or "-" in run else [
            (0, len(run))]
        actions = []
        i = 0
        while i < len(words):
            step = 1
            for length in range(min(3, len(words) - i), 0, -1):
                start, end = words[i][0], words[i + length - 1][1]
                judged = self.verdict(run[start:end])
                if judged is None or (judged[0] == "suggest" and not reporting):
                    continue
                actions.append((start, end, judged))
                step = length
                break
            i += step
        result = memo[run] = tuple(actions)
        return result

    def judged_runs(self, reporting: bool) -> dict[str, tuple]:
        """The runs ``judge_run`` has judged (with this ``reporting``), and what it made of each:
        a caller that judges many runs looks each up here first, without a call."""
        return self._runs[reporting]

    def verdict(self, token: str) -> tuple | None:
        """What a capitalized token of a text is to the fuzzy matcher, memoized: ``("name",)``
        for a register form, ``("correct", form)`` for a confident near miss, ``("suggest",
        form, entry, score)`` for a doubtful one, None for a token to pass over."""
        try:
            return self._verdicts[token]
        except KeyError:
            pass
        if len(self._verdicts) > 50_000:
            self._verdicts.clear()
        result = self._verdicts[token] = self._verdict(token)
        return result

    def _verdict(self, token: str) -> tuple | None:
        if self.lookup(token):
            return ("name",)
        if token in self.ignore or len(token) < self.min_length:
            return None
        match = self.near_miss(token)
        if match is None:
            return None
        entry, form, score, runner_up = match
        if score >= self.correct and score - runner_up >= self.margin:
            return ("correct", form)
        if score >= self.suggest:
            return ("suggest", form, entry, score)
        return None

    def near_miss(self, token: str) -> tuple[Entry, str, float, float] | None:
        """Best register form for a token not in the register: (entry, form, score, runner-up).
        Memoized, and kept between runs (``_kept_near``)."""
        if token in self._near:
            return self._near[token]
        if len(self._near) > 50_000:
            self._near.clear()
        kept = self._kept_near()
        known = kept.get(token, False)
        if known is None:
            result = None
        elif known is not False and known[0] in self.forms:
            form, score, runner_up = known
            result = (self.forms[form], form, score, runner_up)
        else:
            result = self._near_miss(token)
            if len(kept) > KEPT_NEAR_MISSES:
                kept.clear()
            kept[token] = None if result is None else result[1:]
            self._kept_changed = True
        self._near[token] = result
        return result

    def _kept_near(self) -> dict:
        """The near misses an earlier run worked out with these very forms and settings, under
        this very code and rapidfuzz (the per-user cache's ``near-misses``): a check of an
        edited source meets the same names again, and then need not even load the fuzzy
        matcher. Written when the command ends (``usercache.flush``)."""
        if self._kept is None:
            import marshal

            from pipeline import usercache

            self._kept, self._kept_changed = {}, False
            self._kept_key = usercache.digest(
                usercache.code_stamp(), _rapidfuzz_stamp(),
                repr((self.correct, self.suggest, self.margin)),
                "\n".join(f"{form}\t{entry.id}" for form, entry in self.forms.items()))
            data = usercache.recall_bytes(NEAR_MISSES, self._kept_key)
            try:
                loaded = marshal.loads(data) if data else {}
                if isinstance(loaded, dict):
                    self._kept = loaded
            except (EOFError, ValueError, TypeError):
                pass  # a damaged entry: worked out again, and kept anew
            usercache.keep_at_exit(self._write_kept)
        return self._kept

    def _write_kept(self) -> None:
        if self._kept_changed:
            import marshal

            from pipeline import usercache

            usercache.remember(NEAR_MISSES, self._kept_key, marshal.dumps(self._kept))
            self._kept_changed = False

    def _near_miss(self, token: str) -> tuple[Entry, str, float, float] | None:
        from rapidfuzz import fuzz, process

        words = token.count(" ") + 1
        choices = self._choices.get(words)
        if choices is None:
            choices = self._choices[words] = [f for f in self.forms if f.count(" ") + 1 == words and not f.isupper()]
        results = process.extract(token, choices, scorer=fuzz.ratio, limit=8,
                                  score_cutoff=min(self.suggest, self.correct) - self.margin)
        if not results:
            return None
        best_form, best_score, _ = results[0]
        entry = self.forms[best_form]
        runner_up = max((s for f, s, _ in results[1:] if self.forms[f].id != entry.id), default=0.0)
        return entry, best_form, best_score, runner_up


NEAR_MISSES = "near-misses"  # the per-user cache's folder of kept near misses
KEPT_NEAR_MISSES = 100_000  # tokens kept at most per register; beyond, the table starts afresh


def _rapidfuzz_stamp() -> str:
    """The size and time of the installed rapidfuzz (found on the path, not imported: its
    import is what the kept near misses spare a run), so that another version is a miss."""
    import os
    import sys

    for folder in sys.path:
        try:
            stat = os.stat(os.path.join(folder or ".", "rapidfuzz", "__init__.py"))
        except OSError:
            continue
        return f"{os.path.abspath(folder or '.')} {stat.st_size}:{stat.st_mtime_ns}"
    return "-"


def _locate(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def load_register(path: Path | None = None) -> tuple[Register, list[Diagnostic]]:
    """Load and check the registers; problems are located findings in the data file."""
    path = path or data_path("registers.toml")
    spath = str(path)
    text, data, found = read_toml(path)
    if data is None:
        return Register([], {}), found
    where = TomlLines(text)
    for table, value in data.items():
        if table not in TABLE_KEYS:
            line = max(where.line("", 0, table), where.line(table))  # a key, or a table's header
            found.append(make("D608", spath, line, 1, key=table, where="the file's top level",
                              known=", ".join(TABLE_KEYS)))
            continue
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            for key in item if isinstance(item, dict) else ():
                if key not in TABLE_KEYS[table]:
                    found.append(make("D608", spath, where.line(table, index, key), 1, key=key,
                                      where=f"[{table}]" if table == "fuzzy" else f"[[{table}]] {index + 1}",
                                      known=", ".join(TABLE_KEYS[table])))
    entries: list[Entry] = []
    seen: set[str] = set()
    for kind in KINDS:
        for item in data.get(kind, []):
            eid = item.get("id", "")
            line = _locate(text, f'id = "{eid}"')
            if not ID_RE.match(str(eid)) or "name" not in item:
                found.append(make("D602", spath, line, 1, id=eid))
                continue
            if eid in seen:
                found.append(make("D603", spath, line, 1, what="register", id=eid))
                continue
            seen.add(eid)
            entries.append(Entry(eid, kind, item["name"], tuple(item.get("variants", [])),
                                 tuple(item.get("ocr", [])), item.get("index")))
    fuzzy = data.get("fuzzy", {})
    abbreviations = {a["abbr"]: a["expan"] for a in data.get("abbreviation", [])}
    register = Register(
        entries,
        abbreviations,
        correct=float(fuzzy.get("correct", 92.0)),
        suggest=float(fuzzy.get("suggest", 84.0)),
        margin=float(fuzzy.get("margin", 4.0)),
        min_length=int(fuzzy.get("min_length", 5)),
        ignore=frozenset(fuzzy.get("ignore", [])),
    )
    return register, found


@functools.cache
def load_default_register() -> tuple[Register, list[Diagnostic]]:
    """The data directory's registers and their findings (loaded once per process)."""
    return load_register()


def default_register() -> Register:
    """The package's registers."""
    return load_default_register()[0]
