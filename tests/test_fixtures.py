"""The made-up sources of tests/fixtures/: every kind of conventions.md, each encoded, validated
both ways, emitted in every format and compared with golden files read before acceptance."""

import json
import re
import subprocess

import jsonschema
import pytest

from conftest import FIXTURES, ROOT, require_jing, require_tex
from pipeline.build import process, render_outputs
from pipeline.pdf import FLAGS, engine_of
from test_writers import is_subsequence, pdf_words, words

SOURCES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".txt", ".xml"))
NAMES = [p.name for p in SOURCES]
SUFFIX = {"xml": ".xml", "latex": ".tex", "text": ".txt", "json": ".json", "html": ".html"}


@pytest.fixture(scope="module")
def built():
    results = {}
    for path in SOURCES:
        result = process(path)
        outputs = render_outputs(result.root, result.id) if not result.failed else {}
        results[path.name] = (result, outputs)
    return results


def test_there_are_at_least_15_made_up_sources():
    assert len([p for p in SOURCES if p.suffix == ".txt"]) >= 15


@pytest.mark.parametrize("name", NAMES)
def test_fixture_findings(built, file_regression, name):
    result, _ = built[name]
    lines = [d.format().replace(str(FIXTURES) + "/", "") for d in sorted(result.diagnostics, key=lambda d: d.sort_key())]
    assert not [d for d in result.diagnostics if d.code.startswith(("V", "X"))], lines
    assert not result.failed, lines
    file_regression.check("".join(line + "\n" for line in lines), basename=f"{name}-findings", extension=".txt")


@pytest.mark.parametrize("kind", list(SUFFIX))
@pytest.mark.parametrize("name", NAMES)
def test_fixture_output(built, file_regression, name, kind):
    result, outputs = built[name]
    data = outputs[f"{kind}/{result.id}{SUFFIX[kind]}"]
    file_regression.check(data.decode("utf-8"), basename=f"{result.id}-{kind}", extension=SUFFIX[kind],
                          newline="\n")


def test_fixtures_are_valid_against_tei_all(built, tmp_path):
    jing, rng = require_jing()
    files = []
    for result, outputs in built.values():
        path = tmp_path / f"{result.id}.xml"
        path.write_bytes(outputs[f"xml/{result.id}.xml"])
        files.append(str(path))
    completed = subprocess.run([jing, str(rng), *files], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout


def test_fixture_json_schema_and_offsets(built):
    schema = json.loads((ROOT / "schemas" / "dispatch-output.schema.json").read_text())
    for name, (result, outputs) in built.items():
        data = json.loads(outputs[f"json/{result.id}.json"])
        jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
        text = outputs[f"text/{result.id}.txt"].decode()
        assert data["text"] == text
        for document in data["documents"]:
            for span in document["annotations"] + document["blocks"]:
                assert text[span["start"]:span["end"]] == span["text"], (name, span)


def test_restore_is_exact_for_every_fixture(built):
    from lxml import etree

    from pipeline.restore import received_text

    for name, (result, outputs) in built.items():
        if not name.endswith(".txt"):
            continue
        root = etree.fromstring(outputs[f"xml/{result.id}.xml"])
        assert received_text(root).encode() == (FIXTURES / name).read_bytes(), name


@pytest.mark.tex
@pytest.mark.parametrize("name", NAMES)
def test_fixture_latex_compiles(built, tmp_path, name):
    result, outputs = built[name]
    tex = tmp_path / f"{result.id}.tex"
    tex.write_bytes(outputs[f"latex/{result.id}.tex"])
    engine = engine_of(tex)
    require_tex(engine)
    if "FandolSong" in tex.read_text(encoding="utf-8") and subprocess.run(
            ["kpsewhich", "FandolSong-Regular.otf"], capture_output=True).returncode != 0:
        pytest.skip("the CJK font FandolSong is not installed (Debian texlive-lang-chinese); .ci/run installs it")
    completed = subprocess.run(["latexmk", FLAGS[engine], "-interaction=nonstopmode", "-halt-on-error",
                                "-no-shell-escape", tex.name], cwd=tmp_path, capture_output=True, text=True, errors="replace",
                               timeout=300)
    log = tex.with_suffix(".log").read_text(errors="replace")
    assert completed.returncode == 0, log[-3000:]
    assert log.count("Overfull \\hbox") <= 2
    assert "Missing character" not in log, [l for l in log.splitlines() if "Missing character" in l][:3]
    reading = outputs[f"text/{result.id}.txt"].decode()
    body = "\n".join(part.split("\n\nNotes\n")[0] for part in reading.split("\n\n\n"))
    body = re.sub(r"\[\d+\]", "", body)
    missing = is_subsequence(words(body), pdf_words(tex.with_suffix(".pdf")))
    assert missing is None, f"'{missing}' is not found in order in the PDF"
