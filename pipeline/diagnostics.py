"""One finding type for every stage, printed as ``path:line:col: CODE message``.

Codes are stable: ``pipeline/findings.py`` defines each one (severity, message, hint) and
the catalogue in ``docs/diagnostics.md`` lists each one with its meaning, an example that
triggers it and the fix. Findings are made through that registry, not built here.
"""

from __future__ import annotations

import enum

from pipeline.records import field, record


class Severity(enum.IntEnum):
    """How serious a finding is; the exit code compares it with a threshold."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()


@record(frozen=True)
class Diagnostic:
    """A located finding: the file a person edits, 1-based line and column, code, message."""

    path: str
    line: int
    col: int
    code: str
    severity: Severity
    message: str
    hint: str | None = None
    omitted: int = 0  # on the line that stands for findings not shown: how many

    def format(self) -> str:
        """The one-line form, ``path:line:col: CODE message``."""
        return f"{self.path}:{self.line}:{self.col}: {self.code} {self.message}"

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.col, self.code, self.message)

    def as_dict(self) -> dict:
        data = {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "hint": self.hint,
        }
        if self.omitted:
            data["omitted"] = self.omitted
        return data


@record
class Report:
    """Collects the findings of one run, in a stable order."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics) -> None:
        self.items.extend(diagnostics)

    def sorted(self) -> list[Diagnostic]:
        seen: set[tuple] = set()
        unique = []
        for d in sorted(self.items, key=Diagnostic.sort_key):
            key = d.sort_key()
            if key not in seen:
                seen.add(key)
                unique.append(d)
        return unique

    def count(self, severity: Severity) -> int:
        """How many findings of a severity, counting those a capped file did not show."""
        return sum(d.omitted or 1 for d in self.items if d.severity == severity)

    def worst(self) -> Severity | None:
        return max((d.severity for d in self.items), default=None)


def render(diagnostics: list[Diagnostic], fmt: str = "text", *, min_severity=Severity.WARNING) -> str:
    """Render findings as text (with hint lines), GitHub workflow annotations or JSON."""
    shown = [d for d in diagnostics if d.severity >= min_severity]
    if fmt == "json":
        import json  # only this format needs it: not loaded at every start

        return json.dumps([d.as_dict() for d in shown], ensure_ascii=False, indent=2) + "\n"
    lines = []
    for d in shown:
        if fmt == "github":
            level = {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(d.severity, "notice")
            message = d.message + (f" (hint: {d.hint})" if d.hint else "")
            message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            lines.append(f"::{level} file={d.path},line={d.line},col={d.col},title={d.code}::{message}")
        else:
            lines.append(d.format())
            if d.hint:
                lines.append(f"    hint: {d.hint}")
    return "".join(line + "\n" for line in lines)
