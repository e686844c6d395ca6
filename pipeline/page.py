"""The page around the documents: what a contributor pastes with them.

A page copied from a digital archive (or a mirror, a PDF viewer, a scanned book) carries
navigation, the page's date line and title, summaries, a citation widget, funder credits, a
metadata tail (Source, Rights, Record ID, Related Documents...). ``read_page`` recognizes the
page as a whole: it returns the spans that are not the documents' text (``chrome``) and what
they say (title, date, abstract, archival reference, record id, funder, related documents,
translators), which the encoder puts in the TEI header. The patterns are data
(``data/page.toml``), checked when they load.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from pipeline.datafiles import parse_toml
from pipeline.dates import find_dates, is_date_only, parse_date
from pipeline.records import field, record
from pipeline.rules import ByFirstCharacter, matches_at

DATA = Path(__file__).parent / "data"
PAGE_KEYS = {"navigation", "navigation_patterns", "funder", "widget_start", "widget_end", "citation",
             "translator", "tail", "archival", "running_heads", "pdf_header", "interleaved_columns"}
TAIL_NAMES = {"", "related", "author", "source", "archive", "rights", "uploaded", "type", "language",
              "record-id", "subjects", "associated", "contents", "summary"}
# labels that open the metadata tail on their own; the others need a second label close by
STRONG_TAIL = {"Document Information", "Related Documents", "Author(s)", "Original Archive", "Record ID",
               "Original Uploaded Date", "Subjects Discussed", "Associated People & Places",
               "Associated People & Organizations", "Associated Places", "Associated Topics"}
TRIM = " \t\u00a0\u2022*\u00b7"


def _indented(raw: str) -> bool:
    """A line indented (two spaces or more, a tab, a no-break space): the older layout's summary."""
    return raw.startswith(("  ", "\t", "\u00a0"))


class PageDataError(ValueError):
    """The page data file is malformed (a D-code finding when the data is checked)."""


@record(frozen=True)
class RunningHeads:
    """How the running heads and page numbers of a printed page look (``[running_heads]``)."""

    periodical: re.Pattern
    page_number: re.Pattern
    numbered: re.Pattern
    repeats: int
    max_words: int
    min_interval: int


@record(frozen=True)
class PageData:
    """The patterns and settings of ``data/page.toml``, checked and compiled."""

    navigation: frozenset
    navigation_patterns: tuple
    funder: re.Pattern
    widget_start: frozenset
    widget_end: frozenset
    citation: re.Pattern
    translator: re.Pattern
    tail: dict
    archival_units: re.Pattern
    archival_minimum: int
    archival_note: re.Pattern
    running_heads: RunningHeads
    pdf_start: re.Pattern
    pdf_labels: re.Pattern
    pdf_max_lines: int
    pdf_url: re.Pattern
    column_signs: tuple
    column_anchors: tuple  # for each sign, (anchor, gap) or None (see ``_sign_matches``)
    column_minimum: int

    @functools.cached_property
    def navigation_for(self) -> ByFirstCharacter:
        """The navigation patterns that may match a trimmed line, by its first character."""
        return ByFirstCharacter(self.navigation_patterns, lambda pattern: pattern)


def _compile(value, where: str) -> re.Pattern:
    try:
        return re.compile(value)
    except (re.error, TypeError) as err:
        raise PageDataError(f"page.toml: {where}: not a regular expression ({err})") from err


def _column_anchors(columns: dict) -> tuple:
    """The anchors of ``[interleaved_columns]``: one per sign, each ``{find, gap}`` or empty."""
    anchors = columns.get("anchors", [{}] * len(columns.get("signs", [])))
    if len(anchors) != len(columns.get("signs", [])) or not all(isinstance(a, dict) for a in anchors):
        raise PageDataError("page.toml: interleaved_columns.anchors: one table ({} for none) for each sign")
    return tuple((_compile(a["find"], "interleaved_columns.anchors"), int(a.get("gap", 0))) if a else None
                 for a in anchors)


