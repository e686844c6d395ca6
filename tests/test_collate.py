"""Collation: the sample's two versions aligned passage by passage, the draft's layers, every
output from one apparatus (TEI valid both ways, LaTeX that compiles, JSON offsets), each
witness given back exactly, and located findings for witnesses that do not exist."""

import json
import re
import shutil
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import ROOT, SAMPLE, require_jing, require_tex, write_source
from pipeline.collate.apparatus import Collation, build, collate_texts
from pipeline.collate.sources import collation_outputs, declared, load
from pipeline.collate.witness import plain_witness, witness_text
from pipeline.read import read_source
from pipeline.validate import fast_schema, validate
from pipeline.writers.collation_html import write_collation_html
from pipeline.writers.collation_json import write_collation_json
from pipeline.writers.collation_latex import write_collation_latex
from pipeline.writers.collation_tei import witness_text as tei_witness_text
from pipeline.writers.collation_tei import write_collation_tei
from pipeline.writers.walk import read_edition

OUTPUTS = ROOT / "outputs" / "collation"
SAMPLE_ID = "stalin-mao-1950-10"


@pytest.fixture(scope="module")
def sample_collation(sample):
    source, _ = read_source(SAMPLE)
    return declared(sample.root, source)


@pytest.fixture(scope="module")
def apparatus(sample_collation):
    return sample_collation.groups[0]


def first_words(text: str, count: int = 3) -> str:
    return " ".join(text.split()[:count])


# -- the sample ------------------------------------------------------------------------------
def test_the_sample_declares_its_documents_versions_and_the_draft_enters_in_both_layers(apparatus):
    witnesses = [(w.siglum, w.document, w.layer) for w in apparatus.witnesses]
    assert witnesses == [("A", 1, None), ("B", 2, "first"), ("C", 2, "revised")]
    assert apparatus.witnesses[1].edited and not apparatus.witnesses[0].edited


def test_each_paragraph_of_the_final_message_is_paired_with_the_draft_paragraph_it_comes_from(apparatus):
    base = apparatus.witnesses[0].text
    for blocks in apparatus.blocks:
        other = apparatus.witnesses[blocks["witness"]].text
        pairs = {first_words(base[slice(*p["base"])]): first_words(other[slice(*p["witness"])])
                 for p in blocks["pairs"]}
        assert pairs["I received your"] == "I received your"
        assert pairs["Your reply contains"] == "But Your reply"
        assert pairs["As to the"] == "As to the"
        assert pairs["October 5, 1950"] == "5 October 1950"  # the opener's dateline
        assert pairs["Respectfully,"] == "Respectfully"
    # the passages were paired before the words: the final's sentences found in the draft's
    # long paragraph, not its stray function words
    passages = {first_words(apparatus.witnesses[0].text[slice(*p["reference"])], 4):
                first_words(apparatus.witnesses[1].text[slice(*p["witness"])], 4)
                for p in apparatus.pairings[0].passages}
    assert passages["Your reply contains one"] == "But Your reply contains"
    assert passages["You insist that, in"] == "You assert that, in"
    assert passages["Of course, you should"] == "Of course, You should"  # a passage the hand deleted


def _readings(apparatus, siglum):
    index = [w.siglum for w in apparatus.witnesses].index(siglum)
    return [(app, r) for app in apparatus.apps for r in app.readings if index in r.witnesses]


def test_the_apparatus_lists_the_drafts_additions_that_the_final_message_does_not_carry(apparatus):
    additions = [r.text for app, r in _readings(apparatus, "C") if r.type == "addition"]
    joined = "".join(additions)
    for passage in ("I considered it possible to turn to You", "While raising before You the question",
                    "One can suppose, that the USA", "Such were considerations of a foreign policy nature",
                    "the one on the domestic situation of China which"):
        assert passage in joined, passage
    # and which of them the hand made: "very" is an insertion of the revised draft
    very = next(r for app, r in _readings(apparatus, "C") if r.text.strip() == "very")
    assert very.type == "addition" and very.hands == ((0, 4, "add"),)
    # the first version's words the hand deleted, which the final message has again
    again = next(app for app in apparatus.apps if app.readings[0].text.startswith("Of course, you should know"))
    first = next(r for r in again.readings if 1 in r.witnesses)
    assert first.hands and first.hands[0][2] == "del" and first.type == "punctuation"  # "You" / "you"
    revised = next(r for r in again.readings if 2 in r.witnesses)
    assert "not ready for a new war" in revised.text


