"""Accepted findings: a warning an editor has judged right, recorded in the source's sidecar.

An acceptance names a finding's code and the received text it points at (not a line number,
so that it survives edits elsewhere in the file), with the reason::

    [[accept]]
    code = "P303"
    at = "[of the fuel"
    reason = "the bracket is open in the original"

A warning of that code whose position lies inside an occurrence of ``at`` in the received
text is accepted: it is reported as information (``--verbose``), and ``dispatch check
--strict`` no longer fails on it. An acceptance whose text is no longer in the transcription
is stale (R120); one that accepts no finding any more is reported too (R121).
"""

from __future__ import annotations

import re

from pipeline.diagnostics import Diagnostic, Severity
from pipeline.findings import make
from pipeline.records import record, replace

CODE = re.compile(r"^[A-Z]\d{3}$")
KEYS = ("code", "at", "reason")
HEADER = re.compile(r"^\s*\[\[\s*accept\s*\]\]\s*(?:#.*)?$")


@record(frozen=True)
class Acceptance:
    """One ``[[accept]]`` entry of a sidecar; ``line`` is where its table starts there."""

    code: str
    at: str
    reason: str
    line: int = 1


def header_lines(text: str) -> list[int]:
    """The line of every ``[[accept]]`` header of a sidecar, in order."""
    return [number for number, line in enumerate(text.split("\n"), 1) if HEADER.match(line)]


def read_acceptances(entries, text: str, path: str) -> tuple[list[Acceptance], list[Diagnostic]]:
    """Check the sidecar's ``accept`` entries: each a table with a code, the text and a reason."""
    lines = header_lines(text)
    found: list[Diagnostic] = []
    accepted: list[Acceptance] = []
    if not isinstance(entries, list):
        return [], [make("R122", path, 1, 1, case="list")]
    for number, entry in enumerate(entries):
        line = lines[number] if number < len(lines) else 1
        if not isinstance(entry, dict):
            found.append(make("R122", path, line, 1, case="table", number=number + 1))
            continue
        unknown = sorted(set(entry) - set(KEYS))
        missing = [key for key in KEYS if not isinstance(entry.get(key), str) or not entry[key].strip()]
        if unknown or missing:
            problem = (f"has no {', no '.join(missing)}" if missing else "") + \
                      ("; " if missing and unknown else "") + \
                      (f"has unknown keys {', '.join(unknown)}" if unknown else "")
            found.append(make("R122", path, line, 1, number=number + 1, problem=problem))
            continue
        if not CODE.match(entry["code"]):
            found.append(make("R122", path, line, 1, case="code", number=number + 1, finding=entry["code"]))
            continue
        accepted.append(Acceptance(entry["code"], entry["at"], entry["reason"].strip(), line))
    return accepted, found


def occurrences(body: str, text: str) -> list[int]:
    """Every start of ``text`` in ``body`` (overlapping ones too)."""
    found, position = [], body.find(text)
    while position >= 0:
        found.append(position)
        position = body.find(text, position + 1)
    return found


def offset_of(body_index, line: int, col: int) -> int:
    """The offset of a 1-based line and column (the inverse of ``LineIndex.position``)."""
    starts = body_index.starts
    return starts[min(max(line, 1), len(starts)) - 1] + col - 1


def apply(diagnostics: list[Diagnostic], source, sidecar: str) -> list[Diagnostic]:
    """The findings with every accepted warning turned into an accepted information, and a
    finding for every acceptance that no longer applies."""
    acceptances = source.metadata.accepts
    if not acceptances:
        return diagnostics
    body = source.body
    starts = {a.at: occurrences(body, a.at) for a in acceptances}
    used: set[int] = set()
    out = []
    for d in diagnostics:
        if d.severity == Severity.WARNING and d.path == source.path:
            offset = offset_of(source.index, d.line, d.col)
            hit = next((n for n, a in enumerate(acceptances) if a.code == d.code
                        and any(s <= offset < s + len(a.at) for s in starts[a.at])), None)
            if hit is not None:
                used.add(hit)
                d = replace(d, severity=Severity.INFO,
                            message=f"{d.message} [accepted: {acceptances[hit].reason}]", hint=None)
        out.append(d)
    for number, a in enumerate(acceptances):
        if not starts[a.at]:
            out.append(make("R120", sidecar, a.line, 1, finding=a.code, at=_short(a.at)))
        elif number not in used:
            out.append(make("R121", sidecar, a.line, 1, finding=a.code, at=_short(a.at)))
    return out


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# -- dispatch accept ---------------------------------------------------------------------------
def context_text(body: str, offset: int, *, minimum: int = 12, maximum: int = 60) -> str:
    """The received text at ``offset`` that an acceptance quotes: from the offset to the end of
    a few words, grown (forward on the line, then backward) until it is unique in the body."""
    line_start = body.rfind("\n", 0, offset) + 1
    line_end = body.find("\n", offset)
    line_end = len(body) if line_end < 0 else line_end
    start, end = offset, offset

    def grow_forward(position: int) -> int:
        m = re.compile(r"\s*\S+").match(body, position, line_end)
        return m.end() if m else position

    def grow_backward(position: int) -> int:
        m = re.search(r"\S+\s*$", body[line_start:position])
        return line_start + m.start() if m else position

    end = grow_forward(end)
    while end - start < minimum and grow_forward(end) > end:
        end = grow_forward(end)
    while len(occurrences(body, body[start:end])) > 1 and end - start < maximum:
        forward = grow_forward(end)
        if forward > end:
            end = forward
            continue
        backward = grow_backward(start)
        if backward == start:
            break
        start = backward
    if end <= start:  # a finding at the end of a line: quote what comes before it
        start = grow_backward(offset)
        end = max(end, min(offset + 1, len(body)))
    return body[start:end]


def toml_string(value: str) -> str:
    """A TOML basic string."""
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def append_table(existing: str, name: str, fields: list[tuple[str, str]]) -> str:
    """``existing`` TOML text with one ``[[name]]`` table appended, in its newline style,
    leaving every byte before it as it was."""
    newline = "\r\n" if "\r\n" in existing else "\n"
    lines = [f"[[{name}]]"] + [f"{key} = {toml_string(value)}" for key, value in fields]
    prefix = existing
    if prefix and not prefix.endswith("\n"):
        prefix += newline
    if prefix.strip():
        prefix += newline
    return prefix + newline.join(lines) + newline