def load_page_data(path: Path = DATA / "page.toml") -> PageData:
    data = parse_toml(path.read_text(encoding="utf-8"))
    unknown = set(data) - PAGE_KEYS
    if unknown:
        raise PageDataError(f"page.toml: unknown keys {sorted(unknown)}")
    tail = data.get("tail", {})
    bad = {k: v for k, v in tail.items() if v not in TAIL_NAMES}
    if bad:
        raise PageDataError(f"page.toml: [tail] values must be one of {sorted(TAIL_NAMES)}: {bad}")
    archival = data.get("archival", {})
    heads = data.get("running_heads", {})
    pdf = data.get("pdf_header", {})
    labels = "|".join(re.escape(label) for label in pdf.get("labels", [])) or "(?!x)x"
    return PageData(
        navigation=frozenset(x.casefold() for x in data.get("navigation", [])),
        navigation_patterns=tuple(_compile(p, "navigation_patterns") for p in data.get("navigation_patterns", [])),
        funder=_compile(data["funder"], "funder"),
        widget_start=frozenset(x.casefold() for x in data.get("widget_start", [])),
        widget_end=frozenset(x.casefold() for x in data.get("widget_end", [])),
        citation=_compile(data["citation"], "citation"),
        translator=_compile(data["translator"], "translator"),
        tail={k.casefold(): (k, v) for k, v in tail.items()},
        archival_units=_compile(archival["units"], "archival.units"),
        archival_minimum=int(archival.get("minimum_units", 2)),
        archival_note=_compile(archival["note"], "archival.note"),
        running_heads=RunningHeads(
            periodical=_compile(heads["periodical"], "running_heads.periodical"),
            page_number=_compile(heads["page_number"], "running_heads.page_number"),
            numbered=_compile(heads["numbered"], "running_heads.numbered"),
            repeats=int(heads.get("repeats", 2)),
            max_words=int(heads.get("max_words", 12)),
            min_interval=int(heads.get("min_interval", 600)),
        ),
        pdf_start=_compile(pdf.get("start", "(?!x)x"), "pdf_header.start"),
        pdf_labels=re.compile(rf"^(?P<label>{labels})\s*:\s*(?P<value>.*)$"),
        pdf_max_lines=int(pdf.get("max_lines", 60)),
        pdf_url=_compile(pdf.get("url", "(?!x)x"), "pdf_header.url"),
        column_signs=tuple(_compile(p, "interleaved_columns.signs")
                           for p in data.get("interleaved_columns", {}).get("signs", [])),
        column_anchors=_column_anchors(data.get("interleaved_columns", {})),
        column_minimum=int(data.get("interleaved_columns", {}).get("minimum", 2)),
    )


@functools.cache
def default_page_data() -> PageData:
    return load_page_data()


@record
class PageInfo:
    """What the page around the documents says, and where it is."""

    chrome: list[tuple[int, int]] = field(default_factory=list)  # [start, end) not in any document
    dateline: tuple[int, int] | None = None
    date: str | None = None
    title: tuple[int, int] | None = None  # the document's title (a line, or inside the citation)
    abstract: list[str] = field(default_factory=list)
    citation: str | None = None
    sources: list[str] = field(default_factory=list)  # archival references
    record_id: str | None = None
    archive: str | None = None
    funders: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    translators: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    rights: str | None = None
    subjects: list[str] = field(default_factory=list)
    introduction: list[str] = field(default_factory=list)  # a bulletin editor's, before the documents

    @property
    def found(self) -> bool:
        return bool(self.chrome or self.dateline or self.title)


class Line:
    """A line of the text: where it is, as it stands, and the phrase normalization dropped from it
    (``dropped``, leaving it empty). ``text`` and ``blank`` are worked out once: the reading of
    the page asks for them again and again."""

    __slots__ = ("start", "end", "raw", "dropped", "text", "blank")

    def __init__(self, start: int, end: int, raw: str, dropped: str = ""):
        self.start = start
        self.end = end
        self.raw = raw
        self.dropped = dropped
        stripped = raw.strip(" \t\u00a0")
        self.text = stripped or dropped
        self.blank = not stripped.strip(" \t\u00a0\r") and not dropped


