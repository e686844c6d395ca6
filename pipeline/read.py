"""Stage 1, read: a transcription's bytes become a ``Source``.

The OCR'd body is kept verbatim (decoded, never altered); metadata comes from an optional
TOML sidecar ``<id>.meta.toml`` beside ``<id>.txt``. Encoding problems are findings, located
at the byte that causes them, never tracebacks.
"""

from __future__ import annotations

import bisect
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.diagnostics import Diagnostic, Severity

ID_PATTERN = re.compile(r"^(?!(?:con|prn|aux|nul|com[0-9]|lpt[0-9])(?:\.|$))[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9_-]+)*$")
ID_MAX = 100  # an id names output files: short, no path separators, no '..', no device names
# ids whose web page would be one of the web edition's shared pages (pipeline.writers.site)
RESERVED_IDS = frozenset({"index", "persons", "places", "search"})
SIDECAR_SUFFIX = ".meta.toml"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")

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
}
DOCUMENT_KEYS: dict[str, type | tuple] = {
    "title": str,
    "date": str,
    "sender": str,
    "recipient": str,
    "place": str,
    "conventions": list,
}


class LineIndex:
    """Maps character offsets in a text to 1-based (line, column)."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1


@dataclass
class DocumentMeta:
    """What the sidecar says about one document of a source (all optional)."""

    title: str | None = None
    date: str | None = None
    sender: str | None = None
    recipient: str | None = None
    place: str | None = None
    conventions: list[str] = field(default_factory=list)


@dataclass
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
    declared: bool = False  # True when a sidecar exists


@dataclass
class Source:
    """A transcription as received: verbatim body, metadata, and a way back to line:col."""

    path: str
    id: str
    body: str
    metadata: Metadata
    index: LineIndex

    def position(self, offset: int) -> tuple[int, int]:
        return self.index.position(offset)

    def diagnostic(self, offset: int, code: str, severity: Severity, message: str, hint=None):
        line, col = self.position(offset)
        return Diagnostic(self.path, line, col, code, severity, message, hint)


def valid_id(sid: str) -> bool:
    """True for an id that can name output files safely inside outputs/."""
    return len(sid) <= ID_MAX and ID_PATTERN.match(sid) is not None and sid not in RESERVED_IDS


def source_id(path: Path) -> str:
    """The id of a source: its file name without ``.txt``/``.xml``."""
    return path.name[: -len(path.suffix)] if path.suffix else path.name


def decode(path: str, raw: bytes) -> tuple[str | None, list[Diagnostic]]:
    """Decode UTF-8 bytes, reporting every encoding problem at its line and column."""
    found: list[Diagnostic] = []
    if not raw:
        return None, [Diagnostic(path, 1, 1, "R105", Severity.ERROR, "the file is empty",
                                 "paste the transcription's text into the file")]
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
            return None, [Diagnostic(path, 1, 1, "R106", Severity.ERROR,
                                     "the file is binary, not a text transcription",
                                     "export the transcription as UTF-8 plain text")]
        return None, [Diagnostic(path, line, col, "R104", Severity.ERROR,
                                 "NUL byte in the text", "delete the NUL byte (U+0000)")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        before = raw[: err.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        return None, [Diagnostic(path, line, col, "R101", Severity.ERROR,
                                 f"the file is not UTF-8 (byte 0x{raw[err.start]:02x})",
                                 "re-save the file as UTF-8 (for example with iconv -f cp1252 -t utf-8)")]
    index = LineIndex(text)
    if text.startswith("\ufeff"):
        found.append(Diagnostic(path, 1, 1, "R102", Severity.WARNING,
                                "the file starts with a byte-order mark",
                                "save the file as UTF-8 without BOM"))
    endings = {e for e in re.findall(r"\r\n|\r(?!\n)|(?<!\r)\n", text)}
    if len(endings) > 1:
        first_cr = text.find("\r")
        line, col = index.position(first_cr)
        found.append(Diagnostic(path, line, col, "R103", Severity.WARNING,
                                "mixed line endings (CRLF and LF) in one file",
                                "convert the file to LF line endings (dos2unix)"))
    for m in CONTROL.finditer(text):
        line, col = index.position(m.start())
        found.append(Diagnostic(path, line, col, "R104", Severity.ERROR,
                                f"control character U+{ord(m.group()):04X} in the text",
                                "delete the character; it cannot appear in XML"))
        break
    return text, found


def _check_keys(table: dict, allowed: dict, where: str, path: str, line_of) -> list[Diagnostic]:
    found = []
    for key, value in table.items():
        if key not in allowed:
            found.append(Diagnostic(path, line_of(key), 1, "R112", Severity.WARNING,
                                    f"unknown metadata key '{key}'{where}",
                                    "allowed keys: " + ", ".join(sorted(allowed))))
        elif not isinstance(value, allowed[key]):
            found.append(Diagnostic(path, line_of(key), 1, "R110", Severity.ERROR,
                                    f"metadata key '{key}'{where} must be a {allowed[key].__name__}",
                                    None))
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
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"at line (\d+), column (\d+)", str(err))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        return Metadata(), [Diagnostic(spath, line, col, "R110", Severity.ERROR,
                                       f"metadata is not valid TOML: {str(err).split(' (at')[0]}",
                                       "see the source format in README.md")]
    lines = text.split("\n")

    def line_of(key: str) -> int:
        for number, content in enumerate(lines, 1):
            if re.match(rf"\s*{re.escape(key)}\s*=", content):
                return number
        return 1

    found += _check_keys(data, SOURCE_KEYS, "", spath, line_of)
    if found and any(d.severity == Severity.ERROR for d in found):
        return Metadata(declared=True), found
    declared_id = data.get("id")
    if declared_id is not None and declared_id != expected_id:
        found.append(Diagnostic(spath, line_of("id"), 1, "R113", Severity.ERROR,
                                f"metadata id '{declared_id}' differs from the file name '{expected_id}'",
                                f"rename the files or set id = \"{expected_id}\""))
    documents = []
    for number, table in enumerate(data.get("documents", []), 1):
        if not isinstance(table, dict):
            continue
        where = f" in document {number}"
        problems = _check_keys(table, DOCUMENT_KEYS, where, spath, line_of)
        found += problems
        if any(d.severity == Severity.ERROR for d in problems):
            continue
        documents.append(DocumentMeta(**{k: v for k, v in table.items() if k in DOCUMENT_KEYS}))
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
        declared=True,
    )
    return meta, found


def read_source(path: Path) -> tuple[Source | None, list[Diagnostic]]:
    """Read a plain-text transcription and its sidecar; ``None`` when it cannot be read."""
    spath = str(path)
    sid = source_id(path)
    if not valid_id(sid):
        return None, [Diagnostic(spath, 1, 1, "R114", Severity.ERROR,
                                 f"'{sid}' is not a usable source id",
                                 "name the file with lower-case letters, digits, '.', '_' and '-' only"
                                 + (f" ('{sid}' names a page of the web edition)" if sid in RESERVED_IDS else ""))]
    try:
        raw = path.read_bytes()
    except OSError as err:
        return None, [Diagnostic(spath, 1, 1, "R100", Severity.ERROR,
                                 f"cannot read the file: {err.strerror}", None)]
    body, found = decode(spath, raw)
    if body is None:
        return None, found
    if not body.strip():
        return None, found + [Diagnostic(spath, 1, 1, "R105", Severity.ERROR,
                                         "the file holds only white space",
                                         "paste the transcription's text into the file")]
    meta, meta_found = read_metadata(path, sid)
    found += meta_found
    if any(d.severity == Severity.ERROR for d in found):
        return None, found
    return Source(spath, sid, body, meta, LineIndex(body)), found
