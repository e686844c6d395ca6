"""The registry of findings, and the reporter that collects the findings of one file.

Every finding code is defined once, in ``REGISTRY``: its severity, the title the catalogue
(``docs/diagnostics.md``) gives it, a message template and a hint (``str.format`` templates
filled from the fields a call site gives). A code that covers several situations names
them in ``cases``, each with its own message and hint. Call sites give a code and fields
only::

    report.at(offset, "P320", date="31 February 1950")
    report.at(offset, "P303", case="unopened")
    make("R114", path, 1, 1, id=sid)

A ``Reporter`` takes the findings of one file, by offset into the file's text or by line and
column; it drops exact duplicates and shows at most ``max_findings_per_code`` findings of one
code for one file (``[tuning]`` in ``conventions.toml``), then one line that says how many
more were not shown.
"""

from __future__ import annotations

from typing import Callable, Iterable

from pipeline.diagnostics import Diagnostic, Severity
from pipeline.records import field, record

ERROR, WARNING = Severity.ERROR, Severity.WARNING


@record(frozen=True)
class Entry:
    """One finding code: severity, catalogue title, message and hint templates."""

    code: str
    severity: Severity
    title: str
    message: str
    hint: str | None = None
    cases: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def texts(self, case: str | None) -> tuple[str, str | None]:
        if case is None:
            return self.message, self.hint
        return self.cases[case]


_METADATA_HINT = "follow the source format in README.md"
_RULES_HINT = "see the comment at the top of rules.toml"
_DATA_HINT = "see the comment at the top of the data file"
_REVIEW_HINT = "see the .review.toml format in README.md"

