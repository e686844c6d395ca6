"""Bracket classification and inline annotation, one case a row of ``inline-cases.tsv``.

Each row gives a paragraph, the construct in it and the kind the parser must give it, so a
new convention or classifier is tested by adding a row.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_source
from pipeline.model import Span
from pipeline.normalize import normalize
from pipeline.parse import parse
from pipeline.read import read_source

CASES = Path(__file__).parent / "inline-cases.tsv"
TITLE = "Letter from Stalin to Mao Zedong, 5 October 1950\n\n"


def cases():
    for number, line in enumerate(CASES.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            paragraph, construct, kind = line.split("\t")
            yield pytest.param(paragraph, construct, kind, id=f"{number}-{kind}")


def spans(nodes):
    for node in nodes:
        if isinstance(node, Span):
            yield node
            yield from spans(node.children)


@pytest.mark.parametrize(("paragraph", "construct", "kind"), list(cases()))
def test_inline_case(tmp_path, paragraph, construct, kind):
    source, _ = read_source(write_source(tmp_path, TITLE + paragraph + "\n"))
    normalized, _ = normalize(source.body, source=source)
    document = parse(source, normalized).documents[0]
    at = normalized.text.index(construct, len(TITLE) - 2)
    found = [s.kind for block in document.blocks() for s in spans(block.inlines)
             if s.start == at or (s.pulled and s.end == at + len(construct))]
    assert found[:1] == [kind], (found, construct)


def test_every_classifier_kind_has_a_case():
    from pipeline.conventions import default_conventions

    covered = {line.split("\t")[2] for line in CASES.read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")}
    named = {rule.kind for rule in default_conventions().brackets}
    assert named <= covered, named - covered


def test_the_signs_found_by_find_are_those_a_class_finds():
    import random
    import re

    from pipeline.inline import positions_of

    chance = random.Random(5)
    for signs in ("[]", "*_", "0123456789", "."):
        every = re.compile("[" + re.escape(signs) + "]")
        for _ in range(2000):
            text = "".join(chance.choice("ab [ ]*_.19\n") for _ in range(chance.randint(0, 24)))
            start = chance.randint(0, len(text))
            end = chance.randint(start, len(text))
            assert positions_of(text, signs, start, end) == [m.start() for m in every.finditer(text, start, end)]
