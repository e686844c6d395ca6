"""Hostile and broken input: nothing executes, nothing leaks, nothing is lost."""

import json
import os
import random
from collections import Counter
from html.parser import HTMLParser
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import pdf_words, require_tex, words, write_source
from pipeline.stages import process, render_outputs
from pipeline.validate import parse_tei

SECRET = "root:x:0:0"  # what /etc/passwd holds on any Debian machine


def assert_refused(path: Path, code: str, seconds: float = 5.0):
    started = time.monotonic()
    result = process(path)
    assert time.monotonic() - started < seconds
    assert result.failed
    assert code in [d.code for d in result.diagnostics], [d.format() for d in result.diagnostics]
    for d in result.diagnostics:
        assert SECRET not in d.message
    return result


def test_billion_laughs_is_refused(tmp_path):
    entities = "".join(f'<!ENTITY lol{i} "&lol{i - 1};&lol{i - 1};&lol{i - 1};&lol{i - 1};">' for i in range(1, 10))
    path = tmp_path / "laughs.xml"
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE TEI [<!ENTITY lol0 "lol">{entities}]>\n'
                    '<TEI xmlns="http://www.tei-c.org/ns/1.0">&lol9;</TEI>\n')
    result = assert_refused(path, "V512")
    assert result.diagnostics[0].line == 2


def test_external_entity_reading_a_local_file_is_refused(tmp_path):
    path = tmp_path / "xxe.xml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE TEI [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
                    '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text>&secret;</text></TEI>\n')
    assert_refused(path, "V512")


def test_external_dtd_is_refused(tmp_path):
    path = tmp_path / "dtd.xml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE TEI SYSTEM "http://example.org/tei.dtd">\n'
                    '<TEI xmlns="http://www.tei-c.org/ns/1.0"/>\n')
    assert_refused(path, "V512")


def test_entity_without_doctype_is_not_expanded(tmp_path):
    path = tmp_path / "undeclared.xml"
    path.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><text>&secret;</text></TEI>\n')
    root, found = parse_tei(path)
    assert root is None and found[0].code == "V510"


def test_the_parser_itself_loads_nothing(tmp_path):
    """Even past the DOCTYPE check, the parser neither expands entities nor reads files."""
    from lxml import etree

    from pipeline.validate import safe_parser

    data = (b'<!DOCTYPE TEI [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
            b'<TEI xmlns="http://www.tei-c.org/ns/1.0">&secret;</TEI>')
    root = etree.fromstring(data, safe_parser())
    assert SECRET not in etree.tostring(root).decode()


def test_deeply_nested_xml_is_refused_quickly(tmp_path):
    path = tmp_path / "deep.xml"
    path.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0">' + "<p>" * 100_000 + "x" + "</p>" * 100_000 + "</TEI>")
    assert_refused(path, "V510")


LATEX_ATTACKS = [
    r"\input{/etc/passwd}",
    r"\write18{touch PWNED}",
    r"\immediate\write18{touch PWNED}",
    "^^5cinput{/etc/passwd}",
    r"\catcode`\@=0 @input{/etc/passwd}",
    r"\def\x{\input{/etc/passwd}}\x",
    "{unbalanced",
    "unbalanced}",
    "100% & $5 # ~ _under_ | <tag>",
]
LOOK_ALIKES = "\u29f5input \uff3cinput{/etc/passwd} \u2216def"  # backslash look-alikes: only Unicode engines set them


