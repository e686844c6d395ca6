"""The HTML writer: one page of the web edition per source, from the TEI alone.

``write_html`` is the writer of the ``WRITERS`` table: ``outputs/html/<id>.html``, every
document of the source as a section. The site's shared pages (index, persons, places, search)
are made from every source at the end of a build by ``pipeline.writers.site.write_site``, from
the per-source data ``site_entry`` returns.

A page holds the reading text and the diplomatic text at once: what only one of them shows
carries the class ``r`` (reading) or ``d`` (diplomatic), and the stylesheet hides the other
mode's marks (``body.mode-reading .d``, ``body.mode-diplomatic .r``). The switch between them
is a pair of radio buttons that the script enables. ``HTML_KINDS`` is the one table of how each
editorial kind of the walk is shown: its element, its class in ``dispatch.css`` (which mirrors
the LaTeX macros), and the marks each mode sets around it.

Every character of the source goes through ``escape``; the page skeleton is a Jinja2 template
with autoescaping on; the page's Content-Security-Policy allows no inline script and no
request outside the site: no source text can become markup or script.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from dataclasses import dataclass
import re
import unicodedata
from pathlib import Path
from typing import NamedTuple

from markupsafe import Markup

from pipeline.kinds import BY_NAME, EDITORIAL, EMPTY, NOTE
from pipeline.writers.latex import LazyPattern
from pipeline.writers.walk import Block, Document, Edition, Node

TEMPLATES = Path(__file__).parent / "templates"


class Style(NamedTuple):
    """How one editorial kind is shown: element, class, and the marks each mode sets around it.

    ``reading``/``diplomatic`` are (before, after) texts; ``None``: the mode leaves the kind out.
    """

    element: str
    cls: str
    reading: tuple[str, str] | None = ("", "")
    diplomatic: tuple[str, str] | None = ("", "")


HTML_KINDS: dict[str, Style] = {kind.name: Style(*kind.html) for kind in EDITORIAL}  # from the kinds table
NOTES = {kind.name: kind.note_label for kind in EDITORIAL if kind.role == NOTE}
CORRECTIONS = {"correction": "The original reads", "ocr-fix": "The received text reads",
               "regularization": "The original reads"}
ENTITY_PAGES = {"person": "persons.html", "place": "places.html"}

# block kind -> (element, class, short name for its id); blocks of the letter's opener and
# closer are grouped in <div class="ed-opener"> / <div class="ed-closer">
BLOCKS: dict[str, tuple[str, str, str]] = {
    "head": ("h2", "ed-head", "head"),
    "headnote": ("p", "ed-headnote", "headnote"),
    "sender": ("p", "ed-sender", "sender"),
    "address": ("p", "ed-address", "address"),
    "dateline": ("p", "ed-dateline", "dateline"),
    "salutation": ("p", "ed-salutation", "salutation"),
    "salute": ("p", "ed-salute", "salute"),
    "signed": ("p", "ed-signed", "signed"),
    "docket": ("p", "ed-docket", "docket"),
    "furniture": ("p", "ed-furniture", "furniture"),
    "p": ("p", "ed-p", "p"),
    "item": ("li", "ed-item", "item"),
    "postscript": ("p", "ed-postscript", "ps"),
    "annotation": ("p", "ed-annotation", "annotation"),
    "footnote": ("p", "ed-footnote", "fn"),
}
DIPLOMATIC_BLOCKS = {"docket", "furniture"}  # archival furniture: the reading text leaves it out
PERMALINKED = {"headnote", "p", "item", "postscript", "annotation", "footnote"}

NOT_IN_ANCHOR = re.compile(r"[^A-Za-z0-9_.-]")
ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$|^--(\d{2})-(\d{2})$")
WEB_URL = re.compile(r"^https?://[^\s]+$")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
DATETIME = re.compile(r"^(?:\d{4}(?:-\d{2}(?:-\d{2})?)?|--\d{2}-\d{2}|\d{2}:\d{2}(?::\d{2})?)$")
KIND = re.compile(r"^(?P<kind>[A-Z][\w'-]*(?: [\w'-]+){0,4}?)(?= (?:from|to|between|with|by|on)\b|,| \()")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
STOPS = (".", ",", ";", ":", "!", "?", ")")


def html_escape(text: str) -> str:
    """Text as HTML text or attribute value (as markupsafe escapes it, without its Markup object).

    (The characters are looked for first: most texts have none, and five replaces that find
    nothing cost three times as much as the five tests.)
    """
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
                .replace("'", "&#39;"))
    return text


@functools.lru_cache(maxsize=4096)  # a page asks it of every link to a person or a place
def anchor(value: str) -> str:
    """A fragment identifier from an id: ASCII letters, digits, '.', '_' and '-' (others spelled out)."""
    return NOT_IN_ANCHOR.sub(lambda m: f"_{ord(m.group()):x}_", value) or "_"


def language(value: str | None) -> str | None:
    return value if value and LANGUAGE.match(value) else None


def document_kind(title: str, recorded: str | None = None) -> str:
    """The kind of a document as its title names it ('Ciphered Telegram from ...' -> 'Ciphered
    Telegram'), else the kind the TEI records (div/@subtype), else 'Document'."""
    m = KIND.match(title)
    if m:
        return m.group("kind")
    return recorded.replace("-", " ").capitalize() if recorded else "Document"


def display_date(iso: str | None) -> str:
    """'1950-10-05' -> '5 October 1950'; partial dates likewise; anything else as it is."""
    if not iso:
        return ""
    m = ISO_DATE.match(iso)
    if not m:
        return iso
    year, month, day = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (None, m.group(4), m.group(5))
    if month and not 1 <= int(month) <= 12:
        return iso
    parts = [str(int(day))] if day else []
    if month:
        parts.append(MONTHS[int(month) - 1])
    if year:
        parts.append(year)
    return " ".join(parts)


HAN = LazyPattern(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")  # Han and kana
WORD = re.compile(r"[^\W_]+")


class _Unmarked(dict):
    """A str.translate table that drops combining marks (filled as characters are met)."""

    def __missing__(self, code: int):
        value = None if unicodedata.category(chr(code)).startswith("M") else code
        self[code] = value
        return value


UNMARKED = _Unmarked()
# ASCII text, as bytes: a letter in lower case, a digit as it is, what is neither ([^\W_]) a space;
# str.split then finds the words (several times cheaper than WORD.findall, and translating bytes
# six times cheaper than translating the str)
ASCII_WORDS = (bytes(ord(chr(code).lower()) if chr(code).isalnum() else 32 for code in range(128))
               + bytes(range(128, 256)))  # (a table of bytes.translate has 256; only ASCII is translated)


def _separates(mark: str) -> bool:
    """True when a character parts words before and after folding (NFKD, marks off, lower case),
    and cannot change its neighbours' folding (no combining part)."""
    folded = unicodedata.normalize("NFKD", mark)
    return not WORD.search(folded.lower()) and not any(unicodedata.combining(c) or unicodedata.category(c)[0] == "M"
                                                     for c in folded)


# the marks the page sets around readings that are not ASCII (an arrow, an ellipsis, brackets):
# in a text otherwise ASCII they are spaces to the search, and the text takes the ASCII path
PAGE_MARKS = tuple(sorted(mark for mark in {"\u2192", *(c for style in HTML_KINDS.values()
                                                          for marks in (style.reading, style.diplomatic) if marks
                                                          for c in "".join(marks))}
                          if not mark.isascii() and _separates(mark)))


def words(text: str) -> list[str]:
    """The search words of a text: lower case, accents off, each Han or kana character a word.

    ``dispatch.js`` splits a query the same way.
    """
    if not text.isascii():
        unmarked = text
        for mark in PAGE_MARKS:
            if mark in unmarked:
                unmarked = unmarked.replace(mark, " ")
        if unmarked.isascii():
            text = unmarked
    if text.isascii():
        return text.encode("ascii").translate(ASCII_WORDS).decode("ascii").split()
    folded = unicodedata.normalize("NFKD", text).translate(UNMARKED).lower()
    found = WORD.findall(folded)
    if folded.isascii() or not HAN.search(folded):
        return found
    out = []
    for word in found:
        out.extend(w for w in HAN.compiled.split(word) if w)
    return out


# the white space of ASCII but the space (where ``str.split`` parts words too), for bytes.translate to delete
ASCII_BREAKS = bytes(code for code in range(128) if chr(code).isspace() and code != 32)


def spaced(text: str) -> str:
    """The text with each run of white space one space, and none at its ends: what
    ``" ".join(text.split())`` gives, without a string for each of its words when the space is
    its only white space (as in most texts of a page): its runs of spaces are then halved until
    none is left. Whether it is: an ASCII text (half the text of a page) keeps every byte when
    the others are deleted (about half the cost of ``str.isprintable``, which looks each
    character up in the Unicode tables); any other text is printable (every white-space
    character but the space is one ``str.isprintable`` refuses)."""
    if (len(text.encode("ascii").translate(None, ASCII_BREAKS)) == len(text) if text.isascii()
            else text.isprintable()):
        while "  " in text:
            text = text.replace("  ", " ")
        return text.strip(" ")
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Shown:
    """What ``HtmlWriter.node`` does with one kind, worked out once from ``HTML_KINDS`` and the
    kinds table rather than at each of the hundreds of nodes of a page (a class with slots: its
    fields, read at each node, cost half what a named tuple's do)."""

    style: Style
    element: str
    cls: str  # with " d" (" r") when the reading (diplomatic) text leaves the kind out
    hides_r: bool
    hides_d: bool
    before_r: str | None  # the marks before it in each mode (None: not shown)
    before_d: str | None
    after_r: str | None
    after_d: str | None
    empty: bool  # a gap: no children rendered
    special: str | None  # note, noteref, entity, date, foreign, correction: handled apart
    start: str  # its start tag when it has no attributes: <element class="cls">


def _shown(name: str, style: Style) -> Shown:
    reading, diplomatic = style.reading, style.diplomatic
    special = ("note" if name in NOTES else "noteref" if name == "noteref" else "entity" if name in ENTITY_PAGES
               else "date" if name in ("date", "time") else "foreign" if name == "foreign"
               else "correction" if name in CORRECTIONS else None)
    cls = style.cls + (" d" if reading is None else "") + (" r" if diplomatic is None else "")
    return Shown(style, style.element, cls, reading is None, diplomatic is None,
                 reading[0] if reading else None, diplomatic[0] if diplomatic else None,
                 reading[1] if reading else None, diplomatic[1] if diplomatic else None,
                 BY_NAME[name].role == EMPTY, special, f'<{style.element} class="{cls}">')


SHOWN: dict[str, Shown] = {name: _shown(name, style) for name, style in HTML_KINDS.items()}


class HtmlWriter:
    """Renders an edition's documents as HTML, collecting the data of the site's shared pages."""

    def __init__(self, edition: Edition):
        self.edition = edition
        self.show_r = self.show_d = True  # is what is being rendered shown in each mode
        self.in_link = 0
        self.reading: list[str] = []
        self.diplomatic: list[str] = []
        self.only_diplomatic: list[str] = []  # the text (not the marks) only the diplomatic text shows
        self.doc = ""
        self.notes: list[dict] = []
        self.mentions: dict[str, set[str]] = {}
        self.searchable: list[dict] = []  # the texts of every block and note of the page, in order
        self.index = 0  # the place of the document being rendered
        self.counts: dict[str, int] = {}
        self.footnotes: set[str] = set()

    # -- inline ----------------------------------------------------------------------------
    def text(self, text: str, out: list[str]) -> None:
        if "\n" in text:
            text = text.replace("\n", " ")
        out.append(html_escape(text))
        if self.show_r and self.show_d:  # (collect, for the most frequent case)
            self.reading.append(text)
            self.diplomatic.append(text)
        else:
            self.collect(text)

    def collect(self, text: str) -> None:
        """Record text shown in the modes being rendered (the page's reading and diplomatic texts)."""
        if self.show_r:
            self.reading.append(text)
        if self.show_d:
            self.diplomatic.append(text)
            if not self.show_r:
                self.only_diplomatic.append(text)

    def mark(self, reading: str | None, diplomatic: str | None, out: list[str]) -> None:
        """A mark (bracket, arrow) that one mode or both set."""
        if reading == diplomatic:
            if reading:
                self.text(reading, out)
            return
        if reading and self.show_r:
            out.append(f'<span class="r">{html_escape(reading)}</span>')
            self.reading.append(reading)
        if diplomatic and self.show_d:
            out.append(f'<span class="d">{html_escape(diplomatic)}</span>')
            self.diplomatic.append(diplomatic)

    def nodes(self, nodes: list[Node], out: list[str]) -> None:
        last = len(nodes) - 1
        replaced = None
        for i, node in enumerate(nodes):
            if replaced is not None:
                node, replaced = replaced, None
            kind = node.kind
            if kind == "text":  # most nodes: their text, without the call of ``node`` first
                self.text(node.text, out)
            elif (kind == "deletion" and self.show_r and 0 < i < last and nodes[i - 1].kind == "text"
                    and nodes[i - 1].text.endswith(" ") and out and out[-1].endswith(" ")
                    and nodes[i + 1].kind == "text" and nodes[i + 1].text[:1] in STOPS):
                # "satellite. [6) ...]. I" reads "satellite. I", "ultimately, [5)]." reads
                # "ultimately,.", as in the reading text: the space before the deletion, and a
                # stop after it that repeats the one before, belong to the diplomatic text
                out[-1] = out[-1][:-1]
                self.reading[-1] = self.reading[-1][:-1]
                if self.show_d:
                    out.append('<span class="d"> </span>')  # (the diplomatic text kept it)
                self.node(node, out)
                after = nodes[i + 1].text
                if after[0] in ".,;:" and nodes[i - 1].text[-2:-1] == after[0]:
                    self.mark(None, after[0], out)
                    after = after[1:]
                replaced = Node("text", after)
            else:
                self.node(node, out)

    def node(self, node: Node, out: list[str]) -> None:
        kind = node.kind
        if kind == "text":
            self.text(node.text, out)
            return
        shown = SHOWN.get(kind) or SHOWN["literal"]  # (as HTML_KINDS was read: a kind it lacks as literal)
        special = shown.special
        if special == "note":
            self.note(node, shown.style, out)
            return
        if special == "noteref":
            self.noteref(node, shown.style, out)
            return
        saved = self.show_r, self.show_d
        if shown.hides_r:
            self.show_r = False
        if shown.hides_d:
            self.show_d = False
        if special is None and not (shown.empty and node.children):
            element = shown.element
            out.append(shown.start)
        else:
            element = self.start(node, shown, out)
        linked = element == "a"
        self.in_link += linked
        if kind == "expansion":
            out.append("<abbr>")
            self.nodes(node.alt, out)
            out.append("</abbr>")
        before_r, before_d = shown.before_r, shown.before_d
        if kind == "gloss" and len(out) > 1 and out[-2].endswith(" "):  # set off from its word once
            before_r, before_d = before_r and before_r.lstrip(" "), before_d and before_d.lstrip(" ")
        if before_r or before_d:
            self.mark(before_r, before_d, out)
        if special == "correction":
            was = self.show_r
            self.show_r = False
            if self.show_d:
                out.append('<span class="d"><s class="ed-received">')
                self.nodes(node.alt, out)
                out.append("</s>")
                self.text("\u2192", out)
                out.append("</span>")
            self.show_r = was
        if not shown.empty:
            children = node.children
            if len(children) == 1 and children[0].kind == "text":  # (most: a name, a word, a date)
                self.text(children[0].text, out)
            else:
                self.nodes(children, out)
        if shown.after_r or shown.after_d:
            self.mark(shown.after_r, shown.after_d, out)
        out.append(f"</{element}>")
        self.in_link -= linked
        self.show_r, self.show_d = saved

    def start(self, node: Node, shown: Shown, out: list[str]) -> str:
        """The start tag of a node with attributes of its own (an entity's link, a date's
        datetime, a language, what a correction or a gap replaced); returns its element (a link
        or a date without a target is a span)."""
        kind, element, attributes, special = node.kind, shown.element, "", shown.special
        if special == "entity":
            ref = node.attrs.get("ref")
            entity = self.edition.entities.get(ref or "")
            if entity is not None and entity["kind"] == kind and not self.in_link:
                attributes = f' href="{ENTITY_PAGES[kind]}#{anchor(ref)}"'
                self.mentions.setdefault(kind, set()).add(ref)
            else:
                element = "span"
        elif special == "date":
            when = node.attrs.get("when")
            if when and DATETIME.match(when):
                attributes = f' datetime="{html_escape(when)}"'
            else:
                element = "span"
        elif special == "foreign":
            lang = language(node.attrs.get("lang"))
            if lang:
                attributes = f' lang="{lang}"'
        elif special == "correction":
            attributes = f' title="{html_escape(CORRECTIONS[kind])} \u201c{html_escape(self.plain(node.alt))}\u201d"'
        elif shown.empty and node.children:  # a gap: what the bracket said of it
            attributes = f' title="{html_escape(self.plain(node.children))}"'
        out.append(f'<{element} class="{shown.cls}"{attributes}>')
        return element

    @staticmethod
    def plain(nodes: list[Node]) -> str:
        out = []
        for node in nodes:
            if node.kind == "text":
                out.append(node.text)
            elif node.kind not in NOTES and node.kind != "gloss":
                out.append(HtmlWriter.plain(node.children))
        return "".join(out)

    def visibility(self) -> str:
        return "" if self.show_r and self.show_d else (" d" if self.show_d else " r")

    def note(self, node: Node, style: Style, out: list[str]) -> None:
        """A note leaves the line: a numbered marker here, its text in the document's notes (its
        item of their list, rendered here as the blocks are: a template's loop would escape each
        of its seven values again, at each of the dozen notes of a page)."""
        number = len(self.notes) + 1
        note_id, ref_id = f"{self.doc}-n{number}", f"{self.doc}-nr{number}"
        visibility = self.visibility()
        self.notes.append("")  # (its item, once its text is rendered: a note inside it comes after it)
        if self.in_link:
            out.append(f'<sup class="ed-fn{visibility}">{number}</sup>')
        else:
            out.append(f'<sup class="ed-fn{visibility}"><a class="{style.cls}" href="#{note_id}" '
                       f'id="{ref_id}" role="doc-noteref" aria-controls="{note_id}">{number}</a></sup>')
        saved = self.reading, self.diplomatic, self.only_diplomatic, self.show_r, self.show_d, self.in_link
        self.reading, self.diplomatic, self.only_diplomatic, self.show_r, self.show_d, self.in_link = [], [], [], True, True, 0
        inner: list[str] = []
        self.nodes(node.children, inner)
        text = spaced("".join(self.reading))
        self.reading, self.diplomatic, self.only_diplomatic, self.show_r, self.show_d, self.in_link = saved
        body, label = "".join(inner).strip(), NOTES[node.kind]
        content = f"Handwritten: {body}" if label == "handwritten" else f"{body} ({html_escape(label)})"
        cls = f' class="{visibility[1:]}"' if visibility else ""
        self.notes[number - 1] = (f'<li id="{note_id}" value="{number}"{cls}>'
                                  f'{content} <a class="ed-backref" href="#{ref_id}" '
                                  f'aria-label="Back to note {number} in the text">&#8617;</a></li>')
        self.searchable.append({"document": self.index, "anchor": note_id, "reading": text, "diplomatic": text,
                                "only_diplomatic": ""})

    def noteref(self, node: Node, style: Style, out: list[str]) -> None:
        """A reference to one of the source's own footnotes (the blocks after the text)."""
        number = self.plain(node.children).strip()
        if self.in_link or number not in self.footnotes:  # no footnote of that number: no link
            out.append(f'<sup class="ed-fn">{html_escape(number)}</sup>')
            return
        out.append(f'<sup class="ed-fn"><a class="{style.cls}" href="#{self.doc}-fn{anchor(number)}" '
                   f'role="doc-noteref">{html_escape(number)}</a></sup>')

    # -- blocks ----------------------------------------------------------------------------
    def block(self, block: Block) -> str:
        element, cls, short = BLOCKS.get(block.kind, BLOCKS["p"])
        self.reading, self.diplomatic, self.only_diplomatic = [], [], []
        self.show_r, self.show_d = block.kind not in DIPLOMATIC_BLOCKS, True
        inner: list[str] = []
        if block.kind == "footnote" and block.inlines and block.inlines[0].kind == "noteref":
            number = self.plain(block.inlines[0].children).strip()
            block_id = f"{self.doc}-fn{anchor(number)}"
            inner.append(f'<span class="ed-footnote-n">{html_escape(number)}</span> ')
            self.collect(number + " ")
            self.nodes(block.inlines[2:], inner)
        else:
            self.counts[short] = self.counts.get(short, 0) + 1
            block_id = f"{self.doc}-{short}{self.counts[short]}"
            if block.kind == "annotation":
                inner.append('<span class="ed-annotation-label">[Handwritten]</span> ')
            self.nodes(block.inlines, inner)
        reading = spaced("".join(self.reading))
        # (most blocks show the same pieces in both modes: their text is spaced once)
        diplomatic = reading if self.diplomatic == self.reading else spaced("".join(self.diplomatic))
        if block.kind in DIPLOMATIC_BLOCKS or (not reading and diplomatic):
            cls += " d"  # furniture, or a paragraph wholly deleted: not in the reading text
        if reading or diplomatic:
            self.searchable.append({"document": self.index, "anchor": block_id,
                                    "reading": reading if " d" not in cls else "", "diplomatic": diplomatic,
                                    "only_diplomatic": diplomatic if " d" in cls else " ".join(self.only_diplomatic)})
        body = "".join(inner).strip()
        if block.kind in PERMALINKED:
            body += (f' <a class="ed-permalink" href="#{block_id}" aria-label="Link to this paragraph">'
                     "\u00b6</a>")
        return f'<{element} class="{cls}" id="{block_id}">{body}</{element}>'

    def document(self, document: Document, number: int) -> dict:
        self.doc = anchor(document.id) if document.id else f"d{number}"
        self.index = number - 1
        self.notes, self.counts, self.mentions = [], {}, {}
        self.footnotes = {self.plain(b.inlines[0].children).strip() for b in document.blocks
                          if b.kind == "footnote" and b.inlines and b.inlines[0].kind == "noteref"}
        head = ""
        out: list[str] = []
        part = None
        for block in document.blocks:
            if block.kind == "head" and not head:
                head = self.block(block)
                continue
            group = block.part if block.part in ("opener", "closer") else ("list" if block.kind == "item" else None)
            if group != part:
                out.append({"opener": "</div>", "closer": "</div>", "list": "</ul>"}.get(part, ""))
                out.append({"opener": '<div class="ed-opener">', "closer": '<div class="ed-closer">',
                            "list": '<ul class="ed-list">'}.get(group, ""))
                part = group
            out.append(self.block(block))
        out.append({"opener": "</div>", "closer": "</div>", "list": "</ul>"}.get(part, ""))
        if not head:
            title = document.title or f"Document {document.n}"
            head = f'<h2 class="ed-head" id="{self.doc}-head1">{html_escape(title)}</h2>'
        persons = set(self.mentions.get("person", ()))
        for who in (document.sender, document.recipient):
            ref = (who or {}).get("ref")
            if ref and self.edition.entities.get(ref, {}).get("kind") == "person":
                persons.add(ref)
        return {
            "anchor": self.doc,
            "n": document.n,
            "title": document.title or f"Document {document.n}",
            "kind": document_kind(document.title, document.kind),
            "date": document.date,
            "date_text": display_date(document.date),
            "sender": self.correspondent(document.sender),
            "recipient": self.correspondent(document.recipient),
            "place": document.place,
            "persons": sorted(persons),
            "places": sorted(self.mentions.get("place", ())),
            "head": Markup(head),
            "body": Markup("\n".join(line for line in out if line)),
            "notes": Markup("\n".join(self.notes)),  # the items of their list
            "version_of": self.version_of(document),
        }

    def version_of(self, document: Document) -> dict | None:
        """The document this one is a version of (the TEI's div/@corresp), to link to it and to
        the page that compares them (``collation/<id>.html``)."""
        base = next((d for d in self.edition.documents if document.version_of and d.id == document.version_of), None)
        if base is None:
            return None
        return {"anchor": anchor(base.id), "title": base.title or f"Document {base.n}"}

    def correspondent(self, who: dict | None) -> dict | None:
        if not who:
            return None
        ref = who.get("ref")
        known = ref and self.edition.entities.get(ref, {}).get("kind") == "person"
        return {"name": who.get("name") or "", "ref": ref if known else None, "anchor": anchor(ref) if known else None}

    def render(self) -> tuple[str, dict]:
        """The page's HTML, and the data of the site's shared pages with the texts of every block."""
        edition = self.edition
        documents = []
        for number, document in enumerate(edition.documents, 1):
            documents.append(self.document(document, number))
        metadata = edition.metadata
        url = metadata.get("url") or ""
        reference = [(label, metadata[key]) for key, label in (
            ("archive", "Archive"), ("collection", "Collection"), ("citation", "Published"))
            if metadata.get(key)]
        people = [(label, ", ".join(metadata[key])) for key, label in (("translators", "Translated by"),
                                                                       ("editors", "Edited by")) if metadata.get(key)]
        page = template("source.html.j2").render(
            page="source", id=edition.id, title=edition.title or edition.id,
            language=language(edition.language), reference=reference + people,
            url=url if WEB_URL.match(url) else None, url_text=url,
            documents=documents, collation=any(d["version_of"] for d in documents))
        entities = {key: value for key, value in sorted(edition.entities.items())
                    if value["kind"] in ENTITY_PAGES}
        texts = {
            "id": edition.id,
            "title": edition.title or edition.id,
            "documents": [{key: value for key, value in d.items() if key not in ("head", "body", "notes")}
                          for d in documents],
            "entities": entities,
            "blocks": self.searchable,
        }
        return page, texts


SNIPPET = 200  # characters of a paragraph shown with a search result


def snippet(text: str) -> str:
    return text if len(text) <= SNIPPET else text[:SNIPPET].rsplit(" ", 1)[0] + " \u2026"


def search_data(texts: dict) -> str:
    """A source's part of the search index, as JSON text (the site joins the parts unchanged).

    ``id``; ``documents``: [anchor, title]; ``blocks``: [anchor, document, the start of the
    paragraph, and of its diplomatic text where that differs]; ``words``: word -> the blocks (their places in ``blocks``) whose reading text
    has it; ``diplomatic``: word -> the blocks where only the diplomatic text has it (a
    deletion, a received form, archival furniture).
    """
    blocks = []
    reading: dict[str, list[str]] = defaultdict(list)  # word -> the places of its blocks, as text
    diplomatic: dict[str, list[str]] = defaultdict(list)
    for index, block in enumerate(texts["blocks"]):
        record = [block["anchor"], block["document"], snippet(block["reading"] or block["diplomatic"])]
        if block["only_diplomatic"] and block["reading"]:
            record.append(snippet(block["diplomatic"]))  # shown when only the diplomatic text matches
        blocks.append(record)
        place = str(index)
        found = set(words(block["reading"]))
        for word in found:
            reading[word].append(place)
        if block["only_diplomatic"]:
            for word in set(words(block["only_diplomatic"])) - found:
                diplomatic[word].append(place)
    data = {"id": texts["id"], "documents": [[d["anchor"], d["title"]] for d in texts["documents"]], "blocks": blocks}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # read as a script, not as JSON: valid JavaScript, and inert inside any HTML parser (each
    # character looked for first: a replace that finds nothing in the long text costs more)
    for character, escaped in (("<", "\\u003c"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        if character in text:
            text = text.replace(character, escaped)
    return f'{text[:-1]},"words":{word_table(reading)},"diplomatic":{word_table(diplomatic)}}}'


def word_table(places: dict[str, list[str]]) -> str:
    """The JSON object of a word table, its words in order: what ``json.dumps`` writes of it
    (ten times cheaper: thousands of numbers, each a call of the encoder). A word needs no
    escape: ``words`` gives letters and digits only (no quote, backslash, control character, nor
    any character the script escapes)."""
    return "{" + ",".join([f'"{word}":[{",".join(found)}]' for word, found in sorted(places.items())]) + "}"


@functools.cache
def environment():
    """The Jinja2 environment of the templates, autoescaping every template (made once)."""
    import jinja2

    class Environment(jinja2.Environment):
        def getattr(self, obj, attribute):
            """``a.b`` in a template: the templates are given plain dicts, whose items are read
            first (Jinja2 looks for an attribute first: on a dict, an AttributeError raised and
            caught at each of the hundred such lookups of a page). Otherwise as Jinja2 does."""
            if type(obj) is dict and attribute in obj:
                return obj[attribute]
            return super().getattr(obj, attribute)

    return Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, auto_reload=False,
                       undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def template(name: str):
    return environment().get_template(name)


def block_texts(edition: Edition) -> list[dict]:
    """The reading and the diplomatic text of every block and note of the page, by anchor."""
    return edition.page[1]["blocks"]


def write_html(edition: Edition) -> bytes:
    """The web page of an edition (all its documents as sections), UTF-8."""
    return edition.page[0].encode("utf-8")


def site_entry(edition: Edition) -> dict:
    """What the site's shared pages need of one source: its documents and entities, and in
    ``search`` its part of the search index (JSON text).

    Plain data: the build keeps it beside the outputs, so that the shared pages are made
    again without reading every source's TEI.
    """
    texts = edition.page[1]
    return {**{key: value for key, value in texts.items() if key != "blocks"}, "search": search_data(texts)}
