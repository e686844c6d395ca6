"""The web edition: the page of each source, the shared pages, and how the build keeps them fresh.

What a browser does with them (the switch, footnotes, search, accessibility) is tested in
test_browser.py; hostile input in test_security.py.
"""

import json
import random
import re
import shutil

import pytest

from conftest import FIXTURES, ROOT, SAMPLE, is_subsequence, write_source
from conftest import words as text_words
from pipeline.stages import SITE_STATE, process
from pipeline.fresh import stale_files
from pipeline.read import RESERVED_IDS
from pipeline.commands import run_build
from pipeline.writers import WRITERS
from pipeline.writers.walk import read_edition
from pipeline import kinds
from pipeline.writers.html import (HTML_KINDS, block_texts, display_date, document_kind, environment, site_entry,
                                   spaced, word_table, words, write_html)
from pipeline.writers import site
from pipeline.writers.site import SITE_FILES, SITE_PAGES, write_site

FIXTURE_SOURCES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".txt", ".xml"))


@pytest.fixture(scope="module")
def sample_entry(sample):
    return site_entry(read_edition(sample.root, sample.id))


@pytest.fixture(scope="module")
def fixture_entries():
    entries = []
    for path in FIXTURE_SOURCES:
        result = process(path)
        assert not result.failed, path
        entries.append(site_entry(read_edition(result.root, result.id)))
    return entries


def build(sources, outputs):
    assert run_build(sources, outputs, jobs=1, quiet=True) == 0


def copy_sources(folder, paths):
    folder.mkdir(parents=True, exist_ok=True)
    for path in paths:
        for file in path.parent.glob(path.stem + ".*"):
            shutil.copy(file, folder / file.name)
    return folder


def site_bytes(outputs):
    return {p.name: p.read_bytes() for p in sorted((outputs / "html").iterdir()) if p.is_file()}


# -- the per-kind table ----------------------------------------------------------------------

def test_every_kind_of_the_walk_has_a_style():
    assert set(kinds.BY_NAME) == set(HTML_KINDS), set(kinds.BY_NAME) ^ set(HTML_KINDS)
    css = (ROOT / "pipeline" / "writers" / "templates" / "dispatch.css").read_text()
    for kind, style in HTML_KINDS.items():
        for cls in style.cls.split():
            if cls != "ed-literal":
                assert f".{cls}" in css, f"{kind}: no rule for .{cls} in dispatch.css"


def test_the_writer_is_in_the_table_and_reserves_the_shared_pages():
    assert WRITERS["html"][:2] == ("html", ".html")
    assert {name[: -len(".html")] for name in SITE_PAGES} == RESERVED_IDS
    assert environment().autoescape is True


@pytest.mark.parametrize("name", sorted(RESERVED_IDS))
def test_a_source_cannot_take_the_name_of_a_shared_page(tmp_path, name):
    result = process(write_source(tmp_path, "Some text.\n", name=name))
    assert result.failed and [d.code for d in result.diagnostics] == ["R114"]
    assert "web edition" in result.diagnostics[0].hint


@pytest.mark.parametrize("iso, text", [("1950-10-05", "5 October 1950"), ("1951-03", "March 1951"), ("1949", "1949"),
                                       ("--10-05", "5 October"), ("1950-13-01", "1950-13-01"), ("", ""),
                                       ("soon", "soon")])
def test_display_date(iso, text):
    assert display_date(iso) == text


@pytest.mark.parametrize("title, kind", [
    ("Final Message from Stalin to Mao Zedong, 5 October 1950", "Final Message"),
    ("Record of Conversation between Stalin and Mao Zedong, 16 December 1949", "Record of Conversation"),
    ("Ciphered Telegram from Shtykov to Moscow, 12 March 1950", "Ciphered Telegram"),
    ("Note from Molotov, 20 January 1950", "Note"),
    ("", "Document"),
    ("a title that names no kind at all and goes on", "Document"),
])
def test_document_kind(title, kind):
    assert document_kind(title) == kind


def test_search_words_fold_case_accents_and_split_han():
    assert words("Gomułka's Żerań, KOREA 1950!") == ["gomułka", "s", "zeran", "korea", "1950"]
    assert words("Mao Zedong (毛泽东)") == ["mao", "zedong", "毛", "泽", "东"]
    assert words("naïve café_bar") == ["naive", "cafe", "bar"]


