"""The web edition's shared pages: index of documents, persons, places, and the search index.

``write_site`` is the one site-level function: from the entries of every source (what
``pipeline.writers.html.site_entry`` gives for a source's TEI) it returns every shared file of
``outputs/html/``, by name. It depends on nothing else, sorts everything, and so gives the same
bytes for the same sources whatever their order.

The build (``pipeline.stages.build_site``, run at its end whenever a source was built or
removed) makes the same files without holding the corpus: each source's entry becomes its
``page_data`` in the build's worker (its documents' rows rendered there), ``SitePages`` takes
them one source at a time and keeps of each document only what places it (numbers in arrays;
the rendered rows wait in a temporary file), and ``search_index`` streams the search index.
"""

from __future__ import annotations

import functools
import os
import tempfile
from array import array
from collections.abc import Iterable, Iterator

from markupsafe import Markup

from pipeline.writers.html import TEMPLATES, anchor, template

SITE_PAGES = ("index.html", "persons.html", "places.html", "search.html")
SITE_FILES = SITE_PAGES + ("search-index.js", "dispatch.css", "dispatch.js")
ENTITY_FIELDS = {"person": "persons", "place": "places"}  # an entity's kind -> a document's list of its mentions
BLOCK = 1 << 16  # characters of a page encoded and written at a time


def _document_rows(entry: dict) -> list[dict]:
    return [{**document, "source": entry["id"], "number": number, "href": f"{entry['id']}.html#{document['anchor']}",
             "year": _year(document["date"])}
            for number, document in enumerate(entry["documents"])]


def _year(date: str | None) -> str:
    return (date or "")[:4] if (date or "")[:4].isdigit() else "undated"


@functools.cache
def _rows_template():
    return template("rows.html.j2").module


def page_data(entry: dict) -> dict:
    """What the shared pages need of one source's entry, as plain data: its entities, and for
    each document, in order, ``[date, persons, places, row, line]``: what places it (its date;
    the persons and places it mentions) and, rendered, its row of the index and its line on the
    pages of the persons and places it mentions."""
    rows = _rows_template()
    return {"entities": entry["entities"],
            "documents": [[d["date"], d["persons"], d["places"], str(rows.index_row(d)), str(rows.entity_line(d))]
                          for d in _document_rows(entry)]}


