"""The automatic decisions of a build, their stable ids, and an editor's decisions on them.

Every normalization change (an OCR fix, a fuzzy register match, a layout or markup repair,
web-page chrome dropped) and every heuristic decision of the parser (a bracket's kind when the
source did not say it, where a document starts, a title, date, sender or recipient inferred,
a line read as archival furniture, an italic the parser closed) is a ``Decision``. Its id is
derived from its kind, its rule and the received text it covers, with an occurrence number
among the identical texts of the transcription: never from a line number, so that it survives
edits elsewhere in the file (``dispatch review`` shows the ids).

An editor's decisions live in ``sources/<id>.review.toml``, keyed by those ids::

    editor = "Kathryn Weathersby"       # optional: who decided (the TEI's change/@who)

    [[decision]]
    id = "ocr:OCR-II-IL:II:1"
    action = "reject"                   # accept | reject | set
    reason = "a Roman numeral in the original"

    [[decision]]
    id = "bracket:big~3c1f0:1"
    action = "set"
    kind = "del"                        # a bracket: any name of the [@kind ...] syntax

    [[decision]]
    id = "metadata:sender:Stalin:1"
    action = "set"
    value = "molotov"                   # a metadata value: a register id or a plain name

    [[boundary]]                        # a document the rules did not see starts here
    at = "Reply from Mao Zedong"        # the received text at the start of its paragraph
    reason = "a second telegram on the same page"

The build honours them (``Ledger``); a decision whose target no longer exists is reported
(R131), never dropped in silence.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

from pipeline.diagnostics import Diagnostic, Severity
from pipeline.findings import make
from pipeline.records import field, record

REVIEW_SUFFIX = ".review.toml"
ACTIONS = ("accept", "reject", "set")
CONFIDENCES = ("low", "medium", "high")


@record(frozen=True)
class DecisionKind:
    name: str
    label: str  # what the review page calls it
    actions: tuple[str, ...]  # what an editor may decide on it
    set_key: str | None = None  # the key of the value a "set" gives


KINDS: dict[str, DecisionKind] = {k.name: k for k in (
    DecisionKind("ocr", "OCR fix", ("accept", "reject")),
    DecisionKind("name", "register name match", ("accept", "reject")),
    DecisionKind("layout", "layout repair", ("accept", "reject")),
    DecisionKind("markup", "markup repair", ("accept", "reject")),
    DecisionKind("chrome", "web-page chrome dropped", ("accept", "reject")),
    DecisionKind("page", "page around the documents", ("accept", "reject")),
    DecisionKind("bracket", "bracket kind", ("accept", "set"), "kind"),
    DecisionKind("boundary", "document start", ("accept", "reject")),
    DecisionKind("metadata", "inferred metadata", ("accept", "reject", "set"), "value"),
    DecisionKind("furniture", "archival furniture", ("accept", "reject")),
    DecisionKind("repair", "italic closed by the parser", ("accept", "reject")),
)}


@record
class EditorDecision:
    """One ``[[decision]]`` (or ``[[boundary]]``) of a decisions file."""

    id: str
    action: str
    value: str | None = None  # a bracket's kind, a metadata value
    reason: str | None = None
    line: int = 1
    used: bool = False
    at: str | None = None  # a [[boundary]]: the received text where a document starts


@record
class Review:
    """A decisions file: who decided, and the decisions by id."""

    path: str
    editor: str | None = None
    decisions: dict[str, EditorDecision] = field(default_factory=dict)
    boundaries: list[EditorDecision] = field(default_factory=list)


@record
class Decision:
    """An automatic decision: what it covers in the received text, what it reads, and why."""

    id: str
    kind: str
    rule: str
    start: int  # received offsets
    end: int
    text: str
    reading: str
    confidence: str
    why: str
    editor: EditorDecision | None = None
    applied: str | None = None  # what the editor's decision did, for the TEI and the page
    target: str | None = None  # the TEI element that carries it (an xml:id), once encoded


def slug(text: str, width: int = 32) -> str:
    """A readable, exact-or-hashed form of a received text for an id."""
    words = re.findall(r"\w+", text)
    readable = "-".join(words)
    exact = readable == text
    if len(readable) > width:
        readable = readable[:width].rstrip("-")
        exact = False
    if not exact:
        readable += "~" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:5]
    return readable


def _key_span(body: str, start: int, end: int) -> tuple[int, int]:
    """The received text that names a decision: its own text, or, when that has no letter or
    digit (a line break, a space), the words on either side of it too."""
    if re.search(r"\w", body[start:end]):
        return start, end
    before = re.search(r"\S+\s*$", body[max(0, start - 60):start])
    after = re.match(r"\s*\S+", body[end:end + 60])
    return (start - (len(before.group()) if before else 0)), end + (after.end() if after else 0)


def decision_id(body: str, kind: str, rule: str, start: int, end: int) -> str:
    """``kind:rule:text:n``: n counts the identical texts of the received body up to this one."""
    ks, ke = _key_span(body, start, end)
    key = body[ks:ke]
    n = 1 + (body.count(key, 0, ks) if key else 0)
    return ":".join(part for part in (kind, rule, slug(key), str(n)) if part)


class Ledger:
    """The decisions of one build: records them (for ``dispatch review``) and answers, for
    each, what the editor decided (for the build)."""

    def __init__(self, body: str, review: Review | None = None, collect: bool = False):
        self.body = body
        self.review = review
        self.collect = collect
        self.decisions: list[Decision] = []
        self.ids: set[str] = set()
        self.by_id: dict[str, Decision] = {}  # the decisions the editor decided on
        self.found: list[Diagnostic] = []

    @property
    def editor_decisions(self) -> bool:
        return self.review is not None and bool(self.review.decisions or self.review.boundaries)

    def decide(self, kind: str, rule: str, start: int, end: int, reading: str, confidence: str, why: str,
               id_rule: str | None = None) -> Decision | None:
        """Record an automatic decision; return it when the editor decided on it (its ``editor``
        set), else None. ``id_rule`` is the rule as it enters the id ("" for none)."""
        did = decision_id(self.body, kind, rule if id_rule is None else id_rule, start, end)
        if did in self.ids:  # asked again (a look-ahead of the parser): the same answer
            return self.by_id.get(did)
        self.ids.add(did)
        ed = self.review.decisions.get(did) if self.review is not None else None
        if ed is not None and ed.action not in KINDS[kind].actions:
            ed.used = True
            self.found.append(make("R132", self.review.path, ed.line, 1, id=did, label=KINDS[kind].label,
                                   done=_done(ed.action), actions=", ".join(KINDS[kind].actions)))
            ed = None
        if ed is None and not self.collect:
            return None
        decision = Decision(did, kind, rule, start, end, self.body[start:end], reading, confidence, why, ed)
        self.decisions.append(decision)
        if ed is not None:
            ed.used = True
            self.by_id[did] = decision
            return decision
        return None

    def impose(self, kind: str, rule: str, start: int, end: int, reading: str, ed: EditorDecision) -> Decision:
        """A decision the editor made where the rules made none (a document boundary they missed)."""
        did = decision_id(self.body, kind, "", start, end)
        ed.used = True
        decision = Decision(did, kind, rule, start, end, self.body[start:end], reading, "high",
                            "decided by the editor", ed, "set")
        self.ids.add(did)
        self.by_id[did] = decision
        self.decisions.append(decision)
        return decision

    def finish(self) -> list[Diagnostic]:
        """Findings for the editor's decisions that matched nothing (their target is gone)."""
        found = list(self.found)
        if self.review is None:
            return found
        for ed in self.review.decisions.values():
            if not ed.used:
                found.append(make("R131", self.review.path, ed.line, 1, id=ed.id, action=ed.action))
        for ed in self.review.boundaries:
            if not ed.used:
                found.append(make("R131", self.review.path, ed.line, 1, case="boundary", at=shown(ed.at, 40)))
        return found

    def applied(self) -> list[Decision]:
        """The automatic decisions the editor decided on, in the order of the received text."""
        return sorted((d for d in self.decisions if d.editor is not None), key=lambda d: (d.start, d.id))


