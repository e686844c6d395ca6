"""Stage 3, parse: the normalized text becomes documents of blocks of inline spans.

A source may hold several documents, each opened by a title line (the pattern is data).
Around the body paragraphs a document may have a headnote (a bracketed paragraph right
after the title), an opener (sender line, address, dateline, salutation, classification)
and a closer (salute, signature, dateline), then handwritten annotations.
"""

from __future__ import annotations

import functools
import re

from pipeline.conventions import Conventions, default_conventions
from pipeline.dates import find_dates, is_date_only, parse_date
from pipeline.diagnostics import Diagnostic
from pipeline.findings import Reporter
from pipeline.inline import InlineContext, classify, parse_inline, positions_of
from pipeline.model import Block, Document, DocumentInfo
from pipeline.normalize import Normalized
from pipeline.page import PageInfo, dates_in, is_prose, masked_lines, read_page
from pipeline.read import DocumentMeta, Source
from pipeline.records import field, record
from pipeline.registers import Register, default_register


@functools.cache
def _paragraph_break() -> re.Pattern:
    """A blank line (compiled on first use, once per process: importing the parser stays cheap)."""
    return re.compile(r"\n[ \t]*\n\s*")


@functools.cache
def _convention_value() -> re.Pattern:
    """A sidecar's ``conventions = ["italics=add"]`` value."""
    return re.compile(r"^(?P<sign>italics|brackets)\s*=\s*(?P<meaning>add|new|hi|del|supplied)$")