def test_the_sample_witnesses_come_back_exactly_from_the_apparatus_and_from_its_tei(sample, apparatus):
    edition = read_edition(sample.root, sample.id)
    root = etree.fromstring(write_collation_tei(Collation("x", "x", [apparatus])))
    for index, witness in enumerate(apparatus.witnesses):
        expected, _ = witness_text(edition, witness.document, witness.layer or "revised")
        assert witness.text == expected
        assert apparatus.text_of(index) == expected
        assert tei_witness_text(root, witness.id) == expected


def test_witness_text_is_the_documents_words_in_a_layer(sample):
    edition = read_edition(sample.root, sample.id)
    final, hands = witness_text(edition, 1, "revised")
    assert final.startswith("From cde. PHILIPPOV\nOctober 5, 1950\nI received your reply\n")  # no headnote, no gap
    assert "Dispatched" not in final and "[" not in final and not hands
    first, hands = witness_text(edition, 2, "first")
    revised, added = witness_text(edition, 2, "revised")
    assert "question of sending to Korea a five-to-six" in first
    assert "question of minimum five-to-six" in revised
    assert "Jiang Jieshi" not in revised and "platz" not in revised  # glosses and notes are not words
    assert revised.endswith("PHILIPPOV\n4 October 1950 2nn")
    assert ("sending to Korea a", "del") in [(first[a:b], k) for a, b, k in hands]
    assert ("minimum", "add") in [(revised[a:b], k) for a, b, k in added]


def test_sample_collation_outputs_match_the_golden_files(sample, file_regression):
    """The committed outputs/collation/ files, which an editor read before accepting them."""
    source, _ = read_source(SAMPLE)
    outputs = collation_outputs(sample.root, source)
    assert sorted(outputs) == [*(f"collation/{SAMPLE_ID}{s}" for s in (".json", ".tex", ".xml")),
                               f"html/collation/{SAMPLE_ID}.html"]
    for relative, data in sorted(outputs.items()):
        file_regression.check(data.decode("utf-8"), fullpath=ROOT / "outputs" / relative, newline="\n")


def test_collating_the_sample_takes_under_a_second(sample):
    source, _ = read_source(SAMPLE)
    started = time.perf_counter()
    collation_outputs(sample.root, source)
    assert time.perf_counter() - started < 1.0


# -- TEI ------------------------------------------------------------------------------------
def test_the_collation_tei_is_valid_against_the_project_schema():
    root = etree.parse(str(OUTPUTS / f"{SAMPLE_ID}.xml")).getroot()
    assert validate(root, "collation.xml", fast=False) == []
    assert fast_schema().validate(root)
    assert root.find(".//{*}variantEncoding").get("method") == "parallel-segmentation"
    wits = {w.get("{http://www.w3.org/XML/1998/namespace}id") for w in root.iter("{*}witness")}
    assert wits == {"d1", "d2-first", "d2-revised"}
    for reading in root.iter("{*}rdg", "{*}lem"):
        assert {p[1:] for p in reading.get("wit").split()} <= wits