def test_spaced_is_the_text_split_and_joined():
    """``spaced`` takes its short way only when the space is the text's one white space: it
    rests on every other white-space character failing ``str.isprintable``."""
    assert all(not c.isprintable() for c in map(chr, range(0x110000)) if c.isspace() and c != " ")
    rng = random.Random(5)
    pieces = [" ", "  ", "\t", "\n", "\u00a0", "\u2028", "\u3000", "\u200b", "a", "bc", "\u00e9", "\u6bdb", "."]
    for text in ["", " ", "   ", "a", " a  b ", *("".join(rng.choices(pieces, k=rng.randrange(12))) for _ in range(2000))]:
        assert spaced(text) == " ".join(text.split()), repr(text)


def test_word_table_is_what_json_writes_of_it():
    """The search data's word tables are written by hand: the same text as ``json.dumps`` of
    the table sorted, with its places as numbers, for every kind of word ``words`` gives."""
    text = "Gomułka's Żerań KOREA 1950 Mao (毛泽东) naïve ١٢٣ Ⅻ ½ \"quoted\" back\\slash <b> \u2028 tab\tend"
    found = words(text)
    table = {word: [str(place) for place in range(len(word) % 4 + 1)] for word in found}
    expected = {word: [int(place) for place in places] for word, places in sorted(table.items())}
    assert word_table(table) == json.dumps(expected, ensure_ascii=False, separators=(",", ":"))
    assert word_table({}) == "{}"


# -- the page of a source --------------------------------------------------------------------

def test_sample_page_shows_both_texts(sample):
    page = write_html(read_edition(sample.root, sample.id)).decode()
    assert '<html lang="en">' in page and '<div class="ed-edition" lang="en">' in page
    # the deletion is in the page, for the diplomatic text only; the insertion in both
    assert '<del class="ed-deletion d">sending to <a class="ed-place" href="places.html#korea">Korea</a> a</del>' in page
    assert '<ins class="ed-insertion">minimum</ins>' in page
    # the links to the other formats are relative to the site's folder
    for link in ("../xml/stalin-mao-1950-10.xml", "../json/stalin-mao-1950-10.json",
                 "../text/stalin-mao-1950-10.txt", "../pdf/stalin-mao-1950-10.pdf"):
        assert f'href="{link}"' in page
    # a permalink on every paragraph, a numbered note and its way back
    paragraphs = re.findall(r'<p class="ed-p[^"]*" id="([^"]+)"', page)
    assert len(paragraphs) == 11
    for anchor in paragraphs:
        assert f'href="#{anchor}" aria-label="Link to this paragraph"' in page
    assert 'href="#d2-n1" id="d2-nr1" role="doc-noteref"' in page and '<li id="d2-n1" value="1">' in page
    # persons and places link to their entries
    assert '<a class="ed-person" href="persons.html#chiang-kai-shek">Chiang Kai-shek</a>' in page
    assert "<script>" not in page and " style=" not in page


def test_reading_text_of_the_page_is_the_reading_text(sample):
    """Every word of outputs/text, in order, is in the page's reading text, and none of the
    deletions; the diplomatic text has them."""
    blocks = block_texts(read_edition(sample.root, sample.id))
    reading = " ".join(b["reading"] for b in blocks if not b["anchor"].startswith(("d1-n", "d2-n")))
    diplomatic = " ".join(b["diplomatic"] for b in blocks)
    text = (ROOT / "outputs" / "text" / "stalin-mao-1950-10.txt").read_text()
    body = re.sub(r"\[\d+\]", "", "\n".join(part.split("\n\nNotes\n")[0] for part in text.split("\n\n\n")))
    body = body.replace("[Handwritten]", "")
    assert is_subsequence(text_words(body), text_words(reading)) is None
    assert "sending to Korea a" not in reading and "sending to Korea a" in diplomatic
    assert "It is not excluded" in diplomatic and "DRAFT CIPHERED TELEGRAM" in diplomatic
    assert "DRAFT CIPHERED TELEGRAM" not in reading
    assert "satellite. I do not believe" in reading and "ultimately,. The USA" in reading
    assert "{8\u21927} October 1950" in diplomatic and "on 7 October 1950" in reading


