"""The registry of findings and the per-file reporter: one definition per code, the cap per
file and code, de-duplication, and findings located in the file a person edits."""

import pytest

from conftest import write_source
from pipeline.diagnostics import Report, Severity
from pipeline.findings import REGISTRY, Reporter, capped, make
from pipeline.normalize import normalize
from pipeline.read import read_source

CAP = 50


def test_make_fills_message_and_hint_from_the_registry():
    d = make("P320", "doc.txt", 3, 9, date="31 February 1950")
    assert (d.code, d.severity, d.line, d.col) == ("P320", Severity.WARNING, 3, 9)
    assert d.message == "the date '31 February 1950' does not exist"
    assert d.hint == REGISTRY["P320"].hint
    unopened = make("P303", "doc.txt", 1, 1, case="unopened")
    assert unopened.message.startswith("closing bracket ']'") and unopened.hint.startswith("add the missing '['")


def test_an_unknown_code_is_refused():
    with pytest.raises(KeyError):
        make("Z999", "doc.txt", 1, 1)


def test_reporter_locates_offsets_and_drops_duplicates():
    report = Reporter("doc.txt", lambda offset: (offset // 10 + 1, offset % 10 + 1), cap=CAP)
    report.at(23, "P303")
    report.at(23, "P303")
    report.at_line(1, 1, "P305")
    assert [(d.code, d.line, d.col) for d in report.diagnostics()] == [("P303", 3, 4), ("P305", 1, 1)]


def test_reporter_caps_each_code_and_says_how_many_more():
    report = Reporter("doc.txt", lambda offset: (offset + 1, 1), cap=3)
    for offset in range(10):
        report.at(offset, "N230", token=f"x{offset}")
    report.at(0, "P304", content="y")
    found = report.diagnostics()
    assert [(d.code, d.line) for d in found] == [("N230", 1), ("N230", 2), ("N230", 3), ("P304", 1), ("N230", 4)]
    assert found[-1].message == "and 7 more N230 findings in this file not shown"
    assert found[-1].omitted == 7 and found[-1].severity == Severity.WARNING and found[-1].hint is None
    summary = Report()
    summary.extend(found)
    assert summary.count(Severity.WARNING) == 11  # every finding counts, shown or not


def test_capping_again_keeps_the_count():
    report = Reporter("doc.txt", lambda offset: (offset + 1, 1), cap=3)
    for offset in range(10):
        report.at(offset, "N230", token=f"x{offset}")
    once = report.diagnostics()
    assert capped(once, cap=3) == once
    assert capped(once, cap=2)[-1].message == "and 8 more N230 findings in this file not shown"


def test_the_cap_counts_per_file():
    found = [make("N230", path, line, 1, token="x") for path in ("a.txt", "b.txt") for line in range(1, 5)]
    assert [d.path for d in capped(found, cap=4)] == ["a.txt"] * 4 + ["b.txt"] * 4


def test_200_near_misses_give_50_findings_and_one_line(tmp_path, run):
    """A register name misspelt 200 times: at most 50 N212 findings, then one line for the rest,
    from normalize alone and from the whole pipeline."""
    text = "The report of Molotav arrived.\n" * 200
    source, _ = read_source(write_source(tmp_path, text))
    _, found = normalize(source.body, source=source)
    n212 = [d for d in found if d.code == "N212"]
    assert len(n212) == CAP + 1
    assert [(d.line, d.col) for d in n212[:CAP]] == [(line, 15) for line in range(1, CAP + 1)]
    assert n212[-1].format() == f"{source.path}:51:15: N212 and 150 more N212 findings in this file not shown"
    result = run(text, name="many")
    n212 = [d for d in result.diagnostics if d.code == "N212"]
    assert len(n212) == CAP + 1 and n212[-1].message == "and 150 more N212 findings in this file not shown"
    assert not result.failed


def test_the_cap_holds_for_the_parser_too(run):
    result = run("two hundred [tons/of] fuel\n" * 80)
    p304 = [d for d in result.diagnostics if d.code == "P304"]
    assert len(p304) == CAP + 1
    assert p304[-1].message == "and 30 more P304 findings in this file not shown"
