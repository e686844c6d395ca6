"""Stage 3, parse: the sample's documents, letter parts and brackets as seed-reading.md reads them."""

import pytest

from pipeline.model import Span, Text
from pipeline.normalize import normalize
from pipeline.parse import parse
from pipeline.read import read_source
from conftest import SAMPLE


@pytest.fixture(scope="module")
def parsed():
    source, _ = read_source(SAMPLE)
    normalized, _ = normalize(source.body, source=source)
    return normalized, parse(source, normalized)


def spans(nodes, kind=None):
    for node in nodes:
        if isinstance(node, Span):
            if kind is None or node.kind == kind:
                yield node
            yield from spans(node.children, kind)


def text_of(normalized, node):
    if isinstance(node, Text):
        return normalized.text[node.start:node.end]
    return "".join(text_of(normalized, c) for c in node.children)


def document_spans(document, kind):
    return [s for b in document.blocks() for s in spans(b.inlines, kind)]


def test_two_documents_with_their_metadata(parsed):
    _, result = parsed
    d1, d2 = result.documents
    assert (d1.info.sender, d1.info.recipient, d1.info.date) == ("stalin", "mao-zedong", "1950-10-05")
    assert (d2.info.sender, d2.info.recipient, d2.info.date) == ("stalin", "mao-zedong", "1950-10-04")
    assert (d1.info.italics, d1.info.brackets) == ("new", "supplied")
    assert (d2.info.italics, d2.info.brackets) == ("add", "del")


def test_letter_structure(parsed):
    normalized, result = parsed
    d1, d2 = result.documents
    parts1 = {part: [b.kind for b in blocks] for part, blocks in d1.parts()}
    assert parts1 == {"front": ["head", "headnote"], "opener": ["sender", "dateline"], "body": ["p", "p", "p"],
                      "closer": ["salute", "signed", "dateline"], "back": ["annotation"]}
    assert [b.kind for b in d2.front] == ["head"]
    assert [b.kind for b in d2.opener] == ["docket", "address", "dateline"]
    assert [b.kind for b in d2.closer] == ["salute", "signed", "dateline"]
    last_paragraph = d1.body[-1]
    assert normalized.text[last_paragraph.start:last_paragraph.end].endswith("conversation with them.")


def test_draft_has_13_deletions_and_20_insertions(parsed):
    normalized, result = parsed
    d2 = result.documents[1]
    deletions = document_spans(d2, "del")
    insertions = document_spans(d2, "add")
    assert len(deletions) == 13
    assert len(insertions) == 20
    assert len(document_spans(result.documents[0], "del")) == 0
    assert len(document_spans(result.documents[0], "add")) == 0


def test_nested_deletion_and_the_repaired_span(parsed):
    normalized, result = parsed
    d2 = result.documents[1]
    inside_insertion = [d for a in document_spans(d2, "add") for d in spans(a.children, "del")]
    assert [text_of(normalized, d) for d in inside_insertion] == ["against China"]
    inside_deletion = [a for d in document_spans(d2, "del") for a in spans(d.children, "add")]
    assert [text_of(normalized, a) for a in inside_deletion] == ["the factors"]
    repaired = [a for a in document_spans(d2, "add") if a.repaired]
    assert len(repaired) == 1
    assert text_of(normalized, repaired[0]).endswith("is not ready for a new war.")


def test_brackets_that_are_not_deletions(parsed):
    normalized, result = parsed
    d1, d2 = result.documents
    assert [text_of(normalized, s) for s in document_spans(d2, "archival-label")] == ["DRAFT CIPHERED TELEGRAM"]
    assert [text_of(normalized, s) for s in document_spans(d2, "translator-note")] == ["platz-d'arme"]
    assert [text_of(normalized, s) for s in document_spans(d2, "gloss")] == ["Jiang Jieshi", "STALIN"]
    assert len(document_spans(d1, "gap")) == 1
    expansion = document_spans(d1, "expansion")
    assert len(expansion) == 1 and text_of(normalized, expansion[0]) == "high frequency phone"
    correction = document_spans(d1, "correction")
    assert len(correction) == 1 and text_of(normalized, correction[0]) == "7"
    dates = [s.when for s in document_spans(d1, "date")]
    assert "1950-10-07" in dates and "--10-05" in dates


def test_findings_are_located_in_the_received_text(parsed):
    _, result = parsed
    found = {(d.code, d.line, d.col) for d in result.diagnostics}
    assert ("P301", 39, 330) in found
    assert ("N230", 43, 48) in found


def test_crossing_italic_is_repaired_and_reported(run):
    result = run("Note from A to B, 1 May 1950 (italicized passages inserted and bracketed passages deleted)\n\n"
                 "We *agree [with the plan* of] the comrades.\n")
    assert "P302" in [d.code for d in result.diagnostics]
    assert not result.failed


def test_unbalanced_bracket_is_reported_and_the_rest_encodes(run):
    result = run("We sent [two divisions to the front.\n\nThe second paragraph [supplied] stays.\n")
    assert ("P303", 1, 9) in [(d.code, d.line, d.col) for d in result.diagnostics]
    assert not result.failed
    text = "".join(result.root.find(".//{http://www.tei-c.org/ns/1.0}body").itertext())
    assert "[two divisions" in text and "second paragraph" in text


def test_explicit_bracket_kind_overrides_heuristics(run):
    result = run("He wrote Moscow [@del Leningrad] and MGB [@supplied ministry] today.\n")
    body = result.root.find(".//{http://www.tei-c.org/ns/1.0}body")
    ns = "{http://www.tei-c.org/ns/1.0}"
    assert [d.text for d in body.iter(ns + "del")] == ["Leningrad"]
    assert [s.text for s in body.iter(ns + "supplied")] == ["ministry"]


def test_dates_are_found_where_the_date_pattern_finds_them():
    """find_dates tries the date pattern only where a date can begin: the same matches as the
    pattern's own scan, on the sample and on random texts of dates' pieces."""
    import random

    from pipeline.dates import _date_matches, date_pattern

    texts = [SAMPLE.read_text(encoding="utf-8")]
    chance = random.Random(16)
    pieces = ["5", "12", "1950", "31st", " ", ", ", ".", "XI", "V", "May", "Sept.", "October", "Oct", "a", "9.",
              "\u0665", "Dec", "x1", ".7"]
    texts += ["".join(chance.choice(pieces) for _ in range(chance.randint(0, 12))) for _ in range(20_000)]
    for text in texts:
        assert [m.span() for m in _date_matches(text)] == [m.span() for m in date_pattern().finditer(text)], text