@pytest.mark.tex
@pytest.mark.parametrize("engine", ["pdflatex", "xelatex"])
def test_no_source_text_becomes_a_tex_command(tmp_path, engine):
    require_tex(engine)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    attacks = LATEX_ATTACKS + ([LOOK_ALIKES] if engine != "pdflatex" else [])
    body = "Letter from Molotov to Stalin, 3 June 1951\n\n" + "\n\n".join(
        f"Attack {n}: {attack}" for n, attack in enumerate(attacks)) + "\n\nMOLOTOV\n"
    result = process(write_source(tmp_path, body, name="attack"))
    assert not result.failed
    outputs = render_outputs(result.root, result.id)
    tex = tmp_path / "attack.tex"
    tex.write_bytes(outputs["latex/attack.tex"])
    flag = {"pdflatex": "-pdf", "xelatex": "-xelatex"}[engine]
    # shell escape is on, so that an escaping failure would really run a command
    completed = subprocess.run(["latexmk", flag, "-interaction=nonstopmode", "-halt-on-error", "-shell-escape",
                                tex.name], cwd=tmp_path, capture_output=True, text=True, errors="replace", timeout=300)
    assert completed.returncode == 0, tex.with_suffix(".log").read_text(errors="replace")[-2000:]
    assert not (tmp_path / "PWNED").exists()
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tex.with_suffix(".pdf")), "-"], capture_output=True,
                          text=True).stdout
    assert SECRET not in text
    flat = re.sub(r"\s+", "", text)
    for attack in LATEX_ATTACKS[:6]:
        assert re.sub(r"\s+", "", attack) in flat, attack


HOSTILE_BODY = """Letter from Molotov to Stalin, 3 June 1951

<script>alert("body")</script> and "><img src=x onerror=alert('img')> in the text.

A link: javascript:alert('link') and <a href="javascript:alert('a')">click</a> here.

Entities: &lt;script&gt;alert('entity')&lt;/script&gt; &#60;b&#62; &#x3c;i&#x3e;.

The bracket [<script>alert('bracket')</script>] and {{ 7*7 }} {% raw %} ${7*7} <!-- comment --> ]]>.

MOLOTOV
"""
HOSTILE_META = """title = '</title><script>alert("title")</script>'
archive = "<b onclick=alert('archive')>Archive</b>"
citation = '"><iframe src=javascript:alert("citation")>'
url = "javascript:alert('url')"
translators = ["<img src=x onerror=alert('translator')>"]

[[documents]]
title = "Letter from Molotov to Stalin, 3 June 1951"
place = '"><svg onload=alert("place")>'
"""
# what the reader must see, as text, on the page
HOSTILE_TEXTS = ['<script>alert("body")</script>', "\"><img src=x onerror=alert('img')>", "javascript:alert('link')",
                 "<a href=\"javascript:alert('a')\">click</a>", "&lt;script&gt;alert('entity')&lt;/script&gt;",
                 "&#60;b&#62; &#x3c;i&#x3e;", "{{ 7*7 }} {% raw %} ${7*7} <!-- comment --> ]]>",
                 '</title><script>alert("title")</script>', "<b onclick=alert('archive')>Archive</b>",
                 "javascript:alert('url')", "<img src=x onerror=alert('translator')>",
                 '"><svg onload=alert("place")>']

SAFE_HREF = re.compile(r"^(?:#[\w.-]+|[a-z0-9][a-z0-9_.-]*\.html(?:#[\w.-]+)?|\.\./(?:xml|json|text|pdf)/[a-z0-9][a-z0-9_.-]*"
                       r"\.(?:xml|json|txt|pdf)|https?://[^\s\"<>]+)$")
