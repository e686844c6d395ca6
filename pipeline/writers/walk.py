"""The one walk over the TEI that decides what each element means.

Every writer reads the TEI through this module, so LaTeX, text and JSON cannot disagree
about what a ``del`` or a ``choice`` is. The walk returns an ``Edition``: metadata, and
documents of blocks of semantic nodes (``insertion``, ``deletion``, ``gap``, ``gloss``...).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from lxml import etree

from pipeline.kinds import BY_NAME, BY_TEI, CHOICES, EMPTY, OMIT, Editorial
from pipeline.tei import NS, XML_NS

XML_LANG = f"{{{XML_NS}}}lang"
XML_ID = f"{{{XML_NS}}}id"
ORIG, REG = f"{{{NS['t']}}}orig", f"{{{NS['t']}}}reg"


@functools.lru_cache(maxsize=None)
def _local(tag: str) -> str:
    """The local name of a Clark tag, as ``pipeline.tei.local`` gives it (without an lxml QName
    per element: the walk asks it of every element)."""
    return tag.rpartition("}")[2]


@functools.lru_cache(maxsize=None)
def _kind(name: str, type_: str | None) -> Editorial:
    """The editorial kind of an element (its local name and @type), from the kinds table."""
    return BY_TEI.get((name, type_)) or BY_TEI.get((name, None)) or BY_NAME["literal"]


# the elements whose kind their @type says (a note: a gloss, a translator's note...)
TYPED = frozenset(name for name, type_ in BY_TEI if type_ is not None)


@dataclass(slots=True, init=False)
class Node:
    """A semantic node: ``kind`` 'text' holds ``text``; others hold children and attributes.

    A walk makes hundreds of them per document: slots, and an ``__init__`` written out (the
    generated one, with default factories, costs twice as much). A node without children or
    alternative (every text) shares one empty tuple rather than having two empty lists: fewer
    objects for the garbage collector to track and scan (nothing changes a node once made).
    """

    kind: str
    text: str
    children: list["Node"] | tuple
    attrs: dict
    alt: list["Node"] | tuple  # sic of a correction, abbr of an expansion

    def __init__(self, kind: str, text: str = "", children: list["Node"] | None = None, attrs: dict | None = None,
                 alt: list["Node"] | None = None):
        self.kind = kind
        self.text = text
        self.children = NO_NODES if children is None else children
        self.attrs = {} if attrs is None else attrs
        self.alt = NO_NODES if alt is None else alt


NO_NODES: tuple = ()
# the attributes of the nodes the walk makes without any (every text: two in three nodes),
# shared as ``NO_NODES`` is: a dict fewer per node for the collector to count
NO_ATTRS: dict = {}


def text_node(text: str) -> Node:
    """``Node("text", text, attrs=NO_ATTRS)``: two in three nodes are texts, made here without
    the call of ``Node.__init__`` (a class's Python ``__init__`` is not called as cheaply as a
    function) and with its fields stored directly (a third cheaper)."""
    node = _new_node(Node)
    node.kind = "text"
    node.text = text
    node.children = node.alt = NO_NODES
    node.attrs = NO_ATTRS
    return node


def element_node(kind: str, children: list[Node], attrs: dict) -> Node:
    """``Node(kind, "", children, attrs)``, made as ``text_node`` makes a text (the walk makes
    one for every element of the text)."""
    node = _new_node(Node)
    node.kind = kind
    node.text = ""
    node.children = children
    node.attrs = attrs
    node.alt = NO_NODES
    return node


_new_node = object.__new__


@dataclass
class Block:
    kind: str  # head, headnote, sender, address, dateline, salutation, docket, p, salute, signed, annotation
    part: str  # front, opener, body, closer, back
    inlines: list[Node]


@dataclass
class Document:
    n: str
    id: str
    title: str
    date: str | None
    sender: dict | None
    recipient: dict | None
    place: str | None
    blocks: list[Block]
    kind: str | None = None  # telegram, letter, record-of-conversation... (div/@subtype)
    version_of: str | None = None  # the id of the document this one is a version of (div/@corresp)


@dataclass(frozen=True)
class Edition:
    """A TEI document as the writers read it: read once, then never changed.

    Its reading and diplomatic renderings are made once, on first use, and shared by the
    writers that need them (the text and the JSON); a changed tree is a new ``Edition``.
    """

    id: str
    title: str
    language: str
    metadata: dict
    documents: list[Document]
    entities: dict[str, dict]
    changes: list[dict]
    characters: str = ""  # every character of the TEI's text, to choose fonts and engines

    @functools.cached_property
    def reading(self):
        from pipeline.writers.reading import Renderer

        return Renderer(self, diplomatic=False).render()

    @functools.cached_property
    def diplomatic(self):
        from pipeline.writers.reading import Renderer

        return Renderer(self, diplomatic=True).render()

    @functools.cached_property
    def page(self) -> tuple[str, dict]:
        """The web page, and what the site's shared pages need of it (HTML writer and site entry)."""
        from pipeline.writers.html import HtmlWriter

        return HtmlWriter(self).render()