_ENTRIES = (
    # -- read ------------------------------------------------------------------------------
    Entry("R100", ERROR, "cannot read the file", "cannot read the file: {reason}",
          "check the path and the file's permissions"),
    Entry("R101", ERROR, "not UTF-8", "the file is not UTF-8 (byte 0x{byte:02x})",
          "re-save the file as UTF-8 (for example with iconv -f cp1252 -t utf-8)"),
    Entry("R102", WARNING, "byte-order mark", "the file starts with a byte-order mark",
          "save the file as UTF-8 without BOM"),
    Entry("R103", WARNING, "mixed line endings", "mixed line endings (CRLF and LF) in one file",
          "convert the file to LF line endings (dos2unix)"),
    Entry("R104", ERROR, "control character or NUL", "{character} in the text",
          "delete the character; it cannot appear in XML"),
    Entry("R105", ERROR, "empty file", "the file is empty",
          "paste the transcription's text into the file"),
    Entry("R106", ERROR, "binary file", "the file is binary, not a text transcription",
          "export the transcription as UTF-8 plain text"),
    Entry("R110", ERROR, "malformed metadata", "metadata is not valid TOML: {error}", _METADATA_HINT, cases={
        "type": ("metadata key '{key}'{where} must be a {type}", _METADATA_HINT),
        "convention": ("unknown convention '{value}' in the metadata",
                       "use italics=add|new|hi or brackets=del|supplied"),
        "versions": ("[[versions]] needs documents = [n, m, ...]: two or more different document numbers",
                     "number the documents from 1, in the order of the text, for example documents = [1, 2]"),
        "layers": ("unknown layer '{value}' in [[versions]]",
                   "layers = [\"first\", \"revised\"], or one of them"),
        "version_of": ("version_of = {value} is not the number of another document",
                       "give the number of the document this one is a version of, counting from 1"),
    }),
    Entry("R111", WARNING, "metadata and text disagree",
          "the metadata describes {described} documents, the text has {found}",
          "check the title lines of the documents, or the [[documents]] tables of the sidecar"),
    Entry("R112", WARNING, "unknown metadata key", "unknown metadata key '{key}'{where}", "allowed keys: {allowed}"),
    Entry("R113", ERROR, "metadata id differs from the file name",
          "metadata id '{declared}' differs from the file name '{expected}'",
          "rename the files or set id = \"{expected}\""),
    Entry("R114", ERROR, "unusable source id", "'{id}' is not a usable source id",
          "name the file with lower-case letters, digits, '.', '_' and '-' only", cases={
              "reserved": ("'{id}' is not a usable source id: it names a page of the web edition",
                           "rename the file (index, persons, places and search are the web edition's pages)"),
          }),
    Entry("R115", ERROR, "id used by two sources", "the id '{id}' is already used by {other}",
          "rename one of the two sources"),
    Entry("R116", ERROR, "a version that is not in the text",
          "the metadata names document {number} as a version, but the text has {found} document{plural}",
          "correct the number in [[versions]] or version_of; documents count from 1 in the order of the text"),
    # -- accepted findings and the editor's decisions --------------------------------------
    Entry("R120", WARNING, "stale acceptance",
          "stale acceptance of {finding}: the text '{at}' is no longer in the transcription",
          "delete the [[accept]] entry, or accept the finding again with dispatch accept"),
    Entry("R121", WARNING, "acceptance that accepts nothing",
          "the acceptance of {finding} at '{at}' accepts no finding any more",
          "the finding is gone: delete the [[accept]] entry"),
    Entry("R122", ERROR, "incomplete acceptance", "acceptance {number} {problem}",
          "an acceptance needs code = \"P303\", at = \"received text\" and reason = \"why\"", cases={
              "list": ("'accept' must be a list of [[accept]] tables",
                       "write each acceptance as [[accept]] with code, at and reason"),
              "table": ("acceptance {number} is not a table", "write it as [[accept]] with code, at and reason"),
              "code": ("acceptance {number}: '{finding}' is not a finding code",
                       "codes are a letter and three digits, as printed by dispatch check"),
          }),
    Entry("R130", ERROR, "malformed decisions file", "the decisions file is not valid TOML: {error}", _REVIEW_HINT,
          cases={
              "read": ("cannot read the decisions file: {error}", "save it as UTF-8 TOML"),
              "key": ("unknown key '{key}' in the decisions file", "keys: editor, [[decision]], [[boundary]]"),
              "editor": ("'editor' must be a name", _REVIEW_HINT),
              "list": ("'{key}' must be a list of [[{key}]] tables", _REVIEW_HINT),
              "table": ("decision {number} is not a table", _REVIEW_HINT),
              "keys": ("decision {number} has unknown keys {keys}",
                       "keys: id, action, kind (a bracket), value (metadata), reason"),
              "id": ("decision {number} has no id", "copy the id from the page dispatch review writes"),
              "action": ("decision '{id}': action must be accept, reject or set", _REVIEW_HINT),
              "reason": ("decision '{id}': reason must be text", _REVIEW_HINT),
              "not-settable": ("decision '{id}': only a bracket's kind or a metadata value can be set",
                               "use accept or reject for this decision"),
              "value": ("decision '{id}': a set needs {key} = \"...\"", _REVIEW_HINT),
              "kind": ("decision '{id}': '{value}' is not a bracket kind", "kinds: {kinds}"),
              "unset": ("decision '{id}': kind and value go with action = \"set\" only", _REVIEW_HINT),
              "twice": ("decision '{id}' is given twice (also at line {other})", "keep one decision per id"),
              "boundary": ("boundary {number} needs at = \"received text\" (and may have a reason)", _REVIEW_HINT),
          }),
    Entry("R131", WARNING, "stale decision",
          "decision '{id}' ({action}) matches no automatic decision of the transcription: its target no longer "
          "exists", "run dispatch review to see the current ids; delete or update the decision", cases={
              "boundary": ("document boundary at '{at}': no paragraph of the transcription starts with that text",
                           "quote the received text at the start of the paragraph"),
          }),
    Entry("R132", WARNING, "a decision that cannot apply",
          "decision '{id}': a {label} cannot be {done}; the automatic decision stands", "use one of: {actions}"),
    # -- normalize -------------------------------------------------------------------------
    Entry("N212", WARNING, "a name close to a register name",
          "'{token}' looks like the register name '{form}' ({kind} '{id}', score {score:.0f})",
          "correct it to '{form}', or add '{token}' to the variants or to the ignore list in registers.toml"),
    Entry("N220", WARNING, "web-page furniture dropped", "web-page furniture '{phrase}' dropped from the reading",
          "delete it from the transcription if it is not part of the document"),
    Entry("N240", WARNING, "printed columns read across",
          "the text looks like printed columns the OCR read across, line by line ({count} signs: {signs}); "
          "its sentences are interleaved and its reading cannot be trusted",
          "run the OCR again one column at a time (crop each column, or set the OCR to columns), or paste "
          "each column's text in order"),
    Entry("N230", WARNING, "unrecognised token", "unrecognised token '{token}' kept and marked unclear",
          "check it against the original and correct the transcription"),
    # -- parse -----------------------------------------------------------------------------
    Entry("P301", WARNING, "unmatched italic marker",
          "italic marker '{marker}' {why}; the italic is closed at the end of its sentence, after '{ending}'",
          "add the closing '{marker}' where the passage really ends", cases={
              "unclosed": ("italic marker '{marker}' is never closed; kept as text",
                           "add the closing '{marker}' where the passage ends"),
              "unopened": ("closing italic marker '{marker}' without an opening one; kept as text",
                           "add the opening '{marker}' where the passage begins, or delete this one"),
          }),
    Entry("P302", WARNING, "crossing markup",
          "italic marker '{marker}' closes inside a bracket opened after the italic began: the spans would "
          "cross; the italic is closed before the bracket",
          "move the marker so that the italic and the bracket nest", cases={
              "span": ("markup crosses another span; ignored", "make the markers nest"),
          }),
    Entry("P303", WARNING, "unbalanced bracket", "opening bracket '[' is never closed; kept as text",
          "add the missing ']' where the bracketed passage ends", cases={
              "unopened": ("closing bracket ']' without an opening bracket; kept as text",
                           "add the missing '[' or delete the ']'"),
              "cut-off": ("the text ends inside the bracket opened here (the page is cut off?); kept as text",
                          "paste the rest of the page, or add the ']' where the bracketed passage ends"),
          }),
    Entry("P304", WARNING, "unclassified bracket",
          "cannot tell what the bracket '[{content}]' is; read as text supplied by the editor",
          "say what it is explicitly, for example [@del ...], [@gloss ...] or [@supplied ...]"),
    Entry("P305", WARNING, "convention used but not declared",
          "italic markers are used but the document does not declare what they mean; read as emphasis",
          "declare the convention in the title's parenthesis or as conventions = [\"italics=add\"] in the sidecar"),
    Entry("P306", WARNING, "brackets nested too deep",
          "brackets nested more than {depth} deep; the inner ones are kept as text",
          "check the brackets: no transcription nests them this deep"),
    Entry("P310", WARNING, "no title", "document {number} has no title line and the metadata gives none",
          "add a title line such as 'Letter from X to Y, 5 October 1950', or a title in the sidecar"),
    Entry("P311", WARNING, "missing correspondence metadata",
          "document {number}: no {missing} in the metadata or the title",
          "add them to the document's [[documents]] table in the sidecar (see README)"),
    Entry("P320", WARNING, "a date that does not exist", "the date '{date}' does not exist",
          "check the transcription against the original; the date is kept without a value"),
    # -- validate --------------------------------------------------------------------------
    Entry("V501", ERROR, "invalid against the project schema",
          "<{element}> is not valid in the TEI subset: {reason}",
          "see schemas/tei-dispatch.xsd for what the element may hold"),
    Entry("V502", ERROR, "unresolved reference", "@{attribute} points to '{pointer}', which is not in the document",
          "add the entry to the registers (registers.toml) or correct the pointer"),
    Entry("V503", ERROR, "duplicate id", "xml:id '{id}' is used twice", "give each element its own id"),
    Entry("V504", ERROR, "a date value that is not real", "@when '{when}' is not a real date", "correct the date"),
    Entry("V510", ERROR, "not well-formed XML", "not well-formed XML: {error}", "fix the markup at this point"),
    Entry("V511", ERROR, "file too large", "the file is larger than {limit} MB", "split the edition into several files"),
    Entry("V512", ERROR, "DOCTYPE or entity declaration",
          "a DOCTYPE or entity declaration is not accepted in contributed TEI",
          "delete the DOCTYPE; TEI needs none, and entities are never expanded"),
    Entry("V520", ERROR, "no received transcription", "the TEI holds no received transcription (sourceDoc)",
          "restore works on the TEI that dispatch wrote (outputs/xml/)"),
    # -- collate ---------------------------------------------------------------------------
    Entry("C700", ERROR, "no such witness", "no such file: '{named}'",
          "name a source, as in sources/x.txt#2 (document 2) or sources/x.txt#2@first", cases={
              "syntax": ("'{named}' does not name a witness",
                         "write PATH, PATH#N (document N, from 1) or PATH#N@first|revised"),
              "document": ("'{named}': the source has {found} document{plural}, not a document {number}",
                           "number the documents from 1, in the order of the text"),
              "layer": ("'{named}': unknown layer '{layer}'", "the layers are {layers}"),
              "kind": ("'{named}' is not a transcription (.txt) or a TEI file (.xml)",
                       "name a source under sources/ or a TEI file under outputs/xml/"),
          }),
    Entry("C701", ERROR, "a witness named twice", "'{named}' is the same witness as '{other}'",
          "name each witness once; a document's layers are PATH#N@first and PATH#N@revised"),
    Entry("C702", WARNING, "a layer of a document without hand edits",
          "'{named}': document {number} has no insertions or deletions, so its layers are one text",
          "collate the document itself (PATH#N)"),
    Entry("C703", ERROR, "a witness whose source has errors",
          "'{named}': the source has errors, so it cannot be collated", "run dispatch check on it and fix them"),
    Entry("C704", WARNING, "an empty witness",
          "'{named}' has no text to collate: no opener, paragraph or closer",
          "check the document's parts with dispatch emit --to text"),
    # -- the pipeline's data files ---------------------------------------------------------
    Entry("D600", ERROR, "data file cannot be read", "cannot read the data file: {reason}",
          "check the file (and DISPATCH_DATA_DIR, if it is set)"),
    Entry("D601", ERROR, "data file is not valid TOML", "the data file is not valid TOML: {error}",
          "correct the TOML syntax"),
    Entry("D602", ERROR, "register entry without an id or name",
          "register entry '{id}' needs an id of lower-case letters, digits and '-', and a name",
          "ids are lower-case letters, digits and '-'; every entry has a name"),
    Entry("D603", ERROR, "id used twice", "{what} id '{id}' is used twice", "give each rule or entry its own id"),
    Entry("D604", ERROR, "bad rule id", "rule id '{id}' must be upper-case letters, digits and '-'",
          "rule ids are upper-case letters, digits and '-'"),
    Entry("D605", ERROR, "incomplete rule", "rule {rule}: kind must be one of {kinds}", _RULES_HINT, cases={
        "message": ("rule {rule} has no message", "say what the change is, for a reviewer"),
        "builtin": ("rule {rule}: unknown builtin '{builtin}'", "builtins: {builtins}"),
        "literal": ("rule {rule} needs exactly one of literal and pattern", _RULES_HINT),
    }),
    Entry("D606", ERROR, "rule without an example", "rule {rule} has no example",
          "add examples = [{{ input = \"...\", output = \"...\" }}]; the tests run them"),
    Entry("D607", ERROR, "bad regular expression", "{where}: bad regular expression: {error}",
          "correct the regular expression"),
    Entry("D608", ERROR, "unknown key in a data file", "unknown key '{key}' in {where}", "known keys: {known}"),
    Entry("D609", ERROR, "unknown bracket check", "unknown check '{check}' in {where}", "checks: {known}"),
    Entry("D610", ERROR, "unknown bracket kind", "unknown bracket kind '{kind}' in {where}", "kinds: {known}"),
    Entry("D611", ERROR, "value not allowed", "{key} = {value} is not allowed in {where}", "allowed: {allowed}"),
    Entry("D612", ERROR, "missing entry", "{where} has no {what}", _DATA_HINT),
    Entry("D613", ERROR, "bad tuning value", "tuning value {key} = {value} is not a positive integer",
          "give a whole number of 1 or more"),
    # -- internal --------------------------------------------------------------------------
    Entry("X900", ERROR, "internal error", "internal error while processing this source ({error})",
          "please report it with the source attached", cases={
              "writing": ("internal error while writing the outputs ({error})",
                          "please report it with the source attached"),
          }),
    Entry("X901", ERROR, "document nested too deeply", "the document is nested too deeply to process",
          "reduce the nesting of brackets or elements"),
)

