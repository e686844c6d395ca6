"""The normalization rule table, loaded from ``data/rules.toml`` and checked on loading.

A bad pattern, a duplicate id or a missing field is a located finding in the rules file,
never a traceback.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.datafiles import TomlLines, data_path, read_toml
from pipeline.diagnostics import Diagnostic
from pipeline.findings import make

KINDS = ("ocr", "layout", "markup", "furniture", "forme")
BUILTINS = ("furniture", "open-parenthesis", "nfc", "register-ocr", "register-fuzzy", "spaced-capitals",
            "running-heads")
RULE_ID = re.compile(r"^[A-Z][A-Z0-9-]+$")
ID_LINE = re.compile(r'\s*id\s*=\s*"([^"]*)"')
RULE_KEYS = ("id", "kind", "message", "literal", "pattern", "before", "after", "within", "replacement", "builtin",
             "examples")


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
    within: re.Pattern | None = None  # what the line holding a match must start with (``within``)

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
