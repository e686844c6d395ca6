"""The web edition's shared pages: index of documents, persons, places, and the search index.

``write_site`` is the one site-level function: from the entries of every source (what
``pipeline.writers.html.site_entry`` gives for a source's TEI) it returns every shared file of
``outputs/html/``, by name. It depends on nothing else, sorts everything, and so gives the same
bytes for the same sources whatever their order. The build runs it at its end whenever a
source was built or removed (``pipeline.build.build_site``).
"""

from __future__ import annotations

from pipeline.writers.html import TEMPLATES, anchor, template

SITE_PAGES = ("index.html", "persons.html", "places.html", "search.html")
SITE_FILES = SITE_PAGES + ("search-index.js", "dispatch.css", "dispatch.js")


def _documents(entries: list[dict]) -> list[dict]:
    """Every document of every source, in date order (undated last), then by source and place."""
    documents = []
    for entry in entries:
        for number, document in enumerate(entry["documents"]):
            documents.append({**document, "source": entry["id"], "number": number,
                              "href": f"{entry['id']}.html#{document['anchor']}",
                              "year": (document["date"] or "")[:4] if (document["date"] or "")[:4].isdigit()
                              else "undated"})
    return sorted(documents, key=lambda d: (d["date"] is None or not d["date"][:4].isdigit(), d["date"] or "",
                                            d["source"], d["number"]))


def _entities(entries: list[dict], documents: list[dict], kind: str) -> list[dict]:
    """The persons (or places) mentioned, each with the documents that mention it, by sort name."""
    known: dict[str, dict] = {}
    for entry in entries:  # the first source (by id) to describe an entity names it
        for key, value in entry["entities"].items():
            if value["kind"] == kind:
                known.setdefault(key, value)
    mentioned: dict[str, list[dict]] = {}
    field = "persons" if kind == "person" else "places"
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


def search_index(entries: list[dict]) -> bytes:
    """The client's search index: a script that sets one global (a page opened from file://
    cannot fetch a JSON file), ``{"sources": [...]}``, each source's part as its build made it
    (``pipeline.writers.html.search_data``), in the order of their ids."""
    return ("// The search index of the web edition, written by dispatch.\n"
            'window.DISPATCH_SEARCH = {"sources":[\n' + ",\n".join(e["search"] for e in entries)
            + "\n]};\n").encode("utf-8")


def write_site(entries: list[dict]) -> dict[str, bytes]:
    """Every shared file of the web edition, by name inside ``outputs/html/``."""
    entries = sorted(entries, key=lambda e: e["id"])
    documents = _documents(entries)
    persons = _entities(entries, documents, "person")
    places = _entities(entries, documents, "place")
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
    out["search-index.js"] = search_index(entries)
    for name in ("dispatch.css", "dispatch.js"):
        out[name] = (TEMPLATES / name).read_bytes()
    return out

