"""The writers: golden files for every output of the sample, and what each format promises."""

import json
import re
import shutil
import subprocess

import jsonschema
import pytest
from lxml import etree

from conftest import ROOT, golden, is_subsequence, pdf_words, require_tex, words
from pipeline.stages import render_outputs
from pipeline.writers.json import block_line, layout, lines_escaped, members, one_line, plain
from pipeline.writers.latex import LatexWriter, escape, verbatim
from pipeline.writers.text import write_text
from pipeline.tei import NS
from pipeline.writers.walk import NO_ATTRS, Edition, Node, _all, _first, element_node, read_edition, text_node



@pytest.fixture(scope="module")
def sample_outputs(sample):
    return render_outputs(sample.root, sample.id)


def test_sample_golden(sample_outputs, file_regression):
    """The sample's golden files are its committed outputs (read before they are committed)."""
    golden(file_regression, ROOT / "outputs", sample_outputs)


def test_reading_text(sample_outputs):
    text = sample_outputs["text/stalin-mao-1950-10.txt"].decode()
    assert "Kim Il Sung" in text and "Bulganin" in text
    assert "Kim II Sung" not in text and "Bulganiin" not in text
    assert "sending to Korea a" not in text  # deletions out
    assert "One can suppose" in text  # insertions in
    assert "see down" not in text and "DRAFT CIPHERED TELEGRAM" not in text  # furniture out
    assert "on 7 October 1950" in text  # correction applied
    assert "platz-d'arme" not in text.split("Notes")[0]  # notes leave the line
    assert "  " not in text


def test_diplomatic_text_marks_every_intervention(sample):
    text = write_text(read_edition(sample.root, sample.id), diplomatic=True).decode()
    assert "\u27e6sending to Korea a\u27e7 \\minimum/" in text
    assert "{8\u21927}" in text and "{Bulganiin\u2192Bulganin}" in text
    assert "[\u2026]" in text and "[= Jiang Jieshi]" in text
    assert "[note (translator's note): platz-d'arme]" in text