@pytest.mark.parametrize("path", FIXTURE_SOURCES, ids=[p.name for p in FIXTURE_SOURCES])
def test_every_fixture_page_reads_as_its_reading_text(path):
    """The page has its own rendering (markup per node, as LaTeX has): its reading text has
    every word of outputs/text in order, and its diplomatic text every word of the diplomatic
    plain text."""
    from pipeline.writers.text import write_text

    result = process(path)
    edition = read_edition(result.root, result.id)
    blocks = block_texts(edition)
    notes = [b for b in blocks if re.search(r"-n\d+$", b["anchor"])]
    reading = " ".join(b["reading"] for b in blocks if b not in notes)
    diplomatic = " ".join(b["diplomatic"] for b in blocks if b not in notes)
    text = write_text(edition).decode()
    body = re.sub(r"\[\d+\]", "", "\n".join(part.split("\n\nNotes\n")[0] for part in text.split("\n\n\n")))
    missing = is_subsequence(text_words(body.replace("[Handwritten]", "")), text_words(reading))
    assert missing is None, missing
    plain_diplomatic = write_text(edition, diplomatic=True).decode()
    plain_diplomatic = re.sub(r"\[note \([^)]*\): [^\]]*\]", "", plain_diplomatic).replace("[Handwritten]", "")
    plain_diplomatic = re.sub(r"(?<=[A-Za-z])\d+\b", "", plain_diplomatic)  # "GROMYKO3": a footnote's number
    needles = [w for w in text_words(plain_diplomatic) if not w.isdigit()]  # (the page sets those apart)
    missing = is_subsequence(needles, text_words(diplomatic))
    assert missing is None, missing


def test_sample_entry(sample_entry):
    documents = sample_entry["documents"]
    assert [(d["anchor"], d["kind"], d["date"]) for d in documents] == [
        ("d1", "Final Message", "1950-10-05"), ("d2", "Draft Message", "1950-10-04")]
    assert documents[0]["sender"] == {"name": "Joseph Stalin", "ref": "stalin", "anchor": "stalin"}
    assert "chiang-kai-shek" in documents[1]["persons"] and "korea" in documents[1]["places"]
    json.dumps(sample_entry)  # plain data: the build keeps it as JSON


# -- the shared pages ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["index.html", "persons.html", "places.html", "search-index.js"])
def test_sample_site_golden(sample_entry, file_regression, name):
    """The sample's shared pages are its committed outputs (outputs/html/)."""
    data = write_site([sample_entry])[name].decode()
    file_regression.check(data, fullpath=ROOT / "outputs" / "html" / name, newline="\n")


@pytest.mark.parametrize("name", ["index.html", "persons.html", "places.html", "search-index.js"])
def test_fixtures_site_golden(fixture_entries, file_regression, name):
    """The fixtures' shared pages, where a build of tests/fixtures would write them."""
    data = write_site(fixture_entries)[name].decode()
    file_regression.check(data, fullpath=FIXTURES / "outputs" / "html" / name, newline="\n")


def test_site_is_the_same_whatever_the_order_of_sources(fixture_entries):
    first = write_site(fixture_entries)
    shuffled = list(fixture_entries)
    random.Random(1950).shuffle(shuffled)
    assert write_site(shuffled) == first
    assert set(first) == set(SITE_FILES)


def test_site_is_the_same_whatever_the_blocks_its_rows_are_read_back_in(fixture_entries, monkeypatch):
    """The build keeps each document's rendered rows in a temporary file and reads them back a
    block at a time: the size of a block changes nothing."""
    first = write_site(fixture_entries)
    monkeypatch.setattr(site, "BLOCK", 1)
    assert write_site(fixture_entries) == first


