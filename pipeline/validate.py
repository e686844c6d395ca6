"""Stage 5, validate: the project's XSD (with xmlschema) and the checks an XSD cannot express.

Findings point at the source a person edits: for an encoded transcription, at the line and
column of the text each element came from; for a contributed TEI file, at the element's line.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from lxml import etree

from pipeline.dates import datetime  # the date and time classes, as dates loads them
from pipeline.diagnostics import Diagnostic
from pipeline.findings import Reporter, make
from pipeline.tei import XML_NS, local

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
XSD = SCHEMAS / "tei-dispatch.xsd"
POINTER_ATTRIBUTES = ("ref", "ana", "target", "decls", "source", "hand", "resp", "who", "wit", "edRef", "corresp")
POINTERS = frozenset(POINTER_ATTRIBUTES)
REFERRING_ATTRIBUTES = POINTERS | {"when"}
ID_ATTRIBUTE = f"{{{XML_NS}}}id"
MAX_BYTES = 20 * 1024 * 1024


def schema_path() -> Path:
    """The XSD: beside the package in a checkout, or installed with it (share/dispatch/schemas)."""
    if XSD.exists():
        return XSD
    import sys

    return Path(sys.prefix) / "share" / "dispatch" / "schemas" / "tei-dispatch.xsd"


@functools.cache
def schema():
    """The compiled project schema (compiled once per process)."""
    import xmlschema

    return xmlschema.XMLSchema10(str(schema_path()))


@functools.cache
def fast_schema():
    """The same XSD compiled by libxml2: a quick yes/no for the bulk path.

    xmlschema stays the validator whose findings are reported; the tests prove that both
    agree on every valid and invalid fixture.
    """
    return etree.XMLSchema(etree.parse(str(schema_path()), safe_parser()))


def locate(element, origins: dict, locate_offset, path: str) -> tuple[str, int, int]:
    """(path, line, col) of an element: its origin in the source, or its line in the XML."""
    node = element
    while node is not None:
        if node in origins:
            line, col = locate_offset(origins[node])
            return path, line, col
        node = node.getparent()
    line = getattr(element, "sourceline", None) or 1
    return path, line, 1


def validate(root, path: str, origins: dict | None = None, locate_offset=None, *,
             fast: bool = True) -> list[Diagnostic]:
    """Every schema and semantic finding for a TEI tree.

    With ``fast`` a document that libxml2 finds valid is not validated again by xmlschema;
    any other is, so that the findings are xmlschema's.
    """
    origins = origins or {}
    locate_offset = locate_offset or (lambda offset: (1, 1))
    found = Reporter(path)
    if not (fast and fast_schema().validate(root)):
        for error in schema().iter_errors(root):
            element = error.elem if error.elem is not None else root
            _, line, col = locate(element, origins, locate_offset, path)
            reason = (error.reason or str(error.message)).strip().rstrip(".")
            name = local(element) if isinstance(element.tag, str) else "?"
            found.at_line(line, col, "V501", element=name, reason=reason)
    found.extend(semantic_checks(root, path, origins, locate_offset))
    return found.diagnostics()


def semantic_checks(root, path: str, origins: dict, locate_offset) -> list[Diagnostic]:
    """Pointers resolve, ids are unique, dates are real.

    Nearly every tree is sound: one walk gathers the values of the ids, the pointers and the
    dates alone (which element holds one matters only for a finding), and they are checked
    together, each distinct pointer and date once. Only a tree with a fault is walked again,
    by ``_faults``, to report each where it is.
    """
    ids: list[str] = []
    pointers: list[str] = []
    dates: list[str] = []
    for element in root.iter(etree.Element):
        for name, value in element.items():  # all in one call: a dozen get()s cost a call each
            if name == ID_ATTRIBUTE:
                ids.append(value)
            elif name in POINTERS:
                pointers.append(value)
            elif name == "when":
                dates.append(value)
    known = set(ids)
    if (len(known) == len(ids)
            and all(pointer[1:] in known for pointer in set(" ".join(pointers).split()) if pointer.startswith("#"))
            and all(_real_date(date) for date in set(dates) if date)):
        return []
    return _faults(root, path, origins, locate_offset)


def _faults(root, path: str, origins: dict, locate_offset) -> list[Diagnostic]:
    """The findings of ``semantic_checks`` on a tree with a fault, in document order.

    The pointers and dates are checked once every id is known; an element with a fault is
    then reported attribute by attribute, in the order of ``POINTER_ATTRIBUTES``.
    """
    found = Reporter(path)

    def report(element, code: str, **fields) -> None:
        _, line, col = locate(element, origins, locate_offset, path)
        found.at_line(line, col, code, **fields)

    ids: dict[str, object] = {}
    referring = []  # (element, name, value) of every pointer and date, in document order
    for element in root.iter(etree.Element):
        for name, value in element.items():
            if name == ID_ATTRIBUTE:
                if value in ids:
                    report(element, "V503", id=value)
                ids[value] = element
            elif name in REFERRING_ATTRIBUTES:
                referring.append((element, name, value))
    faulty = []
    for element, name, value in referring:
        if name == "when":
            sound = not value or _real_date(value)
        else:
            pointers = value.split()
            if len(pointers) == 1:  # most: one pointer, tested without a generator
                sound = pointers[0][1:] in ids or not pointers[0].startswith("#")
            else:
                sound = all(pointer[1:] in ids for pointer in pointers if pointer.startswith("#"))
        if not sound and (not faulty or faulty[-1] is not element):
            faulty.append(element)
    for element in faulty:
        for attribute in POINTER_ATTRIBUTES:
            value = element.get(attribute)
            if not value:
                continue
            for pointer in value.split():
                if pointer.startswith("#") and pointer[1:] not in ids:
                    report(element, "V502", attribute=attribute, pointer=pointer)
        when = element.get("when")
        if when and not _real_date(when):
            report(element, "V504", when=when)
    return found.diagnostics()


def _real_date(value: str) -> bool:
    try:
        if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
            datetime.date.fromisoformat(value)
        elif re.fullmatch(r"--\d\d-\d\d", value):
            datetime.date(2000, int(value[2:4]), int(value[5:7]))
        elif re.fullmatch(r"\d{4}-\d\d", value):
            return 1 <= int(value[5:7]) <= 12
        elif re.fullmatch(r"\d{4}", value):
            return True
        elif re.fullmatch(r"\d\d:\d\d:\d\d", value):
            datetime.time.fromisoformat(value)
        else:
            datetime.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def safe_parser() -> etree.XMLParser:
    """An XML parser that loads no DTD, expands no entity and fetches nothing."""
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, dtd_validation=False,
                           huge_tree=False, remove_blank_text=False, collect_ids=False)


def parse_tei(path: Path) -> tuple[etree._Element | None, list[Diagnostic]]:
    """Parse a contributed TEI file safely; a DOCTYPE, an entity or bad XML is a finding."""
    spath = str(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        return None, [make("R100", spath, 1, 1, reason=err.strerror)]
    if len(raw) > MAX_BYTES:
        return None, [make("V511", spath, 1, 1, limit=MAX_BYTES // (1024 * 1024))]
    if not raw.strip():
        return None, [make("R105", spath, 1, 1)]
    doctype = re.search(rb"<!DOCTYPE", raw[:4096] if len(raw) > 4096 else raw)
    if doctype or b"<!ENTITY" in raw:
        before = raw[: (doctype.start() if doctype else raw.index(b"<!ENTITY"))]
        line = before.count(b"\n") + 1
        return None, [make("V512", spath, line, 1)]
    try:
        root = etree.fromstring(raw, safe_parser())
    except etree.XMLSyntaxError as err:
        line, col = err.position if err.position else (1, 1)
        message = re.sub(r", line \d+, column \d+$", "", str(err.msg))
        return None, [make("V510", spath, line or 1, max(col, 1), error=message)]
    return root, []