SAFE_ATTRIBUTES = {"class", "id", "href", "title", "datetime", "lang", "role", "type", "rel", "value", "name",
                   "for", "action", "method", "hidden", "checked", "charset", "content", "http-equiv", "src",
                   "defer", "aria-label", "aria-labelledby", "aria-controls", "aria-current", "data-persons",
                   "data-year", "scope"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.script_text = ""
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.in_script = tag == "script"

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.script_text += data


def assert_inert_html(html: str) -> None:
    """A page of the web edition runs nothing but its own scripts, and links only inside the site."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    assert not parser.script_text.strip(), "inline script"
    for tag, attributes in parser.tags:
        assert tag not in ("img", "iframe", "object", "embed", "svg", "math", "base", "style", "frame"), tag
        for name, value in attributes.items():
            assert name in SAFE_ATTRIBUTES, (tag, name, value)
        if tag == "script":
            assert attributes.get("src") in ("dispatch.js", "search-index.js"), attributes
        if tag == "link":
            assert attributes.get("href") == "dispatch.css", attributes
        if "href" in attributes and tag == "a":
            assert SAFE_HREF.match(attributes["href"]), attributes["href"]
    policy = [a["content"] for t, a in parser.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert policy and "script-src 'self'" in policy[0] and "default-src 'self'" in policy[0]


def test_hostile_source_is_text_in_the_web_edition(tmp_path):
    """Markup, script, javascript: links and entities in a source stay text on every page."""
    import html as html_module

    from pipeline.commands import run_build

    sources = tmp_path / "sources"
    sources.mkdir()
    write_source(sources, HOSTILE_BODY, name="attack", meta=HOSTILE_META)
    assert run_build(sources, tmp_path / "out", jobs=1, quiet=True) == 0
    site = tmp_path / "out" / "html"
    page = (site / "attack.html").read_text()
    for name in ("attack.html", "index.html", "persons.html", "places.html", "search.html"):
        assert_inert_html((site / name).read_text())
    shown = html_module.unescape(re.sub(r"<[^>]+>", "", page))  # the page's text, as a browser shows it
    for text in HOSTILE_TEXTS:
        assert text in shown, text
    assert "49" not in shown  # no template expression was evaluated
    index = (site / "search-index.js").read_text()
    lines = index.splitlines()
    assert "<" not in index and lines[0].startswith("// ") and lines[-1] == "]};" and len(lines) == 4
    assert json.loads(lines[2])["id"] == "attack"  # the source's part: data, and all of it on its line


def test_ids_cannot_leave_outputs(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    outputs = tmp_path / "outputs"
    for name in ["..", ".hidden", "con", "NUL", "aux.txt", "a..b", "com1", "x" * 150]:
        (sources / f"{name}.txt").write_text("Some text.\n")
    (sources / "good.txt").write_text("Some text.\n")
    from pipeline.commands import run_build

    code = run_build(sources, outputs, jobs=1)
    assert code == 1
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert all(p.startswith(("sources/", "outputs/")) for p in written)
    assert sorted(p.name for p in (outputs / "xml").iterdir()) == ["good.xml"]


def test_sidecar_id_cannot_rename_outputs(tmp_path):
    path = write_source(tmp_path, "Some text.\n", meta='id = "../../etc/evil"\n')
    result = process(path)
    assert result.failed and "R113" in [d.code for d in result.diagnostics]


def test_a_killed_build_leaves_every_output_old_or_complete(tmp_path):
    from benchmarks.synthetic import generate

    sources = tmp_path / "sources"
    generate(sources, 40, seed=7)
    outputs = tmp_path / "outputs"
    env = dict(os.environ)
    command = [sys.executable, "-m", "pipeline", "build", "--sources", str(sources), "--jobs", "2"]
    subprocess.run(command + ["--outputs", str(outputs)], check=True, capture_output=True, env=env)
    old = {p: p.read_bytes() for p in outputs.rglob("*.*") if not p.name.startswith(".")}
    for path in sorted(sources.glob("*.txt")):
        path.write_text(path.read_text() + "\nA sentence added later.\n")
    expected = tmp_path / "expected"
    subprocess.run(command + ["--outputs", str(expected)], check=True, capture_output=True, env=env)
    rng = random.Random(1951)
    for _ in range(3):
        process_ = subprocess.Popen(command + ["--outputs", str(outputs), "--force"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.4, 1.6))
        os.killpg(process_.pid, signal.SIGKILL)
        process_.wait()
        for path in sorted(p for p in outputs.rglob("*.*") if not p.name.startswith(".")):
            data = path.read_bytes()
            new = (expected / path.relative_to(outputs)).read_bytes()
            assert data == new or data == old[path], f"{path} is neither the old nor the new output"
    # the next build cleans what the killed ones left and completes
    subprocess.run(command + ["--outputs", str(outputs)], check=True, capture_output=True, env=env)
    assert not list(outputs.rglob(".*.tmp"))
    for path in expected.rglob("*.*"):
        if not path.name.startswith("."):
            assert (outputs / path.relative_to(expected)).read_bytes() == path.read_bytes()


@pytest.mark.parametrize("body", [
    "[" * 100_000,
    "*" * 100_000,
    "]" * 100_000,
    "_" * 100_000,
    ("word " * 1_000_000)[:5_000_000],
    "[" * 50_000 + "x" + "]" * 50_000,
    "*a [b *c [d " * 20_000,
    "Kim II Sung " * 30_000,
])
def test_pathological_input_finishes_with_findings(tmp_path, body):
    path = write_source(tmp_path, body)
    started = time.monotonic()
    result = process(path)
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"{elapsed:.1f} s"
    assert not [d for d in result.diagnostics if d.code.startswith("X")], [d.format() for d in result.diagnostics][:5]
    assert len(result.diagnostics) <= 500
    if result.root is not None:
        render_outputs(result.root, result.id)


alphabet = st.characters(blacklist_categories=("Cs", "Cc"), max_codepoint=0x2FFF) | st.sampled_from(
    list("[]*_<>&\\{}$%#^~\n\n\t") + ["<i>", "</i>", "\\input", "^^5c", "--", "``"])


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(alphabet, min_size=1, max_size=300).map("".join))
def test_fuzz_whole_pipeline_never_a_traceback(tmp_path, body):
    result = process(write_source(tmp_path, body))
    assert not [d for d in result.diagnostics if d.code.startswith("X")], [d.format() for d in result.diagnostics]
    if result.root is None:
        assert result.diagnostics and all(d.line >= 1 and d.col >= 1 for d in result.diagnostics)
        return
    outputs = render_outputs(result.root, result.id)
    assert set(outputs) == {f"{k}/doc.{s}" for k, s in (("xml", "xml"), ("latex", "tex"), ("text", "txt"),
                                                        ("json", "json"), ("html", "html"))}
    assert_inert_html(outputs["html/doc.html"].decode())


latin = st.sampled_from(list("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?'\"()-"
                             "[]*_{}\\$%#&^~|<>@/") + ["\n\n", " Moscow ", " Stalin ", " [Handwritten] ",
                                                        " 5 October 1950 ", "éàüñç"])


@pytest.mark.tex
@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(st.lists(latin, min_size=20, max_size=200).map("".join))
def test_generated_text_compiles_and_reads_back(tmp_path, body):
    require_tex("pdflatex")
    if not re.search(r"[A-Za-z]", body):
        return
    result = process(write_source(tmp_path, body, name="gen"))
    if result.failed:
        return
    outputs = render_outputs(result.root, result.id)
    tex = tmp_path / "gen.tex"
    tex.write_bytes(outputs["latex/gen.tex"])
    completed = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                                tex.name], cwd=tmp_path, capture_output=True, text=True, errors="replace", timeout=300)
    assert completed.returncode == 0, tex.with_suffix(".log").read_text(errors="replace")[-2000:]
    reading = outputs["text/gen.txt"].decode()
    body_text = re.sub(r"\[\d+\]", "", reading.split("\n\nNotes\n")[0])
    # every word comes back: pdftotext's order of degenerate layouts is not the text's, and TeX
    # hyphenates, so each word is looked for in the PDF's letters run together; a token of 30
    # or more characters may be broken over lines (the writer allows it), so its letters are
    # counted instead
    pdf_letters = "".join(pdf_words(tex.with_suffix(".pdf")))
    reading_words = words(body_text)
    for word in set(reading_words):
        if len(word) < 30:
            assert word in pdf_letters, word
    missing = Counter("".join(reading_words)) - Counter(pdf_letters)
    assert not missing, missing
    for leftover in tmp_path.glob("gen.*"):
        leftover.unlink()
