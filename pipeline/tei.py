"""TEI namespace helpers and the project's one serialization of TEI documents."""

from __future__ import annotations

from lxml import etree

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NSMAP = {None: TEI_NS}
NS = {"t": TEI_NS}

# elements that only ever hold other elements: indented for reading; all others hold
# mixed content and are written exactly as built
CONTAINERS = {
    "TEI", "teiHeader", "fileDesc", "titleStmt", "publicationStmt", "sourceDesc", "encodingDesc",
    "classDecl", "taxonomy", "category", "profileDesc", "correspDesc", "correspAction",
    "langUsage", "revisionDesc", "listChange", "standOff", "listPerson", "person", "listPlace",
    "place", "listOrg", "org", "sourceDoc", "surface", "text", "body", "div", "respStmt",
    "editorialDecl", "listBibl", "change", "notesStmt", "projectDesc",
}


def q(name: str) -> str:
    """The Clark name of a TEI element or of an ``xml:`` attribute."""
    if name.startswith("xml:"):
        return f"{{{XML_NS}}}{name[4:]}"
    return f"{{{TEI_NS}}}{name}"


def local(element) -> str:
    return etree.QName(element).localname


def sub(parent, name: str, text: str | None = None, **attrs) -> etree._Element:
    """Append a child element with attributes (``xml_id`` becomes ``xml:id``)."""
    element = etree.SubElement(parent, q(name))
    for key, value in attrs.items():
        if value is None:
            continue
        key = "xml:" + key[4:] if key.startswith("xml_") else key
        element.set(q(key) if key.startswith("xml:") else key, str(value))
    if text:
        element.text = text
    return element


def append_text(parent, text: str) -> None:
    """Append text after the last child of ``parent`` (or inside it when it has none)."""
    if not text:
        return
    try:
        last = parent[-1]  # O(1) in lxml, where len(parent) counts every child
    except IndexError:
        parent.text = (parent.text or "") + text
    else:
        last.tail = (last.tail or "") + text


def indent(element, level: int = 0, containers: frozenset | set = CONTAINERS) -> None:
    """Indent container elements by two spaces a level; leave mixed content untouched."""
    if local(element) not in containers or not len(element):
        return
    pad = "\n" + "  " * (level + 1)
    element.text = pad
    for child in element:
        indent(child, level + 1, containers)
        child.tail = pad
    element[-1].tail = "\n" + "  " * level


def serialize(root) -> bytes:
    """The one serialization: UTF-8, XML declaration, a final newline."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"
