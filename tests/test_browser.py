"""The web edition in a real browser: Debian's chromium, driven by Playwright for Python.

Playwright's own browser download is not used: the tests launch the system's chromium
(``executable_path``) and skip, saying why, where it or Playwright is missing (.ci/run installs
both). Every page is opened from file://, as a reader opens the committed outputs; every request
a page makes is recorded and must stay inside the built outputs folder, and no page may print
a console message (a blocked script or a Content-Security-Policy violation would).

Screenshots of the sample's page in both modes go to DISPATCH_SCREENSHOTS (a folder), or to a
temporary folder whose path the test prints.
"""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import SAMPLE, write_source
from pipeline.commands import run_build
from test_security import HOSTILE_BODY, HOSTILE_META, HOSTILE_TEXTS

pytestmark = pytest.mark.browser

PAGE = "stalin-mao-1950-10.html"


def reading_radio(page):
    return page.get_by_role("radio", name=re.compile("^Reading text"))


def diplomatic_radio(page):
    return page.get_by_role("radio", name=re.compile("^Diplomatic text"))


def chromium_path() -> str | None:
    for candidate in (os.environ.get("DISPATCH_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed (pip install -e '.[dev]', which make does)")
    path = chromium_path()
    if path is None:
        pytest.skip("chromium is not installed (Debian package chromium; .ci/run installs it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path)
        yield launched
        launched.close()


def build_site(sources: Path, outputs: Path) -> Path:
    assert run_build(sources, outputs, jobs=1, quiet=True) == 0
    return outputs


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """The sample built into a folder of its own: xml/, json/, text/, latex/ and html/."""
    sources = tmp_path_factory.mktemp("sources")
    for path in SAMPLE.parent.glob(SAMPLE.stem + ".*"):
        shutil.copy(path, sources / path.name)
    return build_site(sources, tmp_path_factory.mktemp("outputs"))


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    folder = Path(os.environ["DISPATCH_SCREENSHOTS"]) if os.environ.get("DISPATCH_SCREENSHOTS") else \
        tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Watched:
    """A page whose requests, console messages, errors and dialogs are recorded."""

    def __init__(self, browser, outputs: Path):
        self.outputs = outputs
        self.context = browser.new_context(viewport={"width": 1100, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.requests: list[str] = []
        self.messages: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: self.messages.append(f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.messages.append(f"pageerror: {error}"))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, relative: str):
        self.page.goto(self.url(relative))
        self.page.wait_for_load_state("load")
        return self.page

    def url(self, relative: str) -> str:
        return (self.outputs / "html").as_uri() + "/" + relative

    def assert_clean(self):
        """No console message, no error, no dialog, and every request inside the outputs."""
        assert not self.messages, self.messages
        assert not self.dialogs, self.dialogs
        allowed = [(self.outputs / folder).as_uri() + "/" for folder in ("html", "xml", "json", "text", "pdf")]
        outside = [url for url in self.requests if not any(url.startswith(prefix) for prefix in allowed)]
        assert not outside, outside
        assert self.requests

    def close(self):
        self.context.close()


@pytest.fixture
def watched(browser, outputs):
    opened = Watched(browser, outputs)
    yield opened
    opened.close()


def visible_text(page, selector: str) -> str:
    return page.locator(selector).inner_text()


# -- the document page ------------------------------------------------------------------------

def test_switch_shows_the_diplomatic_text(watched, screenshots):
    page = watched.open(PAGE + "#d2")
    deletion = page.locator("#d2-p2 del.ed-deletion").first
    insertion = page.locator("#d2-p2 ins.ed-insertion").first
    assert "sending to Korea a" not in visible_text(page, "#d2-p2")
    assert "question of minimum five-to-six" in visible_text(page, "#d2-p2")
    assert deletion.is_hidden()
    assert insertion.evaluate("e => getComputedStyle(e).fontStyle") == "normal"
    assert reading_radio(page).is_checked()
    page.screenshot(path=str(screenshots / "sample-reading.png"))
    diplomatic_radio(page).check()
    assert deletion.is_visible()
    assert "sending to Korea a" in visible_text(page, "#d2-p2")
    assert "line-through" in deletion.evaluate("e => getComputedStyle(e).textDecorationLine")
    assert insertion.evaluate("e => getComputedStyle(e).fontStyle") == "italic"
    assert "\u27e8DRAFT CIPHERED TELEGRAM\u27e9" in visible_text(page, "#d2")
    assert "{8\u21927} October 1950" in visible_text(page, "#d1-headnote1")
    page.screenshot(path=str(screenshots / "sample-diplomatic.png"))
    reading_radio(page).check()
    assert deletion.is_hidden()
    print(f"screenshots in {screenshots}")
    watched.assert_clean()


TOP_WORD = """() => {
    // the word at the top left of the text, below the sticky switch, kept as a live Range
    const bar = document.querySelector('.ed-mode-bar').getBoundingClientRect().bottom;
    const left = document.querySelector('.ed-edition').getBoundingClientRect().left + 4;
    for (let y = bar + 2; y < bar + 120; y += 6) {  // the first whole line below the switch
        const range = document.caretRangeFromPoint(left, y);
        range.expand('word');
        const top = range.getBoundingClientRect().top;
        if (top >= bar - 1 && range.toString().trim()) {
            window.readersWord = range;
            return [range.toString(), top, !!range.startContainer.parentElement.closest('.d, .r')];
        }
    }
}"""
WORD_NOW = "() => window.readersWord.getBoundingClientRect().top"


@pytest.mark.parametrize("block, offset", [("d2-p5", 0), ("d2-p4", 150), ("d2-p7", 60), ("d2-p2", 20)])
def test_switch_keeps_the_readers_place_and_works_with_the_keyboard(watched, block, offset):
    """The words at the top of the window stay where they are when the text changes around them."""
    page = watched.open(PAGE)
    page.evaluate(f"""() => {{
        const bar = document.querySelector('.ed-mode-bar').getBoundingClientRect().height;
        window.scrollTo(0, document.getElementById('{block}').getBoundingClientRect().top + window.scrollY
                           - bar - 8 + {offset});
    }}""")
    word, top, one_mode_only = page.evaluate(TOP_WORD)
    assert word.strip() and not one_mode_only
    reading_radio(page).focus()
    page.keyboard.press("ArrowDown")  # a radio group: the arrow keys choose
    assert diplomatic_radio(page).is_checked()
    assert page.evaluate("document.body.className").endswith("mode-diplomatic")
    assert page.locator("#d2 del.ed-deletion").first.is_visible()
    assert page.evaluate(WORD_NOW) == pytest.approx(top, abs=2)
    page.keyboard.press("ArrowUp")
    assert reading_radio(page).is_checked()
    assert page.evaluate(WORD_NOW) == pytest.approx(top, abs=2)
    watched.assert_clean()


def test_footnote_opens_in_place_with_the_keyboard(watched):
    page = watched.open(PAGE)
    marker = page.locator("#d2-nr1")
    assert marker.get_attribute("aria-expanded") == "false"
    marker.focus()
    page.keyboard.press("Enter")
    popup = page.locator("#d2-p2 .ed-fn-popup")
    assert popup.is_visible()
    assert "platz-d'arme" in popup.inner_text()
    assert marker.get_attribute("aria-expanded") == "true"
    assert page.evaluate("location.hash") == ""  # opened in place, not followed
    page.keyboard.press("Enter")
    assert popup.count() == 0 and marker.get_attribute("aria-expanded") == "false"
    # it is also a numbered footnote after the document
    assert "platz-d'arme (translator's note)" in visible_text(page, "#d2-n1")
    watched.assert_clean()


def test_permalink_and_links_to_the_other_formats(watched):
    page = watched.open(PAGE)
    page.locator("#d2-p7 .ed-permalink").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#d2-p7"
    for name, href in (("TEI", "../xml/stalin-mao-1950-10.xml"), ("JSON", "../json/stalin-mao-1950-10.json"),
                       ("Plain text", "../text/stalin-mao-1950-10.txt"), ("PDF", "../pdf/stalin-mao-1950-10.pdf")):
        assert page.get_by_role("link", name=name, exact=True).get_attribute("href") == href
    for folder in ("xml", "json", "text"):
        assert (watched.outputs / folder).is_dir()
    watched.assert_clean()


# -- search and the indexes --------------------------------------------------------------------

def test_search_finds_a_word_of_the_draft_and_leads_to_its_paragraph(watched):
    page = watched.open("index.html")
    page.get_by_role("searchbox", name="Search the texts").fill("predicament")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"search\.html\?q=predicament$"))
    assert "1 paragraph found" in page.locator("#search-status").inner_text()
    result = page.locator("#search-results a").first
    assert result.get_attribute("href") == "stalin-mao-1950-10.html?q=predicament#d2-p7"
    result.click()
    page.wait_for_url(re.compile(r"stalin-mao-1950-10\.html\?q=predicament#d2-p7$"))
    assert "Your predicament" in visible_text(page, "#d2-p7")
    assert page.locator("#d2-p7 mark").all_inner_texts() == ["predicament"]
    assert page.evaluate("document.querySelector(':target').id") == "d2-p7"
    watched.assert_clean()


def test_search_finds_a_deleted_word_in_the_diplomatic_text(watched):
    page = watched.open("search.html")
    page.get_by_role("searchbox", name="Words to find").fill("excluded unlikely")
    page.get_by_role("button", name="Search").click()
    result = page.locator("#search-results a").first
    assert result.get_attribute("href") == "stalin-mao-1950-10.html?mode=diplomatic&q=excluded%20unlikely#d2-p5"
    assert "diplomatic text" in page.locator("#search-results li").first.inner_text()
    result.click()
    page.wait_for_url(re.compile(r"#d2-p5$"))
    assert diplomatic_radio(page).is_checked()
    assert "It is not excluded, although unlikely" in visible_text(page, "#d2-p5")
    assert page.locator("#d2-p5 mark").all_inner_texts() == ["excluded", "unlikely"]
    watched.assert_clean()


def test_an_index_entry_leads_to_the_document(watched):
    page = watched.open("persons.html")
    entry = page.locator("#chiang-kai-shek")
    assert "Chiang Kai-shek" in entry.locator("h2").inner_text()
    entry.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"stalin-mao-1950-10\.html#d2$"))
    assert "Jiang Jieshi" in visible_text(page, "#d2")
    # a person in the text leads to the entry
    page.locator("#d2-p4 a.ed-person").first.click()
    page.wait_for_url(re.compile(r"persons\.html#chiang-kai-shek$"))
    page = watched.open("places.html")
    page.locator("#korea").get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"stalin-mao-1950-10\.html#d\d$"))
    watched.assert_clean()