NAME_KINDS = {"persName": "person", "placeName": "place", "orgName": "org"}


def inline(element) -> list[Node]:
    """The semantic nodes of an element's mixed content.

    The walk's inner loop, over every element of the text. Most elements are of one kind
    whatever their attributes (a name, an insertion, a deletion): their kind is found by their
    tag in one look-up and they are read here; the others (a choice, a gap, a note whose @type
    says what it is) by ``inline_element``."""
    text = element.text
    if not len(element):  # most hold text only (a name, a date, the reading of a choice)
        return [text_node(text)] if text else []
    nodes = [text_node(text)] if text else []
    append = nodes.append
    for child in element:
        tag = child.tag
        kind = _tag_kind(tag)
        if kind is not None:
            # (a child holding text only, most of them, read here without a call of ``inline``)
            if len(child):
                children = inline(child)
            else:
                child_text = child.text
                children = [text_node(child_text)] if child_text else []
            append(element_node(kind.name, children, _kept(kind, child) if kind.keep else NO_ATTRS))
        elif isinstance(tag, str):
            node = inline_element(child)
            if node is not None:
                append(node)
        tail = child.tail
        if tail:
            append(text_node(tail))
    return nodes


@functools.lru_cache(maxsize=None)
def _tag_kind(tag) -> Editorial | None:
    """The kind of every element with this tag whatever its attributes; None for those
    ``inline_element`` reads apart (a choice, a line break, a gap, an element whose @type says
    its kind) and for what is not an element (a comment's tag is a function)."""
    if not isinstance(tag, str):
        return None
    name = _local(tag)
    if name in ("choice", "lb") or name in TYPED:
        return None
    kind = _kind(name, None)
    return None if kind.role == EMPTY else kind


def _kept(kind: Editorial, element) -> dict:
    """The attributes of an element the writers keep for its kind (pointers without '#')."""
    attrs = {}
    for key in kind.keep:
        if key == "lang":
            attrs[key] = element.get(XML_LANG)
        elif key == "ref":
            attrs[key] = (element.get("ref") or "")[1:] or None
        elif key == "cert":
            if element.get("cert") is not None:
                attrs[key] = element.get("cert")
        else:
            attrs[key] = element.get(key)
    return attrs


def inline_element(element) -> Node | None:
    """The semantic node of one element, its kind found in the kinds table."""
    name = _local(element.tag)
    if name == "choice":
        # (loops rather than generators: a choice in eight elements, an OCR fix or an expansion)
        parts = {_local(c.tag): c for c in element if isinstance(c.tag, str)}
        for first in CHOICES:  # the form read: sic, abbr or orig
            if first in parts:
                break
        else:
            first = "orig"
        plain_kind, ruled_kind = CHOICES[first]
        reading = None  # the other form (the first other element), if there are two
        if len(parts) > 1:
            for form, part in parts.items():
                if form != first:
                    reading = part
                    break
        rule = reading.get("ana") if reading is not None else None
        kind = BY_NAME[ruled_kind if rule else plain_kind]
        attrs = {"rule": rule[len("#rule."):]} if "rule" in kind.keep else NO_ATTRS
        return Node(kind.name, children=inline(reading) if reading is not None else [],
                    alt=inline(parts[first]) if first in parts else [], attrs=attrs)
    if name == "lb":
        return Node("text", " ")
    kind = _kind(name, element.get("type"))
    if kind.role == EMPTY:  # a gap: what the bracket said of it, if anything, is its desc
        desc = next((c for c in element if isinstance(c.tag, str) and _local(c.tag) == "desc"), None)
        return Node(kind.name, "", inline(desc) if desc is not None else [], _kept(kind, element))
    return Node(kind.name, "", inline(element), _kept(kind, element) if kind.keep else {})


# opener/closer child -> block kind (a salute: "salutation" in the opener, "salute" in the closer)
LETTER_PARTS = {"byline": "sender", "address": "address", "dateline": "dateline", "salute": "salute",
                "signed": "signed"}