def test_the_collation_tei_is_valid_against_tei_all(tmp_path):
    jing, rng = require_jing()
    moved = collate_texts(["One two three four five six. Seven eight nine ten eleven.\nAnother block here.",
                           "Another block here, now first.\nOne two three four five six. Seven eight nine ten."])
    path = tmp_path / "moved.xml"
    path.write_bytes(write_collation_tei(Collation("m", "m", [moved])))
    completed = subprocess.run([jing, str(rng), str(OUTPUTS / f"{SAMPLE_ID}.xml"), str(path)],
                               capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout


def test_a_moved_passage_is_a_transposition_at_both_places():
    base = ("The delegation arrives in Moscow on Monday and stays for three days.\n"
            "We ask you to confirm the instructions about the supply of equipment before then.\n"
            "The talks will concern the dispatch of specialists to the coast.")
    moved = ("We ask you to confirm the instructions about the supply of equipment before then.\n"
             "The delegation arrives in Moscow on Monday and stays for three days.\n"
             "The talks will concern the dispatch of specialists to the coast.")
    apparatus = collate_texts([base, moved])
    assert len(apparatus.moves) == 1
    move = apparatus.moves[0]
    assert moved[slice(*move.at_witness)].startswith(("We ask", "The delegation"))
    root = etree.fromstring(write_collation_tei(Collation("m", "m", [apparatus])))
    transposed = [r for r in root.iter("{*}rdg") if r.get("type") == "transposition"]
    assert len(transposed) >= 2
    ids = {a.get("{http://www.w3.org/XML/1998/namespace}id") for a in root.iter("{*}app")}
    assert all(r.get("corresp")[1:] in ids for r in transposed)
    assert validate(root, "moved.xml") == []
    for index, text in enumerate((base, moved)):
        assert apparatus.text_of(index) == text
        assert tei_witness_text(root, f"w-{'AB'[index]}") == text


# -- LaTeX and JSON -------------------------------------------------------------------------
@pytest.mark.tex
def test_the_collation_latex_compiles_with_its_apparatus(tmp_path):
    require_tex("pdflatex")
    if subprocess.run(["kpsewhich", "reledmac.sty"], capture_output=True).returncode != 0:
        pytest.skip("reledmac is not installed (Debian texlive-humanities); .ci/run installs it")
    tex = tmp_path / "collation.tex"
    shutil.copyfile(OUTPUTS / f"{SAMPLE_ID}.tex", tex)
    completed = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                                tex.name], cwd=tmp_path, capture_output=True, text=True, errors="replace", timeout=300)
    log = tex.with_suffix(".log").read_text(errors="replace")
    assert completed.returncode == 0, log[-3000:]
    assert "Missing character" not in log
    pdf = subprocess.run(["pdftotext", "-layout", str(tex.with_suffix(".pdf")), "-"], capture_output=True,
                         text=True).stdout
    assert "reply ] A; response. B C" in re.sub(r"\s+", " ", pdf)  # a note keyed to the lemma
    assert re.search(r"^\s*5\s+me\. You insist", pdf, re.M)  # line numbers in the margin
    assert "Passages the text of A does not have" in pdf and "I considered it possible" in pdf


def test_the_json_gives_each_variants_offsets_in_each_witness():
    data = json.loads((OUTPUTS / f"{SAMPLE_ID}.json").read_text(encoding="utf-8"))
    texts = {w["siglum"]: w["text"] for w in data["witnesses"]}
    group = data["collations"][0]
    assert group["base"] == "A" and group["summary"]["variants"] == len(group["variants"])
    for variant in group["variants"]:
        for reading in variant["readings"]:
            for siglum in reading["witnesses"]:
                start, end = variant["offsets"][siglum]
                assert texts[siglum][start:end] == reading["text"]
        covered = {s for r in variant["readings"] for s in r["witnesses"]}
        assert covered == set(texts)
    for witness in data["witnesses"]:
        for hand in witness["hands"]:
            assert witness["text"][hand["start"]:hand["end"]].strip()