def _done(action: str) -> str:
    return {"accept": "accepted", "reject": "rejected", "set": "set"}.get(action, action)


def review_path(source_path: Path) -> Path:
    name = source_path.name
    stem = name[: -len(source_path.suffix)] if source_path.suffix else name
    return source_path.with_name(stem + REVIEW_SUFFIX)


def read_review(path: Path, bracket_kinds=None) -> tuple[Review | None, list[Diagnostic]]:
    """Read and check a decisions file. ``bracket_kinds`` are the names a "set" of a bracket
    may give (the ``[@kind ...]`` vocabulary)."""
    spath = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return None, [make("R130", spath, 1, 1, case="read", error=err)]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"at line (\d+), column (\d+)", str(err))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        return None, [make("R130", spath, line, col, error=str(err).split(" (at")[0])]
    lines = text.split("\n")
    headers = {"decision": [], "boundary": []}
    for number, content in enumerate(lines, 1):
        m = re.match(r"^\s*\[\[\s*(decision|boundary)\s*\]\]", content)
        if m:
            headers[m.group(1)].append(number)
    found: list[Diagnostic] = []
    review = Review(spath)

    def bad(line: int, case: str, **fields) -> None:
        found.append(make("R130", spath, line, 1, case=case, **fields))

    for key in sorted(set(data) - {"editor", "decision", "boundary"}):
        bad(next((n for n, c in enumerate(lines, 1) if re.match(rf"\s*{re.escape(key)}\s*=", c)), 1), "key", key=key)
    editor = data.get("editor")
    if editor is not None and (not isinstance(editor, str) or not editor.strip()):
        bad(1, "editor")
    elif editor:
        review.editor = editor.strip()
    entries = data.get("decision", [])
    if not isinstance(entries, list):
        entries = []
        bad(1, "list", key="decision")
    for number, entry in enumerate(entries):
        line = headers["decision"][number] if number < len(headers["decision"]) else 1
        if not isinstance(entry, dict):
            bad(line, "table", number=number + 1)
            continue
        unknown = sorted(set(entry) - {"id", "action", "kind", "value", "reason"})
        if unknown:
            bad(line, "keys", number=number + 1, keys=", ".join(unknown))
            continue
        did, action = entry.get("id"), entry.get("action")
        if not isinstance(did, str) or not did.strip():
            bad(line, "id", number=number + 1)
            continue
        if action not in ACTIONS:
            bad(line, "action", id=did)
            continue
        reason = entry.get("reason")
        if reason is not None and not isinstance(reason, str):
            bad(line, "reason", id=did)
            continue
        value = None
        if action == "set":
            kind = did.split(":", 1)[0]
            spec = KINDS.get(kind)
            key = spec.set_key if spec else None
            if key is None:
                bad(line, "not-settable", id=did)
                continue
            value = entry.get(key)
            other = "value" if key == "kind" else "kind"
            if not isinstance(value, str) or not value.strip() or other in entry:
                bad(line, "value", id=did, key=key)
                continue
            value = value.strip()
            if key == "kind" and bracket_kinds is not None and value not in bracket_kinds:
                bad(line, "kind", id=did, value=value, kinds=", ".join(sorted(bracket_kinds)))
                continue
        elif "kind" in entry or "value" in entry:
            bad(line, "unset", id=did)
            continue
        did = did.strip()
        if did in review.decisions:
            bad(line, "twice", id=did, other=review.decisions[did].line)
            continue
        review.decisions[did] = EditorDecision(did, action, value, reason.strip() if reason else None, line)
    boundaries = data.get("boundary", [])
    if not isinstance(boundaries, list):
        boundaries = []
        bad(1, "list", key="boundary")
    for number, entry in enumerate(boundaries):
        line = headers["boundary"][number] if number < len(headers["boundary"]) else 1
        if not isinstance(entry, dict) or set(entry) - {"at", "reason"} or not isinstance(entry.get("at"), str) \
                or not entry["at"].strip() or not isinstance(entry.get("reason", ""), str):
            bad(line, "boundary", number=number + 1)
            continue
        reason = entry.get("reason")
        review.boundaries.append(EditorDecision(f"boundary@{entry['at']}", "set", None,
                                                reason.strip() if reason else None, line, at=entry["at"]))
    if any(d.severity == Severity.ERROR for d in found):
        return None, found
    return review, found


