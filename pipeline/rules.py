"""The normalization rule table, loaded from ``data/rules.toml`` and checked on loading.

A bad pattern, a duplicate id or a missing field is a located finding in the rules file,
never a traceback.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.diagnostics import Diagnostic, Severity

DATA = Path(__file__).parent / "data"
KINDS = ("ocr", "layout", "markup", "furniture")
BUILTINS = ("furniture", "open-parenthesis", "nfc", "register-ocr", "register-fuzzy", "spaced-capitals")
RULE_ID = re.compile(r"^[A-Z][A-Z0-9-]+$")
ID_LINE = re.compile(r'\s*id\s*=\s*"([^"]*)"')


@dataclass(frozen=True)
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

    @property
    def inline(self) -> bool:
        """OCR fixes are shown in the text as sic/corr; the rest go to the header's list."""
        return self.kind == "ocr"


@dataclass
class RuleTable:
    rules: list[Rule] = field(default_factory=list)
    path: str = ""

    def by_id(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


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
    path = path or DATA / "rules.toml"
    spath = str(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"at line (\d+), column (\d+)", str(err))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        return RuleTable(path=spath), [Diagnostic(spath, line, col, "D601", Severity.ERROR,
                                                  f"rule table is not valid TOML: {str(err).split(' (at')[0]}", None)]
    lines = text.split("\n")
    found: list[Diagnostic] = []
    rules: list[Rule] = []
    seen: set[str] = set()
    id_lines: dict[str, list[int]] = {}
    for number, content in enumerate(lines, 1):
        m = ID_LINE.match(content)
        if m:
            id_lines.setdefault(m.group(1), []).append(number)
    occurrences: dict[str, int] = {}
    for item in data.get("rule", []):
        rid = str(item.get("id", ""))
        occurrences[rid] = occurrences.get(rid, 0) + 1
        matching = id_lines.get(rid, [])
        line = matching[occurrences[rid] - 1] if len(matching) >= occurrences[rid] else 1

        def bad(code: str, message: str, hint: str | None = None) -> None:
            found.append(Diagnostic(spath, line, 1, code, Severity.ERROR, message, hint))

        if not RULE_ID.match(rid):
            bad("D604", f"rule id '{rid}' must be upper-case letters, digits and '-'")
            continue
        if rid in seen:
            bad("D603", f"rule id '{rid}' is used twice", "give each rule its own id")
            continue
        seen.add(rid)
        kind = item.get("kind")
        if kind not in KINDS:
            bad("D605", f"rule {rid}: kind must be one of {', '.join(KINDS)}")
            continue
        if not item.get("message"):
            bad("D605", f"rule {rid} has no message", "say what the change is, for a reviewer")
            continue
        examples = tuple((e.get("input", ""), e.get("output", "")) for e in item.get("examples", []))
        if not examples:
            bad("D606", f"rule {rid} has no example", "add examples = [{ input = ..., output = ... }]")
            continue
        builtin = item.get("builtin")
        regex = context = None
        if builtin is not None:
            if builtin not in BUILTINS:
                bad("D605", f"rule {rid}: unknown builtin '{builtin}'", "builtins: " + ", ".join(BUILTINS))
                continue
        else:
            if ("literal" in item) == ("pattern" in item):
                bad("D605", f"rule {rid} needs exactly one of literal and pattern")
                continue
            try:
                regex, context = compile_pattern(item)
            except re.error as err:
                bad("D607", f"rule {rid}: bad regular expression: {err}", "fix the pattern, before or after")
                continue
            if regex.search("") is not None:
                bad("D607", f"rule {rid}: the pattern matches the empty string")
                continue
        rules.append(Rule(rid, kind, item["message"], regex, context if builtin is None else None,
                          item.get("replacement", ""), builtin, examples, line))
    return RuleTable(rules, spath), found


@functools.cache
def load_default_rules() -> tuple[RuleTable, list[Diagnostic]]:
    """The package's rule table and its findings (loaded once per process)."""
    return load_rules()


def default_rules() -> RuleTable:
    """The package's rule table."""
    return load_default_rules()[0]
