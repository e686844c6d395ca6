"""Stage 5, validate: the project XSD, semantic checks, the official TEI schema, located findings."""

import subprocess

import pytest
from lxml import etree

from conftest import ROOT, codes, require_jing
from pipeline.tei import NS, serialize
from pipeline.validate import _faults, parse_tei, schema, semantic_checks, validate

OUTPUT_XML = sorted((ROOT / "outputs" / "xml").glob("*.xml"))


def test_committed_outputs_are_valid_against_the_project_schema():
    assert OUTPUT_XML
    for path in OUTPUT_XML:
        root, found = parse_tei(path)
        assert found == [] and root is not None
        assert validate(root, str(path)) == [], path


def test_committed_outputs_are_valid_against_tei_all_with_jing():
    jing, rng = require_jing()
    completed = subprocess.run([jing, str(rng), *map(str, OUTPUT_XML)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout


def test_sample_is_valid_against_tei_all_with_jing(sample, tmp_path):
    jing, rng = require_jing()
    path = tmp_path / "sample.xml"
    path.write_bytes(serialize(sample.root))
    completed = subprocess.run([jing, str(rng), str(path)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout


def test_schema_finding_points_at_the_source_line(sample):
    root = etree.fromstring(serialize(sample.root))
    body = root.find(".//t:body", NS)
    paragraph = body.find(".//t:div[@n='2']/t:p", NS)
    etree.SubElement(paragraph, "{http://www.tei-c.org/ns/1.0}bogus")
    found = validate(root, "x.xml")
    assert [d.code for d in found] == ["V501"]
    # in a contributed file the finding names the element's own line
    assert found[0].line == paragraph.sourceline


def test_generated_tree_findings_use_origins():
    """A schema finding inside a generated tree points at the received line and column of the
    nearest element that has an origin: here the draft's first paragraph."""
    from conftest import SAMPLE
    from pipeline.encode import encode
    from pipeline.normalize import normalize
    from pipeline.parse import parse
    from pipeline.read import read_source

    source, _ = read_source(SAMPLE)
    normalized, _ = normalize(source.body, source=source)
    encoded = encode(source, normalized, parse(source, normalized))
    paragraph = encoded.root.find(".//t:div[@n='2']/t:p", NS)
    etree.SubElement(paragraph, "{http://www.tei-c.org/ns/1.0}bogus")
    found = validate(encoded.root, source.path, encoded.origins, source.position)
    assert [d.code for d in found] == ["V501"]
    line, col = found[0].line, found[0].col
    received_line = source.body.split("\n")[line - 1]
    first_words = " ".join("".join(paragraph.itertext()).split()[:3])
    assert received_line[col - 1:].startswith(first_words), (line, col, received_line[:80])
    assert (line, col) != (1, 1)
    # without origins the same finding can only point at the file's start
    unplaced = validate(encoded.root, source.path, {}, None)
    assert [(d.line, d.col) for d in unplaced] == [(1, 1)]


def test_unresolved_reference_and_duplicate_id(sample):
    root = etree.fromstring(serialize(sample.root))
    name = root.find(".//t:body//t:persName", NS)
    name.set("ref", "#nobody")
    root.find(".//t:body/t:div", NS).set("{http://www.w3.org/XML/1998/namespace}id", "d2")
    found = validate(root, "x.xml")
    assert {"V502", "V503"} <= {d.code for d in found}


def test_unreal_date_is_a_finding(sample):
    root = etree.fromstring(serialize(sample.root))
    root.find(".//t:body//t:date", NS).set("when", "1950-02-30")
    assert "V504" in [d.code for d in validate(root, "x.xml")]


@pytest.mark.parametrize("attribute, value, expected", [
    ("{http://www.w3.org/XML/1998/namespace}id", "d2", ["V503"]),
    ("ref", "#nobody", ["V502"]),
    ("corresp", "#d1 #nobody", ["V502"]),
    ("when", "1950-02-30", ["V504"]),
    ("target", "https://example.org/a #d1", []),  # not a pointer into the document, and one that resolves
    ("when", "", []),
])
def test_each_semantic_fault_alone_is_found(sample, attribute, value, expected):
    """A tree with one fault (a sound tree is checked without a second walk) is reported as a
    tree with several is, by the walk that locates each fault."""
    root = etree.fromstring(serialize(sample.root))
    assert semantic_checks(root, "x.xml", {}, None) == []
    root.find(".//t:body//t:persName", NS).set(attribute, value)
    found = semantic_checks(root, "x.xml", {}, None)
    assert [d.code for d in found] == expected
    assert found == _faults(root, "x.xml", {}, None)


def test_contributed_tei_is_a_source(tmp_path, sample):
    from pipeline.stages import process

    good = tmp_path / "contributed.xml"
    good.write_bytes(serialize(sample.root))
    result = process(good)
    assert not result.failed
    bad = tmp_path / "broken.xml"
    bad.write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0'>\n<teiHeader>\n</TEI>\n", encoding="utf-8")
    result = process(bad)
    assert result.failed and (codes(result)[0], result.diagnostics[0].line) == ("V510", 3)


def test_contributed_tei_with_doctype_is_refused(tmp_path):
    path = tmp_path / "laughs.xml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">]>\n<TEI>&lol;</TEI>\n')
    root, found = parse_tei(path)
    assert root is None and (found[0].code, found[0].line) == ("V512", 2)


def test_schema_is_compiled_once():
    assert schema() is schema()


def invalid_variants(root):
    """Copies of a valid TEI tree, each broken in one way the XSD forbids."""
    from copy import deepcopy

    t = "{http://www.tei-c.org/ns/1.0}"

    def variant(change):
        copy = deepcopy(root)
        try:
            change(copy)
        except (AttributeError, TypeError):  # the document has no such element
            return None
        return copy

    yield variant(lambda r: etree.SubElement(r.find(f".//{t}p"), t + "blink"))
    yield variant(lambda r: r.find(f".//{t}div").set("type", "two words"))
    yield variant(lambda r: r.find(f".//{t}div").attrib.pop("type"))
    yield variant(lambda r: r.find(f".//{t}p").set("bogus", "1"))
    yield variant(lambda r: r.find(f".//{t}date").set("when", "5 October"))
    yield variant(lambda r: r.find(f".//{t}teiHeader").append(etree.Element(t + "fileDesc")))
    yield variant(lambda r: r.find(f".//{t}body").insert(0, etree.Element(t + "p")))
    yield variant(lambda r: r.find(f".//{t}text").set("{http://www.w3.org/XML/1998/namespace}space", "wide"))
    yield variant(lambda r: r.remove(r.find(f"{t}text")))
    yield variant(lambda r: r.find(f".//{t}head").set("{http://www.w3.org/XML/1998/namespace}id", "1bad"))


def test_fast_and_reference_validators_agree_on_every_fixture(sample):
    from conftest import FIXTURES
    from pipeline.stages import process
    from pipeline.validate import fast_schema

    roots = [etree.fromstring(serialize(sample.root))]
    for path in sorted(FIXTURES.iterdir()):
        if path.suffix in (".txt", ".xml"):
            result = process(path)
            roots.append(etree.fromstring(serialize(result.root)))
    invalid = [v for root in roots for v in invalid_variants(root) if v is not None]
    for root in roots:
        assert fast_schema().validate(root) and schema().is_valid(root)
    assert len(invalid) >= 100
    for root in invalid:
        assert fast_schema().validate(root) is False
        assert schema().is_valid(root) is False
        assert [d for d in validate(root, "x.xml") if d.code == "V501"]