def test_json_validates_against_its_schema(sample_outputs):
    schema = json.loads((ROOT / "schemas" / "dispatch-output.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in sorted((ROOT / "outputs" / "json").glob("*.json")):
        jsonschema.validate(json.loads(path.read_text()), schema, cls=jsonschema.Draft202012Validator)
    jsonschema.validate(json.loads(sample_outputs["json/stalin-mao-1950-10.json"]), schema,
                        cls=jsonschema.Draft202012Validator)


def test_every_json_offset_picks_out_its_text():
    checked = 0
    for path in sorted((ROOT / "outputs" / "json").glob("*.json")):
        data = json.loads(path.read_text())
        text = (ROOT / "outputs" / "text" / (path.stem + ".txt")).read_text()
        assert data["text"] == text
        for document in data["documents"]:
            for span in document["annotations"] + document["blocks"]:
                assert text[span["start"]:span["end"]] == span["text"], span
                checked += 1
    assert checked > 100


def test_json_agrees_with_the_tei(sample_outputs):
    data = json.loads(sample_outputs["json/stalin-mao-1950-10.json"])
    d1, d2 = data["documents"]
    assert (d1["date"], d2["date"]) == ("1950-10-05", "1950-10-04")
    assert d1["sender"] == {"name": "Joseph Stalin", "ref": "stalin"}
    deletions = [a for a in d2["annotations"] if a["type"] == "deletion"]
    assert len(deletions) == 13 and all(a["start"] == a["end"] and a["text"] == "" for a in deletions)
    assert deletions[0]["content"] == "sending to Korea a"
    notes = [a for a in d2["annotations"] if a["type"] == "translator-note"]
    assert notes[0]["content"] == "platz-d'arme"
    fixes = {(a["original"], a["text"]) for a in d1["annotations"] if a["type"] == "ocr-fix"}
    assert ("Bulganiin", "Bulganin") in fixes


@pytest.mark.parametrize("text", ["\\input{/etc/passwd}", "\\write18{rm -rf /}", "^^5cinput", "100% & $5 #1 ~ _x_",
                                  "{unbalanced", "--- '' `` !` ?`"])
def test_escape_leaves_no_command(text):
    escaped = escape(text)
    assert not re.search(r"\\(input|write|catcode|def)\b", escaped)
    assert "^^" not in escaped and "--" not in escaped


@pytest.mark.tex
@pytest.mark.parametrize("engine", ["pdflatex", "xelatex", "lualatex"])
def test_sample_latex_compiles_and_reads_like_the_text(sample_outputs, tmp_path, engine):
    require_tex(engine)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    tex = tmp_path / "sample.tex"
    tex.write_bytes(sample_outputs["latex/stalin-mao-1950-10.tex"])
    flag = {"pdflatex": "-pdf", "xelatex": "-xelatex", "lualatex": "-lualatex"}[engine]
    completed = subprocess.run(["latexmk", flag, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                                tex.name], cwd=tmp_path, capture_output=True, text=True, errors="replace", timeout=300)
    log = (tmp_path / "sample.log").read_text(errors="replace")
    assert completed.returncode == 0, log[-3000:]
    assert log.count("Overfull \\hbox") <= 2, "overfull boxes"
    reading = sample_outputs["text/stalin-mao-1950-10.txt"].decode()
    body = "\n".join(part.split("\n\nNotes\n")[0] for part in reading.split("\n\n\n"))
    body = re.sub(r"\[\d+\]", "", body)
    missing = is_subsequence(words(body), pdf_words(tmp_path / "sample.pdf"))
    assert missing is None, f"'{missing}' of the plain text is not found in order in the PDF"
    assert (tmp_path / "persons.ind").exists(), "the index of persons was not made"


@pytest.mark.parametrize("texts", [
    ["Comrade Gromyko!", "the 38th parallel", " "],
    ["a", "b" * 29, ""],
    ["   ", " " * 40],
    ["b" * 29 + "\x0c" + "c" * 29 + " " + "d" * 29],
])
def test_verbatim_texts_are_those_text_gives_back_unchanged(texts):
    writer = LatexWriter(Edition("x", "", "en", {}, [], {}, []))
    assert verbatim(texts) and all(writer.text(text) == text for text in texts)


@pytest.mark.parametrize("text", ["50% of", 'a "quote"', "1950--1951", "it''s", "x" * 30, "Сталин", "a\nb",
                                  "a\u00a0b", "[sic]"])
def test_a_text_text_would_change_is_not_verbatim(text):
    writer = LatexWriter(Edition("x", "", "en", {}, [], {}, []))
    assert writer.text(text) != text and not verbatim(["plain words", text])
    # (a pair or a long token is never made of two texts: they are looked at apart)
    assert verbatim(["1950-", "-1951", "x" * 29, "y" * 29])


@pytest.mark.parametrize("text", ["Comrade Gromyko!\n\nThe enemy", "one line", "", "\n", "Сталин \u2028 \x7f"])
def test_a_plain_text_is_written_as_the_encoder_writes_it(text):
    assert plain(text)
    assert lines_escaped(text) == one_line(text)
    block = {"type": "p", "part": "body", "start": 0, "end": len(text), "text": text}
    assert block_line(block) == one_line(block)


@pytest.mark.parametrize("record", [
    {"type": "ocr", "rule": "rn-m", "at": "12:3", "before": "rnap", "after": "map", "note": None},
    {"id": "mao", "kind": "person", "name": "Mao \"Zedong\"\n", "variants": ["Mao", "毛泽东"], "n": 3, "e": []},
])
@pytest.mark.parametrize("level", [1, 2])
def test_a_record_of_one_line_values_is_laid_out_member_by_member_as_layout_does(record, level):
    assert members(record, level) == layout(record, level)


@pytest.mark.parametrize("text", ['a "quote"', "back\\slash", "tab\there", "cr\r\n", "\x1f"])
def test_a_text_with_what_json_escapes_is_not_plain(text):
    assert not plain(text) and lines_escaped(text) != one_line(text)


def test_a_text_node_is_the_node_of_a_text():
    assert text_node("Comrade") == Node("text", "Comrade", attrs=NO_ATTRS)
    assert text_node(" ").children == text_node(" ").alt == ()


def test_an_element_node_is_the_node_of_an_element():
    children = [text_node("Gromyko")]
    assert element_node("person", children, {"ref": "p1"}) == Node("person", "", children, {"ref": "p1"})


@pytest.mark.parametrize("path", ["teiHeader", "teiHeader/fileDesc/titleStmt/title", "text/body/div",
                                  "text/body/div/p", "teiHeader/revisionDesc/listChange/change", "standOff/nothing"])
def test_the_walks_paths_find_what_findall_finds(path):
    root = etree.fromstring((ROOT / "outputs" / "xml" / "stalin-mao-1950-10.xml").read_bytes())
    expected = root.findall("/".join("t:" + step for step in path.split("/")), NS)
    assert _all(root, path) == expected
    assert _first(root, path) is (expected[0] if expected else None)