REGISTRY: dict[str, Entry] = {entry.code: entry for entry in _ENTRIES}
assert len(REGISTRY) == len(_ENTRIES), "a code is defined twice"


def make(code: str, path: str, line: int, col: int, *, case: str | None = None, **fields) -> Diagnostic:
    """The finding ``code`` at ``path:line:col``, its message and hint filled from ``fields``."""
    entry = REGISTRY[code]
    message, hint = entry.texts(case)
    return Diagnostic(path, line, col, code, entry.severity, message.format(**fields),
                      hint.format(**fields) if hint else None)


def default_cap() -> int:
    """How many findings of one code one file shows: ``[tuning] max_findings_per_code``."""
    from pipeline.conventions import default_conventions

    return default_conventions().tuning("max_findings_per_code")


class Reporter:
    """The findings of one file: located, de-duplicated, and capped per code.

    ``position`` maps an offset into the file's text (for a transcription, the text as
    received) to 1-based (line, column). Findings of another file that belong with this one
    (a transcription's sidecar) may be added ready-made; the cap counts per file and code.
    """

    def __init__(self, path: str, position: Callable[[int], tuple[int, int]] | None = None, *,
                 cap: int | None = None):
        self.path = path
        self.position = position
        self._cap = cap
        self._shown: list[Diagnostic] = []
        self._seen: set[tuple] = set()
        self._counts: dict[tuple[str, str], int] = {}
        self._hidden: dict[tuple[str, str], tuple[int, Diagnostic]] = {}  # (count, first not shown)

    @classmethod
    def for_source(cls, source) -> Reporter:
        """The reporter of a transcription: offsets into its received text."""
        return cls(source.path, source.position)

    @property
    def cap(self) -> int:
        if self._cap is None:
            self._cap = default_cap()
        return self._cap

    def at(self, offset: int, code: str, *, case: str | None = None, **fields) -> None:
        """A finding at an offset into the file's text."""
        line, col = self.position(offset) if self.position else (1, 1)
        self.add(make(code, self.path, line, col, case=case, **fields))

    def at_line(self, line: int, col: int, code: str, *, case: str | None = None, **fields) -> None:
        """A finding at a 1-based line and column of the file."""
        self.add(make(code, self.path, line, col, case=case, **fields))

    def add(self, diagnostic: Diagnostic) -> None:
        """A ready-made finding; a count of findings not shown (``omitted``) joins the others."""
        key = (diagnostic.path, diagnostic.code)
        if diagnostic.omitted:
            self._hide(key, diagnostic, diagnostic.omitted)
            return
        identity = diagnostic.sort_key()
        if identity in self._seen:
            return
        self._seen.add(identity)
        count = self._counts[key] = self._counts.get(key, 0) + 1
        if count > self.cap:
            self._hide(key, diagnostic, 1)
        else:
            self._shown.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    def _hide(self, key: tuple[str, str], diagnostic: Diagnostic, count: int) -> None:
        hidden, first = self._hidden.get(key, (0, diagnostic))
        if (diagnostic.line, diagnostic.col) < (first.line, first.col):
            first = diagnostic
        self._hidden[key] = (hidden + count, first)

    def diagnostics(self) -> list[Diagnostic]:
        """The findings shown, in the order reported, then one line per capped code: how many
        more there are, at the first one not shown."""
        summaries = [
            Diagnostic(first.path, first.line, first.col, code, first.severity,
                       f"and {count} more {code} finding{'s' * (count != 1)} in this file not shown",
                       None, count)
            for (_, code), (count, first) in self._hidden.items()
        ]
        return self._shown + summaries


def capped(diagnostics: Iterable[Diagnostic], cap: int | None = None) -> list[Diagnostic]:
    """Findings of any files, de-duplicated and capped per file and code."""
    reporter = Reporter("", cap=cap)
    reporter.extend(diagnostics)
    return reporter.diagnostics()