def blocks(div) -> list[Block]:
    """The blocks of a document ``div``, in reading order, each with its part of the letter."""
    out: list[Block] = []
    seen_body = False
    for child in div:
        if not isinstance(child.tag, str):
            continue
        name = _local(child.tag)
        if name == "head":
            out.append(Block("head", "front", inline(child)))
        elif name == "note" and child.get("type") == "headnote":
            for p in _all(child, "p"):
                out.append(Block("headnote", "front", inline(p)))
        elif name in ("opener", "closer"):
            part = name
            pending: list[Node] = []
            for node_el in child:
                if not isinstance(node_el.tag, str):
                    continue
                sub = _local(node_el.tag)
                kind = "salutation" if sub == "salute" and part == "opener" else LETTER_PARTS.get(sub)
                if sub == "address":
                    lines = [inline(line) for line in _all(node_el, "addrLine")]
                    for line in lines:
                        out.append(Block("address", part, line))
                elif kind:
                    out.append(Block(kind, part, inline(node_el)))
                elif sub == "seg":
                    node = inline_element(node_el)
                    out.append(Block("docket" if node.kind == "docket" else "furniture", part, node.children))
                else:
                    pending.append(inline_element(node_el))
            if pending:
                out.append(Block("p", part, pending))
        elif name == "postscript":
            for p in _all(child, "p"):
                out.append(Block("postscript", "back", inline(p)))
        elif name == "p":
            seen_body = True
            out.append(Block("p", "body", inline(child)))
        elif name == "note" and child.get("type") == "footnote":
            out.append(Block("footnote", "back", [Node("noteref", children=[Node("text", child.get("n") or "")]),
                                                  Node("text", " "), *inline(child)]))
        elif name == "note" and child.get("type") == "archival":
            out.append(Block("furniture", "back" if seen_body else "front", inline(child)))
        elif name == "note" and child.get("type") == "stamp":  # a stamp on the page: furniture, kept whole
            out.append(Block("furniture", "back" if seen_body else "front", [inline_element(child)]))
        elif name == "note":
            out.append(Block("annotation", "back" if seen_body else "front", inline(child)))
        elif name == "list":
            seen_body = True
            for item in _all(child, "item"):
                out.append(Block("item", "body", inline(item)))
        elif name == "sp":
            seen_body = True
            speaker = _first(child, "speaker")
            paragraphs = _all(child, "p")
            for number, p in enumerate(paragraphs):
                nodes = inline(p)
                if number == 0 and speaker is not None:
                    nodes = [Node("speaker", children=inline(speaker))] + [Node("text", " ")] + nodes
                out.append(Block("p", "body", nodes))
    return out


def _heading(element) -> str:
    """A heading as it reads: what the reading leaves out (an edition's number, a running
    head) left out, the reading of a choice (an OCR fix, an expansion) only."""
    out = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            name = _local(child.tag)
            if name == "choice":
                parts = [c for c in child if isinstance(c.tag, str)]
                reading = next((c for c in parts if _local(c.tag) in ("corr", "expan", "reg")), None)
                out.append(_heading(reading) if reading is not None else "")
            else:
                kind = BY_TEI.get((name, child.get("type"))) or BY_TEI.get((name, None))
                if kind is None or kind.role not in (OMIT, EMPTY):
                    out.append(_heading(child))
        out.append(child.tail or "")
    return "".join(out)


def _text(element) -> str:
    """All the text of an element (its tail left out), as ``"".join(element.itertext())``:
    serialized as text by lxml, which is several times cheaper than iterating."""
    if element is None:
        return ""
    if len(element) == 0:
        return element.text or ""
    return etree.tostring(element, method="text", encoding=str, with_tail=False)


@functools.lru_cache(maxsize=None)
def _steps(path: str) -> tuple[str, ...]:
    """The tags of a path of TEI names (``"fileDesc/titleStmt/title"``), one per step."""
    return tuple(f"{{{NS['t']}}}{name}" for name in path.split("/"))


def _all(element, path: str) -> list:
    """The elements at a path of TEI child names below an element, in document order, as
    ``findall`` finds them with the ``t:`` prefix: step by step over the children's tags,
    without ElementPath's reading of the path and its namespace map on each call (the header
    alone is read by some twenty paths)."""
    found = [element]
    for tag in _steps(path):
        found = [child for parent in found for child in parent.iterchildren(tag)]
    return found


def _first(element, path: str):
    """The first element at a path (as ``find``), or None."""
    found = _all(element, path)
    return found[0] if found else None


def _forms(change) -> tuple:
    """The orig and reg children of a change (None where it has none; a first of each): by one
    pass over its children, cheaper than an ``iterchildren(tag)`` each (a tag matcher made per
    call)."""
    orig = reg = None
    for child in change:
        tag = child.tag
        if tag == ORIG and orig is None:
            orig = child
        elif tag == REG and reg is None:
            reg = child
    return orig, reg


