"""The web edition's shared pages: index of documents, persons, places, and the search index.

``write_site`` is the one site-level function: from the entries of every source (what
``pipeline.writers.html.site_entry`` gives for a source's TEI) it returns every shared file of
``outputs/html/``, by name. It depends on nothing else, sorts everything, and so gives the same
bytes for the same sources whatever their order. It is made of two parts, ``site_pages`` and
``search_index``, which the build (``pipeline.stages.build_site``, run at its end whenever a
source was built or removed) runs on a stream of entries, so that it never holds the corpus.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pipeline.writers.html import TEMPLATES, anchor, template

SITE_PAGES = ("index.html", "persons.html", "places.html", "search.html")
SITE_FILES = SITE_PAGES + ("search-index.js", "dispatch.css", "dispatch.js")


def _document_rows(entry: dict) -> list[dict]:
    return [{**document, "source": entry["id"], "number": number, "href": f"{entry['id']}.html#{document['anchor']}",
             "year": (document["date"] or "")[:4] if (document["date"] or "")[:4].isdigit() else "undated"}
            for number, document in enumerate(entry["documents"])]


def _entities(known: dict[str, dict], documents: list[dict], field: str) -> list[dict]:
    """The persons (or places) mentioned, each with the documents that mention it, by sort name."""
    mentioned: dict[str, list[dict]] = {}
    for document in documents:
        for key in document[field]:
            mentioned.setdefault(key, []).append(document)
    out = []
    for key, value in known.items():
        if key in mentioned:
            variants = [v for v in dict.fromkeys(value.get("variants", [])) if v != value["name"]]
            out.append({"anchor": anchor(key), "name": value["name"] or key, "sort": value.get("sort") or value["name"],
                        "variants": variants, "documents": mentioned[key]})
    return sorted(out, key=lambda e: (e["sort"].casefold(), e["anchor"]))


def site_pages(entries: Iterable[dict]) -> dict[str, bytes]:
    """The shared pages (index, persons, places, search, stylesheet and script), by name.

    ``entries`` is read once, in the order of the sources' ids, and only what the pages show
    is kept of each (their search data is not needed: see ``search_index``).
    """
    documents: list[dict] = []
    known: dict[str, dict[str, dict]] = {"person": {}, "place": {}}
    for entry in entries:
        documents.extend(_document_rows(entry))
        for key, value in entry["entities"].items():  # the first source (by id) to describe one names it
            if value["kind"] in known:
                known[value["kind"]].setdefault(key, value)
    documents.sort(key=lambda d: (d["date"] is None or not d["date"][:4].isdigit(), d["date"] or "", d["source"],
                                  d["number"]))
    persons = _entities(known["person"], documents, "persons")
    places = _entities(known["place"], documents, "places")
    years = sorted({d["year"] for d in documents}, key=lambda y: (y == "undated", y))
    files = {
        "index.html": template("index.html.j2").render(page="index", documents=documents, persons=persons,
                                                      years=years),
        "persons.html": template("entities.html.j2").render(page="persons", heading="Persons", noun="person",
                                                           entries=persons),
        "places.html": template("entities.html.j2").render(page="places", heading="Places", noun="place",
                                                          entries=places),
        "search.html": template("search.html.j2").render(page="search"),
    }
    out = {name: text.encode("utf-8") for name, text in files.items()}
    for name in ("dispatch.css", "dispatch.js"):
        out[name] = (TEMPLATES / name).read_bytes()
    return out


def search_index(parts: Iterable[str]) -> Iterator[bytes]:
    """The client's search index, piece by piece: a script that sets one global (a page opened
    from file:// cannot fetch a JSON file), ``{"sources": [...]}``, each source's part as its
    build made it (``pipeline.writers.html.search_data``), one a line, in the order given (the
    sources' ids). Streamed: the build never holds the whole index."""
    yield b'// The search index of the web edition, written by dispatch.\nwindow.DISPATCH_SEARCH = {"sources":['
    separator = b"\n"
    for part in parts:
        yield separator + part.encode("utf-8")
        separator = b",\n"
    yield b"\n]};\n"


def write_site(entries: list[dict]) -> dict[str, bytes]:
    """Every shared file of the web edition, by name inside ``outputs/html/``, from the
    entries of every source (the build streams the same two parts: ``build_site``)."""
    entries = sorted(entries, key=lambda e: e["id"])
    out = site_pages(entries)
    out["search-index.js"] = b"".join(search_index(e["search"] for e in entries))
    return out
