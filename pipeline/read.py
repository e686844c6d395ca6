"""Stage 1, read: a transcription's bytes become a ``Source``.

The OCR'd body is kept verbatim (decoded, never altered); metadata comes from an optional
TOML sidecar ``<id>.meta.toml`` beside ``<id>.txt``. Encoding problems are findings, located
at the byte that causes them, never tracebacks.
"""

from __future__ import annotations

import bisect
import functools
import re
from pathlib import Path

from pipeline.conventions import MEANINGS
from pipeline.diagnostics import Diagnostic, Severity
from pipeline.findings import make
from pipeline.ids import source_id
from pipeline.records import field, record

ID_PATTERN = re.compile(r"^(?!(?:con|prn|aux|nul|com[0-9]|lpt[0-9])(?:\.|$))[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9_-]+)*$")
ID_MAX = 100  # an id names output files: short, no path separators, no '..', no device names
# ids whose web page would be one of the web edition's shared pages (pipeline.writers.site)
RESERVED_IDS = frozenset({"index", "persons", "places", "search"})
SIDECAR_SUFFIX = ".meta.toml"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# every byte but those a CONTROL character's UTF-8 can hold: the C0 controls and DEL are single
# bytes, U+FFFE and U+FFFF begin with 0xEF (a text with none of them left has none of CONTROL)
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if not (b < 0x20 and b not in b"\t\n\r" or b in (0x7F, 0xEF)))
TABLE_HEADER = re.compile(r"^\s*\[")
DOCUMENTS_HEADER = re.compile(r"^\s*\[\[\s*documents\s*\]\]")


def array_header(table: str) -> re.Pattern:
    """The header line of an array of tables, ``[[documents]]`` or ``[[versions]]``."""
    return DOCUMENTS_HEADER if table == "documents" else re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")

# key -> expected Python type for the sidecar's top level and for each [[documents]] table
SOURCE_KEYS: dict[str, type | tuple] = {
    "id": str,
    "title": str,
    "language": str,
    "archive": str,
    "collection": str,
    "citation": str,
    "url": str,
    "translators": list,
    "editors": list,
    "documents": list,
    "versions": list,
    "accept": list,
}
DOCUMENT_KEYS: dict[str, type | tuple] = {
    "title": str,
    "date": str,
    "sender": str,
    "recipient": str,
    "place": str,
    "conventions": list,
    "version_of": int,
}
# each [[versions]] table: documents that are versions of one another (see pipeline/collate)
VERSIONS_KEYS: dict[str, type | tuple] = {
    "documents": list,
    "layers": list,
}
LAYERS = ("first", "revised")