def test_index_filters_by_person_and_year(watched):
    page = watched.open("index.html")
    rows = page.locator("table.documents tbody tr")
    assert rows.count() == 2 and rows.first.inner_text().startswith("4 October 1950")
    page.get_by_label("Person").select_option("bulganin")
    assert page.locator("table.documents tbody tr:visible").count() == 1
    assert "1 of 2 documents shown" in page.locator("#filter-status").inner_text()
    page.get_by_label("Person").select_option("")
    page.get_by_label("Year").select_option("1950")
    assert page.locator("table.documents tbody tr:visible").count() == 2
    page.locator("table.documents tbody tr a", has_text="Draft Message").click()
    page.wait_for_url(re.compile(r"stalin-mao-1950-10\.html#d2$"))
    watched.assert_clean()


def test_every_page_loads_cleanly(watched):
    for name in ("index.html", "persons.html", "places.html", "search.html", "search.html?q=korea", PAGE):
        page = watched.open(name)
        assert page.title()
        assert page.evaluate("document.documentElement.lang") == "en"
    watched.assert_clean()


# -- accessibility -----------------------------------------------------------------------------

def axe_source() -> str:
    try:
        import axe_playwright_python
    except ImportError:
        pytest.skip("axe-playwright-python (which ships axe-core) is not installed (pip install -e '.[dev]')")
    path = Path(axe_playwright_python.__file__).parent / "axe.min.js"
    if not path.exists():
        pytest.skip("axe.min.js is not in the axe-playwright-python package")
    return path.read_text(encoding="utf-8")


