"""The convention language's data: declarations, bracket classifiers, structure patterns."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Declaration:
    pattern: re.Pattern
    italics: str | None
    brackets: str | None


@dataclass(frozen=True)
class BracketClassifier:
    kind: str
    content: re.Pattern | None
    check: str | None
    reason: str | None


@dataclass(frozen=True)
class Conventions:
    declarations: tuple[Declaration, ...]
    brackets: tuple[BracketClassifier, ...]
    structure: dict

    def pattern(self, name: str) -> re.Pattern:
        """A structure pattern of the data file, compiled once."""
        compiled = _COMPILED.get((id(self), name))
        if compiled is None:
            compiled = _COMPILED[(id(self), name)] = re.compile(self.structure[name])
        return compiled

    def furniture_kind(self, line: str) -> str | None:
        """The kind of archival furniture a line is (classification, telegram...), if any."""
        for kind, pattern in self.furniture_patterns():
            if pattern.match(line.strip()):
                return kind
        return None

    def furniture_patterns(self) -> tuple[tuple[str, re.Pattern], ...]:
        compiled = _COMPILED.get((id(self), "furniture"))
        if compiled is None:
            compiled = _COMPILED[(id(self), "furniture")] = tuple(
                (kind, re.compile(pattern)) for kind, pattern in self.structure.get("furniture", {}).items())
        return compiled

    def document_kind(self, title: str) -> str | None:
        """The kind of document a title names (telegram, letter, record-of-conversation...)."""
        compiled = _COMPILED.get((id(self), "kinds"))
        if compiled is None:
            compiled = _COMPILED[(id(self), "kinds")] = tuple(
                (kind, re.compile(pattern)) for kind, pattern in self.structure.get("kinds", {}).items())
        for kind, pattern in compiled:
            if pattern.search(title or ""):
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


_COMPILED: dict[tuple[int, str], re.Pattern] = {}




@functools.cache
def default_conventions() -> Conventions:
    """Load ``data/conventions.toml`` once per process."""
    with open(DATA / "conventions.toml", "rb") as handle:
        data = tomllib.load(handle)
    declarations = tuple(
        Declaration(re.compile(d["pattern"], re.I), d.get("italics"), d.get("brackets"))
        for d in data.get("declaration", [])
    )
    brackets = tuple(
        BracketClassifier(b["kind"], re.compile(b["content"]) if "content" in b else None,
                          b.get("check"), b.get("reason"))
        for b in data.get("bracket", [])
    )
    structure = data.get("structure", {})
    return Conventions(declarations, brackets, structure)