class LineIndex:
    """Maps character offsets in a text to 1-based (line, column). The line starts are found
    when a position is first asked for: most sources have few findings, and many none."""

    def __init__(self, text: str):
        self.text = text

    @functools.cached_property
    def starts(self) -> list[int]:
        return [0] + [m.end() for m in re.finditer("\n", self.text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1


@record
class Sidecar:
    """A sidecar's path and text: where its keys and values stand, for located findings."""

    path: str
    text: str

    def _region(self, document: int | None, table: str = "documents") -> tuple[int, int]:
        """The lines [first, end) of the top level (``None``) or of the n-th ``[[documents]]``
        (or of the n-th table of another array, ``[[versions]]``)."""
        lines = self.text.split("\n")
        headers = [i for i, line in enumerate(lines) if TABLE_HEADER.match(line)]
        if document is None:
            return 0, headers[0] if headers else len(lines)
        header = array_header(table)
        tables = [i for i, line in enumerate(lines) if header.match(line)]
        if document >= len(tables):
            return 0, len(lines)
        start = tables[document]
        return start, next((h for h in headers if h > start), len(lines))

    def position(self, key: str, value: str | None = None, document: int | None = None,
                 table: str = "documents") -> tuple[int, int]:
        """1-based (line, column) of a key of the top level or of a document's table, or of one
        of its values (a string's opening quote, a number's first digit); (1, 1) when it cannot
        be found."""
        lines = self.text.split("\n")
        first, end = self._region(document, table)
        key_line = re.compile(rf"\s*{re.escape(key)}\s*=")
        for start, stop in ((first, end), (0, len(lines))):
            for number in range(start, stop):
                if not key_line.match(lines[number]):
                    continue
                if value is None:
                    return number + 1, 1
                for following in range(number, stop):  # the value may be on a later line of an array
                    for quote in ('"', "'"):
                        col = lines[following].find(f"{quote}{value}{quote}")
                        if col >= 0:
                            return following + 1, col + 1
                bare = re.compile(rf"(?<![\w.]){re.escape(value)}(?![\w.])")  # a number
                for following in range(number, stop):
                    line = lines[following]
                    if following > number and re.match(r"\s*[\w-]+\s*=", line):
                        break
                    match = bare.search(line, line.index("=") + 1 if following == number else 0)
                    if match:
                        return following + 1, match.start() + 1
                return number + 1, 1
        return 1, 1

    def finding(self, code: str, at: str, *, value: str | None = None, document: int | None = None,
                case: str | None = None, table: str = "documents", **fields) -> Diagnostic:
        """A finding at the key ``at`` (or at one of its values) of this sidecar, in the n-th
        table (``document``) of ``[[documents]]`` or of another array of tables (``table``)."""
        line, col = self.position(at, value, document, table)
        if value is not None:
            fields["value"] = value
        return make(code, self.path, line, col, case=case, **fields)


@record
class DocumentMeta:
    """What the sidecar says about one document of a source (all optional)."""

    title: str | None = None
    date: str | None = None
    sender: str | None = None
    recipient: str | None = None
    place: str | None = None
    conventions: list[str] = field(default_factory=list)
    version_of: int | None = None


@record(frozen=True)
class Versions:
    """Documents declared versions of one another: collated, the first as the base.

    ``layers``: which layers of a document with hand edits are witnesses. ``table`` is the
    index of its ``[[versions]]`` table, or ``None`` when it comes from ``version_of``.
    """

    documents: tuple[int, ...]
    layers: tuple[str, ...] = LAYERS
    table: int | None = None


@record
class Metadata:
    """What the sidecar says about the source as a whole."""

    id: str | None = None
    title: str | None = None
    language: str = "en"
    archive: str | None = None
    collection: str | None = None
    citation: str | None = None
    url: str | None = None
    translators: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    documents: list[DocumentMeta] = field(default_factory=list)
    versions: list[Versions] = field(default_factory=list)
    declared: bool = False  # True when a sidecar exists
    sidecar: Sidecar | None = None
    accepts: list = field(default_factory=list)  # the findings an editor accepted (pipeline.accept)


@record
class Source:
    """A transcription as received: verbatim body, metadata, and a way back to line:col."""

    path: str
    id: str
    body: str
    metadata: Metadata
    index: LineIndex

    def position(self, offset: int) -> tuple[int, int]:
        return self.index.position(offset)

    def sidecar_finding(self, code: str, at: str, *, value: str | None = None, document: int | None = None,
                        case: str | None = None, **fields) -> Diagnostic:
        """A finding about the metadata, at its key or value in the sidecar (else at 1:1 of the text)."""
        if self.metadata.sidecar is None:
            return make(code, self.path, 1, 1, case=case, **({"value": value} if value is not None else {}), **fields)
        return self.metadata.sidecar.finding(code, at, value=value, document=document, case=case, **fields)


def valid_id(sid: str) -> bool:
    """True for an id that can name output files safely inside outputs/."""
    return len(sid) <= ID_MAX and ID_PATTERN.match(sid) is not None and sid not in RESERVED_IDS


def decode(path: str, raw: bytes) -> tuple[str | None, list[Diagnostic]]:
    """Decode UTF-8 bytes, reporting every encoding problem at its line and column."""
    found: list[Diagnostic] = []
    if not raw:
        return None, [make("R105", path, 1, 1)]
    if raw.count(b"\x00") > 0:
        text_part = raw[: raw.index(b"\x00")]
        line = text_part.count(b"\n") + 1
        col = len(text_part) - (text_part.rfind(b"\n") + 1) + 1
        try:
            raw.decode("utf-8")
            binary = raw.count(b"\x00") > max(2, len(raw) // 1000)
        except UnicodeDecodeError:
            binary = True
        if binary:
            return None, [make("R106", path, 1, 1)]
        return None, [make("R104", path, line, col, character="NUL byte")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        before = raw[: err.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        return None, [make("R101", path, line, col, byte=raw[err.start])]
    index = LineIndex(text)
    if text.startswith("\ufeff"):
        found.append(make("R102", path, 1, 1))
    # without a carriage return every line ends alike: the scan is needed only with one
    endings = set(re.findall(r"\r\n|\r(?!\n)|(?<!\r)\n", text)) if "\r" in text else set()
    if len(endings) > 1:
        first_cr = text.find("\r")
        line, col = index.position(first_cr)
        found.append(make("R103", path, line, col))
    # (the bytes are searched first: deleting the others costs far less than the pattern's scan)
    for m in CONTROL.finditer(text) if raw.translate(None, _NOT_CONTROL_BYTES) else ():
        line, col = index.position(m.start())
        found.append(make("R104", path, line, col, character=f"control character U+{ord(m.group()):04X}"))
        break
    return text, found


def _check_keys(table: dict, allowed: dict, where: str, sidecar: Sidecar, document: int | None,
                array: str = "documents") -> list[Diagnostic]:
    found = []
    for key, value in table.items():
        if key not in allowed:
            found.append(sidecar.finding("R112", at=key, document=document, key=key, where=where,
                                         allowed=", ".join(sorted(allowed)), table=array))
        elif not isinstance(value, allowed[key]) or (allowed[key] is int and isinstance(value, bool)):
            found.append(sidecar.finding("R110", at=key, document=document, case="type", key=key, where=where,
                                         type=allowed[key].__name__, table=array))
    return found


def _number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _check_versions(data: dict, version_of: dict[int, int],
                    sidecar: Sidecar) -> tuple[list[Versions], list[Diagnostic]]:
    """The ``[[versions]]`` tables and the documents' ``version_of`` keys, checked, as groups
    of documents to collate (whether each document exists is checked once the text is parsed)."""
    found: list[Diagnostic] = []
    groups: list[Versions] = []
    for number, table in enumerate(data.get("versions", []), 1):
        if not isinstance(table, dict):
            found.append(sidecar.finding("R110", at="versions", case="type", key="versions", where="",
                                         type="array of tables"))
            continue
        problems = _check_keys(table, VERSIONS_KEYS, f" in versions {number}", sidecar, number - 1, "versions")
        if not problems:
            numbers = table.get("documents", [])
            if not all(_number(n) for n in numbers) or len(set(numbers)) < 2 or len(set(numbers)) != len(numbers):
                problems.append(sidecar.finding("R110", at="documents", document=number - 1, case="versions",
                                                table="versions"))
            for layer in table.get("layers", LAYERS):
                if layer not in LAYERS:
                    problems.append(sidecar.finding("R110", at="layers", value=str(layer), document=number - 1,
                                                    case="layers", table="versions"))
            if not table.get("layers", LAYERS):
                problems.append(sidecar.finding("R110", at="layers", document=number - 1, case="layers",
                                                table="versions", value="[]"))
        found += problems
        if not problems:
            layers = tuple(layer for layer in LAYERS if layer in table.get("layers", LAYERS))
            groups.append(Versions(tuple(table["documents"]), layers, number - 1))
    # version_of = n: this document is a version of document n; chains make one group
    parent: dict[int, int] = {}

    def root(n: int) -> int:
        while parent.get(n, n) != n:
            n = parent[n]
        return n

    for number, target in sorted(version_of.items()):
        if not _number(target) or target == number:
            found.append(sidecar.finding("R110", at="version_of", document=number - 1, case="version_of",
                                         value=str(target)))
            continue
        a, b = root(number), root(target)
        if a != b:
            parent[a] = b
    members: dict[int, list[int]] = {}
    for number in sorted(set(parent) | set(parent.values())):
        members.setdefault(root(number), []).append(number)
    for base, group in sorted(members.items()):
        groups.append(Versions((base, *[n for n in group if n != base])))
    return groups, found


def _check_conventions(values: list, sidecar: Sidecar, document: int) -> list[Diagnostic]:
    """Each of a document's ``conventions`` is ``sign=meaning`` with a meaning the sign allows."""
    found = []
    for value in values:
        sign, _, meaning = str(value).partition("=")
        if meaning.strip() not in MEANINGS.get(sign.strip(), ()):
            found.append(sidecar.finding("R110", at="conventions", value=str(value), document=document,
                                         case="convention"))
    return found


def read_metadata(path: Path, expected_id: str) -> tuple[Metadata, list[Diagnostic]]:
    """Read and check the TOML sidecar of a source, if there is one."""
    sidecar = path.with_name(expected_id + SIDECAR_SUFFIX)
    if not sidecar.exists():
        return Metadata(), []
    spath = str(sidecar)
    raw = sidecar.read_bytes()
    text, found = decode(spath, raw)
    if text is None:
        return Metadata(), found
    import tomllib  # only a source with a sidecar needs it

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"at line (\d+), column (\d+)", str(err))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        return Metadata(), [make("R110", spath, line, col, error=str(err).split(" (at")[0])]
    sidecar = Sidecar(spath, text)
    found += _check_keys(data, SOURCE_KEYS, "", sidecar, None)
    if found and any(d.severity == Severity.ERROR for d in found):
        return Metadata(declared=True, sidecar=sidecar), found
    declared_id = data.get("id")
    if declared_id is not None and declared_id != expected_id:
        found.append(sidecar.finding("R113", at="id", declared=declared_id, expected=expected_id))
    documents = []
    version_of: dict[int, int] = {}
    for number, table in enumerate(data.get("documents", []), 1):
        if not isinstance(table, dict):
            continue
        where = f" in document {number}"
        problems = _check_keys(table, DOCUMENT_KEYS, where, sidecar, number - 1)
        if not problems and "conventions" in table:
            problems = _check_conventions(table["conventions"], sidecar, number - 1)
        found += problems
        if any(d.severity == Severity.ERROR for d in problems):
            continue
        if "version_of" in table:
            version_of[number] = table["version_of"]
        documents.append(DocumentMeta(**{k: v for k, v in table.items() if k in DOCUMENT_KEYS}))
    versions, problems = _check_versions(data, version_of, sidecar)
    found += problems
    accepts = []
    if "accept" in data:
        from pipeline.accept import read_acceptances

        accepts, problems = read_acceptances(data["accept"], text, spath)
        found += problems
    meta = Metadata(
        id=declared_id,
        title=data.get("title"),
        language=data.get("language", "en"),
        archive=data.get("archive"),
        collection=data.get("collection"),
        citation=data.get("citation"),
        url=data.get("url"),
        translators=[str(t) for t in data.get("translators", [])],
        editors=[str(t) for t in data.get("editors", [])],
        documents=documents,
        versions=versions,
        declared=True,
        sidecar=sidecar,
        accepts=accepts,
    )
    return meta, found


def read_source(path: Path) -> tuple[Source | None, list[Diagnostic]]:
    """Read a plain-text transcription and its sidecar; ``None`` when it cannot be read."""
    spath = str(path)
    sid = source_id(path)
    if not valid_id(sid):
        return None, [make("R114", spath, 1, 1, id=sid, case="reserved" if sid in RESERVED_IDS else None)]
    try:
        raw = path.read_bytes()
    except OSError as err:
        return None, [make("R100", spath, 1, 1, reason=err.strerror)]
    body, found = decode(spath, raw)
    if body is None:
        return None, found
    if not body.strip():
        return None, found + [make("R105", spath, 1, 1)]
    meta, meta_found = read_metadata(path, sid)
    found += meta_found
    if any(d.severity == Severity.ERROR for d in found):
        return None, found
    return Source(spath, sid, body, meta, LineIndex(body)), found


def check_versions(source, documents: int) -> list[Diagnostic]:
    """R116 for every document the sidecar declares a version that the text does not have
    (here, not in the collation package, so that checking a source does not import it)."""
    found = []
    for versions in source.metadata.versions:
        for number in versions.documents:
            if number <= documents:
                continue
            fields = dict(number=number, found=documents, plural="s" * (documents != 1))
            if versions.table is not None:
                found.append(source.sidecar_finding("R116", "documents", value=str(number), document=versions.table,
                                                    table="versions", **fields))
                continue
            # from version_of: at the key of the document that names it, or of the document itself
            declaring = next((index for index, meta in enumerate(source.metadata.documents)
                              if meta.version_of == number or (index + 1 == number and meta.version_of)), None)
            found.append(source.sidecar_finding("R116", "version_of", document=declaring, **fields))
    return found