def axe_violations(page, source: str) -> list[dict]:
    # evaluated, not added as a <script>: the pages' policy forbids inline scripts
    page.evaluate(source)
    result = page.evaluate("async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))")
    return json.loads(result)["violations"]


@pytest.mark.parametrize("name, mode", [("index.html", None), (PAGE, "reading"), (PAGE, "diplomatic"),
                                        ("persons.html", None), ("places.html", None), ("search.html?q=korea", None)])
def test_axe_finds_no_serious_violation(watched, name, mode):
    source = axe_source()
    page = watched.open(name)
    if mode == "diplomatic":
        diplomatic_radio(page).check()
    violations = axe_violations(page, source)
    for violation in violations:
        print(f"{name} ({mode}): {violation['impact']} {violation['id']}: {violation['help']} "
              f"({len(violation['nodes'])} nodes)")
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
               if v["impact"] in ("serious", "critical")]
    assert not serious, serious


def test_print_stylesheet_hides_the_controls(watched):
    page = watched.open(PAGE)
    page.emulate_media(media="print")
    assert page.locator(".ed-mode-bar").is_hidden() and page.locator(".site-header").is_hidden()
    assert page.locator("#d2-p2").is_visible() and page.locator("#d2-n1").is_visible()
    assert page.locator(".ed-permalink").first.is_hidden()
    pdf = page.pdf()  # the browser's own print: the page prints
    assert pdf.startswith(b"%PDF")
    watched.assert_clean()


# -- hostile input -----------------------------------------------------------------------------

def test_hostile_source_shows_as_text_and_runs_nothing(browser, tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    write_source(sources, HOSTILE_BODY, name="attack", meta=HOSTILE_META)
    outputs = build_site(sources, tmp_path / "outputs")
    opened = Watched(browser, outputs)
    try:
        page = opened.open("attack.html")
        shown = page.locator("body").inner_text()
        for text in HOSTILE_TEXTS:
            assert text in shown, text
        assert "49" not in shown
        assert page.evaluate("Array.from(document.scripts).map(s => s.getAttribute('src'))") == ["dispatch.js"]
        assert page.evaluate("document.querySelectorAll('img, iframe, svg, object, embed').length") == 0
        diplomatic_radio(page).check()
        for link in page.locator("a").all():
            assert not (link.get_attribute("href") or "").lower().startswith("javascript:")
        for name in ("index.html", "persons.html", "places.html", "search.html?q=alert+script", "search.html?q=img"):
            page = opened.open(name)
            assert page.evaluate("document.querySelectorAll('img, iframe, svg').length") == 0
        assert "<script>alert(\"body\")</script>" in page.locator("#search-results").inner_text() or \
            "onerror=alert('img')" in page.locator("#search-results").inner_text()
        opened.page.wait_for_timeout(300)  # an onerror or a late script would have had its chance
        opened.assert_clean()
    finally:
        opened.close()
