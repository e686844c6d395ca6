"""The editor's loop: accepted findings, every automatic decision on a review page, and the
editor's decisions (sources/<id>.review.toml) honoured by the build and recorded in the TEI."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from lxml import etree

from conftest import FIXTURES, ROOT, SAMPLE, write_source
from pipeline.stages import process, render_outputs, source_key
from pipeline.decisions import decision_id
from pipeline.tei import NS
from pipeline.writers import WRITERS

LETTER = """Letter from Molotov to Stalin, 3 June 1951

Comrade Kim II Sung asked for two hundred [tons/of] fuel.

The second paragraph stays where it is.

The third paragraph is moved by the test.
"""


def dispatch(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pipeline", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)


def decisions(path: Path) -> dict:
    result = process(path, collect=True)
    return {d.id: d for d in result.ledger.decisions}


def build(path: Path) -> tuple[object, dict]:
    result = process(path)
    assert not result.failed, [d.format() for d in result.diagnostics]
    return result, {k.split("/")[0]: v.decode() for k, v in render_outputs(result.root, result.id).items()}


def write_review(folder: Path, text: str, name: str = "doc") -> Path:
    path = folder / f"{name}.review.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the decisions and their ids ---------------------------------------------------------------
def test_ids_come_from_kind_rule_and_received_text_not_lines():
    body = "one II two\n\nthree II four"
    assert decision_id(body, "ocr", "OCR-II-IL", 4, 6) == "ocr:OCR-II-IL:II:1"
    assert decision_id(body, "ocr", "OCR-II-IL", 18, 20) == "ocr:OCR-II-IL:II:2"
    moved = "\n\n" + body  # lines shift; the ids do not
    assert decision_id(moved, "ocr", "OCR-II-IL", 6, 8) == "ocr:OCR-II-IL:II:1"
    # a text without letters is named by the words around it
    assert decision_id("word\n\nnext", "layout", "X", 4, 6).startswith("layout:X:word-next~")


def test_the_made_up_letter_has_its_decisions(tmp_path):
    found = decisions(write_source(tmp_path, LETTER))
    assert "ocr:OCR-II-IL:II:1" in found
    bracket = next(d for d in found.values() if d.kind == "bracket")
    assert (bracket.text, bracket.reading, bracket.confidence) == ("[tons/of]", "supplied", "low")
    assert {d.kind for d in found.values()} >= {"ocr", "bracket", "boundary", "metadata"}
    sender = next(d for d in found.values() if d.id.startswith("metadata:sender:"))
    assert (sender.text, sender.reading) == ("Molotov", "molotov")


@pytest.mark.parametrize("path", sorted(p for p in FIXTURES.glob("*.txt")) + [SAMPLE], ids=lambda p: p.name)
def test_decision_ids_are_unique_and_deterministic(path):
    first = [d.id for d in process(path, collect=True).ledger.decisions]
    assert len(first) == len(set(first))
    assert first == [d.id for d in process(path, collect=True).ledger.decisions]


def test_recording_decisions_changes_no_output():
    plain, collected = process(SAMPLE), process(SAMPLE, collect=True)
    assert render_outputs(plain.root, plain.id) == render_outputs(collected.root, collected.id)
    assert [d.format() for d in plain.diagnostics] == [d.format() for d in collected.diagnostics]


# -- the editor's decisions, honoured ----------------------------------------------------------
def test_reject_an_ocr_fix_set_a_bracket_kind_and_move_a_paragraph(tmp_path):
    source = write_source(tmp_path, LETTER)
    ids = decisions(source)
    bracket = next(d.id for d in ids.values() if d.kind == "bracket")
    write_review(tmp_path, f'''editor = "A. Editor"

[[decision]]
id = "ocr:OCR-II-IL:II:1"
action = "reject"
reason = "the original reads II"

[[decision]]
id = "{bracket}"
action = "set"
kind = "del"
reason = "struck through in the original"
''')

    def check(result, outputs):
        assert not [d for d in result.diagnostics if d.code.startswith("R13")], [d.format() for d in
                                                                              result.diagnostics]
        assert "P304" not in [d.code for d in result.diagnostics]  # the editor said what the bracket is
        reading = outputs["text"]
        assert "Comrade Kim II Sung asked for two hundred fuel." in reading  # received form kept, deletion out
        root = etree.fromstring(outputs["xml"].encode())
        assert root.find(".//t:choice/t:sic", NS) is None or all(
            sic.text != "II" for sic in root.iterfind(".//t:choice/t:sic", NS))
        rejected = root.find(".//t:listChange/t:change[@type='decision'][@n]", NS)
        changes = root.findall(".//t:listChange/t:change[@type='decision']", NS)
        assert len(changes) == 2 and rejected is not None
        by_text = {c.text.split("[")[-1].rstrip("]"): c for c in changes}
        ocr = by_text["ocr:OCR-II-IL:II:1"]
        assert ocr.get("who") == "#editor" and ocr.get("ana") == "#rule.OCR-II-IL"
        assert "'II' stays as received" in ocr.text and "the original reads II" in ocr.text
        deletion = root.find(".//t:del", NS)
        assert deletion is not None and "".join(deletion.itertext()) == "tons/of"
        assert deletion.get("resp") == "#editor"
        bracket_change = by_text[bracket]
        assert bracket_change.get("target") == "#" + deletion.get("{http://www.w3.org/XML/1998/namespace}id")
        assert "as 'del'" in bracket_change.text
        editor = root.find(".//t:titleStmt/t:respStmt[@xml:id='editor']", {**NS, "xml": "http://www.w3.org/XML/1998/namespace"})
        assert editor is not None and editor.find("t:persName", NS).text == "A. Editor"

    check(*build(source))
    # move a paragraph: the decisions still apply (their ids do not depend on lines)
    paragraphs = LETTER.split("\n\n")
    moved = "\n\n".join([paragraphs[0], paragraphs[3].rstrip("\n"), paragraphs[2], paragraphs[1]]) + "\n"
    source.write_text(moved, encoding="utf-8")
    result, outputs = build(source)
    check(result, outputs)
    assert outputs["text"].index("third paragraph") < outputs["text"].index("Kim II Sung")


def test_a_decision_whose_target_is_gone_is_reported(tmp_path):
    source = write_source(tmp_path, LETTER.replace("Kim II Sung", "Kim Il Sung"))
    write_review(tmp_path, '[[decision]]\nid = "ocr:OCR-II-IL:II:1"\naction = "reject"\n')
    result = process(source)
    stale = [d for d in result.diagnostics if d.code == "R131"]
    assert [(Path(d.path).name, d.line) for d in stale] == [("doc.review.toml", 1)]
    assert not result.failed


def test_a_malformed_decisions_file_is_located_and_stops_the_build(tmp_path):
    source = write_source(tmp_path, LETTER)
    write_review(tmp_path, '[[decision]]\nid = "x:1"\naction = "reject"\n\n[[decision]]\nid = "b:1"\naction = "set"\n')
    result = process(source)
    assert result.failed
    assert [(d.code, d.line) for d in result.diagnostics if d.code == "R130"] == [("R130", 5)]
    write_review(tmp_path, '[[decision]]\nid = "bracket:x:1"\naction = "set"\nkind = "struck"\n')
    assert "not a bracket kind" in next(d.message for d in process(source).diagnostics if d.code == "R130")


def test_a_bracket_kind_cannot_be_rejected(tmp_path):
    source = write_source(tmp_path, LETTER)
    bracket = next(d.id for d in decisions(source).values() if d.kind == "bracket")
    write_review(tmp_path, f'[[decision]]\nid = "{bracket}"\naction = "reject"\n')
    result = process(source)
    assert [d.code for d in result.diagnostics if d.code.startswith("R13")] == ["R132"]


def test_metadata_set_and_rejected_and_a_boundary(tmp_path):
    text = LETTER + "\nLetter from Stalin to Molotov, 4 June 1951\n\nAgreed.\n"
    source = write_source(tmp_path, text)
    ids = decisions(source)
    assert sum(1 for d in ids.values() if d.kind == "boundary") == 2
    second = next(d.id for d in ids.values() if d.kind == "boundary" and d.text.startswith("Letter from Stalin"))
    write_review(tmp_path, f'''[[decision]]
id = "metadata:sender:Molotov:1"
action = "set"
value = "Vyacheslav Molotov"

[[decision]]
id = "{next(d.id for d in ids.values() if d.id.startswith('metadata:date:3-June-1951'))}"
action = "reject"

[[decision]]
id = "{second}"
action = "reject"

[[boundary]]
at = "The third paragraph"
''')
    result, outputs = build(source)
    assert not [d for d in result.diagnostics if d.code.startswith("R13")], [d.format() for d in result.diagnostics]
    root = etree.fromstring(outputs["xml"].encode())
    divs = root.findall(".//t:body/t:div", NS)
    assert len(divs) == 2  # the third paragraph starts a document; the reply no longer does
    assert "".join(divs[1].itertext()).lstrip().startswith("The third paragraph")
    assert "Letter from Stalin to Molotov" in "".join(divs[1].itertext())
    sent = root.find(".//t:correspDesc[@xml:id='corresp-d1']/t:correspAction[@type='sent']",
                     {**NS, "xml": "http://www.w3.org/XML/1998/namespace"})
    assert sent.find("t:persName", NS).get("ref") == "#molotov" and sent.find("t:date", NS) is None
    assert len(root.findall(".//t:change[@type='decision']", NS)) == 4


def test_the_review_file_is_part_of_the_build_key(tmp_path):
    source = write_source(tmp_path, LETTER)
    before = source_key(source, "base")
    write_review(tmp_path, '[[decision]]\nid = "ocr:OCR-II-IL:II:1"\naction = "reject"\n')
    assert source_key(source, "base") != before


def test_a_rebuild_honours_a_new_decision(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    write_source(sources, LETTER)
    assert dispatch("build", "--sources", sources, "--outputs", tmp_path / "out").returncode == 0
    assert "Kim Il Sung" in (tmp_path / "out" / "text" / "doc.txt").read_text()
    write_review(sources, '[[decision]]\nid = "ocr:OCR-II-IL:II:1"\naction = "reject"\n')
    rebuilt = dispatch("build", "--sources", sources, "--outputs", tmp_path / "out")
    assert "built 1, unchanged 0" in rebuilt.stdout
    assert "Kim II Sung" in (tmp_path / "out" / "text" / "doc.txt").read_text()


# -- accepted findings ------------------------------------------------------------------------
def test_accept_writes_the_entry_and_strict_check_passes(tmp_path):
    source = write_source(tmp_path, LETTER)
    assert dispatch("check", "--strict", source).returncode == 1  # P304 on [tons/of]
    accepted = dispatch("accept", source, "P304", "--reason", "supplied by the translator")
    assert accepted.returncode == 0, accepted.stderr
    sidecar = tmp_path / "doc.meta.toml"
    assert tomllib.loads(sidecar.read_text())["accept"] == [
        {"code": "P304", "at": "[tons/of] fuel.", "reason": "supplied by the translator"}]
    check = dispatch("check", "--strict", source)
    assert check.returncode == 0, check.stdout
    assert check.stdout.strip().endswith("1 checked: 0 errors, 0 warnings, 1 accepted")
    verbose = dispatch("check", "--verbose", source).stdout
    assert "P304 " in verbose and "[accepted: supplied by the translator]" in verbose


def test_accept_appends_without_disturbing_the_sidecar(tmp_path):
    meta = '# kept as it was\ntitle = "A letter"   # with a comment\n\n[[documents]]\ndate = "1951-06-03"\n'
    source = write_source(tmp_path, LETTER.replace("[tons/of]", "[tons of").replace("fuel.", "fuel [x."), meta=meta)
    several = dispatch("accept", source, "P303", "--reason", "r")
    assert several.returncode == 1 and "has 2 P303 warnings; say which with --at" in several.stderr
    assert dispatch("accept", source, "P303", "--at", "nowhere", "--reason", "r").returncode == 1
    assert dispatch("accept", source, "P303", "--at", "second paragraph", "--reason", "r").returncode == 1
    done = dispatch("accept", source, "P303", "--at", "[x", "--reason", 'open "as received"')
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "doc.meta.toml").read_text()
    assert text.startswith(meta)
    assert text[len(meta):] == '\n[[accept]]\ncode = "P303"\nat = "[x"\nreason = "open \\"as received\\""\n'
    assert dispatch("accept", source, "P303", "--reason", "r").returncode == 0  # one left
    assert dispatch("check", "--strict", source).returncode == 0
    assert dispatch("accept", source, "P303", "--reason", "r").returncode == 1  # none left
    assert dispatch("accept", source, "P303", "--reason", " ").returncode == 2


def test_accepted_findings_are_not_errors(tmp_path):
    source = write_source(tmp_path, b"Agreed.\x07\n", meta='[[accept]]\ncode = "R104"\nat = "Agreed"\nreason = "r"\n')
    result = process(source)
    assert result.failed and "R104" in [d.code for d in result.diagnostics]


# -- the review page --------------------------------------------------------------------------
def test_review_writes_a_page_per_source_and_markdown(tmp_path):
    out = tmp_path / "pages"
    result = dispatch("review", SAMPLE, "--output", out)
    assert result.returncode == 0, result.stderr
    page = (out / "stalin-mao-1950-10.html").read_text()
    assert page.count('<tr class="decision') == len(process(SAMPLE, collect=True).ledger.decisions)
    assert "http://" not in page and "https://" not in page and "<script" not in page
    again = dispatch("review", SAMPLE, "--output", out)
    assert (out / "stalin-mao-1950-10.html").read_text() == page  # deterministic
    markdown = dispatch("review", "--format", "md", SAMPLE)
    assert markdown.returncode == 0 and markdown.stdout.startswith("# Review of `stalin-mao-1950-10`")
    assert "| `ocr:OCR-II-IL:II:1` | OCR fix | 3:79 |" in markdown.stdout
    assert again.returncode == 0


def test_the_page_marks_what_is_decided(tmp_path):
    source = write_source(tmp_path, LETTER)
    write_review(tmp_path, '[[decision]]\nid = "ocr:OCR-II-IL:II:1"\naction = "reject"\nreason = "Roman II"\n')
    assert dispatch("review", source, "-o", tmp_path).returncode == 0
    page = (tmp_path / "doc.html").read_text()
    row = next(line for line in page.splitlines() if 'data-id="ocr:OCR-II-IL:II:1"' in line)
    assert 'class="decision decided"' in row and "rejected by the editor" in row and "Roman II" in row
    assert page.count('class="decision undecided"') == len(decisions(source)) - 1


def chromium():
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("chromium is not installed (Debian package chromium; .ci/run installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    return path, sync_playwright


def test_the_sample_review_page_in_a_real_browser(tmp_path):
    executable, sync_playwright = chromium()
    assert dispatch("review", SAMPLE, "--output", tmp_path).returncode == 0
    page_path = tmp_path / "stalin-mao-1950-10.html"
    expected = [d.id for d in process(SAMPLE, collect=True).ledger.decisions]
    errors, requests = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_path.as_uri())
            page.wait_for_load_state("load")
            shown = page.eval_on_selector_all("tr.decision td.id code", "cells => cells.map(c => c.textContent)")
            visible = page.eval_on_selector_all("tr.decision", "rows => rows.filter(r => r.offsetHeight > 0).length")
            groups = page.eval_on_selector_all("section h2", "hs => hs.map(h => h.textContent)")
            page.screenshot(path=str(tmp_path / "review.png"), full_page=False)
        finally:
            browser.close()
    assert sorted(shown) == sorted(expected) and len(shown) == len(expected)
    assert visible == len(expected)
    assert [g.split(" (")[0] for g in groups] == ["Doubtful", "Plausible", "Confident"]
    assert errors == []
    assert requests == [page_path.as_uri()]  # nothing but the page itself
    assert (tmp_path / "review.png").stat().st_size > 10_000


def test_the_tei_and_json_of_decided_sources_are_valid(tmp_path):
    """The editor's decisions (@resp, change/@who, type decision) are valid TEI (tei_all, with
    jing) and valid JSON (the output schema)."""
    import json

    import jsonschema

    from conftest import require_jing

    source = write_source(tmp_path, LETTER + "\nLetter from Stalin to Molotov, 4 June 1951\n\n[STRICTLY SECRET]\n\nAgreed.\n")
    ids = decisions(source)
    bracket = next(d.id for d in ids.values() if d.kind == "bracket" and d.text == "[tons/of]")
    write_review(tmp_path, f'''editor = "A. Editor"
[[decision]]
id = "ocr:OCR-II-IL:II:1"
action = "reject"
[[decision]]
id = "{bracket}"
action = "set"
kind = "gap"
[[decision]]
id = "metadata:sender:Molotov:1"
action = "accept"
''')
    result, outputs = build(source)
    schema = json.loads((ROOT / "schemas" / "dispatch-output.schema.json").read_text())
    data = json.loads(outputs["json"])
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    assert [c["type"] for c in data["changes"]].count("decision") == 3
    assert "A. Editor" not in data["metadata"].get("editors", [])
    jing, rng = require_jing()
    xml = tmp_path / "doc.xml"
    xml.write_text(outputs["xml"], encoding="utf-8")
    completed = subprocess.run([jing, str(rng), str(xml)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout


def test_every_kind_an_editor_may_set_builds_valid_tei(tmp_path):
    from pipeline.kinds import EXPLICIT

    source = write_source(tmp_path, LETTER.replace("[tons/of]", "VCh [tons/of] and 8[7]"))
    ids = decisions(source)
    brackets = [d.id for d in ids.values() if d.kind == "bracket"]
    for name in sorted(EXPLICIT):
        write_review(tmp_path, "".join(f'[[decision]]\nid = "{b}"\naction = "set"\nkind = "{name}"\n\n'
                                       for b in brackets))
        result = process(source)
        assert not result.failed, (name, [d.format() for d in result.diagnostics])
        assert not [d for d in result.diagnostics if d.code.startswith(("R13", "V", "X"))], name
        outputs = render_outputs(result.root, result.id)
        assert set(outputs) == {f"{folder}/doc{suffix}" for folder, suffix, _ in WRITERS.values()} | {"xml/doc.xml"}


def test_normalize_lists_a_rejected_change_as_such(tmp_path):
    source = write_source(tmp_path, LETTER)
    write_review(tmp_path, '[[decision]]\nid = "ocr:OCR-II-IL:II:1"\naction = "reject"\n')
    lines = dispatch("normalize", source).stdout.splitlines()
    assert f'{source}:3:13: OCR-II-IL "II" -> "Il" (rejected by the editor)' in lines


@pytest.mark.parametrize("path", sorted(p for p in FIXTURES.glob("*.txt")) + [SAMPLE], ids=lambda p: p.name)
def test_rejecting_or_accepting_every_decision_builds_valid_tei(path, tmp_path):
    """An editor may reject every decision that can be rejected (accept the others): the source
    still builds, validates, and records every decision as the editor's."""
    from pipeline.decisions import KINDS

    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    sidecar = path.with_name(path.name[:-4] + ".meta.toml")
    if sidecar.exists():
        (tmp_path / sidecar.name).write_bytes(sidecar.read_bytes())
    found = process(copy, collect=True).ledger.decisions
    entries = "".join(f'[[decision]]\nid = "{d.id}"\naction = "{"reject" if "reject" in KINDS[d.kind].actions else "accept"}"\n\n'
                      for d in found)
    (tmp_path / (path.name[:-4] + ".review.toml")).write_text(entries, encoding="utf-8")
    result = process(copy)
    bad = [d.format() for d in result.diagnostics if d.code.startswith(("V", "X", "R130", "R132"))]
    assert not result.failed and not bad, bad
    root = etree.fromstring(render_outputs(result.root, result.id)[f"xml/{result.id}.xml"])
    # a decision may vanish when an earlier one changes what follows (a rejected boundary takes its
    # document's inferred metadata with it): those are reported as stale (R131), never applied silently
    recorded = len(root.findall(".//t:change[@type='decision']", NS))
    assert recorded + sum(1 for d in result.diagnostics if d.code == "R131") >= len(found)
