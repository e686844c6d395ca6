"""Stage 4, encode: the TEI keeps the received text, shows each fix, and restores exactly."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.restore import received_text
from pipeline.tei import NS, serialize
from conftest import SAMPLE

from lxml import etree


def test_ocr_fixes_stand_beside_the_received_forms(sample):
    root = sample.root
    choices = root.findall(".//t:body//t:choice[t:sic][t:corr]", NS)
    pairs = {("".join(c.find("t:sic", NS).itertext()), "".join(c.find("t:corr", NS).itertext()),
              c.find("t:corr", NS).get("ana")) for c in choices}
    assert ("II", "Il", "#rule.OCR-II-IL") in pairs
    assert ("Bulganiin", "Bulganin", "#rule.REGISTER-FUZZY") in pairs
    assert ("8", "7", None) in pairs
    kim = root.find(".//t:body//t:persName[@ref='#kim-il-sung']", NS)
    assert "".join(kim.itertext()) == "Kim IIIl Sung"  # sic then corr, both kept


def test_every_change_is_in_the_header(sample):
    changes = sample.root.findall(".//t:revisionDesc/t:listChange/t:change", NS)
    rules = [c.get("ana") for c in changes if c.get("ana")]
    assert "#rule.FURNITURE-WEB" in rules and "#rule.LAYOUT-OPEN-PARENTHESIS" in rules
    assert [c.get("type") for c in changes].count("repair") == 1
    for change in changes:
        target = change.get("target")
        assert sample.root.find(f".//*[@{{http://www.w3.org/XML/1998/namespace}}id='{target[1:]}']") is not None


def test_correspondence_metadata(sample):
    descs = sample.root.findall(".//t:correspDesc", NS)
    assert len(descs) == 2
    sent = [d.find("t:correspAction[@type='sent']", NS) for d in descs]
    assert [s.find("t:persName", NS).get("ref") for s in sent] == ["#stalin", "#stalin"]
    assert [s.find("t:date", NS).get("when") for s in sent] == ["1950-10-05", "1950-10-04"]
    received = [d.find("t:correspAction[@type='received']/t:persName", NS).get("ref") for d in descs]
    assert received == ["#mao-zedong", "#mao-zedong"]


def test_used_register_entries_are_in_standoff(sample):
    ids = {p.get("{http://www.w3.org/XML/1998/namespace}id") for p in sample.root.findall(".//t:standOff//t:person", NS)}
    assert {"stalin", "mao-zedong", "kim-il-sung", "zhou-enlai", "lin-biao", "bulganin", "chiang-kai-shek",
            "weathersby", "mansourov"} <= ids


def test_restore_is_exact_for_the_sample(sample):
    restored = received_text(etree.fromstring(serialize(sample.root)))
    assert restored.encode("utf-8") == SAMPLE.read_bytes()


text_strategy = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff",
                           max_codepoint=0x2FFFF).filter(
        lambda c: c in "\t\n\r" or not (ord(c) < 32 or ord(c) == 127)),
    min_size=1, max_size=400)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(text_strategy, st.lists(st.sampled_from(
    ["[", "]", "*", "_", "<i>", "</i>", "Kim II Sung", "Bulganiin", "\n\n", "\r\n", " ", "(", "8[7]",
     "[...]", "Respectfully", "5 October 1950", "\u0301", "&amp;", "see down"]), max_size=40).map("".join)))
def test_restore_is_exact_for_any_text(run, body):
    if not body.strip():
        return
    result = run(body)
    if result.root is None:
        assert result.diagnostics
        return
    restored = received_text(etree.fromstring(serialize(result.root)))
    assert restored == body


def test_a_register_entry_in_the_standoff_is_written_as_markup_writes_it_and_kept_by_identity():
    """``_entry_markup`` (made once per entry) is what ``Markup`` writes for the entry's item and
    names; another entry of the same id (another register) gets its own."""
    from pipeline.encode import _entry_markup
    from pipeline.registers import Entry
    from pipeline.tei import Markup

    def written(entry) -> str:
        out = Markup(level=1)
        out.start("listPerson")
        out.start("person", {"xml_id": entry.id})
        out.element(entry.element, entry.name, {"type": "main"})
        if entry.index:
            out.element(entry.element, entry.index, {"type": "sort"})
        for variant in entry.variants:
            out.element(entry.element, variant, {"type": "variant"})
        out.end("person")
        out.end("listPerson")
        return "".join(out.parts)

    first = Entry("lin-biao", "person", "Lin Biao", ("Lin Piao", "L & B"), index="Lin, Biao")
    other = Entry("lin-biao", "person", "Lin <Biao>")
    for entry, count in ((first, 5), (other, 2), (first, 5)):
        markup, elements = _entry_markup(entry, "person", "&#10;" + "  " * 2)
        assert elements == count
        assert written(entry) == f"<listPerson>{markup}&#10;  </listPerson>"
