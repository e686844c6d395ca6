"""The collation as TEI P5: parallel segmentation, internal location.

One TEI document per collation. The header lists the witnesses (``listWit``/``witness``,
each with its siglum in ``@n``) and declares the method (``variantEncoding``). Each group of
versions is a ``div type="collation"``; its ``ab`` elements are the base witness's blocks
(its paragraphs and the lines of its opener and closer). Where the witnesses read alike the
text stands as it is; every variant is an ``app`` with the base's reading in ``lem`` and one
``rdg`` per other reading, each naming its witnesses in ``@wit``; ``rdg/@type`` says what
kind of variant it is (addition, omission, substitution, transposition, punctuation, layout,
spelling, or hand: the same words, made by a hand edit). Inside a reading, ``add`` marks
words a hand inserted (in a revised text) and ``del`` words a hand later deleted (in a first
version). A passage that moved has an ``app`` at each of its places, each ``rdg`` pointing
to the other with ``@corresp``.

Every witness's block breaks are ``milestone unit="block"`` naming it in ``@edRef`` (the
base's stand at the ends of the ``ab`` elements). So each witness's text is given back
exactly by ``witness_text`` (what the tests check): the text outside ``app``, its own reading
inside each ``app``, and a line break at each milestone that names it.
"""

from __future__ import annotations

from lxml import etree

from pipeline import __version__
from pipeline.collate.apparatus import Apparatus, Collation, Reading
from pipeline.tei import NS, NSMAP, XML_NS, indent, q, serialize, sub

CONTAINERS = {"TEI", "teiHeader", "fileDesc", "titleStmt", "publicationStmt", "sourceDesc", "listWit",
              "encodingDesc", "editorialDecl", "text", "body", "div"}

DECLARATION = (
    "Parallel segmentation. The base witness is the first of each collation; its blocks (paragraphs and the "
    "lines of opener and closer) are the ab elements, and the lem of each app is its reading. The block breaks "
    "of every witness are milestone elements (unit block) naming it in edRef. Inside a reading, add "
    "marks words a hand inserted, del words a hand later deleted. rdg/@type: addition, omission, substitution, "
    "transposition (rdg/@corresp points to the other place of the passage), punctuation (case and "
    "punctuation only), layout (block breaks only), spelling (near matches: OCR variants, orthography), hand "
    "(the same words, made by a hand edit).")


def _append(parent, text: str) -> None:
    if not text:
        return
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _refs(apparatus: Apparatus, witnesses) -> str:
    return " ".join(f"#{apparatus.witnesses[w].id}" for w in witnesses)


def _content(parent, apparatus: Apparatus, text: str, hands, breakers: list[int]) -> None:
    """Text into ``parent``: hand edits as add/del, block breaks as milestones of ``breakers``."""
    cuts = sorted({0, len(text)} | {a for a, _, _ in hands} | {b for _, b, _ in hands})
    for start, end in zip(cuts, cuts[1:]):
        kind = next((k for a, b, k in hands if a <= start and end <= b), None)
        target = sub(parent, kind) if kind else parent
        pieces = text[start:end].split("\n")
        for number, piece in enumerate(pieces):
            if number:
                sub(target, "milestone", unit="block", edRef=_refs(apparatus, breakers))
            _append(target, piece)


def _reading(app_element, apparatus: Apparatus, reading: Reading, lemma: bool, corresp: str | None):
    element = sub(app_element, "lem" if lemma else "rdg", wit=_refs(apparatus, reading.witnesses),
                  type=None if lemma else reading.type, corresp=corresp)
    _content(element, apparatus, reading.text, reading.hands, reading.witnesses)
    return element


def transposed(apparatus: Apparatus) -> dict[str, str]:
    """For each variant a moved passage makes, the first variant at its other place."""
    by_id = {app.id: app for app in apparatus.apps}
    out: dict[str, str] = {}
    for move in apparatus.moves:
        here = [a for a in move.apps if by_id[a].spans[move.witness][0] < by_id[a].spans[move.witness][1]]
        there = [a for a in move.apps if a not in here]
        for a in here:
            if there:
                out[a] = there[0]
        for a in there:
            if here:
                out[a] = here[0]
    return out


def _group(body, apparatus: Apparatus) -> None:
    div = sub(body, "div", type="collation", n=str(apparatus.n))
    head = sub(div, "head", "; ".join(f"{w.siglum}: {w.label}" for w in apparatus.witnesses))
    head.tail = None
    everyone = list(range(len(apparatus.witnesses)))
    counterpart = transposed(apparatus)
    for number, unit in enumerate(apparatus.units, 1):
        ab = sub(div, "ab", n=str(number))
        for segment in unit:
            if segment.app is None:
                text = apparatus.reading(0, segment)
                _content(ab, apparatus, text, (), everyone)
                continue
            app = segment.app
            element = sub(ab, "app", xml_id=app.id)
            for index, reading in enumerate(app.readings):
                corresp = None
                if index and reading.type == "transposition" and app.id in counterpart:
                    corresp = "#" + counterpart[app.id]
                _reading(element, apparatus, reading, index == 0, corresp)


def write_collation_tei(collation: Collation) -> bytes:
    root = etree.Element(q("TEI"), nsmap=NSMAP)
    root.set(f"{{{XML_NS}}}lang", "en")
    header = sub(root, "teiHeader")
    file_desc = sub(header, "fileDesc")
    title_stmt = sub(file_desc, "titleStmt")
    sub(title_stmt, "title", collation.title)
    publication = sub(file_desc, "publicationStmt")
    sub(publication, "p", f"Collated by dispatch {__version__} from the TEI of each witness's source.")
    source_desc = sub(file_desc, "sourceDesc")
    list_wit = sub(source_desc, "listWit")
    for witness in collation.witnesses:
        where = witness.path + (f"#{witness.document}" if witness.document else "")
        if witness.layer:
            where += f"@{witness.layer}"
        sub(list_wit, "witness", f"{witness.label} ({where})", xml_id=witness.id, n=witness.siglum)
    encoding = sub(header, "encodingDesc")
    sub(sub(encoding, "editorialDecl"), "p", DECLARATION)
    sub(encoding, "variantEncoding", method="parallel-segmentation", location="internal")
    body = sub(sub(root, "text"), "body")
    for apparatus in collation.groups:
        _group(body, apparatus)
    indent(root, containers=CONTAINERS)
    return serialize(root)


def witness_text(root, witness_id: str, n: int = 1) -> str:
    """A witness's text read back from the collation's TEI alone (the round trip)."""
    div = next(d for d in root.iter(q("div")) if d.get("type") == "collation" and d.get("n") == str(n))
    out: list[str] = []

    def mine(element) -> bool:
        return f"#{witness_id}" in (element.get("wit") or element.get("edRef") or "").split()

    def walk(element) -> None:
        if element.text:
            out.append(element.text)
        for child in element:
            name = etree.QName(child).localname
            if name == "app":
                for reading in child:
                    if isinstance(reading.tag, str) and mine(reading):
                        walk(reading)
                        break
            elif name == "milestone":
                if mine(child):
                    out.append("\n")
            elif name in ("add", "del"):
                walk(child)
            if child.tail:
                out.append(child.tail)

    for ab in div.findall("t:ab", NS):
        walk(ab)
    return "".join(out)
