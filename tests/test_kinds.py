"""The kinds table: every writer and the JSON Schema agree with it; the writers share one reading."""

from __future__ import annotations

import json
import re

from pipeline import kinds
from pipeline.stages import render_outputs
from pipeline.tei import NS
from pipeline.writers.json import write_json
from pipeline.writers.latex import write_latex
from pipeline.writers.text import write_text
from pipeline.writers.walk import read_edition
from tests.conftest import ROOT


def test_every_encoding_names_an_editorial_kind_and_a_role():
    for encoding in kinds.ENCODINGS:
        assert encoding.editorial in kinds.BY_NAME, encoding
    for kind in kinds.EDITORIAL:
        assert kind.role in kinds.ROLES, kind
        assert kind.latex_args in kinds.LATEX_ARGS, kind
        assert (kind.role == kinds.NOTE) == (kind.note_label is not None), kind


def test_json_schema_enum_is_the_annotated_kinds():
    schema = json.loads((ROOT / "schemas" / "dispatch-output.schema.json").read_text(encoding="utf-8"))
    enum = schema["$defs"]["annotation"]["properties"]["type"]["enum"]
    assert set(enum) == set(kinds.ANNOTATED)
    required = schema["$defs"]["annotation"]["allOf"][0]["if"]["properties"]["type"]["enum"]
    assert set(required) == {k.name for k in kinds.EDITORIAL
                             if k.annotated and k.role in (kinds.OMIT, kinds.EMPTY, kinds.NOTE)}


def test_latex_preamble_defines_every_macro_once(sample):
    preamble = write_latex(read_edition(sample.root, sample.id)).decode()
    for kind in kinds.EDITORIAL:
        if kind.latex:
            assert len(re.findall(r"\\newcommand\{\\" + kind.latex + r"\}", preamble)) == 1, kind.latex


def test_walk_recognizes_every_encoding():
    """Each parser kind's TEI element is read back by the walk as its editorial kind."""
    from lxml import etree

    from pipeline.tei import q
    from pipeline.writers.walk import inline_element

    for encoding in kinds.ENCODINGS:
        if encoding.element == "choice":
            continue
        element = etree.Element(q(encoding.element), **encoding.attrs)
        assert inline_element(element).kind == encoding.editorial, encoding.name


def test_writers_are_repeatable_and_follow_the_tree(sample):
    root = sample.root.__copy__()
    edition = read_edition(root, sample.id)
    assert write_json(edition) == write_json(edition)
    assert write_json(read_edition(root, sample.id)) == write_json(edition)
    before = write_text(read_edition(root, sample.id))
    p = root.find(".//t:body//t:p", NS)
    p.text = "Changed words. " + (p.text or "")
    after = write_text(read_edition(root, sample.id))
    assert after != before and "Changed words." in after.decode()
    assert write_json(read_edition(root, sample.id)) != write_json(edition)


def test_build_outputs_share_one_edition(sample):
    outputs = render_outputs(sample.root, sample.id)
    data = json.loads(outputs[f"json/{sample.id}.json"])
    assert data["text"].encode() == outputs[f"text/{sample.id}.txt"]


def test_no_module_level_cache_keyed_on_identity():
    for path in (ROOT / "pipeline").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "id(self)" not in source and "_LAST" not in source, path