def lines_of(text: str, dropped: dict[int, str] | None = None) -> list[Line]:
    """The lines of the text; a line that normalization emptied (``dropped``: where it starts ->
    the phrase) is read as the phrase it held, as the page showed it."""
    out, position = [], 0
    dropped = dropped or {}
    for piece in text.split("\n"):
        out.append(Line(position, position + len(piece), piece, dropped.get(position, "")))
        position += len(piece) + 1
    return out


def _words(text: str) -> int:
    return len(text.split())


def is_prose(text: str) -> bool:
    """A sentence or more: many words, ending as sentences end."""
    text = text.strip()
    return _words(text) >= 10 and text[-1:] in ".!?\"'\u201d\u2019)…"


def looks_like_title(text: str, furniture) -> bool:
    text = text.strip()
    if not text or len(text) > 300 or is_date_only(text) or furniture(text):
        return False
    if text.endswith((":", ";", ",")):
        return False
    if text.endswith(".") and not text.endswith(("(excerpt).", "etc.")) and _words(text) > 3:
        return False
    return re.search(r"[A-Za-z]{3}", text) is not None


class PageReader:
    def __init__(self, text: str, data: PageData, title_pattern: re.Pattern, furniture,
                 dropped: dict[int, str] | None = None):
        self.text = text
        self.data = data
        self.title_pattern = title_pattern
        self.furniture = furniture  # line -> furniture kind or None
        self.lines = lines_of(text, dropped)
        self.chrome_lines: set[int] = set()
        self.info = PageInfo()

    # -- line tests -------------------------------------------------------------------------
    def navigation(self, text: str) -> bool:
        trimmed = text.strip(TRIM)  # (once, not once per pattern)
        if trimmed.casefold() in self.data.navigation:
            return True
        for pattern in self.data.navigation_for(trimmed):
            if pattern.match(trimmed):
                return True
        return False

    def tail_label(self, text: str) -> tuple[str, str, str] | None:
        """(label, name, value) of a tail label line ("Source" or "Source: ...")."""
        bare = text.strip(TRIM)
        label, _, value = bare.partition(":")
        hit = self.data.tail.get(label.strip().casefold())
        if hit is None:
            return None
        if value.strip() and _words(label) > 4:
            return None
        return hit[0], hit[1], value.strip()

    def archival_reference(self, text: str) -> bool:
        t = text.strip()
        if self.data.archival_note.match(t):
            return True
        return len(t) < 400 and len(self.data.archival_units.findall(t)) >= self.data.archival_minimum

    # -- the reading --------------------------------------------------------------------------
    def read(self) -> PageInfo:
        lines = self.lines
        for i, line in enumerate(lines):
            if line.blank:
                continue
            m = self.data.funder.match(line.text)
            if m:
                self.info.funders.append(m.group("who").strip())
                self.chrome_lines.add(i)
            elif self.navigation(line.text):
                self.chrome_lines.add(i)
        self.pdf_header()
        self.widgets()
        tail = self.tail()
        self.top()
        self.end_notes(tail)
        self.info.chrome = self._spans()
        return self.info

    def content(self, start: int = 0, stop: int | None = None):
        """Indexes of the non-blank lines not yet chrome, in [start, stop)."""
        stop = len(self.lines) if stop is None else stop
        return [i for i in range(start, stop) if not self.lines[i].blank and i not in self.chrome_lines]

    def pdf_header(self) -> None:
        """The header of a digital archive's PDF: chrome from its first line to the value of its
        last labelled field; its date, title, citation and summary read."""
        lines, data = self.lines, self.data
        content = [i for i, line in enumerate(lines) if not line.blank]
        first = next((n for n, i in enumerate(content[:12]) if data.pdf_start.match(lines[i].text) or (
            n + 1 < len(content) and data.pdf_start.match(lines[i].text + " " + lines[content[n + 1]].text))), None)
        if first is None:
            return
        block = content[first:first + data.pdf_max_lines]
        labelled = [n for n, i in enumerate(block) if data.pdf_labels.match(lines[i].text)]
        if not labelled:
            return
        last = labelled[-1]
        m = data.pdf_labels.match(lines[block[last]].text)
        if not m.group("value").strip() and last + 1 < len(block) and _words(lines[block[last + 1]].text) <= 4:
            last += 1  # the value of a label alone on its line
        block = block[:last + 1]
        self.chrome_lines.update(range(block[0], block[-1] + 1))
        # what the header says: its date line, the title under it, its fields
        field, before_labels = None, []
        for n, i in enumerate(block):
            text = lines[i].text
            m = data.pdf_labels.match(text)
            if m:
                field = m.group("label").casefold()
                text = m.group("value").strip()
                if not text:
                    continue
            elif field is None:
                before_labels.append(i)
                continue
            if field == "summary":
                self.info.abstract.append(text)
            elif field == "citation":
                self.info.citation = ((self.info.citation or "") + " " + text).strip()
        self._pdf_title(before_labels)
        if self.info.citation:
            for t in self.data.translator.finditer(self.info.citation):
                self.info.translators.extend(w.strip() for w in t.group("who").split(" and "))

    def _pdf_title(self, indexes: list[int]) -> None:
        """The header's lines before its labels: its name, the date line, the title (the lines up
        to a blank line), then a citation and a summary as paragraphs."""
        lines = self.lines
        paragraphs: list[list[int]] = []
        for i in indexes:
            if paragraphs and paragraphs[-1][-1] == i - 1:
                paragraphs[-1].append(i)
            else:
                paragraphs.append([i])
        def opening(i: int) -> bool:
            text = lines[i].text
            following = next((line.text for line in lines[i + 1:] if not line.blank), "")
            return bool(self.navigation(text) or self.data.pdf_start.match(text) or
                        self.data.pdf_start.match(text + " " + following) or self.data.pdf_url.match(text))

        rest = [p for p in paragraphs if not all(opening(i) for i in p)]
        if not rest:
            return
        head = rest.pop(0)
        text = lines[head[0]].text
        dates = list(find_dates(text))
        if dates and dates[0].start == 0:
            if self.info.date is None:
                self.info.date = dates[0].when
            offset = dates[0].end
            if not text[offset:].strip(" ,.") and rest:
                head = rest.pop(0)  # the date line, then the title
                offset = 0
        else:
            offset = 0
        first, last = lines[head[0]], lines[head[-1]]
        start = first.start + offset + (len(first.raw[offset:]) - len(first.raw[offset:].lstrip(" \t\u00a0,")))
        if self.info.title is None and start < last.start + len(last.raw.rstrip()):
            self.info.title = (start, last.start + len(last.raw.rstrip()))
        for paragraph in rest:
            joined = " ".join(lines[i].text for i in paragraph)
            if self.info.citation is None and (self.data.translator.search(joined) or
                                               self.data.archival_units.search(joined)):
                self.info.citation = joined
            elif _words(joined) >= 6:
                self.info.abstract.append(joined)

    def widgets(self) -> None:
        """The citation widget of the older layout: summary and citation between its start and end."""
        lines = self.lines
        i = 0
        while i < len(lines):
            if lines[i].text.strip(TRIM).casefold() in self.data.widget_start:
                j = i + 1
                end = None
                while j < len(lines) and j < i + 40:
                    if lines[j].text.strip(TRIM).casefold() in self.data.widget_end:
                        end = j
                    elif end is not None and not lines[j].blank and not self.navigation(lines[j].text):
                        break
                    j += 1
                if end is not None:
                    for k in range(i, end + 1):
                        if not lines[k].blank and k not in self.chrome_lines:
                            self.summary_or_citation(k)
                        self.chrome_lines.add(k)
                    i = end + 1
                    continue
            i += 1

    def summary_or_citation(self, k: int) -> None:
        line = self.lines[k]
        m = self.data.citation.match(line.raw)
        if m:
            self.citation(k, m)
        elif is_date_only(line.text) or self.navigation(line.text):
            pass
        elif _words(line.text) >= 6:
            self.info.abstract.append(line.text)

    def citation(self, k: int, m: re.Match) -> None:
        line = self.lines[k]
        self.info.citation = line.text
        if self.info.title is None:
            title = m.group("title").strip()
            start = line.start + m.start("title")
            self.info.title = (start, start + len(title))
        for t in self.data.translator.finditer(m.group("rest")):
            self.info.translators.extend(w.strip() for w in t.group("who").split(" and "))
        if self.info.date is None:
            self.info.date = parse_date(m.group("rest"))

    def tail(self) -> int:
        """The metadata tail: from its first label to the end. Returns where it starts."""
        lines = self.lines
        content = self.content()
        start = None
        for n, i in enumerate(content):
            if n < 2:
                continue
            hit = self.tail_label(lines[i].text)
            if hit is None:
                continue
            nearby = [j for j in content[n + 1:n + 8] if self.tail_label(lines[j].text)]
            if hit[0] in STRONG_TAIL or nearby:
                start = i
                break
        if start is None:
            return len(lines)
        name, values = "", []
        fields: list[tuple[str, list[str]]] = []
        for i in range(start, len(lines)):
            self.chrome_lines.add(i)
            line = lines[i]
            if line.blank:
                continue
            hit = self.tail_label(line.text)
            if hit:
                fields.append((name, values))
                name, values = hit[1], [hit[2]] if hit[2] else []
            else:
                values.append(line.text)
        fields.append((name, values))
        for name, values in fields:
            values = [v for v in values if v and not self.navigation(v)]
            if not values:
                continue
            if name == "related":
                self.info.related += [v for v in values if not is_date_only(v) and not is_prose(v)]
            elif name == "source":
                for v in values:
                    if v not in self.info.sources:
                        self.info.sources.append(v)
                    for t in self.data.translator.finditer(v):
                        self.info.translators.extend(w.strip() for w in t.group("who").split(" and "))
            elif name == "record-id":
                self.info.record_id = values[0]
            elif name == "archive":
                self.info.archive = values[0]
            elif name == "author":
                self.info.authors += values
            elif name == "rights":
                self.info.rights = " ".join(values)
            elif name == "subjects":
                self.info.subjects += values
            elif name == "summary":
                self.info.abstract += values
        # the summary printed just above the tail
        before = self.content(0, start)
        if before and len(before) > 3:
            last = lines[before[-1]]
            if is_prose(last.text) and not last.text.startswith("[") and not self.furniture(last.text):
                self.info.abstract.append(last.text)
                self.chrome_lines.add(before[-1])
        return start

    def top(self) -> None:
        """The page's date line, the summaries around it, and the title line."""
        lines = self.lines
        content = self.content()
        if not content:
            return
        date_at = None
        for n, i in enumerate(content[:2]):
            if is_date_only(lines[i].text) and not _indented(lines[i].raw):
                date_at = n
                break
        if date_at == 1 and looks_like_title(lines[content[0]].text, self.furniture) and not is_prose(
                lines[content[0]].text):
            date_at = None  # the date line under the title
        title_at = None
        if date_at is not None:
            i = content[date_at]
            # what is above the date line is a summary of another document
            if date_at > 0 and all(is_prose(lines[j].text) and not self.title_pattern.match(lines[j].text)
                                   and not lines[j].text.startswith("[") for j in content[:date_at]):
                for j in content[:date_at]:
                    self.chrome_lines.add(j)
                    self.info.related.append(lines[j].text)
            elif date_at > 0:
                return
            self.info.dateline = (lines[i].start, lines[i].end)
            self.info.date = parse_date(lines[i].text)
            self.chrome_lines.add(i)
            rest = [j for j in content[date_at + 1:] if j not in self.chrome_lines]
            # the summary and citation indented under the date line (older layout)
            while rest and _indented(lines[rest[0]].raw):
                self.summary_or_citation(rest[0])
                self.chrome_lines.add(rest[0])
                rest.pop(0)
            if rest and looks_like_title(lines[rest[0]].text, self.furniture):
                candidate = lines[rest[0]].text
                if self.info.title is None or self.title_pattern.match(candidate) or _similar(
                        candidate, self.text[slice(*self.info.title)]):
                    title_at = rest[0]
        elif len(content) > 1 and is_date_only(lines[content[1]].text) and looks_like_title(
                lines[content[0]].text, self.furniture):
            # the date line under the title
            below = lines[content[1]]
            self.info.dateline = (below.start, below.end)
            self.info.date = parse_date(below.text)
            self.chrome_lines.add(content[1])
            title_at = content[0]
        if title_at is not None:
            line = lines[title_at]
            s = line.start + (len(line.raw) - len(line.raw.lstrip(" \t\u00a0")))
            self.info.title = (s, s + len(line.text))
            self.chrome_lines.add(title_at)

    def end_notes(self, tail: int) -> None:
        """Source notes after the text: archival references, [Source: ...] lines."""
        content = self.content(0, tail)
        last = set(content[-6:])
        for i in content:
            if i <= 2:
                continue
            text = self.lines[i].text
            # a bracketed source note wherever it stands (between two documents too); other
            # archival references only among the last lines
            if not (self.data.archival_note.match(text.strip()) or i in last):
                continue
            if self.archival_reference(text) and not is_date_only(text):
                self.chrome_lines.add(i)
                self.info.sources.append(text.strip("[] "))
                for t in self.data.translator.finditer(text):
                    self.info.translators.extend(w.strip() for w in t.group("who").split(" and "))

    def _spans(self) -> list[tuple[int, int]]:
        out = []
        for i in sorted(self.chrome_lines):
            line = self.lines[i]
            if out and out[-1][1] + 1 >= line.start:
                out[-1] = (out[-1][0], line.end)
            else:
                out.append((line.start, line.end))
        return out


