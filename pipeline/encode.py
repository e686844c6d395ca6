"""Stage 4, encode: the parsed documents become one TEI P5 document (lxml).

The received body is kept, line by line, in ``sourceDoc`` (TEI's element for a transcription
of the source as it stands); ``dispatch restore`` rebuilds the body from it byte for byte.
Every normalization change is in the header's change list, and OCR fixes also stand in the
text as ``choice`` with the received ``sic`` beside the ``corr``, naming their rule.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from lxml import etree

from pipeline import __version__
from pipeline.kinds import ENCODING
from pipeline.model import Span, Text
from pipeline.records import field, record
from pipeline.tei import TEI_NS, Markup, escape_attribute, escape_text, q

if TYPE_CHECKING:  # the other stages' types; their modules are loaded by whoever calls encode
    from pipeline.model import Block, Document
    from pipeline.normalize import Change, Normalized
    from pipeline.parse import Parsed
    from pipeline.read import Source
    from pipeline.registers import Register
    from pipeline.rules import RuleTable

NORMALIZATION_DECISIONS = ("ocr", "name", "layout", "markup", "chrome")
OPENER = {"docket": ("seg", {"type": "docket"}), "sender": ("byline", {}),
          "address": ("address", {}), "dateline": ("dateline", {}), "salutation": ("salute", {})}
CLOSER = {"salute": ("salute", {}), "signed": ("signed", {}), "dateline": ("dateline", {})}
WORD = re.compile(r"\w")


class Origins(Mapping):
    """For each element, the offset in the received body it comes from.

    The encoder knows most of them as offsets into the normalized text; they are mapped to the
    received body only when one is asked for (a finding's position), not for every element.
    Those of the elements written as markup are kept by the elements' places in document order
    (``written``) and found in the tree only when one is first asked for: most documents have
    no finding that looks one up.
    """

    def __init__(self, norm: Normalized | None = None):
        self.norm = norm
        self._normalized: dict = {}  # element -> offset in the normalized text
        self._received: dict = {}  # element -> offset in the received body
        self._written = None  # (parsed element, [(index, offset, in the received body?)]) not yet found

    def written(self, element, marked: list[tuple[int, int, bool]]) -> None:
        """The origins of ``element`` and its descendants, by their index in ``element.iter()``."""
        self._found()
        self._written = (element, marked)

    def _found(self) -> None:
        """The written origins, found in the tree (before any other is set or looked up, in the
        order they were written)."""
        if self._written is None:
            return
        element, marked = self._written
        self._written = None
        elements = list(element.iter())
        for index, offset, received in marked:
            if received:
                self.received(elements[index], offset)
            else:
                self.normalized(elements[index], offset)

    def normalized(self, element, offset: int) -> None:
        if self._written is not None:
            self._found()
        self._received.pop(element, None)
        self._normalized[element] = offset

    def received(self, element, offset: int) -> None:
        if self._written is not None:
            self._found()
        self._normalized.pop(element, None)
        self._received[element] = offset

    def __getitem__(self, element) -> int:
        self._found()
        if element in self._received:
            return self._received[element]
        return self.norm.original_offset(self._normalized[element])

    def __contains__(self, element) -> bool:
        self._found()
        return element in self._received or element in self._normalized

    def __iter__(self):
        self._found()
        yield from self._normalized
        yield from self._received

    def __len__(self) -> int:
        self._found()
        return len(self._normalized) + len(self._received)

    def __bool__(self) -> bool:
        return self._written is not None or bool(self._normalized) or bool(self._received)


@record
class Encoded:
    """The TEI tree and, for each element, the offset in the received body it comes from."""

    root: etree._Element
    origins: Mapping = field(default_factory=dict)


class Encoder:
    def __init__(self, source: Source, norm: Normalized, parsed: Parsed, register: Register,
                 rules: RuleTable, ledger=None):
        self.source = source
        self.ledger = ledger  # the automatic decisions and the editor's decisions on them
        self.decision_ids = 0
        self.norm = norm
        self.text = norm.text
        self.parsed = parsed
        self.register = register
        self.rules = rules
        self.origins = Origins(norm)
        self.origin = self.origins.normalized  # element, offset in the normalized text
        self.used: set[str] = set()
        self.inline_changes = sorted((c for c in norm.changes if c.inline), key=lambda c: c.nstart)
        self.inline_starts = [c.nstart for c in self.inline_changes]
        self.change_ids = {id(c): f"ch{n}" for n, c in enumerate(norm.changes, 1)}
        self.repair_ids: dict[int, str] = {}
        # the printed page's running heads and page numbers: <fw> where they stood
        self.forme = sorted((c for c in norm.changes if c.kind == "forme"), key=lambda c: c.nend)
        self.forme_ends = [c.nend for c in self.forme]
        self.forme_done: set[int] = set()
        self.leaves: list[tuple[int, int]] = []  # (start, index in document order) of every block element
        # every place a run of text stops at: an OCR fix starts, a running head taken out ends
        self.stops = sorted({*self.inline_starts, *self.forme_ends})
        # whether the text holds a character its runs must be escaped for, a line break aside
        # (tested in each run: a text has them, seldom a run)
        self.escaping = any(character in self.text for character in "&<>\r")

    # -- the whole document ----------------------------------------------------------------
    def encode(self) -> Encoded:
        """The document written as markup (``Markup``: laid out as ``indent`` lays it out) and
        parsed in one call: its text first (the header records what the text used), then
        the header and the standOff before it, and the received body (sourceDoc) after it."""
        text = self.text_markup()
        out = self.out = Markup()
        out.start("TEI", {"xmlns": TEI_NS, "xml_lang": self.source.metadata.language})
        out.start("teiHeader")
        self.header()
        out.end("teiHeader")
        self.standoff()
        out.start("text")
        out.extend(text)
        out.end("text")
        self.source_doc()
        out.end("TEI")
        root = out.tree()
        del self.out
        self.found(root[-2][0])  # text/body (sourceDoc is the last child)
        self.forme_left()
        return Encoded(root, self.origins)

    def header(self) -> None:
        out = self.out
        meta = self.source.metadata
        documents = self.parsed.documents
        out.start("fileDesc")
        out.start("titleStmt")
        title = meta.title or "; ".join(d.info.title for d in documents if d.info.title) or self.source.id
        out.element("title", title)
        page = self.parsed.page
        for author in page.authors:
            out.element("author", author)
        for funder in page.funders:
            out.element("funder", funder)
        translators = meta.translators or page.translators
        for role, people in (("translated by", translators), ("edited by", meta.editors)):
            for name in people:
                out.start("respStmt")
                out.element("resp", role)
                entry = self.register.lookup(name)
                if entry:
                    self.used.add(entry.id)
                out.element("persName", name, {"ref": f"#{entry.id}" if entry else None})
                out.end("respStmt")
        applied = self.ledger.applied() if self.ledger is not None else []
        if applied:  # the editor who decided on the automatic readings (change/@who, @resp point here)
            out.start("respStmt", {"xml_id": "editor"})
            out.element("resp", f"decided on the automatic readings ({self.source.id}.review.toml)")
            out.element("persName", self.ledger.review.editor or "the editor")
            out.end("respStmt")
        out.end("titleStmt")
        out.start("publicationStmt")
        out.element("p", f"Encoded by dispatch {__version__} from the transcription '{self.source.id}'.")
        out.end("publicationStmt")
        out.start("sourceDesc")
        out.start("bibl")
        out.element("title", title)
        if meta.citation:
            out.element("note", meta.citation, {"type": "publication"})
        if meta.archive:
            out.element("distributor", meta.archive)
        if meta.collection:
            out.element("note", meta.collection, {"type": "collection"})
        if meta.url:
            out.element("ref", meta.url, {"target": meta.url})
        # what the page around the documents says about their source
        if page.citation:
            out.element("note", page.citation, {"type": "citation"})
        if page.archive:
            out.element("note", page.archive, {"type": "repository"})
        for reference in page.sources:
            out.element("idno", reference, {"type": "archival"})
        if page.record_id:
            out.element("idno", page.record_id, {"type": "record"})
        if page.rights:
            out.element("note", page.rights, {"type": "rights"})
        for paragraph in page.introduction:
            out.element("note", paragraph, {"type": "introduction"})
        for related in page.related:
            out.start("relatedItem", {"type": "related"})
            out.start("bibl")
            out.element("title", related)
            out.end("bibl")
            out.end("relatedItem")
        out.end("bibl")
        out.end("sourceDesc")
        out.end("fileDesc")
        out.start("encodingDesc")
        out.start("editorialDecl")
        for number, document in enumerate(documents, 1):
            info = document.info
            declared = "; ".join(info.declared) or "none declared"
            out.element("p", f"Document {number}: italics read as '{info.italics}', brackets as '{info.brackets}' "
                             f"(declared: {declared}).", {"n": str(number)})
        out.end("editorialDecl")
        used_rules = sorted({c.rule for c in self.norm.changes}
                            | {d.rule for d in applied if d.kind in NORMALIZATION_DECISIONS})
        if used_rules:
            out.start("classDecl")
            out.start("taxonomy", {"xml_id": "normalization-rules"})
            for rule_id in used_rules:
                rule = self.rules.by_id(rule_id)
                out.start("category", {"xml_id": f"rule.{rule_id}"})
                out.element("catDesc", rule.message if rule else rule_id)
                out.end("category")
            out.end("taxonomy")
            out.end("classDecl")
        out.end("encodingDesc")
        out.start("profileDesc")
        out.start("langUsage")
        out.element("language", None, {"ident": meta.language})
        out.end("langUsage")
        if page.abstract:
            out.start("abstract")
            for summary in page.abstract:
                out.element("p", summary)
            out.end("abstract")
        for number, document in enumerate(documents, 1):
            self.corresp(document, number)
        out.end("profileDesc")
        if self.norm.changes or self.parsed.repairs or applied:
            out.start("revisionDesc")
            out.start("listChange", {"type": "normalization"})
            if self.norm.changes:
                pad = out.pad()
                out.raw("".join([self.change_entry(change, pad) for change in self.norm.changes]),
                        3 * len(self.norm.changes))
            for offset, message in self.parsed.repairs:
                line, col = self.source.position(self.norm.original_offset(offset))
                out.element("change", message, {"type": "repair", "target": f"#{self.repair_ids[offset]}",
                                                "n": f"{line}:{col}"})
            for decision in applied:
                self.decision_entry(decision)
            out.end("listChange")
            out.end("revisionDesc")

    def decision_entry(self, decision) -> None:
        """An editor's decision: the change is the editor's (@who), not the rule's."""
        from pipeline.decisions import describe

        line, col = self.source.position(decision.start)
        self.out.element("change", describe(decision), {
            "type": "decision", "who": "#editor",
            "ana": f"#rule.{decision.rule}" if decision.kind in NORMALIZATION_DECISIONS else None,
            "target": f"#{decision.target}" if decision.target else f"#L{line}", "n": f"{line}:{col}"})

    def change_entry(self, change: Change, pad: str) -> str:
        """A change of the header's list as markup (change, orig and reg, laid out as ``Markup``
        lays them out after ``pad``): a document's dozens of changes written in one piece."""
        line, col = self.source.position(change.start)
        inner = pad + "  "
        return (f'{pad}<change type="{escape_attribute(change.kind)}" ana="{escape_attribute("#rule." + change.rule)}"'
                f' target="#L{line}" n="{line}:{col}" xml:id="{self.change_ids[id(change)]}">'
                f'{inner}<orig>{escape_text(change.before)}</orig>{inner}<reg>{escape_text(change.after)}</reg>'
                f'{pad}</change>')

    def corresp(self, document: Document, number: int) -> None:
        info = document.info
        if not (info.sender or info.recipient or info.date):
            return
        out = self.out
        out.start("correspDesc", {"xml_id": f"corresp-d{number}"})
        for action, who in (("sent", info.sender), ("received", info.recipient)):
            if not (who or (action == "sent" and (info.date or info.place))):
                continue
            out.start("correspAction", {"type": action})
            if who:
                entry = self.register.by_id.get(who)
                if entry:
                    self.used.add(entry.id)
                    out.element(entry.element, entry.name, {"ref": f"#{entry.id}"})
                else:
                    out.element("persName", who)
            if action == "sent" and info.place:
                out.element("placeName", info.place)
            if action == "sent" and info.date:
                out.element("date", None, {"when": info.date})
            out.end("correspAction")
        out.end("correspDesc")

    def standoff(self) -> None:
        """The register's entries the document names (none: no standOff)."""
        out = self.out
        lists = {"person": ("listPerson", "person"), "place": ("listPlace", "place"),
                 "org": ("listOrg", "org")}
        started = False
        for kind, (list_name, item_name) in lists.items():
            entries = sorted((self.register.by_id[i] for i in self.used
                              if i in self.register.by_id and self.register.by_id[i].kind == kind),
                             key=lambda e: e.id)
            if not entries:
                continue
            if not started:
                out.start("standOff")
                started = True
            out.start(list_name)
            pad = out.pad()
            written = [_entry_markup(entry, item_name, pad) for entry in entries]
            out.raw("".join([markup for markup, _ in written]), sum(count for _, count in written))
            out.end(list_name)
        if started:
            out.end("standOff")

    def source_doc(self) -> None:
        """The received body, line by line: sourceDoc, the last child of TEI. Its lines are
        written as one string (``Markup.raw``): a call per line would cost more than the rest.
        A line with a character XML cannot hold makes the markup fail as a built line failed."""
        out = self.out
        out.start("sourceDoc", {"xml_id": "received", "xml_space": "preserve"})
        out.start("surface", {"type": "ocr"})
        pad = out.pad()
        # the body escaped in one call, then cut at its newlines (each escaped as "&#10;": a
        # "&" of the text is "&amp;" by then)
        lines = escape_text(self.source.body).split("&#10;")
        out.raw("".join([f'{pad}<line xml:id="L{number}" n="{number}">{line}</line>'
                         for number, line in enumerate(lines, 1)]), len(lines))
        out.end("surface")
        out.end("sourceDoc")

    # -- the text --------------------------------------------------------------------------
    def text_markup(self) -> Markup:
        """The documents, written as markup at the level of ``body`` (in ``text``, in ``TEI``)."""
        self.out = Markup(level=2)
        self.marked: list[tuple[int, int, bool]] = []  # (element, offset, in the received body?)
        self.out.start("body")
        for number, document in enumerate(self.parsed.documents, 1):
            self.document(document, number)
        self.out.end("body")
        return self.out

    def found(self, body) -> None:
        """The origins of the parsed ``body``'s elements, by their place in document order (the
        order they were written in); its block elements are looked up only when needed."""
        self.origins.written(body, self.marked)
        self.written_body = body
        del self.marked

    def start(self, name: str, attrs: dict | None = None, origin: int | None = None,
              received: bool = False) -> int:
        """Open an element whose origin is ``origin`` (in the normalized text, or in the
        received body); its index in document order."""
        index = self.out.start(name, attrs)
        if origin is not None:
            self.marked.append((index, origin, received))
        return index

    def document(self, document: Document, number: int) -> None:
        info = document.info
        base = next((v.documents[0] for v in self.source.metadata.versions if number in v.documents[1:]), None)
        self.start("div", {"type": "document", "subtype": info.kind, "n": str(number), "xml_id": f"d{number}",
                           "decls": f"#corresp-d{number}" if info.sender or info.recipient or info.date else None,
                           # a version of another document (sidecar [[versions]])
                           "corresp": f"#d{base}" if base is not None and base != number else None},
                   document.start)
        self.prefix = f"d{number}"
        self.footnotes = {}
        for block in document.back:
            if block.kind == "footnote":
                self.footnotes.setdefault(block.n, block)
        for part, blocks in document.parts():
            if not blocks:
                continue
            if part in ("opener", "closer"):
                self.start(part, origin=blocks[0].start)
            for block in blocks:
                self.block(part, block, number)
            if part in ("opener", "closer"):
                self.out.end(part)
        self.out.end("div")

    def block(self, part: str, block: Block, number: int) -> None:
        """One block of a part: the element its kind is in that part."""
        kind = block.kind
        if part in ("opener", "closer"):
            if kind == "furniture" and block.subtype == "document-number":
                self.block_element("seg", {"type": "document-number"}, block)
            elif kind == "furniture":
                self.block_element("seg", {"type": "archival", "subtype": block.subtype}, block)
            elif kind == "address":
                self.wrapped("address", {}, "addrLine", block)
            else:
                self.block_element(*(OPENER if part == "opener" else CLOSER)[kind], block)
        elif kind == "head" and block.subtype == "numbered" and block.content is not None:
            # the edition's number of the document, then the title
            element = self.start("head", origin=block.start)
            i = bisect.bisect_left(self.forme_ends, block.start)
            while i < len(self.forme) and self.forme[i].nend == block.start:  # a running head above
                if id(self.forme[i]) not in self.forme_done:
                    self.forme_written(self.forme[i])
                i += 1
            self.start("seg", {"type": "document-number"}, block.start)
            self.text_run(block.start, _trim_end(self.text, block.start, block.content))
            self.out.end("seg")
            self.out.text(" ")
            self.inlines(block.inlines)
            self.out.end("head")
            self.leaves.append((block.start, element))
        elif kind == "head":
            self.block_element("head", {}, block)
        elif kind == "headnote":
            self.wrapped("note", {"type": "headnote"}, "p", block)
        elif kind == "annotation":
            self.block_element("note", {"type": block.subtype or "handwritten"}, block)
        elif kind == "furniture":
            self.block_element("note", {"type": "archival", "subtype": block.subtype}, block)
        elif kind == "postscript":
            self.wrapped("postscript", {}, "p", block)
        elif kind == "footnote":
            first = self.footnotes.get(block.n) is block
            self.block_element("note", {"type": "footnote", "n": block.n,
                                        "xml_id": f"d{number}-fn{block.n}" if first else None}, block)
        elif kind == "sp":
            speaker, *paragraphs = block.children
            names = [n for n in speaker.inlines if isinstance(n, Span) and n.kind == "persName"]
            self.start("sp", {"who": f"#{names[0].ref}"} if names else None, block.start)
            self.block_element("speaker", {}, speaker)
            for paragraph in paragraphs:
                self.block_element("p", {}, paragraph)
            self.out.end("sp")
        elif kind == "list":
            self.start("list", origin=block.start)
            for item in block.children:
                self.block_element("item", {}, item)
            self.out.end("list")
        else:
            self.block_element("p", {}, block)

    def wrapped(self, outer: str, outer_attrs: dict, inner: str, block: Block) -> None:
        """A block inside an element of its own: address/addrLine, note/p, postscript/p."""
        self.start(outer, outer_attrs, block.start)
        self.block_element(inner, {}, block)
        self.out.end(outer)

    def block_element(self, name: str, attrs: dict, block: Block) -> None:
        element = self.start(name, attrs, block.start)
        self.inlines(block.inlines)
        self.out.end(name)
        self.leaves.append((block.start, element))

    @staticmethod
    def forme_lines(change: Change):
        """The running heads and page numbers a change took out: (line, fw/@type)."""
        from pipeline.page import default_page_data

        page_number = default_page_data().running_heads.page_number
        for line in change.before.split("\n"):
            line = line.strip(" \t\u00a0\r")
            if line and line != "-":
                yield line, "pageNum" if page_number.match(line) else "header"

    def forme_written(self, change: Change) -> None:
        """A change's running heads and page numbers as <fw> elements, in the markup."""
        self.forme_done.add(id(change))
        for line, kind in self.forme_lines(change):
            self.start("fw", {"type": kind}, change.start, received=True)
            self.out.text(line)
            self.out.end("fw")

    def forme_work(self, parent, change: Change, at: int | None = None) -> None:
        """A change's running heads and page numbers as <fw> elements, in the built tree."""
        self.forme_done.add(id(change))
        for line, kind in self.forme_lines(change):
            fw = etree.Element(q("fw"))
            fw.text = line
            fw.set("type", kind)
            self.origins.received(fw, change.start)
            if at is None:
                parent.append(fw)
            else:
                parent.insert(at, fw)
                at += 1

    def forme_left(self) -> None:
        """A running head no text run holds (at a block's edge): at the start of the next block
        element, else at the end of the last one."""
        if all(id(change) in self.forme_done for change in self.forme):
            return
        elements = list(self.written_body.iter())  # the block elements, by their index
        leaves = sorted(((start, elements[index]) for start, index in self.leaves), key=lambda leaf: leaf[0])
        for change in self.forme:
            if id(change) in self.forme_done or not leaves:
                continue
            following = next((element for start, element in leaves if start >= change.nend), None)
            if following is None:
                self.forme_work(leaves[-1][1], change)
                continue
            text, following.text = following.text, None
            count = len(following)
            self.forme_work(following, change, at=0)
            added = len(following) - count
            if added:
                following[added - 1].tail = text
            else:
                following.text = text

    def inlines(self, nodes: list) -> None:
        """Spans and runs of text. A run that no fix or running head stops (nearly all) is its
        text: appended here, without a call of ``text_run``, and escaped only when it holds a
        line break or the text a character to escape (``escaping``: seldom). A span of a plain
        kind is written by ``plain_span``, called from here (most spans), the others by ``span``."""
        parts, text, stops, escaping = self.out.parts, self.text, self.stops, self.escaping
        last = len(stops)
        for node in nodes:
            if isinstance(node, Text):
                start, end = node.start, node.end
                i = bisect.bisect_left(stops, start)
                if i == last or stops[i] >= end:
                    run = text[start:end]
                    parts.append(escape_text(run) if escaping or "\n" in run else run)
                else:
                    self.text_run(start, end)
            else:
                tags = _PLAIN_TAGS.get(node.kind) or _plain_tags(node.kind)
                if tags[0] and not (node.repaired or node.unclassified or node.decision is not None):
                    self.plain_span(node, *tags)
                else:
                    self.span(node)

    def open(self, tag: str, attrs: dict | None, origin: int) -> None:
        """Open an element of a block's mixed content (``Markup.open``) whose origin is
        ``origin``: ``tag`` is the start of its start tag (``<name`` and the attributes it
        always has), ``attrs`` the attributes it has besides."""
        index = self.out.open(f"{tag}{Markup.attributes(attrs)}>" if attrs else tag + ">")
        self.marked.append((index, origin, False))

    def span(self, span: Span) -> None:
        """An editorial construct as its kind's element (of a kind ``plain_span`` does not
        write). What the kinds table gives every span of a kind (the element, its attributes)
        is written as the kind's start tag, made once (``_start_tag``); then the attributes of
        this span (after the table's: none of them is one of the table's)."""
        kind = span.kind
        encoding = ENCODING[kind]
        out = self.out
        element = encoding.element
        if element == "gap":
            self.open("<gap", self.decided({"reason": span.reason or encoding.attrs.get("reason")}, span), span.start)
            words = "".join(self.text[t.start:t.end] for t in span.children if isinstance(t, Text)).strip()
            if WORD.search(words):  # [two words illegible]: what the bracket said is kept
                out.element("desc", " ".join(words.split()))
            out.close("</gap>")
            return
        if element == "choice":
            self.open("<choice", self.decided({}, span), span.start)
            first, second = ("sic", "corr") if encoding.editorial == "correction" else ("abbr", "expan")
            out.open(f"<{first}>")
            if span.pulled:
                self.text_run(*span.pulled)
            out.close(f"</{first}>")
            out.open(f"<{second}{Markup.attributes(encoding.attrs)}>")
            self.inlines(span.children)
            out.close(f"</{second}></choice>")
            return
        tag = _START_TAGS.get(kind) or _start_tag(encoding)
        if encoding.takes:  # word [?]: the element holds the word it took in, not the mark
            self.open(tag, self.decided({}, span), span.start)
            if span.pulled:
                self.text_run(*span.pulled)
            out.close(f"</{element}>")
            return
        attrs = {}
        if span.ref:
            attrs["ref"] = f"#{span.ref}"
            self.used.add(span.ref)
        if span.when:
            attrs["when"] = span.when
        if kind == "unclear":
            attrs["reason"] = span.reason or "unrecognised"
        if span.lang:
            attrs["xml_lang"] = span.lang
        if kind == "footnote-ref":
            number = "".join(self.text[t.start:t.end] for t in span.children if isinstance(t, Text)).strip()
            attrs["n"] = number
            if number in self.footnotes:
                attrs["target"] = f"#{self.prefix}-fn{number}"
        if span.repaired:
            repair_id = f"{self.prefix}-repair{len(self.repair_ids) + 1}"
            self.repair_ids[span.start] = repair_id
            attrs["xml_id"] = repair_id
            attrs["cert"] = "medium"
        if span.unclassified:
            attrs["cert"] = "low"
        if span.decision is not None:
            attrs.pop("cert", None)
        self.open(tag, self.decided(attrs, span), span.start)
        self.inlines(span.children)
        out.close(f"</{element}>")

    def plain_span(self, span: Span, tag: str, end_tag: str) -> None:
        """A span of a kind written as its element with the attributes of its register entry,
        date and language only (most spans: a name, a date, an addition, a note), its start tag
        made here rather than from a dictionary of attributes (``span``'s general path writes
        the same markup). The element is opened as ``Markup.open`` opens one, without a call."""
        if span.ref:
            tag += _REF_ATTRIBUTES.get(span.ref) or _ref_attribute(span.ref)
            self.used.add(span.ref)
        if span.when:
            tag += f' when="{escape_attribute(span.when)}"'
        if span.lang:
            tag += f' xml:lang="{escape_attribute(span.lang)}"'
        out = self.out
        index = out.count
        out.count = index + 1
        out.parts.append(tag + ">")
        self.marked.append((index, span.start, False))
        self.inlines(span.children)
        out.parts.append(end_tag)

    def decided(self, attrs: dict, span: Span) -> dict:
        """A kind the editor set: the element's reading is the editor's (@resp), and the header's
        change record points at it. ``attrs`` with those attributes (after the others, as set
        on the element: an @xml:id it has keeps its place)."""
        if span.decision is None:
            return attrs
        self.decision_ids += 1
        span.decision.target = f"{self.prefix}-decision{self.decision_ids}"
        attrs["xml_id"] = span.decision.target
        attrs["resp"] = "#editor"
        return attrs

    def text_run(self, start: int, end: int) -> None:
        """Text [start, end), with every OCR fix inside it shown as choice/sic/corr and every
        running head taken out of it as fw: any run (``inlines`` writes most runs itself)."""
        out = self.out
        position = start
        events = [(c.nstart, 1, c) for c in self._changes_within(start, end)]  # in order
        i = bisect.bisect_left(self.forme_ends, start)
        if i < len(self.forme) and self.forme[i].nend < end:  # running heads among them: sorted
            while i < len(self.forme) and self.forme[i].nend < end:
                events.append((self.forme[i].nend, 0, self.forme[i]))
                i += 1
            events.sort(key=lambda e: (e[0], e[1]))
        for at, kind, change in events:
            if kind == 0:
                if id(change) not in self.forme_done:
                    out.text(self.text[position:at])
                    position = at
                    self.forme_written(change)
                continue
            out.text(self.text[position:change.nstart])
            # choice, sic and corr written in one piece (three elements, as Markup.open counts them)
            self.marked.append((out.count, change.start, True))
            out.count += 3
            out.parts.append(f'<choice><sic>{escape_text(change.before)}</sic><corr ana="'
                             f'{escape_attribute("#rule." + change.rule)}" source="#{self.change_ids[id(change)]}">'
                             f'{escape_text(change.after)}</corr></choice>')
            position = change.nend
        out.text(self.text[position:end])

    def _changes_within(self, start: int, end: int):
        i = bisect.bisect_left(self.inline_starts, start)
        while i < len(self.inline_changes) and self.inline_changes[i].nstart < end:
            change = self.inline_changes[i]
            if change.nend <= end and change.nend > change.nstart:
                yield change
            i += 1


_START_TAGS: dict[str, str] = {}  # a parser's kind -> '<element' and the attributes the kinds table gives it


def _start_tag(encoding) -> str:
    """The start of the start tag of every span of a kind (remembered)."""
    tag = _START_TAGS[encoding.name] = f"<{encoding.element}{Markup.attributes(encoding.attrs)}"
    return tag


_REF_ATTRIBUTES: dict[str, str] = {}  # a register entry's id -> the attribute pointing at it, as markup


def _ref_attribute(ref: str) -> str:
    """`` ref="#id"`` for a register entry's id (remembered: the register's ids are few)."""
    markup = _REF_ATTRIBUTES[ref] = f' ref="{escape_attribute("#" + ref)}"'
    return markup


# a parser's kind -> ('<element' and the table's attributes, '</element>') for the kinds
# ``plain_span`` writes, ('', '') for the others (``_plain_tags``)
_PLAIN_TAGS: dict[str, tuple[str, str]] = {}


def _plain_tags(kind: str) -> tuple[str, str]:
    """The start of the start tag and the end tag of every span of a kind that ``plain_span``
    writes: one whose element holds its content and takes only the attributes of its entry,
    date and language (not a gap, a choice, a word's mark, an unclear passage or a footnote's
    reference, each written with attributes of its own); ('', '') for the others (remembered)."""
    encoding = ENCODING[kind]
    plain = not (encoding.element in ("gap", "choice") or encoding.takes or kind in ("unclear", "footnote-ref"))
    tags = _PLAIN_TAGS[kind] = (_START_TAGS.get(kind) or _start_tag(encoding), f"</{encoding.element}>") \
        if plain else ("", "")
    return tags


# (id of a register entry, item name, layout) -> (the entry, its markup, its count of elements)
_ENTRY_MARKUP: dict[tuple[int, str, str], tuple[object, str, int]] = {}


def _entry_markup(entry, item_name: str, pad: str) -> tuple[str, int]:
    """A register entry in the standOff as markup (its item and its names, laid out as
    ``Markup`` lays them out after ``pad``) and its count of elements. It is the same in every
    document that names the entry: made once per process, and kept by the entry's identity with
    the entry itself (so that no other entry can come to have its id)."""
    key = (id(entry), item_name, pad)
    kept = _ENTRY_MARKUP.get(key)
    if kept is not None and kept[0] is entry:
        return kept[1], kept[2]
    names = [(entry.name, "main")] + ([(entry.index, "sort")] if entry.index else []) \
        + [(variant, "variant") for variant in entry.variants]
    inner, element = pad + "  ", entry.element
    markup = (f'{pad}<{item_name} xml:id="{escape_attribute(entry.id)}">'
              + "".join([f'{inner}<{element} type="{kind}">{escape_text(name) if name else ""}</{element}>'
                         for name, kind in names])
              + f"{pad}</{item_name}>")
    _ENTRY_MARKUP[key] = (entry, markup, 1 + len(names))
    return markup, 1 + len(names)


def _trim_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def encode(source: Source, norm: Normalized, parsed: Parsed, register: Register | None = None,
           rules: RuleTable | None = None, ledger=None) -> Encoded:
    """Encode a parsed source as a TEI tree (with the editor's decisions of ``ledger`` recorded)."""
    from pipeline.registers import default_register
    from pipeline.rules import default_rules

    return Encoder(source, norm, parsed, register or default_register(), rules or default_rules(),
                   ledger).encode()
