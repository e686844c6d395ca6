"""Stage 1, read: encodings, sidecars and ids become located findings, never tracebacks."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SAMPLE, codes, write_source
from pipeline.read import read_source


def test_sample_body_is_kept_byte_for_byte():
    source, found = read_source(SAMPLE)
    assert source is not None
    assert source.body.encode("utf-8") == SAMPLE.read_bytes()
    assert not [d for d in found if d.severity >= 2]
    assert source.metadata.declared and len(source.metadata.documents) == 2
    assert source.metadata.translators == ["Kathryn Weathersby", "Alexandre Mansourov"]


def test_line_and_column_of_offsets():
    source, _ = read_source(SAMPLE)
    offset = source.body.index("Bulganiin")
    assert source.position(offset) == (19, 34)
    assert source.position(0) == (1, 1)


def test_empty_file(tmp_path):
    source, found = read_source(write_source(tmp_path, b""))
    assert source is None and [d.code for d in found] == ["R105"]


def test_not_utf8_is_located(tmp_path):
    source, found = read_source(write_source(tmp_path, b"line one\nabc \xe9t\xe9\n"))
    assert source is None
    assert (found[0].code, found[0].line, found[0].col) == ("R101", 2, 5)


def test_nul_byte_is_located(tmp_path):
    source, found = read_source(write_source(tmp_path, b"Text\nab\x00c"))
    assert source is None and (found[0].code, found[0].line, found[0].col) == ("R104", 2, 3)


def test_binary_file(tmp_path):
    source, found = read_source(write_source(tmp_path, bytes(range(256)) * 4))
    assert source is None and found[0].code == "R106"


def test_bom_mixed_endings_and_control_characters(tmp_path):
    _, found = read_source(write_source(tmp_path, "\ufeffOne\r\nTwo\nThree"))
    assert {"R102", "R103"} <= {d.code for d in found}
    source, found = read_source(write_source(tmp_path, "One\nTw\x07o", name="bell"))
    assert source is None and (found[0].code, found[0].line, found[0].col) == ("R104", 2, 3)


def test_bad_sidecar_is_located(tmp_path):
    path = write_source(tmp_path, "Some text.", meta='title = "x"\ndate = \n')
    source, found = read_source(path)
    assert source is None
    assert found[0].code == "R110" and found[0].path.endswith(".meta.toml") and found[0].line == 2


def test_unknown_key_and_wrong_type(tmp_path):
    path = write_source(tmp_path, "Some text.", meta='title = "x"\ncolour = "red"\ntranslators = "A"\n')
    source, found = read_source(path)
    assert ("R112", 2) in [(d.code, d.line) for d in found]
    assert ("R110", 3) in [(d.code, d.line) for d in found]


def test_id_must_match_file_name(tmp_path):
    path = write_source(tmp_path, "Some text.", meta='id = "other"\n')
    _, found = read_source(path)
    assert [d.code for d in found] == ["R113"]


def test_unusable_id(tmp_path):
    path = write_source(tmp_path, "Some text.", name="Bad Name")
    source, found = read_source(path)
    assert source is None and found[0].code == "R114"


def test_source_without_metadata_builds_with_warnings(run):
    result = run("Letter from Molotov to Stalin, 3 June 1951\n\nWe agree with your proposal.\n\nMOLOTOV\n")
    assert not result.failed
    assert "R111" not in codes(result)
    info = result.root.find(".//{http://www.tei-c.org/ns/1.0}correspDesc")
    assert info is not None
    result = run("Some pasted text without a title or date, ending with a full stop.\n", name="bare")
    assert not result.failed
    assert "P311" in codes(result)


def test_bad_sidecar_convention_is_located_in_the_sidecar(tmp_path, run):
    meta = ('title = "x"\n\n[[documents]]\ntitle = "Letter"\n'
            'conventions = ["italics=add", "italics=bogus"]\n\n'
            '[[documents]]\ntitle = "Reply"\nconventions = ["brackets=del"]\n')
    path = write_source(tmp_path, "Letter from A to B, 1 May 1950\n\nText.\n", meta=meta)
    source, found = read_source(path)
    assert source is None
    assert [(d.code, d.path, d.line, d.col) for d in found] == [("R110", str(tmp_path / "doc.meta.toml"), 5, 31)]
    assert found[0].message == "unknown convention 'italics=bogus' in the metadata"
    # through the whole pipeline: reported at the sidecar, not at doc.txt:1:1
    result = run("Letter from A to B, 1 May 1950\n\nText.\n", meta=meta)
    assert result.failed
    assert [(d.path, d.line, d.col) for d in result.diagnostics if d.code == "R110"] == [
        (str(tmp_path / "doc.meta.toml"), 5, 31)]


def test_a_convention_in_the_second_document_is_located_in_its_table(tmp_path):
    meta = ('[[documents]]\nconventions = ["italics=bogus"]\n'
            '[[documents]]\nconventions = ["italics=bogus"]\n')
    _, found = read_source(write_source(tmp_path, "Some text.", meta=meta))
    assert [(d.code, d.line, d.col) for d in found] == [("R110", 2, 16), ("R110", 4, 16)]


def test_a_meaning_the_sign_does_not_have_is_refused(tmp_path):
    _, found = read_source(write_source(tmp_path, "Some text.", meta='[[documents]]\nconventions = ["italics=del"]\n'))
    assert [(d.code, d.line) for d in found] == [("R110", 2)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab.-_ éx"), min_size=1, max_size=12).filter(lambda n: n not in (".", "..")))
def test_a_source_id_is_the_file_name_without_its_suffix_as_pathlib_has_it(name):
    from pipeline.read import source_id

    path = Path("sources") / name
    assert source_id(path) == (path.name[: -len(path.suffix)] if path.suffix else path.name)


def test_the_bytes_left_of_a_text_with_a_control_character_are_never_none():
    """``decode`` searches for a control character only where the raw bytes hold one of those
    its UTF-8 can begin with: a text that holds one always leaves some."""
    import random

    from pipeline.read import _NOT_CONTROL_BYTES, CONTROL

    chance = random.Random(5)
    for _ in range(20_000):
        text = "".join(chance.choice("ab\t\n\r\x00\x01\x1f\x7f\x80\ufeff\ufffe\uffff\u00e9\uf000")
                       for _ in range(chance.randint(0, 8)))
        if CONTROL.search(text):
            assert text.encode("utf-8").translate(None, _NOT_CONTROL_BYTES)