@record
class Parsed:
    """The parse of a source: documents, the markup repairs made, and the findings."""

    documents: list[Document]
    repairs: list[tuple[int, str]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    page: PageInfo = field(default_factory=PageInfo)


def paragraphs(text: str) -> list[tuple[int, int]]:
    """The [start, end) of every paragraph, trimmed of surrounding white space."""
    spans = []
    position = 0
    for m in list(_paragraph_break().finditer(text)) + [None]:
        end = m.start() if m else len(text)
        s, e = _trim(text, position, end)
        if e > s:
            spans.append((s, e))
        if m:
            position = m.end()
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _matching_bracket(text: str, start: int, end: int) -> int | None:
    depth = 0
    for i in range(start, end):
        if text[i] == "[":
            depth += 1
        elif text[i] == "]":
            depth -= 1
            if depth == 0:
                return i
    return None


class _NotAscii(Exception):
    """A character the direct comparison of ``_words_again`` leaves to the regular expression."""


def _words_again(text: str, start: int, end: int, words: list[str]) -> int | None:
    r"""Where ``words`` end when ``text[start:end]`` opens with them, in this order, case aside,
    with only non-word characters between them and a word boundary after them (the regular
    expression ``w1\W*w2\W*...\b`` matched under ``re.I``), else None. Compared directly in ASCII
    (a document's title differs from document to document: a pattern would be compiled for each);
    Unicode's case folding and word characters are left to the regular expression."""
    try:
        return _ascii_words_again(text, start, end, words)
    except _NotAscii:
        pattern = re.compile(r"\W*".join(re.escape(w) for w in words) + r"\b", re.I)
        again = pattern.match(text, start, end)
        return again.end() if again else None


def _ascii_word_char(ch: str) -> bool:
    if not ch.isascii():
        raise _NotAscii
    return ch.isalnum() or ch == "_"


def _ascii_words_again(text: str, position: int, end: int, words: list[str]) -> int | None:
    for number, word in enumerate(words):
        if not word.isascii():
            raise _NotAscii
        if number:
            while position < end and not _ascii_word_char(text[position]):
                position += 1  # the non-word characters between two words
        piece = text[position:position + len(word)]
        if position + len(word) > end:
            if not piece.isascii():
                raise _NotAscii
            return None
        if not piece.isascii():
            raise _NotAscii
        if piece.lower() != word.lower():
            return None
        position += len(word)
    if position < end and _ascii_word_char(text[position]):
        return None  # no word boundary after the last word
    return position


def _same_words(a: str, b: str) -> bool:
    """Do two lines say nearly the same words (a heading repeating the title)?"""
    wa, wb = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    return len(wa) >= 3 and len(wa & wb) >= 0.8 * len(wa) and len(wa) <= len(wb) + 3


def _narrative(text: str) -> bool:
    """Prose that tells (few capitalized words, or told in the first person), not a list of those
    present or a heading: the header of minutes stops before it."""
    words = re.findall(r"[^\W\d_][\w\x27\u2019.-]*", text)
    return is_prose(text) and (sum(1 for w in words if w[0].isupper()) < 0.3 * len(words)
                               or re.search(r"\b(?:I(?![.\w\-])|[Ww]e\b)", text) is not None)


class Cursor:
    """The paragraphs of a document not yet given a part, taken from the front or the back."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.spans = list(spans)
        self.low, self.high = 0, len(self.spans)

    def __bool__(self) -> bool:
        return self.low < self.high

    def __len__(self) -> int:
        return self.high - self.low

    def first(self) -> tuple[int, int]:
        return self.spans[self.low]

    def last(self) -> tuple[int, int]:
        return self.spans[self.high - 1]

    def take_first(self) -> tuple[int, int]:
        self.low += 1
        return self.spans[self.low - 1]

    def take_last(self) -> tuple[int, int]:
        self.high -= 1
        return self.spans[self.high]

    def give_back_first(self, start: int, end: int) -> None:
        """The rest [start, end) of the paragraph just taken stays at the front."""
        self.low -= 1
        self.spans[self.low] = (start, end)

    def split_first(self, first: tuple[int, int], rest: tuple[int, int]) -> None:
        """The first paragraph is two: ``first``, then ``rest`` (a label run onto a line)."""
        self.spans[self.low:self.low + 1] = [first, rest]
        self.high += 1

    def narrow_last(self, start: int, end: int) -> None:
        """The last paragraph is only [start, end) (what follows went to the closer)."""
        self.spans[self.high - 1] = (start, end)

    def rest(self) -> list[tuple[int, int]]:
        return self.spans[self.low:self.high]


class Parser:
    """Parses one normalized source; holds what every document shares."""

    def __init__(self, source: Source, normalized: Normalized, register: Register,
                 conventions: Conventions, ledger=None):
        self.source = source
        self.ledger = ledger
        self.norm = normalized
        self.text = normalized.text
        self.register = register
        self.conventions = conventions
        self.found = Reporter.for_source(source)  # offsets of the received text; capped per code
        self.repairs: list[tuple[int, str]] = []
        self.not_titles: set[int] = set()  # title paragraphs the editor said start no document

    def decide(self, kind: str, rule: str, start: int, end: int, reading: str, confidence: str, why: str,
               id_rule: str | None = None):
        """Record a heuristic decision on [start, end) of the normalized text; the editor's
        decision on it (``Decision`` with ``editor``), or None."""
        if self.ledger is None:
            return None
        rs = self.norm.original_offset(start)
        re_ = self.norm.original_offset(end - 1) + 1 if end > start else rs
        return self.ledger.decide(kind, rule, rs, re_, reading, confidence, why, id_rule)

    def _boundaries(self, paras: list[tuple[int, int]], starts: list[int]) -> list[int]:
        """The title paragraphs the editor kept, and the document starts the editor added."""
        described = len(self.source.metadata.documents)
        agreed = described in (0, len(starts) + (0 if starts and starts[0] == 0 else 1))
        kept = []
        for i in starts:
            s, e = paras[i]
            decision = self.decide("boundary", "conventions.toml [structure] title", s, self._title_end(s, e),
                                   "a document starts here", "high" if agreed else "medium",
                                   "the paragraph's first line reads as a document's title" +
                                   ("" if agreed else " (the sidecar describes another number of documents)"),
                                   id_rule="")
            if decision is not None and decision.editor.action == "reject":
                decision.applied = "rejected"
                self.not_titles.add(s)
                continue
            if decision is not None:
                self.boundary_decisions[i] = decision
            kept.append(i)
        review = self.ledger.review
        for ed in (review.boundaries if review is not None else []):
            for i, (s, e) in enumerate(paras):
                received = self.norm.original_offset(s)
                if self.source.body.startswith(ed.at, received):
                    self.boundary_decisions[i] = self.ledger.impose(
                        "boundary", "the editor's [[boundary]]", received, received + len(ed.at),
                        "a document starts here", ed)
                    if i not in kept:
                        kept.append(i)
                    break
        return sorted(kept)

    def report(self, offset: int, code: str, **fields) -> None:
        """A finding at an offset of the normalized text (``findings.REGISTRY`` has the code)."""
        self.found.at(self.norm.original_offset(offset), code, **fields)

    # -- documents -------------------------------------------------------------------------
    def parse(self) -> Parsed:
        title_re = self.conventions.pattern("title")
        dropped = self._dropped_lines()
        self.page = read_page(self.text, title_re, self.conventions.furniture_kind, dropped=dropped)
        if self.ledger is not None and self.page.chrome:
            self._page_chrome()
        self._report_dropped(dropped)
        paras = self._bracket_joined(self._paragraphs())
        heading = self.conventions.pattern("numbered_heading")
        starts = [i for i, (s, e) in enumerate(paras) if self._starts_document(s, e, i, title_re, heading)]
        starts = self._not_repeats(paras, starts)
        paras, starts = self._introduction(paras, starts)
        self.boundary_decisions: dict[int, object] = {}
        if self.ledger is not None:
            starts = self._boundaries(paras, starts)
        if not starts or starts[0] != 0:
            starts = [0] + starts
        documents = []
        for number, first in enumerate(starts):
            last = starts[number + 1] if number + 1 < len(starts) else len(paras)
            meta = self.source.metadata.documents[number] if number < len(self.source.metadata.documents) else None
            documents.append(self.document(paras[first:last], meta, number))
            if first in self.boundary_decisions:
                self.boundary_decisions[first].target = f"d{number + 1}"
        if len(self.source.metadata.documents) > len(documents):
            self.found.at(0, "R111", described=len(self.source.metadata.documents), found=len(documents))
        return Parsed(documents, self.repairs, self.found.diagnostics(), self.page)

    def _dropped_lines(self) -> dict[int, str]:
        """The lines that normalization emptied by dropping web-page furniture: where each starts
        in the normalized text -> the phrase it held."""
        out: dict[int, str] = {}
        for change in self.norm.changes:
            if change.kind != "furniture":
                continue
            start = self.text.rfind("\n", 0, change.nstart) + 1
            end = self.text.find("\n", change.nstart)
            end = len(self.text) if end < 0 else end
            if not self.text[start:end].strip(" \t\u00a0\r"):
                out[start] = (out.get(start, "") + " " + change.before.strip()).strip()
        return out

    def _report_dropped(self, dropped: dict[int, str]) -> None:
        """N220 for a web-page phrase dropped from inside a line of the documents' text: a line that
        was only the phrase, or a line of the page's chrome, is navigation and needs no review
        (the header's change list keeps every drop)."""
        chrome = self.page.chrome
        for change in self.norm.changes:
            if change.kind != "furniture":
                continue
            line_start = self.text.rfind("\n", 0, change.nstart) + 1
            if line_start in dropped or any(s <= change.nstart <= e for s, e in chrome):
                continue
            self.found.at(change.start, "N220", phrase=change.before.strip())

    def _page_chrome(self) -> None:
        """What was read as the page around the documents (navigation, credits, a citation widget,
        a metadata tail) as decisions: a part the editor rejects is read as the documents' text."""
        kept = []
        for s, e in self.page.chrome:
            ts, te = _trim(self.text, s, e)
            decision = None
            if te > ts:
                decision = self.decide("page", "page.toml: the page around the documents", ts, te,
                                       "page chrome: out of the documents (what it says goes to the header)",
                                       "medium", "navigation, credits, citation or metadata of the archive's page",
                                       id_rule="")
            if decision is not None and decision.editor.action == "reject":
                decision.applied = "rejected"
                continue
            kept.append((s, e))
        self.page.chrome = kept

    def _paragraphs(self) -> list[tuple[int, int]]:
        """The paragraphs outside the page's chrome. A text pasted with single line breaks only
        (no blank line between its paragraphs) is read line by line."""
        page = self.page
        if not page.found:
            return paragraphs(self.text)
        groups: list[list[tuple[int, int]]] = [[]]
        for line in masked_lines(self.text, page.chrome, page.title):
            if line is None:
                if groups[-1]:
                    groups.append([])
            else:
                groups[-1].append(_trim(self.text, *line))
        groups = [g for g in groups if g]
        lines = sum(len(g) for g in groups)
        minimum = int(self.conventions.structure.get("line_mode_min_lines", 6))
        if lines >= minimum and max(len(g) for g in groups) >= minimum and len(groups) <= max(3, lines // 8):
            return self._rejoined([line for g in groups for line in g if line[1] > line[0]])
        return [(g[0][0], g[-1][1]) for g in groups]

    def _bracket_joined(self, paras: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """A bracket opened in one paragraph and closed a few paragraphs later (a stamp or a
        handwritten note copied line by line, '[round stamp:' ... '14 March 1958]') makes
        those paragraphs one, when none of them is prose. A bracket that does not close within
        ``bracket_max_paragraphs`` stays open (a page cut off), and is reported as unbalanced."""
        limit = self.conventions.tuning("bracket_max_paragraphs")
        out: list[tuple[int, int]] = []
        i = 0
        while i < len(paras):
            s, e = paras[i]
            depth, j = self._depth(s, e, 0), i
            while (depth > 0 and j + 1 < len(paras) and j - i + 1 < limit
                   and not self._reads_as_prose(self.text[slice(*paras[j])])):
                depth = self._depth(*paras[j + 1], depth)
                j += 1
            if j > i and self._reads_as_prose(self.text[slice(*paras[j])]):
                depth = -1
            if j > i and depth == 0:
                out.append((s, paras[j][1]))
                i = j + 1
            else:
                out.append((s, e))
                i += 1
        return out

    def _depth(self, s: int, e: int, depth: int) -> int:
        """How many brackets are open after [s, e), ``depth`` being open before it (never below 0).
        Only the brackets are visited (most paragraphs have none, and are long)."""
        text = self.text
        if text.find("[", s, e) < 0 and (depth == 0 or text.find("]", s, e) < 0):
            return depth  # nothing opens, and nothing open can close
        for i in positions_of(text, "[]", s, e):
            if text[i] == "[":
                depth += 1
            elif depth:
                depth -= 1
        return depth

    def _rejoined(self, lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Lines read one a paragraph, with a sentence wrapped over two lines made one again: a line
        of prose (eight words or more, not in capitals) that ends without a sentence's last sign,
        followed by one that starts in lower case."""
        out: list[tuple[int, int]] = []
        for s, e in lines:
            last = self.text[out[-1][0]:out[-1][1]] if out else ""
            if (out and last[-1] not in ".!?:;\"'\u201d\u2019)]" and self.text[s].islower()
                    and len(last.split()) >= 8 and not last.isupper()):
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        return out

    def _starts_document(self, s: int, e: int, i: int, title_re, heading) -> bool:
        """Does this paragraph open a document? A title line that is not archival furniture; on a
        page whose layout gave the title, only a further title with its date, or a numbered
        document heading of a printed bulletin."""
        text = self.text[s:e]
        if heading.match(text):
            return True
        if not title_re.match(text) or self.conventions.furniture_kind(text.split("\n")[0]):
            return False
        if self.page.title is not None or self.page.dateline is not None:
            return i > 0 and dates_in(text.split("\n")[0])
        return True

    def _not_repeats(self, paras: list[tuple[int, int]], starts: list[int]) -> list[int]:
        """A heading that repeats the title of the document it stands in, before any prose of
        that document (a bulletin's numbered heading under the page's title line, a PDF's
        heading under its header), opens no second document."""
        kept: list[int] = []
        for i in starts:
            begin = kept[-1] if kept else 0
            between = paras[begin:i]
            if i > 0 and not any(is_prose(self.text[a:b]) for a, b in between):
                if begin == 0 and self.page.title is not None:
                    title = self.text[slice(*self.page.title)]
                else:
                    title = self.text[slice(*paras[begin])].split("\n")[0]
                s, e = paras[i]
                number = self.conventions.pattern("document_number").match(self.text[s:e])
                s += number.end() if number else 0
                if _same_words(title, self.text[s:min(e, s + len(title) + 40)]):
                    continue
            kept.append(i)
        return kept

    def _introduction(self, paras: list[tuple[int, int]], starts: list[int]):
        """The prose before a bulletin's first numbered document ("Document No. 1") is the
        editor's introduction: out of the documents, kept in the header."""
        if not starts or starts[0] == 0:
            return paras, starts
        s, e = paras[starts[0]]
        m = self.conventions.pattern("document_number").match(self.text[s:e])
        if m is None or int(m.group("n") or m.group("n2")) != 1:
            return paras, starts
        before = paras[:starts[0]]
        if not any(is_prose(self.text[a:b]) for a, b in before):
            return paras, starts
        decision = self.decide("page", "conventions.toml document_number: the editor's introduction",
                               before[0][0], before[-1][1], "the bulletin editor's introduction: out of the "
                               "documents, kept in the header", "medium",
                               "prose before the first numbered document ('Document No. 1')", id_rule="")
        if decision is not None and decision.editor.action == "reject":
            decision.applied = "rejected"
            return paras, starts
        self.page.introduction += [" ".join(self.text[a:b].split()) for a, b in before]
        return paras[starts[0]:], [i - starts[0] for i in starts]

    def document(self, paras: list[tuple[int, int]], meta: DocumentMeta | None, number: int) -> Document:
        """One document: its parts found from the front (title, headnote, opener) and from the
        back (annotations and furniture, closer), and the paragraphs left between them."""
        info = DocumentInfo()
        document = Document(info, start=paras[0][0] if paras else 0, end=paras[-1][1] if paras else 0)
        cursor = Cursor(paras)
        self._title(cursor, document, meta, number)
        head = next((b for b in document.front if b.kind == "head"), None)
        offset = cursor.first()[0] if cursor else 0
        self._infer(info, meta, number, offset, head)
        ctx = InlineContext(self.text, self.register, self.conventions, info, self.report,
                            decide=self.decide if self.ledger is not None else None)
        self._headnote(cursor, document)
        self._opener(cursor, document)
        self._addressee(document, number)
        self._missing(info, number, offset)
        self._back(cursor, document)
        self._closer(cursor, document)
        document.body = self._body(cursor.rest(), info)
        italics = False
        for block in document.blocks():
            inline = parse_inline(ctx, block.start if block.content is None else block.content, block.end)
            block.inlines = inline.nodes
            self.repairs += inline.repairs
            italics = italics or inline.italics
        if italics and not info.italics_declared:
            first = next(document.blocks(), None)
            self.report(first.start if first else 0, "P305")
        return document

    def _title(self, cursor: Cursor, document: Document, meta: DocumentMeta | None, number: int) -> None:
        """The title line (the rest of its paragraph is the docket), else the metadata's title, else a
        short first line."""
        text, info = self.text, document.info
        if number == 0 and self.page.title is not None:
            s, e = self.page.title
            decision = self.decide("metadata", "title", s, e, text[s:e], "medium",
                                   "the page's layout gives the document's title", id_rule="title")
            if decision is None or decision.editor.action != "reject":
                info.title = text[s:e]
                if decision is not None:
                    decision.target = "d1"
                    if decision.editor.action == "set":
                        decision.applied = "set"
                        info.title = decision.editor.value
                document.front.append(Block("head", s, e))
                return
            decision.applied = "rejected"
        if cursor and self._numbered_title(cursor, document):
            return
        if cursor and cursor.first()[0] not in self.not_titles and \
                self.conventions.pattern("title").match(text[slice(*cursor.first())]):
            s, e = cursor.take_first()
            title_end = self._title_end(s, e)
            info.title = text[s:title_end]
            document.front.append(Block("head", s, title_end))
            rs, re_ = _trim(text, title_end, e)
            if re_ > rs:  # the rest of the title paragraph: archival labels, version notes
                decision = self.decide("furniture", "docket", rs, re_, "docket: archival labels after the title, "
                                       "out of the reading", "medium",
                                       "the rest of the title's paragraph", id_rule="")
                if decision is not None and decision.editor.action == "reject":
                    decision.applied = "rejected"
                    cursor.give_back_first(rs, re_)
                else:
                    document.opener.append(Block("docket", rs, re_))
            return
        info.title = (meta.title if meta and meta.title else self.source.metadata.title) or ""
        while not info.title and len(cursor) > 2 and self._furniture(*cursor.first()):
            document.opener += self._furniture(*cursor.take_first())  # classification above the heading
        if not info.title and len(cursor) > 1:
            s, e = cursor.first()
            first_line = text[s:e].split("\n")[0]
            decision = None
            title_like = len(first_line) <= self.conventions.tuning("title_max_chars") and \
                not first_line.rstrip().endswith((".", ":", ",", ";")) and \
                not first_line.lstrip()[:1].islower()  # not a page starting mid-sentence
            if title_like:
                decision = self.decide("metadata", "title", s, s + len(first_line), first_line, "low",
                                       "a short first line without a title's pattern, read as the title",
                                       id_rule="title")
            if decision is not None and decision.editor.action == "reject":
                decision.applied = "rejected"
            elif title_like:
                info.title = first_line
                if decision is not None:
                    decision.target = f"d{number + 1}"
                    if decision.editor.action == "set":
                        info.title = decision.editor.value
                        decision.applied = "set"
                document.front.append(Block("head", s, s + len(first_line)))
                cursor.take_first()
                rs, re_ = _trim(text, s + len(first_line), e)
                if re_ > rs:
                    cursor.give_back_first(rs, re_)
        if not info.title:
            self.found.at(self.norm.original_offset(cursor.first()[0] if cursor else 0), "P310", number=number + 1)

    def _numbered_title(self, cursor: Cursor, document: Document) -> bool:
        """A numbered heading of a bulletin: the edition's number ("Document No. 80:", "57."),
        then the title, over a few short lines. The number is kept in the heading, out of the
        reading."""
        text = self.text
        s, e = cursor.first()
        m = self.conventions.pattern("document_number").match(text[s:e])
        if m is None or not self.conventions.pattern("numbered_heading").match(text[s:e]):
            return False
        ts = s + m.end()
        lines = self._lines(ts, e)
        limit = self.conventions.tuning("title_max_chars")
        if not lines or len(lines) > 4 or any(b - a > limit for a, b in lines) or is_prose(text[ts:e]):
            # a heading run into the text (a flattened or interleaved page): the number alone
            cursor.take_first()
            document.opener.append(Block("furniture", s, _trim(text, s, ts)[1], subtype="document-number"))
            rs, re_ = _trim(text, ts, e)
            if re_ > rs:
                cursor.give_back_first(rs, re_)
            return False
        cursor.take_first()
        document.info.title = " ".join(text[ts:e].split())
        document.front.append(Block("head", s, e, content=ts, subtype="numbered"))
        return True

    def _headnote(self, cursor: Cursor, document: Document) -> None:
        """A bracketed paragraph of some length right after the title."""
        text = self.text
        if not cursor or text[cursor.first()[0]] != "[":
            return
        s, e = cursor.first()
        close = _matching_bracket(text, s, e)
        minimum = int(self.conventions.structure.get("headnote_min_words", 12))
        if close is not None and len(text[s:close].split()) >= minimum:
            cursor.take_first()
            document.front.append(Block("headnote", s + 1, close))
            rs, re_ = _trim(text, close + 1, e)
            if re_ > rs:
                cursor.give_back_first(rs, re_)

    def _title_end(self, s: int, e: int) -> int:
        """A title runs to the end of its first line, or of its declaring parenthesis."""
        text = self.text
        line_end = text.find("\n", s, e)
        limit = e if line_end < 0 else line_end
        dates = list(find_dates(text[s:limit]))
        after = s + dates[0].end if dates else s
        m = re.match(r"\s*\(", text[after:limit])
        if m:
            depth = 0
            for i in range(after + m.end() - 1, limit):
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                if depth == 0:
                    return i + 1
        bracket = text.find("[", after, limit)
        return _trim(text, s, bracket if bracket >= 0 else limit)[1]

    def _infer(self, info: DocumentInfo, meta: DocumentMeta | None, number: int, offset: int,
               head: Block | None = None) -> None:
        """Correspondence metadata: the sidecar first, else what the title says."""
        title = info.title
        kind = self.conventions.document_kind(title)
        sender = recipient = None
        if kind not in self.conventions.structure.get("kinds_without_correspondents", []):
            sender, recipient = self._correspondents(title)
        self._title_names = {"sender": sender, "recipient": recipient}  # as the title writes them
        info.sender = (meta.sender if meta and meta.sender else None) or self._entity_id(sender)
        info.recipient = (meta.recipient if meta and meta.recipient else None) or self._entity_id(recipient)
        page_date = self.page.date if number == 0 else None
        info.date = (meta.date if meta and meta.date else None) or page_date or parse_date(title)
        info.kind = kind
        if self.ledger is not None and head is not None and self.text[head.start:head.end] == title:
            self._inferred(info, meta, number, head, page_date)
        info.place = meta.place if meta and meta.place else None
        italics, brackets, phrases = self.conventions.declare(title)
        info.declared = phrases
        for value in (meta.conventions if meta else []):
            cm = _convention_value().match(value.strip())
            if cm is None:
                self.found.add(self.source.sidecar_finding("R110", "conventions", value=value, document=number,
                                                           case="convention"))
                continue
            if cm.group("sign") == "italics":
                italics = cm.group("meaning")
            else:
                brackets = cm.group("meaning")
            info.declared.append(value)
        info.italics = italics or "hi"
        info.brackets = brackets or "supplied"
        info.italics_declared = italics is not None

    def _addressee(self, document: Document, number: int) -> None:
        """A recipient the title does not name: the letter's address line ('To the Ministry of Trade:'),
        a decision the editor may reject or set."""
        info = document.info
        if info.recipient or self._without_correspondents(info):
            return
        address = next((b for b in document.opener if b.kind == "address"), None)
        if address is None:
            return
        line = re.sub(r"^(?:TO|To)\s+", "", self.text[address.start:address.end])
        info.recipient = self._entity_id(self._name_of(line))
        if not info.recipient:
            return
        decision = self.decide("metadata", "recipient", address.start, address.end, info.recipient, "medium",
                               "the letter's address line names the recipient (conventions.toml address_line)",
                               id_rule="recipient")
        if decision is None:
            return
        decision.target = f"d{number + 1}"
        if decision.editor.action == "reject":
            decision.applied = "rejected"
            info.recipient = None
        elif decision.editor.action == "set":
            decision.applied = "set"
            info.recipient = self._entity_id(decision.editor.value)

    def _missing(self, info: DocumentInfo, number: int, offset: int) -> None:
        """P311: what the metadata, the title and the letter's own lines leave unknown."""
        wanted = (("date", info.date),) if self._without_correspondents(info) else (
            ("sender", info.sender), ("recipient", info.recipient), ("date", info.date))
        missing = [name for name, value in wanted if not value]
        if missing:
            self.found.at(self.norm.original_offset(offset), "P311", number=number + 1, missing=", no ".join(missing))

    def _inferred(self, info: DocumentInfo, meta: DocumentMeta | None, number: int, head: Block,
                  page_date: str | None) -> None:
        """The values read from the title or the page (not given by the sidecar) as decisions an
        editor may accept, reject or set."""
        title, base = info.title, head.start
        spans = {}
        for name in ("sender", "recipient"):
            value = getattr(info, name)
            if meta and getattr(meta, name) or not value:
                continue
            named = self._title_names.get(name) or ""
            at = title.find(named) if named else -1
            span = (base + at, base + at + len(named)) if at >= 0 else (base, head.end)
            spans[name] = (*span, f"the title names the {name} (conventions.toml correspondents)")
        if not (meta and meta.date) and info.date:
            if page_date is not None and info.date == page_date and self.page.dateline is not None:
                spans["date"] = (*self.page.dateline, "the page's date line")
            else:
                first = next(iter(find_dates(title)), None)
                if first is not None:
                    spans["date"] = (base + first.start, base + first.end, "the first date of the title")
        for name, (start, end, why) in spans.items():
            decision = self.decide("metadata", name, start, end, getattr(info, name), "medium", why, id_rule=name)
            if decision is None:
                continue
            decision.target = f"d{number + 1}"
            if decision.editor.action == "reject":
                decision.applied = "rejected"
                setattr(info, name, None)
            elif decision.editor.action == "set":
                decision.applied = "set"
                value = decision.editor.value
                setattr(info, name, value if name == "date" else self._entity_id(value))

    def _correspondents(self, title: str) -> tuple[str | None, str | None]:
        """The sender and recipient a title names (either may be None)."""
        pattern = self.conventions.pattern
        heading = pattern("correspondents_heading").match(title)
        if heading:  # a bulletin's numbered heading: "57. 9 May 1952, ciphered telegram, A to B"
            title = heading.group("rest")
        clause = pattern("correspondents_clause").search(title)
        if clause:  # "..., transmitting a message from A to B": not this document's correspondents
            title = title[:clause.start()]
        m = pattern("correspondents").search(title) or pattern("correspondents_comma").match(title)
        if m:
            sender, recipient = self._split_to(m.group("rest"))
            return self._name_of(sender), self._name_of(recipient)
        m = pattern("correspondents_recipient").match(title)
        if m:
            return None, self._name_of(m.group("recipient"))
        return None, None

    def _split_to(self, rest: str) -> tuple[str, str | None]:
        """'A to B': the first ' to ' that is not part of a role ('Ambassador to Cuba')."""
        roles = {r.casefold() for r in self.conventions.structure.get("role_nouns", [])}
        clause = re.compile(r"[,;:\u2018\u201c\"]|\s'|\s(?:transmitting|regarding|concerning|about)\s")
        for m in re.finditer(r"(?i)\s+to\s+", rest):
            before = rest[:m.start()]
            if clause.search(before):  # the names ended before this 'to' (a subject, a clause)
                break
            words = before.split()
            if words and words[-1].casefold().strip(",.") in roles:
                continue
            return before, rest[m.end():]
        return rest, None

    def _name_of(self, text: str | None) -> str | None:
        """A correspondent's name from a title fragment: to the first stop, a pseudonym resolved
        through its gloss ('Filippov [Stalin]', 'Fyn Si (Stalin)'), honorifics dropped."""
        if not text:
            return None
        stop = self.conventions.pattern("correspondents_stop").search(text)
        name = text[:stop.start()] if stop else text
        gloss = re.match(r"\s*[\[(]([^\])]{2,40})[\])]", text[len(name):])
        if gloss:
            entry = self.register.lookup(gloss.group(1).strip())
            if entry is not None and entry.kind == "person":
                return entry.id
        name = self.conventions.pattern("honorifics").sub("", name.strip(" .,;:'\"\u2018\u2019\u201c\u201d"))
        return name.strip() or None

    def _entity_id(self, name: str | None) -> str | None:
        if not name:
            return None
        if name in self.register.by_id:
            return name
        entry = self.register.lookup(name)
        return entry.id if entry else name

    # -- opener and closer -----------------------------------------------------------------
    def _kind_of_line(self, s: int, e: int) -> str | None:
        line = self.text[s:e]
        if "\n" in line.strip():
            return None
        for kind in ("sender_line", "address_line", "salutation"):
            if self.conventions.pattern(kind).match(line):
                if kind == "address_line" and self._reads_as_prose(line):
                    continue  # "To the question of the border, we answer that ...": a sentence
                return kind
        if is_date_only(line):
            return "dateline"
        return None

    def _opener(self, cursor: Cursor, document: Document) -> None:
        """From the front: furniture and annotations, then the letter's opening lines."""
        names = {"sender_line": "sender", "address_line": "address",
                 "salutation": "salutation", "dateline": "dateline"}
        while cursor:
            s, e = cursor.first()
            repeated = self._decided(self._repeated_heading(s, e, document.info.title),
                                     "the document's number or its title again, at the start of its text")
            if repeated:
                cursor.take_first()
                document.opener += repeated
                rs, re_ = _trim(self.text, repeated[-1].end, e)
                if re_ > rs:
                    cursor.give_back_first(rs, re_)
                continue
            furniture = self._furniture(s, e) or self._decided(
                self._run_in_furniture(s, e), "furniture run into the first line of a flattened text")
            if furniture:
                cursor.take_first()
                document.opener += furniture
                rs, re_ = _trim(self.text, furniture[-1].end, e)
                if re_ > rs:
                    cursor.give_back_first(rs, re_)
                continue
            annotation = self._annotation(s, e)
            if annotation:
                cursor.take_first()
                document.front.append(annotation)
                continue
            if self._without_correspondents(document.info) and self._speech(s, e, document.info):
                break  # the first speaker label: the body starts ("Cde. X:" is no salutation here)
            kind = self._kind_of_line(s, e)
            if kind == "salutation" and self._speech(s, e, document.info):
                kind = None  # "Comrade X:" opening a speech in minutes, not a letter's salutation
            if kind is None:
                header = self._header(cursor, document)
                if header:
                    cursor.take_first()
                    document.opener += header
                    continue
                break
            cursor.take_first()
            if kind == "address_line":
                dates = list(find_dates(self.text[s:e]))
                if dates and s + dates[-1].end == e:
                    ds = s + dates[-1].start
                    document.opener.append(Block("address", s, _trim(self.text, s, ds)[1]))
                    document.opener.append(Block("dateline", ds, e))
                    continue
            document.opener.append(Block(names[kind], s, e))

    def _repeated_heading(self, s: int, e: int, title: str) -> list[Block] | None:
        """A paragraph that opens with the edition's number of the document or with its title
        again (a bulletin's "Document No. 80: <title>", a PDF's heading under its header), run
        into the text: the number and the repeated title become furniture, the rest stays."""
        text = self.text
        blocks = []
        m = self.conventions.pattern("document_number").match(text[s:e])
        position = s
        if m and self.conventions.pattern("numbered_heading").match(text[s:e]):
            position = _trim(text, s, s + m.end())[1]
            blocks.append(Block("furniture", s, position, subtype="document-number"))
            position = _trim(text, position, e)[0]
        bare = title
        for date in reversed(list(find_dates(title))):
            bare = bare[:date.start] + " " + bare[date.end:]
        words = re.findall(r"\w+", bare)
        if len(words) >= 3:
            start = position
            date = next(iter(find_dates(text[position:min(e, position + 40)])), None)
            if date and not text[position:position + date.start].strip():
                position = _trim(text, position + date.end, e)[0]  # the date before the title
            end = _words_again(text, position, e, words)
            if end is not None:
                date = next(iter(find_dates(text[end:min(e, end + 40)])), None)
                if date and not text[end:end + date.start].strip(" ,.;:"):
                    end += date.end
                blocks.append(Block("furniture", start, end, subtype="heading"))
        return blocks or None

    def _decided(self, blocks: list[Block] | None, why: str) -> list[Block] | None:
        """Furniture blocks cut from the front of a paragraph, as decisions: when the editor
        rejects one, the paragraph is left whole."""
        if not blocks or self.ledger is None:
            return blocks
        for block in blocks:
            decision = self.decide("furniture", f"furniture ({block.subtype})", block.start, block.end,
                                   f"archival furniture ({block.subtype}), out of the reading", "medium", why,
                                   id_rule="")
            if decision is not None and decision.editor.action == "reject":
                decision.applied = "rejected"
                return None
        return blocks

    def _run_in_furniture(self, s: int, e: int) -> list[Block] | None:
        """Furniture run into the first line of the text, in a page whose line ends a viewer
        flattened ("TOP SECRET Making Copies Prohibited Copy No. 1 CIPHERED TELEGRAM In a
        conversation..."): the longest run of words that is a furniture line, again and again,
        each in capitals or in capitalized words."""
        text = self.text
        if "\n" in text[s:e] or e - s < self.conventions.tuning("flattened_line_min_chars"):
            return None
        blocks, position = [], s
        while True:
            words = list(re.finditer(r"\S+", text[position:min(e, position + 200)]))[:10]
            found = None
            for k in range(len(words), 0, -1):
                piece = text[position:position + words[k - 1].end()]
                letters = [w for w in re.findall(r"[^\W\d_]+", piece)]
                shaped = piece.upper() == piece or (len(letters) >= 2 and all(w[0].isupper() for w in letters))
                if shaped and letters and self.conventions.furniture_kind(piece):
                    found = (position + words[k - 1].end(), self.conventions.furniture_kind(piece))
                    break
            if found is None:
                break
            blocks.append(Block("furniture", position, found[0], subtype=found[1]))
            position = _trim(text, found[0], e)[0]
        return blocks or None

    def _header(self, cursor: Cursor, document: Document) -> list[Block] | None:
        """Header lines between the title and the first prose: telegram headers, logs, address and
        attendance lines, headings, stamps. A paragraph that does not read as prose, followed by
        prose (or, in a record of conversation or minutes, by the first speaker label) within a
        few paragraphs, is header too; the header stops at prose. Brackets (stamps, notes) are
        left aside when a line is judged. Each line becomes a furniture block (the paragraph, when
        a bracket runs over its lines)."""
        s, e = cursor.first()
        info = document.info
        if self._speech(s, e, info) or not document.front or document.front[0].kind != "head":
            return None
        label = self._label_run_on(s, e, info) if self._without_correspondents(info) else None
        if label is not None:  # "The meeting began at 10.00. Cde. X:": the header line, then the label
            head = (s, _trim(self.text, s, label)[1])
            cursor.split_first(head, (label, e))
            return [Block("furniture", *head, subtype="header")]
        bare = self._unbracketed(s, e)
        lines = self._lines(s, e)
        kinds = [self.conventions.furniture_kind(bare[a - s:b - s]) or self._header_kind(bare[a - s:b - s])
                 or (None if bare[a - s:b - s].strip() else "annotation") for a, b in lines]
        across = any("\n" in m.group() for m in re.finditer(r"\[[^\[\]]*\]", self.text[s:e]))

        def blocks(subtypes) -> list[Block]:
            if across:  # a bracket runs over the lines: the paragraph is one block
                return [Block("furniture", s, e, subtype=next((k for k in subtypes if k != "annotation"), "header"))]
            return [Block("furniture", a, b, subtype=k) for (a, b), k in zip(lines, subtypes)]

        if all(kinds):
            return blocks(kinds)
        if len(lines) == 1 and _same_words(self.text[s:e], info.title):
            return [Block("furniture", s, e, subtype="heading")]  # a heading that repeats the title
        records = self._without_correspondents(info)
        limit = int(self.conventions.structure.get("header_max_paragraphs", 10))
        if records:  # what precedes the first speaker label near the top, unless narrative comes first
            ahead = cursor.rest()[:limit]
            first = next((n for n, (a, b) in enumerate(ahead[1:], 1) if self._speech(a, b, info)), None)
            if first is not None and not any(_narrative(self._unbracketed(a, b)) for a, b in ahead[:first]):
                return blocks(["header"] * len(lines))
        if self._reads_as_prose(bare) or self._stays_in_body(bare, records):
            return None  # the header stops at prose
        for a, b in cursor.rest()[1:limit]:
            if self._speech(a, b, info) or (records and self._label_run_on(a, b, info)):
                return blocks(["header"] * len(lines))
            ahead = self._unbracketed(a, b)
            if self._reads_as_prose(ahead):
                return blocks(["header"] * len(lines))
            if self._stays_in_body(ahead, records):
                return None
        return None

    def _unbracketed(self, s: int, e: int) -> str:
        """[s, e) with its bracketed passages blanked (same length: offsets and line breaks kept)."""
        text = self.text[s:e]
        while True:
            blanked = re.sub(r"\[[^\[\]]*\]", lambda m: re.sub(r"[^\n]", " ", m.group()), text)
            if blanked == text:
                return text
            text = blanked

    def _stays_in_body(self, text: str, records: bool) -> bool:
        """A paragraph the header never takes by position alone: a numbered item, a line that
        announces what follows ('The government proposes:'), a sentence begun by its subject
        pronoun ('I received your reply [...]'), an exclamation or a greeting ('Esteemed Comrade
        Kim!', 'My dear friend,')."""
        text = text.strip()
        if re.match(r"(?:I|We|He|She|They|It|You)\b(?![.\-])", text) or text.endswith(("!", ",")):
            return True
        if re.search(r"[a-z]{2}\.(?:\d{1,3}|\(\d{1,3}\)|\[\d{1,3}\])?$", text):
            return True  # a finished sentence or a heading of the text ('Information of Cde. Zhukov.')
        # before the first speaker of a record, an agenda's numbered items are header too
        return not records and (bool(self.conventions.pattern("list_item").match(text)) or text.endswith(":"))

    @staticmethod
    def _reads_as_prose(text: str) -> bool:
        """Sentences: four words or more, half of them in lower case, ending as a sentence ends (a
        footnote mark may follow); or (a text pasted line by line) a line of ten words or more
        mostly in lower case."""
        words = text.split()
        text = text.strip()
        lower = sum(w[:1].islower() for w in words)
        if len(words) >= 4 and lower * 2 >= len(words) and re.search(r"[.!?…][\"'\u201d\u2019)]*(?:\d{1,3}|\(\d{1,3}\)|\[\d{1,3}\])?$", text):
            return True
        return is_prose(text) or (len(words) >= 10 and sum(w[:1].isupper() for w in words) * 3 < len(words))

    def _without_correspondents(self, info: DocumentInfo) -> bool:
        """A record of conversation, minutes, a journal: speakers, no sender and recipient."""
        return info.kind in self.conventions.structure.get("kinds_without_correspondents", [])

    def _label_run_on(self, s: int, e: int, info: DocumentInfo) -> int | None:
        """Where a speaker label run onto the end of a header line starts, if one is: the label
        alone after the line's last sentence ('... ended at 12.30. Cde. X:')."""
        text = self.text[s:e]
        if "\n" in text.strip():
            return None
        for m in re.finditer(r"(?<=[.!?])\s+", text):
            start = s + m.end()
            speech = self._speech(start, e, info)
            if speech and not text[m.end() + speech.end():].strip():
                return start
        return None

    def _header_kind(self, line: str) -> str | None:
        """A header line that no furniture pattern names: 'header' when it reads like one."""
        line = line.strip()
        if any(p.match(line) for p in self._patterns("header")):
            return "header"
        words = line.split()
        if not words or len(words) > int(self.conventions.structure.get("header_max_words", 12)):
            return None
        if is_date_only(line):
            return "header"
        capital = sum(1 for w in words if not w[:1].isalpha() or w[:1].isupper() or w[:2].startswith("[")
                      and w[1:2].isupper())
        if capital * 2 >= len(words) and not re.search(r"[a-z]{2,}[.!?]$", line):
            return "header"
        return None

    def _patterns(self, name: str) -> tuple[re.Pattern, ...]:
        return self.conventions.patterns_of(name)

    def _speech(self, s: int, e: int, info: DocumentInfo) -> re.Match | None:
        """The speaker label that opens this paragraph, if any."""
        paragraph = self.text[s:e]
        patterns = [self.conventions.pattern("speaker")]
        if info.kind in self.conventions.structure.get("kinds_without_correspondents", []):
            patterns += self._patterns("speaker_conversation")
        for pattern in patterns:
            m = pattern.match(paragraph)
            if m is None:
                continue
            label = m.group("speaker")
            first = re.sub(r"^\[[^\]]*\]\s*", "", label).split()
            if not first or first[0].strip(".").title() in self.conventions.structure.get("speaker_exclude", []) \
                    or self.conventions.furniture_kind(label):
                continue
            if any(p.match(paragraph) for p in self._patterns("header")):
                continue
            return m
        return None

    def _salute(self, line: str) -> re.Match | None:
        return self.conventions.salute.match(line)

    BACK = ("_furniture", "_annotation", "_footnote", "_postscript")  # tried in order on the last paragraph

    def _back(self, cursor: Cursor, document: Document) -> None:
        """From the back: annotations, furniture, footnotes and postscripts after the closer."""
        while cursor:
            s, e = cursor.last()
            found = None
            for name in self.BACK:
                found = getattr(self, name)(s, e)
                if found:
                    break
            if not found:
                return
            cursor.take_last()
            document.back[:0] = found if isinstance(found, list) else [found]

    def _closer(self, cursor: Cursor, document: Document) -> None:
        """From the back: paragraphs made only of closer lines; then a salute ending the last paragraph."""
        text = self.text
        while cursor:
            s, e = cursor.last()
            parts = [self._closer_line(ls, le) for ls, le in self._lines(s, e)]
            if not parts or any(p is None for p in parts):
                break
            cursor.take_last()
            document.closer[:0] = [block for part in parts for block in part]
        if cursor and document.closer and not any(b.kind == "salute" for b in document.closer):
            s, e = cursor.last()
            for m in re.finditer(r"(?<=[.!?])\s+", text[s:e]):
                rest = s + m.end()
                salute = self._salute(text[rest:e])
                if salute and rest + salute.end() == e:
                    cursor.narrow_last(s, s + m.start())
                    document.closer.insert(0, Block("salute", rest, e))
                    break

    def _annotation(self, s: int, e: int) -> Block | None:
        """A paragraph that is a handwritten annotation or a stamp: ``[Handwritten] ...``."""
        text = self.text
        if text[s] != "[":
            return None
        close = _matching_bracket(text, s, e)
        if close is None:
            return None
        interval = classify(self._quiet_context(), s, s, close)
        if interval.kind == "handwritten-label":
            return Block("annotation", s, e, content=_trim(text, close + 1, e)[0], subtype="handwritten")
        if interval.kind in ("handwritten", "stamp") and _trim(text, close + 1, e)[1] <= close + 1:
            kind = "handwritten" if interval.kind == "handwritten" else "stamp"
            return Block("annotation", interval.cstart, interval.cend, content=interval.cstart, subtype=kind)
        return None

    def _postscript(self, s: int, e: int) -> Block | None:
        """``P.S. ...`` after the signature."""
        if self.conventions.pattern("postscript").match(self.text[s:e]) is None:
            return None
        return Block("postscript", s, e)

    def _footnote(self, s: int, e: int) -> Block | None:
        """A footnote's text at the end of a document: ``[1] The embassy in Cairo.``"""
        m = self.conventions.pattern("footnote").match(self.text[s:e])
        if m is None:
            return None
        return Block("footnote", s, e, n=m.group("n"), content=_trim(self.text, s + m.end("n") + 1, e)[0])

    def _furniture(self, s: int, e: int) -> list[Block] | None:
        """Blocks for a paragraph made only of archival furniture lines, else None."""
        lines = self._lines(s, e)
        kinds = []
        for a, b in lines:  # (the first line that is not furniture ends the search)
            kind = self.conventions.furniture_kind(self.text[a:b])
            if kind is None:
                return None
            kinds.append(kind)
        if not lines:
            return None
        if self.ledger is not None:
            for (a, b), k in zip(lines, kinds):
                decision = self.decide("furniture", f"conventions.toml furniture.{k}", a, b,
                                       f"archival furniture ({k}), out of the reading", "high",
                                       "the whole line matches a furniture pattern", id_rule="")
                if decision is not None and decision.editor.action == "reject":
                    decision.applied = "rejected"
                    return None
        return [Block("furniture", a, b, subtype=k) for (a, b), k in zip(lines, kinds)]

    def _body(self, work: list[tuple[int, int]], info: DocumentInfo) -> list[Block]:
        """Body paragraphs: speeches in a record of conversation, lists, paragraphs. A speaker label
        alone on its line takes the next paragraph as its speech."""
        text = self.text
        item = self.conventions.pattern("list_item")
        blocks: list[Block] = []
        taken = -1
        for number, (s, e) in enumerate(work):
            if number == taken:
                continue
            paragraph = text[s:e]
            m = self._speech(s, e, info)
            if m:
                label_end = s + (m.end("mark") if m.group("mark") else m.end("speaker"))
                rest = _trim(text, s + m.end(), e)
                words = len(text[rest[0]:rest[1]].split())
                if words == 0 and number + 1 < len(work) and not self._speech(*work[number + 1], info):
                    taken = number + 1
                    rest = work[number + 1]
                    words = len(text[rest[0]:rest[1]].split())
                honorific = self.conventions.pattern("honorifics").match(m.group("speaker")) is not None
                if words >= self.conventions.tuning("speech_min_words") or (
                        words >= 1 and (taken == number + 1 or honorific)):
                    blocks.append(Block("sp", s, rest[1], children=[Block("speaker", s, label_end),
                                                                     Block("p", rest[0], rest[1])]))
                    continue
                taken = -1
            furniture = self._furniture(s, e)
            if furniture:  # archival furniture where it stands: a distribution list, a registry number
                blocks += furniture
                continue
            if item.match(paragraph) and any(item.match(text[slice(*work[i])])
                                             for i in (number - 1, number + 1) if 0 <= i < len(work)):
                if not blocks or blocks[-1].kind != "list":
                    blocks.append(Block("list", s, e))
                blocks[-1].children.append(Block("item", s, e))
                blocks[-1].end = e
                continue
            blocks.append(Block("p", s, e))
        return blocks

    def _quiet_context(self) -> InlineContext:
        """A context that classifies without reporting (for looking ahead)."""
        return InlineContext(self.text, self.register, self.conventions, DocumentInfo(), lambda *a, **k: None)

    def _lines(self, s: int, e: int) -> list[tuple[int, int]]:
        """The lines of [s, e), trimmed, the blank ones left out (found by the line breaks, the
        paragraph not copied: most paragraphs are one long line)."""
        text, out, position = self.text, [], s
        end = text.find("\n", position, e)
        while end >= 0:
            out.append(_trim(text, position, end))
            position = end + 1
            end = text.find("\n", position, e)
        out.append(_trim(text, position, e))
        return [(a, b) for a, b in out if b > a]

    def _closer_line(self, s: int, e: int) -> list[Block] | None:
        """The closer blocks one line makes (salute, signature, dateline), or None."""
        line = self.text[s:e]
        if len(line) > self.conventions.tuning("closer_line_max_chars"):
            return None
        if is_date_only(line):
            return [Block("dateline", s, e)]
        salute = self._salute(line)
        if salute and salute.end() == len(line.rstrip()):
            return [Block("salute", s, e)]
        composite = self._composite_closer(s, e, salute)
        if composite:
            return composite
        if self._is_signature(line):
            return [Block("signed", s, e)]
        return None

    def _is_signature(self, line: str) -> bool:
        line = self.conventions.pattern("signature_label").sub("", line)
        bare = re.sub(r"\[[^\]]*\]", "", line).strip(" .,()")
        words = bare.split()
        if not words or len(words) > self.conventions.tuning("signature_max_words"):
            return False
        if bare.isupper():
            return True
        entry = self.register.lookup(bare)
        return entry is not None and entry.kind == "person"

    def _composite_closer(self, s: int, e: int, salute) -> list[Block] | None:
        """``Respectfully PHILIPPOV [STALIN] 4 October 1950``: salute, signature and dateline on one line."""
        text = self.text
        position = s + salute.end() if salute else s
        dates = list(find_dates(text[position:e]))
        if not dates:
            return None
        date = dates[-1]
        signature = _trim(text, position, position + date.start)
        trailing = text[position + date.end:e].split()
        if signature[1] <= signature[0] or len(trailing) > 2:
            return None
        if not self._is_signature(text[signature[0]:signature[1]]):
            return None
        blocks = []
        if salute:
            blocks.append(Block("salute", s, _trim(text, s, position)[1]))
        blocks.append(Block("signed", *signature))
        blocks.append(Block("dateline", position + date.start, e))
        return blocks


def parse(source: Source, normalized: Normalized, register: Register | None = None,
          conventions: Conventions | None = None, ledger=None) -> Parsed:
    """Parse a normalized source into documents (recording its heuristic decisions in ``ledger``,
    and honouring the editor's decisions on them)."""
    parser = Parser(source, normalized, register or default_register(), conventions or default_conventions(),
                    ledger)
    return parser.parse()