def read_edition(root, source_id: str) -> Edition:
    """Walk a TEI tree into an ``Edition``: what every writer reads (a new one on every call)."""
    header = _first(root, "teiHeader")
    title = _text(_first(header, "fileDesc/titleStmt/title"))
    language = root.get(XML_LANG, "en")
    entities: dict[str, dict] = {}
    standoff = _first(root, "standOff")
    if standoff is not None:
        for kind, item_name, name_el in (("person", "person", "persName"), ("place", "place", "placeName"),
                                         ("org", "org", "orgName")):
            name_tag = f"{{{NS['t']}}}{name_el}"
            for item in standoff.iter(f"{{{NS['t']}}}{item_name}"):
                names = list(item.iterchildren(name_tag))  # (as findall, without its path's reading)
                main = next((_text(n) for n in names if n.get("type") == "main"), _text(names[0]) if names else "")
                sort = next((_text(n) for n in names if n.get("type") == "sort"), main)
                entities[item.get(XML_ID)] = {
                    "kind": kind, "name": main, "sort": sort,
                    "variants": [_text(n) for n in names if n.get("type") == "variant"],
                }
    corresp = {}
    if header is not None:
        for desc in _all(header, "profileDesc/correspDesc"):
            info: dict = {}
            for action in _all(desc, "correspAction"):
                who = next((c for c in action if isinstance(c.tag, str) and _local(c.tag) in NAME_KINDS), None)
                if who is not None:
                    info[action.get("type")] = {"name": _text(who), "ref": (who.get("ref") or "#")[1:] or None}
                date = _first(action, "date")
                if date is not None:
                    info["date"] = date.get("when")
                place = _first(action, "placeName")
                if place is not None:
                    info["place"] = _text(place)
            corresp[desc.get(XML_ID)] = info
    metadata: dict = {}
    bibl = _first(header, "fileDesc/sourceDesc/bibl") if header is not None else None
    if bibl is not None:
        for child in bibl:
            if not isinstance(child.tag, str):
                continue
            name, kind = _local(child.tag), child.get("type")
            if name == "idno" and kind == "archival":
                metadata.setdefault("sources", []).append(_text(child))
            elif name == "note" and kind == "introduction":
                metadata.setdefault("introduction", []).append(_text(child))
            elif name == "idno" and kind == "record":
                metadata["record_id"] = _text(child)
            elif name == "relatedItem":
                metadata.setdefault("related", []).append(" ".join(_text(child).split()))
            else:
                key = {"distributor": "archive", "ref": "url"}.get(name) or kind
                if key:
                    metadata[key] = _text(child)
    if header is not None:
        for name, key in (("fileDesc/titleStmt/author", "authors"), ("fileDesc/titleStmt/funder", "funders"),
                          ("profileDesc/abstract/p", "abstract")):
            values = [_text(e) for e in _all(header, name)]
            if values:
                metadata[key] = values
    if header is not None:
        for resp in _all(header, "fileDesc/titleStmt/respStmt"):
            if resp.get(XML_ID) == "editor":
                continue  # who decided on the automatic readings: their decisions are the changes of type decision
            role = _text(_first(resp, "resp"))
            key = "translators" if role.startswith("transl") else "editors"
            metadata.setdefault(key, []).extend(_text(p) for p in _all(resp, "persName"))
    changes = []
    if header is not None:
        for change in _all(header, "revisionDesc/listChange/change"):
            orig, reg = _forms(change)
            changes.append({
                "type": change.get("type"),
                "rule": (change.get("ana") or "#rule.")[len("#rule."):] or None,
                "at": change.get("n"),
                "before": _text(orig) if orig is not None else None,
                "after": _text(reg) if reg is not None else None,
                "note": _text(change) if orig is None else None,
            })
    documents = []
    body = _first(root, "text/body")
    for number, div in enumerate(_all(body, "div") if body is not None else [], 1):
        info = corresp.get((div.get("decls") or "#")[1:], {})
        head = _first(div, "head")
        documents.append(Document(
            n=div.get("n") or str(number),
            id=div.get(XML_ID) or f"d{number}",
            title=" ".join(_heading(head).split()) if head is not None else "",
            kind=div.get("subtype"),
            date=info.get("date"),
            sender=info.get("sent"),
            recipient=info.get("received"),
            place=info.get("place"),
            blocks=blocks(div),
            version_of=(div.get("corresp") or "#")[1:] or None,
        ))
    characters = _text(body)
    return Edition(source_id, title, language, metadata, documents, entities, changes, characters)
