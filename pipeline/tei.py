"""TEI namespace helpers and the project's one serialization of TEI documents."""

from __future__ import annotations

import re

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


# characters lxml refuses in text (C0 controls but tab, newline and return; U+FFFE, U+FFFF)
XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# parses the markup the encoder writes itself: no ids collected (nothing looks them up), no size limit
FRAGMENT_PARSER = etree.XMLParser(collect_ids=False, resolve_entities=False, no_network=True, huge_tree=True)

_CLARK: dict[str, str] = {}  # name -> Clark name, filled as names are first asked for
_ATTRIBUTES: dict[str, str] = {}  # keyword of ``sub`` -> attribute name


def q(name: str) -> str:
    """The Clark name of a TEI element or of an ``xml:`` attribute."""
    try:
        return _CLARK[name]
    except KeyError:
        clark = _CLARK[name] = f"{{{XML_NS}}}{name[4:]}" if name.startswith("xml:") else f"{{{TEI_NS}}}{name}"
        return clark


def attribute_name(key: str) -> str:
    """The attribute a keyword of ``sub`` names: ``xml_id`` is ``xml:id``, others are themselves."""
    try:
        return _ATTRIBUTES[key]
    except KeyError:
        name = _ATTRIBUTES[key] = q("xml:" + key[4:]) if key.startswith("xml_") else key
        return name


def local(element) -> str:
    """The local name of an element (its tag without the namespace)."""
    tag = element.tag
    if isinstance(tag, str):
        return tag[tag.find("}") + 1:]
    return etree.QName(element).localname


def sub(parent, name: str, text: str | None = None, **attrs) -> etree._Element:
    """Append a child element with attributes (``xml_id`` becomes ``xml:id``)."""
    element = etree.SubElement(parent, q(name))
    for key, value in attrs.items():
        if value is not None:
            element.set(attribute_name(key), value if type(value) is str else str(value))
    if text:
        element.text = text
    return element


def escape_text(text: str) -> str:
    """Text as XML character data that parses back to exactly ``text`` (a return kept as one)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    return text


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
        tag = child.tag
        # most children hold mixed content: their name is checked here rather than in a call
        if not isinstance(tag, str) or tag[tag.find("}") + 1:] in containers:
            indent(child, level + 1, containers)
        child.tail = pad
    element[-1].tail = "\n" + "  " * level


def serialize(root) -> bytes:
    """The one serialization: UTF-8, XML declaration, a final newline."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


def escape_attribute(value: str) -> str:
    """An attribute value as XML that parses back to exactly ``value`` (the parser would read
    a tab, a newline or a return as a space)."""
    value = escape_text(value)
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\t" in value:
        value = value.replace("\t", "&#9;")
    return value


# lxml's refusal of a string XML cannot hold (the markup refuses it with the same error)
UNSAFE_STRING = "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"