def _rows(page: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    return [[re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def test_the_side_by_side_page_of_the_web_edition_has_the_paragraphs_in_rows():
    page = (ROOT / "outputs" / "html" / "collation" / f"{SAMPLE_ID}.html").read_text(encoding="utf-8")
    assert '<link rel="stylesheet" href="../dispatch.css">' in page  # the edition's frame and styles
    assert "<script>" not in page and "style=" not in page and not re.search(r"(?:src|href)=\"https?:", page)
    rows = _rows(page)
    paired = [row for row in rows if row and row[0].removeprefix("om. ").startswith("Your reply contains")]
    assert len(paired) == 1 and "But Your reply contains" in paired[0][1] and "But Your reply contains" in paired[0][2]
    alone = [row for row in rows if row and row[1].startswith("While raising before You")]
    assert alone and alone[0][0].strip() in ("", "om.")  # a paragraph the final message does not have
    assert '<ins>very</ins>' in page and '<del>sending to Korea a</del>' in page
    ids = set(re.findall(r' id="([^"]+)"', page))
    assert all(target in ids for target in re.findall(r'href="#([^"]+)"', page))
    css = (ROOT / "pipeline" / "writers" / "templates" / "dispatch.css").read_text(encoding="utf-8")
    for cls in set(re.findall(r'class="(cx-[\w-]+)', page)):
        assert f".{cls}" in css, cls
    # the source's page links to it, from the formats and from the draft's header
    source = (ROOT / "outputs" / "html" / f"{SAMPLE_ID}.html").read_text(encoding="utf-8")
    assert source.count(f'href="collation/{SAMPLE_ID}.html"') == 2


def test_the_command_line_page_stands_alone():
    collation, _ = load([f"sources/{SAMPLE_ID}.txt#1", f"sources/{SAMPLE_ID}.txt#2"])
    page = write_collation_html(collation).decode()
    assert "<script" not in page and "<link" not in page and "default-src 'none'" in page
    assert ".cx-collation" in page and len(_rows(page)) > 5


# -- round trip, in general ------------------------------------------------------------------
WORDS = ("the comrades consider it necessary to inform you that question of delegation was discussed at "
         "length and government agreed with proposal concerning supply equipment Korea China Moscow "
         "Bulganin Bulganiin Kim Il II Sung 38th parallel five-to-six divisions; reply, response. (and) <&>").split()
sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=14).map(lambda ws: " ".join(ws) + ".")
paragraph = st.lists(sentence, min_size=1, max_size=4).map(" ".join)
edit = st.tuples(st.sampled_from(["move", "insert", "delete", "change", "split", "join", "space"]),
                 st.integers(0, 1000), st.integers(0, 1000), sentence)


def derive(paragraphs: list[str], edits) -> list[str]:
    out = list(paragraphs)
    for kind, a, b, new in edits:
        if not out:
            out.append(new)
            continue
        i, j = a % len(out), b % len(out)
        if kind == "move":
            out.insert(j, out.pop(i))
        elif kind == "insert":
            out.insert(i, new)
        elif kind == "delete" and len(out) > 1:
            out.pop(i)
        elif kind == "change":
            words = out[i].split(" ")
            words[j % len(words)] = new.split(" ")[0]
            out[i] = " ".join(words)
        elif kind == "split" and " " in out[i]:
            words = out[i].split(" ")
            cut = 1 + j % (len(words) - 1)
            out[i:i + 1] = [" ".join(words[:cut]), " ".join(words[cut:])]
        elif kind == "join" and i + 1 < len(out):
            out[i:i + 2] = [out[i] + " " + out[i + 1]]
        elif kind == "space":
            out[i] = out[i].replace(" ", "  ", 1)
    return out


def hands_for(text: str, seed: int) -> list[tuple[int, int, str]]:
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    return [(a, b, "add" if seed % 2 else "del") for number, (a, b) in enumerate(spans) if (number + seed) % 5 == 0]


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(paragraph, min_size=1, max_size=6), st.lists(edit, max_size=6), st.lists(edit, max_size=4),
       st.integers(0, 9))
def test_every_witness_comes_back_exactly_from_the_apparatus_and_its_tei(base, edits, more, seed):
    second = derive(base, edits)
    third = derive(second, more)
    texts = ["\n".join(base), "\n".join(second), "\n".join(third)]
    witnesses = [plain_witness(text, "ABC"[i], hands=hands_for(text, seed + i) if i else None)
                 for i, text in enumerate(texts)]
    apparatus = build(witnesses)
    root = etree.fromstring(write_collation_tei(Collation("p", "p", [apparatus])))
    assert fast_schema().validate(root), fast_schema().error_log.last_error
    for index, witness in enumerate(witnesses):
        assert apparatus.text_of(index) == witness.text
        assert tei_witness_text(root, witness.id) == witness.text
    for app in apparatus.apps:  # each reading is what its witnesses read there, hand edits included
        for reading in app.readings:
            for w in reading.witnesses:
                assert witnesses[w].text[slice(*app.spans[w])] == reading.text
    write_collation_latex(Collation("p", "p", [apparatus]))
    write_collation_html(Collation("p", "p", [apparatus]))
    json.loads(write_collation_json(Collation("p", "p", [apparatus])))


def test_the_collation_is_deterministic(sample):
    source, _ = read_source(SAMPLE)
    assert collation_outputs(sample.root, source) == collation_outputs(sample.root, source)


# -- the command and the sidecar -------------------------------------------------------------
def dispatch(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pipeline", *map(str, args)], capture_output=True, cwd=cwd or ROOT,
                          timeout=300)


def test_collate_command_writes_each_format_to_standard_output():
    witnesses = [f"sources/{SAMPLE_ID}.txt#1", f"sources/{SAMPLE_ID}.txt#2@first", f"sources/{SAMPLE_ID}.txt#2"]
    tei = dispatch("collate", *witnesses)
    assert tei.returncode == 0, tei.stderr
    assert tei.stdout.startswith(b"<?xml") and b"<app " in tei.stdout and not tei.stderr
    latex = dispatch("collate", *witnesses, "--to", "latex")
    assert latex.returncode == 0 and b"\\beginnumbering" in latex.stdout
    html = dispatch("collate", *witnesses, "--to", "html")
    assert html.returncode == 0 and html.stdout.startswith(b"<!DOCTYPE html>")
    data = json.loads(dispatch("collate", *witnesses, "--to", "json").stdout)
    assert [w["id"] for w in data["witnesses"]] == ["d1", "d2-first", "d2"]
    assert dispatch("collate", *witnesses).stdout == tei.stdout  # deterministic


@pytest.mark.parametrize("witness, code, status", [
    ("sources/none.txt#1", "C700", 2),
    (f"sources/{SAMPLE_ID}.txt#3", "C700", 2),
    (f"sources/{SAMPLE_ID}.txt#2@draft", "C700", 2),
    (f"sources/{SAMPLE_ID}.txt#two", "C700", 2),
    (f"sources/{SAMPLE_ID}.meta.toml", "C700", 2),
    (f"sources/{SAMPLE_ID}.txt#1@revised", "C701", 2),
])
def test_a_witness_that_does_not_exist_is_a_located_finding_not_a_traceback(witness, code, status):
    completed = dispatch("collate", f"sources/{SAMPLE_ID}.txt#1", witness)
    assert completed.returncode == status
    assert not completed.stdout and b"Traceback" not in completed.stderr
    assert re.search(rb"^sources/[\w.-]+:1:1: " + code.encode(), completed.stderr, re.M), completed.stderr


def test_a_witness_whose_source_has_errors_exits_1(tmp_path):
    write_source(tmp_path, b"\xff\xfe not utf-8")
    good = write_source(tmp_path, "Letter from Molotov to Stalin, 3 June 1951\n\nWe agree.\n", name="good")
    completed = dispatch("collate", tmp_path / "doc.txt", good)
    assert completed.returncode == 1
    assert b"R101" in completed.stderr and b"C703" in completed.stderr


def test_collate_needs_two_witnesses():
    completed = dispatch("collate", f"sources/{SAMPLE_ID}.txt#1")
    assert completed.returncode == 2 and b"two witnesses" in completed.stderr


def test_a_layer_of_a_document_without_hand_edits_is_a_warning_and_still_collated():
    collation, found = load([f"sources/{SAMPLE_ID}.txt#1@first", f"sources/{SAMPLE_ID}.txt#2"])
    assert collation is not None and [d.code for d in found] == ["C702"]


def test_version_of_makes_a_group_with_the_document_it_names_as_the_base(tmp_path, run):
    text = ("Letter from Molotov to Stalin, 3 June 1951\n\nWe agree with the proposal of the delegation.\n\n"
            "Draft Message from Molotov to Stalin, 2 June 1951 (italicized passages inserted and bracketed "
            "passages deleted by hand)\n\nWe [fully] agree with the proposal of the *Chinese* delegation.\n")
    meta = "[[documents]]\n\n[[documents]]\nversion_of = 1\n"
    result = run(text, meta=meta)
    assert not result.failed, [d.format() for d in result.diagnostics]
    source, _ = read_source(tmp_path / "doc.txt")
    collation = declared(result.root, source)
    group = collation.groups[0]
    assert [(w.document, w.layer) for w in group.witnesses] == [(1, None), (2, "first"), (2, "revised")]
    kinds = {r.text.strip(): r.type for app in group.apps for r in app.readings[1:]}
    assert kinds["fully"] == "addition" and kinds["Chinese"] == "addition"


@pytest.mark.parametrize("meta, code, where", [
    ("[[versions]]\ndocuments = [1]\n", "R110", (2, 1)),
    ("[[versions]]\ndocuments = [1, 1]\n", "R110", (2, 1)),
    ("[[versions]]\ndocuments = [1, 2]\nlayers = [\"draft\"]\n", "R110", (3, 11)),
    ("[[versions]]\ndocuments = [1, 2]\ncolour = 1\n", "R112", (3, 1)),
    ("[[versions]]\ndocuments = [1, 3]\n", "R116", (2, 17)),
    ("[[documents]]\nversion_of = 1\n", "R110", (2, 14)),
    ("[[documents]]\n\n[[documents]]\nversion_of = 4\n", "R116", (4, 1)),
])
def test_the_sidecars_versions_are_checked_and_located(run, tmp_path, meta, code, where):
    text = ("Letter from Molotov to Stalin, 3 June 1951\n\nWe agree.\n\n"
            "Letter from Stalin to Molotov, 4 June 1951\n\nAgreed.\n")
    result = run(text, meta=meta)
    hits = [(d.line, d.col) for d in result.diagnostics if d.code == code and d.path.endswith(".meta.toml")]
    assert where in hits, [d.format() for d in result.diagnostics]


def test_a_build_writes_the_collation_and_removes_it_when_the_declaration_goes(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    for path in SAMPLE.parent.glob(f"{SAMPLE_ID}.*"):
        (sources / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "out"
    assert dispatch("build", "--sources", sources, "--outputs", out, "--jobs", "1").returncode == 0
    for relative in (*(f"collation/{SAMPLE_ID}{s}" for s in (".xml", ".tex", ".json")),
                     f"html/collation/{SAMPLE_ID}.html"):
        assert (out / relative).read_bytes() == (ROOT / "outputs" / relative).read_bytes()
    assert b'href="collation/stalin-mao-1950-10.html"' in (out / "html" / f"{SAMPLE_ID}.html").read_bytes()
    again = dispatch("build", "--sources", sources, "--outputs", out)
    assert b"built 0, unchanged 1" in again.stdout
    (out / "collation" / f"{SAMPLE_ID}.tex").unlink()  # a missing collation output is rebuilt
    assert b"built 1, unchanged 0" in dispatch("build", "--sources", sources, "--outputs", out).stdout
    assert (out / "collation" / f"{SAMPLE_ID}.tex").exists()
    meta = sources / f"{SAMPLE_ID}.meta.toml"
    meta.write_text(meta.read_text().split("[[versions]]")[0])
    assert dispatch("build", "--sources", sources, "--outputs", out).returncode == 0
    assert not list((out / "collation").iterdir()) and not list((out / "html" / "collation").iterdir())
    assert b"collation/" not in (out / "html" / f"{SAMPLE_ID}.html").read_bytes()  # no link left


def test_two_40_kb_witnesses_collate_in_under_5_seconds():
    from benchmarks.run import collation_pair

    first, second = collation_pair()
    assert 38_000 < len(first.encode()) < 42_000
    started = time.perf_counter()
    apparatus = collate_texts([first, second])
    write_collation_tei(Collation("b", "b", [apparatus]))
    elapsed = time.perf_counter() - started
    assert apparatus.text_of(1) == second
    assert elapsed < 5, elapsed