class SitePages:
    """The shared pages, made from the sources' ``page_data`` given one source at a time.

    What is held of a document is a few numbers in arrays (its date, source and place in it, and
    where its rendered rows are in a temporary file) and its place in the lists of the entities
    it mentions: the pages are then written in date order by reading the rows back, so that the
    memory of the build's last step hardly grows with the corpus.
    """

    def __init__(self, directory=None):
        self.rows = tempfile.TemporaryFile(dir=directory)  # unlinked already: nothing left behind
        # document j's row (a line of text), then its line, between offsets 2j, 2j+1 and 2j+2
        self.offsets = array("q", [0])
        self.sources: list[str] = []
        self.source = array("i")  # document -> its source (in self.sources)
        self.number = array("i")  # document -> its place among its source's documents
        self.dates: dict[str | None, int] = {}  # each date once
        self.date = array("i")  # document -> its date (in self.dates)
        self.known: dict[str, dict[str, dict]] = {kind: {} for kind in ENTITY_FIELDS}
        self.mentions: dict[str, dict[str, array]] = {kind: {} for kind in ENTITY_FIELDS}  # key -> documents

    def add(self, sid: str, data: dict) -> None:
        """One source's ``page_data``; the first source given to describe an entity names it."""
        source = len(self.sources)
        self.sources.append(sid)
        for key, value in data["entities"].items():
            if value["kind"] in self.known:
                self.known[value["kind"]].setdefault(key, value)
        for number, (date, persons, places, row, line) in enumerate(data["documents"]):
            document = len(self.number)
            for text in (row, line):
                self.offsets.append(self.offsets[-1] + self.rows.write(f"{text}\n".encode("utf-8")))
            self.source.append(source)
            self.number.append(number)
            self.date.append(self.dates.setdefault(date, len(self.dates)))
            for kind, keys in (("person", persons), ("place", places)):
                mentions = self.mentions[kind]
                for key in keys:
                    mentions.setdefault(key, array("i")).append(document)

    def _order(self) -> array:
        """The documents in the index's order: dated before undated, by date, source id, number."""
        date_keys = {date: (date is None or not date[:4].isdigit(), date or "") for date in self.dates}
        date_rank = _dense_ranks([date_keys[date] for date in self.dates])
        source_rank = _dense_ranks(self.sources)
        width, most = len(self.sources), max(self.number, default=0) + 1
        keys = [(date_rank[d] * width + source_rank[s]) * most + n
                for d, s, n in zip(self.date, self.source, self.number)]
        return array("i", sorted(range(len(keys)), key=keys.__getitem__))

    def _blocks(self, documents: Iterable[int], which: int) -> Iterator[Markup]:
        """The rows (``which`` 0) or lines (1) of these documents, read back in this order, a
        line each, joined into blocks (each block one value for the page's template)."""
        held: list[bytes] = []
        size = 0
        for document in documents:
            start, end = self.offsets[2 * document + which], self.offsets[2 * document + which + 1]
            held.append(os.pread(self.rows.fileno(), end - start, start))
            size += end - start
            if size >= BLOCK:
                yield Markup(b"".join(held).decode("utf-8"))
                held, size = [], 0
        if held:
            yield Markup(b"".join(held).decode("utf-8"))

    def _lines(self, mentioning: array, rank: array) -> Iterator[Markup]:
        """The lines of the documents that mention an entity, in the index's order (sorted only
        when its page is written: one entity's list at a time)."""
        yield from self._blocks(sorted(mentioning, key=rank.__getitem__), 1)

    def _entities(self, kind: str, rank: array) -> list[dict]:
        """The persons (or places) mentioned, each with the lines of the documents that mention
        it in the index's order (read when the page is written), by sort name."""
        out = []
        for key, value in self.known[kind].items():
            mentioning = self.mentions[kind].get(key)
            if mentioning:
                variants = [v for v in dict.fromkeys(value.get("variants", [])) if v != value["name"]]
                lines = self._lines(mentioning, rank)
                out.append({"anchor": anchor(key), "name": value["name"] or key,
                            "sort": value.get("sort") or value["name"], "variants": variants, "documents": lines})
        return sorted(out, key=lambda e: (e["sort"].casefold(), e["anchor"]))

    def files(self) -> Iterator[tuple[str, Iterator[bytes]]]:
        """Every shared file but the search index: its name and its bytes, piece by piece (each
        piece to be used before the next file is asked for)."""
        self.rows.flush()
        order = self._order()
        rank = array("i", [0]) * len(order)
        for place, document in enumerate(order):
            rank[document] = place
        persons = self._entities("person", rank)
        places = self._entities("place", rank)
        years = sorted({_year(date) for date in self.dates}, key=lambda y: (y == "undated", y))
        rows = self._blocks(order, 0)
        yield "index.html", _encoded(template("index.html.j2").generate(
            page="index", count=len(order), rows=rows, persons=persons, years=years))
        yield "persons.html", _encoded(template("entities.html.j2").generate(
            page="persons", heading="Persons", noun="person", entries=persons))
        yield "places.html", _encoded(template("entities.html.j2").generate(
            page="places", heading="Places", noun="place", entries=places))
        yield "search.html", _encoded(template("search.html.j2").generate(page="search"))
        for name in ("dispatch.css", "dispatch.js"):
            yield name, iter([(TEMPLATES / name).read_bytes()])

    def close(self) -> None:
        self.rows.close()


def _dense_ranks(values: list) -> list[int]:
    """Each value's place among the distinct values, sorted (equal values, equal places)."""
    distinct = {value: place for place, value in enumerate(sorted(set(values)))}
    return [distinct[value] for value in values]


def _encoded(strings: Iterable[str]) -> Iterator[bytes]:
    """The pieces of a page as UTF-8, a block at a time (a template gives many small ones)."""
    held: list[str] = []
    size = 0
    for text in strings:
        held.append(text)
        size += len(text)
        if size >= BLOCK:
            yield "".join(held).encode("utf-8")
            held, size = [], 0
    if held:
        yield "".join(held).encode("utf-8")


def site_pages(entries: Iterable[dict]) -> dict[str, bytes]:
    """The shared pages (index, persons, places, search, stylesheet and script), by name.

    ``entries`` is read once, in the order of the sources' ids (their search data is not
    needed: see ``search_index``).
    """
    pages = SitePages()
    try:
        for entry in entries:
            pages.add(entry["id"], page_data(entry))
        return {name: b"".join(chunks) for name, chunks in pages.files()}
    finally:
        pages.close()


def search_index(parts: Iterable[str | bytes]) -> Iterator[bytes]:
    """The client's search index, piece by piece: a script that sets one global (a page opened
    from file:// cannot fetch a JSON file), ``{"sources": [...]}``, each source's part as its
    build made it (``pipeline.writers.html.search_data``; text, or its UTF-8 bytes), one a line,
    in the order given (the sources' ids). Streamed: the build never holds the whole index."""
    yield b'// The search index of the web edition, written by dispatch.\nwindow.DISPATCH_SEARCH = {"sources":['
    separator = b"\n"
    for part in parts:
        yield separator + (part if isinstance(part, bytes) else part.encode("utf-8"))
        separator = b",\n"
    yield b"\n]};\n"


def write_site(entries: list[dict]) -> dict[str, bytes]:
    """Every shared file of the web edition, by name inside ``outputs/html/``, from the
    entries of every source (the build streams the same parts: ``build_site``)."""
    entries = sorted(entries, key=lambda e: e["id"])
    out = site_pages(entries)
    out["search-index.js"] = b"".join(search_index(e["search"] for e in entries))
    return out