def test_index_orders_documents_by_date_then_source_id_then_place(fixture_entries):
    """The index's order: dated before undated, by date, then source id, then the document's
    place in its source, also when the build reads the sources in another order (that of their
    files' names: "a-b.xml" before "a.xml")."""
    entry = fixture_entries[0]
    ids = ("a", "a-b", "a.b", "b")
    twins = [{**entry, "id": sid, "documents": [
        {**entry["documents"][0], "date": date, "title": f"{sid} {number}"}
        for number, date in enumerate(["1950-01-02", None, "1950-01-02", "undated"])]} for sid in reversed(ids)]
    index = write_site(twins)["index.html"]
    titles = re.findall(r'<td><a href="(?!persons)[^"]+">([^<]+)</a></td>', index.decode())
    assert titles == ([f"{sid} {n}" for sid in ids for n in (0, 2)] + [f"{sid} 1" for sid in ids]
                      + [f"{sid} 3" for sid in ids])
    pages = site.SitePages()
    for twin in sorted(twins, key=lambda e: f"{e['id']}.xml"):
        pages.add(twin["id"], site.page_data(twin))
    files = {name: b"".join(chunks) for name, chunks in pages.files()}
    pages.close()
    assert files["index.html"] == index


def test_index_lists_every_document_in_date_order(fixture_entries):
    index = write_site(fixture_entries)["index.html"].decode()
    dates = re.findall(r'<td><time datetime="([^"]+)">', index)
    assert dates == sorted(dates) and len(dates) == sum(
        1 for e in fixture_entries for d in e["documents"] if d["date"])
    rows = index.count("<tr data-persons=")
    assert rows == sum(len(e["documents"]) for e in fixture_entries)
    assert index.rstrip().endswith("</html>")
    # every link of the index reaches a document's anchor
    links = [(s, a) for s, a in re.findall(r'<td><a href="([a-z0-9._-]+)\.html#([^"]+)">', index)
             if s not in ("persons", "places")]
    assert len(links) == rows
    for source, anchor in links:
        entry = next(e for e in fixture_entries if e["id"] == source)
        assert anchor in [d["anchor"] for d in entry["documents"]]


def test_entity_pages_list_the_documents_that_mention_each(fixture_entries):
    files = write_site(fixture_entries)
    persons = files["persons.html"].decode()
    stalin = persons[persons.index('<section class="entry" id="stalin"'):]
    stalin = stalin[:stalin.index("</section>")]
    mentioning = {(e["id"], d["anchor"]) for e in fixture_entries for d in e["documents"] if "stalin" in d["persons"]}
    assert set(re.findall(r'href="([a-z0-9._-]+)\.html#([^"]+)"', stalin)) == mentioning and len(mentioning) > 3
    assert '<section class="entry" id="moscow"' in files["places.html"].decode()


def test_search_index_finds_words_and_deleted_words(sample_entry, fixture_entries):
    script = write_site([sample_entry])["search-index.js"].decode()
    prefix = "window.DISPATCH_SEARCH = "
    data = json.loads(script[script.index(prefix) + len(prefix):].rstrip().rstrip(";"))
    (source,) = data["sources"]
    blocks = source["blocks"]
    assert source["id"] == "stalin-mao-1950-10"
    assert [blocks[i][0] for i in source["words"]["predicament"]] == ["d2-p7"]
    assert [blocks[i][0] for i in source["diplomatic"]["excluded"]] == ["d2-p5"]
    assert "excluded" not in source["words"]
    assert source["documents"][blocks[0][1]] == ["d1", sample_entry["documents"][0]["title"]]
    # one line a source, in the order of their ids, each as its build made it
    script = write_site(fixture_entries)["search-index.js"].decode()
    lines = script.splitlines()[2:-1]
    assert [json.loads(line.rstrip(","))["id"] for line in lines] == sorted(e["id"] for e in fixture_entries)
    assert [line.rstrip(",") for line in lines] == [e["search"] for e in sorted(fixture_entries, key=lambda e: e["id"])]


# -- the build ---------------------------------------------------------------------------------

def test_committed_site_is_what_a_build_writes(tmp_path):
    build(SAMPLE.parent, tmp_path / "out")
    fresh = site_bytes(tmp_path / "out")
    committed = site_bytes(ROOT / "outputs")
    assert sorted(fresh) == sorted(committed)
    for name, data in fresh.items():
        assert committed[name] == data, name