class Markup:
    """TEI written as markup and parsed once into a tree (``tree``), laid out as ``indent``
    lays out a built tree.

    Building a document's thousands of elements one lxml call at a time costs about twice
    as much as writing them and parsing the markup. Each ``start`` returns the element's place
    in document order (its index in ``list(tree.iter())``), by which the writer finds it again.
    Attributes are keywords of ``sub`` (``xml_id`` is ``xml:id``; None leaves one out) and are
    written in their order, as ``sub`` sets them. A container (``CONTAINERS``) holds either
    elements, each on a line of its own, or text. Everything is on one line (the layout's
    newlines written as references): every parsed element's sourceline is 1, as a built
    element's counts.
    """

    __slots__ = ("parts", "count", "level", "stack", "containers")

    def __init__(self, level: int = 0, containers: frozenset | set = CONTAINERS):
        self.parts: list[str] = []
        self.count = 0  # elements started
        self.level = level  # the level of the first element (its root), as ``indent`` counts
        # for each open element: -1 (mixed content), else a container with (1) or without (0) children
        self.stack: list[int] = []
        self.containers = containers

    def _child(self) -> None:
        """An element starts: on a line of its own in a container."""
        stack = self.stack
        if stack and stack[-1] >= 0:
            self.parts.append("&#10;" + "  " * (self.level + len(stack)))
            stack[-1] = 1

    def start(self, name: str, attrs: dict | None = None) -> int:
        """Open an element; its index in document order."""
        self._child()
        self.stack.append(0 if name in self.containers else -1)
        self.parts.append(f"<{name}{Markup.attributes(attrs)}>" if attrs else f"<{name}>")
        self.count += 1
        return self.count - 1

    def end(self, name: str) -> None:
        if self.stack.pop() == 1:  # a container's end tag on a line of its own
            self.parts.append("&#10;" + "  " * (self.level + len(self.stack)))
        self.parts.append(f"</{name}>")

    @staticmethod
    def attributes(attrs: dict) -> str:
        """Attributes as markup (`` name="value"`` each, in their order): keywords of ``sub``
        (``xml_id`` is ``xml:id``), None leaving one out."""
        markup = ""  # most have one or two: a loop costs less than a comprehension's join
        for key, value in attrs.items():
            if value is not None:
                markup += (f' {_MARKUP_NAMES.get(key) or _markup_name(key)}="'
                           f'{escape_attribute(value if type(value) is str else str(value))}"')
        return markup

    def open(self, tag: str) -> int:
        """Open an element inside mixed content (no layout: no container is written there),
        its start tag ``tag`` written by the caller; its index in document order. Its end tag
        is ``close``'s. The encoder writes a text's thousand inline elements so, from start
        tags mostly made once per kind, rather than a ``start`` and an ``end`` each."""
        self.parts.append(tag)
        self.count += 1
        return self.count - 1

    def close(self, tag: str) -> None:
        """The end tag ``tag`` of an element ``open`` opened."""
        self.parts.append(tag)

    def text(self, text: str) -> None:
        if text:
            self.parts.append(escape_text(text))

    def element(self, name: str, text: str | None = None, attrs: dict | None = None) -> int:
        """A whole element holding only ``text``; its index. Written in one piece: an element
        of text only, a container's name or not, has no layout inside."""
        self._child()
        self.parts.append(f"<{name}{Markup.attributes(attrs) if attrs else ''}>"
                          f"{escape_text(text) if text else ''}</{name}>")
        self.count += 1
        return self.count - 1

    def pad(self) -> str:
        """The layout before a child of the open container."""
        return "&#10;" + "  " * (self.level + len(self.stack))

    def raw(self, markup: str, elements: int) -> None:
        """Children of the open container that the caller wrote (``elements`` elements, each
        after a ``pad``)."""
        self.parts.append(markup)
        self.count += elements
        if elements and self.stack[-1] >= 0:
            self.stack[-1] = 1

    def extend(self, fragment: Markup) -> None:
        """A fragment written apart (at its level) as the next child."""
        self._child()
        self.parts += fragment.parts
        self.count += fragment.count

    def tree(self):
        """The element the markup makes. A character XML cannot hold is refused as lxml
        refuses it in a built element (ValueError). The parser refuses every such character;
        the markup is searched for one only then (a search of the whole costs more than the
        parse)."""
        markup = "".join(self.parts)
        try:
            return etree.fromstring(markup, FRAGMENT_PARSER)
        except etree.XMLSyntaxError:
            if XML_UNSAFE.search(markup):
                raise ValueError(UNSAFE_STRING) from None
            raise


_MARKUP_NAMES: dict[str, str] = {}  # keyword of ``sub`` -> attribute name in markup


def _markup_name(key: str) -> str:
    """The name in markup of the attribute a keyword of ``sub`` names (remembered)."""
    name = _MARKUP_NAMES[key] = "xml:" + key[4:] if key.startswith("xml_") else key
    return name