def _similar(a: str, b: str) -> bool:
    wa, wb = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    return bool(wa and wb) and len(wa & wb) >= 0.5 * min(len(wa), len(wb))


def _word_end(text: str, position: int) -> int:
    m = re.compile(r"\S*").match(text, position)
    return m.end()


def _sign_matches(sign: re.Pattern, anchor: tuple[re.Pattern, int] | None, text: str):
    """What ``sign.finditer(text)`` finds, tried only where a match may begin: at the start of
    each run of [a-z] that ends ``gap`` characters before a place the sign's anchor finds (a
    rarer character inside every match: page.toml), left to right, skipping the places inside
    a match found (as ``finditer`` resumes after its match). The regular expression engine
    would try a sign that begins with a test and a repeat at every character."""
    if anchor is None:
        yield from sign.finditer(text)
        return
    finder, gap = anchor
    yield from matches_at(sign, text, (_lowercase_run_start(text, a.start() - gap) for a in finder.finditer(text)))


def _lowercase_run_start(text: str, start: int) -> int:
    """Where the run of [a-z] that ends at ``start`` begins (``start`` itself when there is none)."""
    while start > 0 and "a" <= text[start - 1] <= "z":
        start -= 1
    return start


def interleaved_columns(text: str, data: PageData | None = None) -> tuple[int, list[str]] | None:
    """Signs that the OCR read printed columns across: (offset of the first, the signs), when
    there are enough of them."""
    data = data or default_page_data()
    hits = sorted((m.start(), text[m.start():_word_end(text, m.end() - 1)].strip())
                  for p, anchor in zip(data.column_signs, data.column_anchors)
                  for m in _sign_matches(p, anchor, text))
    if len(hits) < data.column_minimum:
        return None
    return hits[0][0], [h for _, h in hits]


def read_page(text: str, title_pattern: re.Pattern, furniture, data: PageData | None = None,
              dropped: dict[int, str] | None = None) -> PageInfo:
    """The page around the documents of ``text`` (normalized text). ``dropped``: the lines that
    normalization emptied by dropping a web-page phrase (where each starts -> the phrase)."""
    info = PageReader(text, data or default_page_data(), title_pattern, furniture, dropped).read()
    seen = set()
    info.translators = [t for t in info.translators if not (t in seen or seen.add(t))]
    return info


def masked_lines(text: str, chrome: list[tuple[int, int]], title: tuple[int, int] | None):
    """The lines of the text outside the chrome and the title: (start, end), blanks as None."""
    out = []
    skip = list(chrome) + ([title] if title else [])
    for line in lines_of(text):
        inside = any(s <= line.start and line.end <= e or (line.start <= s and e <= line.end and
                                                           line.text.strip() == text[s:e].strip())
                     for s, e in skip)
        out.append(None if inside or line.blank else (line.start, line.end))
    return out


def dates_in(text: str) -> bool:
    return any(True for _ in find_dates(text))