def test_site_is_rebuilt_when_a_source_changes_and_only_then(tmp_path):
    sources = copy_sources(tmp_path / "sources", FIXTURE_SOURCES[:4])
    outputs = tmp_path / "out"
    build(sources, outputs)
    first = site_bytes(outputs)
    times = {p.name: p.stat().st_mtime_ns for p in (outputs / "html").iterdir()}
    build(sources, outputs)  # nothing changed: nothing written
    assert {p.name: p.stat().st_mtime_ns for p in (outputs / "html").iterdir()} == times
    # a source changes: the shared pages follow, as a full build from scratch writes them
    changed = sorted(sources.glob("*.txt"))[0]
    changed.write_text(changed.read_text() + "\nA new paragraph about Vladivostok.\n")
    build(sources, outputs)
    build(sources, tmp_path / "scratch")
    assert site_bytes(outputs) == site_bytes(tmp_path / "scratch") != first
    assert b"vladivostok" in (outputs / "html" / "search-index.js").read_bytes()
    # a source removed: its page goes, and the index forgets it
    removed = sorted(sources.glob("*.txt"))[1]
    removed.unlink()
    removed.with_name(removed.stem + ".meta.toml").unlink(missing_ok=True)
    build(sources, outputs)
    assert not (outputs / "html" / f"{removed.stem}.html").exists()
    assert f"{removed.stem}.html".encode() not in (outputs / "html" / "index.html").read_bytes()
    assert not (outputs / SITE_STATE / "entries" / f"{removed.stem}.json").exists()
    assert not (outputs / SITE_STATE / "search" / f"{removed.stem}.json").exists()
    # a shared page edited by hand or deleted is written again
    (outputs / "html" / "persons.html").write_text("edited by hand\n")
    (outputs / "html" / "dispatch.css").unlink()
    build(sources, outputs)
    shutil.rmtree(tmp_path / "scratch")
    build(sources, tmp_path / "scratch")
    assert site_bytes(outputs) == site_bytes(tmp_path / "scratch")


def test_site_is_made_from_the_tei_when_the_kept_entries_are_lost_or_stale(tmp_path):
    sources = copy_sources(tmp_path / "sources", FIXTURE_SOURCES[:4] + [SAMPLE])
    outputs = tmp_path / "out"
    build(sources, outputs)
    expected = site_bytes(outputs)
    entries = sorted((outputs / SITE_STATE / "entries").glob("*.json"))
    searches = sorted((outputs / SITE_STATE / "search").glob("*.json"))
    assert [p.name for p in entries] == [p.name for p in searches] and len(entries) == 5
    entries[0].unlink()  # lost
    data = json.loads(entries[1].read_text())
    data["entry"]["title"] = "a stale title"
    data["xml"] = "0" * 64  # made from other bytes: not to be used
    entries[1].write_text(json.dumps(data))
    entries[2].write_text("{not json")  # broken
    searches[3].write_text(searches[3].read_text().replace('"words":{', '"words":{"stale":[0],'))  # not whole
    searches[4].unlink()
    (outputs / "html" / "index.html").unlink()
    build(sources, outputs)
    assert site_bytes(outputs) == expected
    assert "a stale title" not in entries[1].read_text()
    assert "stale" not in searches[3].read_text() and searches[4].exists()


def test_freshness_check_covers_the_shared_pages(tmp_path):
    sources = copy_sources(tmp_path / "sources", [SAMPLE])
    outputs = tmp_path / "out"
    build(sources, outputs)
    assert stale_files(sources, outputs) == []
    (outputs / "html" / "search-index.js").write_text("window.DISPATCH_SEARCH = {};\n")
    (outputs / "html" / "notes.html").write_text("<p>stray</p>\n")
    (outputs / "html" / "persons.html").unlink()
    assert stale_files(sources, outputs) == [f"extra: {outputs / 'html' / 'notes.html'}",
                                             f"missing: {outputs / 'html' / 'persons.html'}",
                                             f"stale: {outputs / 'html' / 'search-index.js'}"]


def test_spaced_is_split_and_join():
    """``spaced`` gives what ``" ".join(text.split())`` gives, whichever white space a text holds
    (ASCII texts and others take different tests of whether the space is their only one)."""
    from pipeline.writers.html import spaced

    rng = random.Random(7)
    characters = " ab.\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u2003\u3000\u2192\u00e9"
    for _ in range(20000):
        text = "".join(rng.choice(characters) for _ in range(rng.randint(0, 12)))
        assert spaced(text) == " ".join(text.split()), repr(text)