def shown(text: str, width: int = 60) -> str:
    """A received or read text on one line, for a message: line breaks shown as ↵."""
    text = text.replace("\r\n", "\n").replace("\n", "↵").replace("\t", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def describe(decision: Decision) -> str:
    """One sentence for the TEI's change record: what the editor decided on what."""
    ed = decision.editor
    label = KINDS[decision.kind].label
    quoted = f"'{shown(decision.text)}'"
    if decision.kind == "boundary" and ed.action == "set":
        sentence = f"The editor started a document at {quoted}."
    elif decision.kind == "bracket" and ed.action == "set":
        sentence = f"The editor read the bracket {quoted} as '{ed.value}' (the rules read it as '{decision.reading}')."
    elif decision.kind == "metadata" and ed.action == "set":
        sentence = f"The editor set the {decision.rule} to '{ed.value}' (inferred: '{decision.reading}' from {quoted})."
    elif ed.action == "reject" and decision.kind in ("ocr", "name", "layout", "markup", "chrome"):
        sentence = (f"The editor rejected the {label} of rule {decision.rule}: {quoted} stays as received "
                    f"(the rule reads '{shown(decision.reading)}').")
    elif ed.action == "reject":
        sentence = f"The editor rejected the {label} at {quoted} ({decision.reading}): {REJECTED[decision.kind]}."
    else:
        sentence = f"The editor accepted the {label} at {quoted}: {shown(decision.reading)} ({decision.rule})."
    return sentence + (f" Reason: {ed.reason}" if ed.reason else "") + f" [{decision.id}]"


REJECTED = {
    "boundary": "no document starts there; the paragraph belongs to the document before",
    "metadata": "the value is left out",
    "furniture": "the line is read as text of the document",
    "page": "the passage is read as text of the documents",
    "repair": "the marker is kept as text",
}
