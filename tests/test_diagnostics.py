"""The catalogue in docs/diagnostics.md: every code's example triggers it, at its line and column."""

import ast
import re
from pathlib import Path

import pytest

from conftest import ROOT
from pipeline.build import process
from pipeline.registers import load_register
from pipeline.rules import load_rules

CATALOGUE = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
SECTION = re.compile(r"^### (?P<code>[A-Z]\d{3}) .*?(?=^### |^## |\Z)", re.S | re.M)
EXAMPLE = re.compile(r"Example `(?P<file>[^`]+)` found at (?P<line>\d+):(?P<col>\d+)")
BLOCK = re.compile(r"```(?P<kind>\w+)\n(?P<body>.*?)```", re.S)
SECTIONS = {m.group("code"): m.group(0) for m in SECTION.finditer(CATALOGUE)}


def emitted_codes() -> set[str]:
    found = set()
    for path in (ROOT / "pipeline").rglob("*.py"):
        found |= set(re.findall(r'"([RNPVDX]\d{3})"', path.read_text()))
    return found


def test_every_code_the_pipeline_emits_is_in_the_catalogue():
    documented = set(SECTIONS) | set(re.findall(r"`([A-Z]\d{3})`", CATALOGUE))
    assert emitted_codes() <= documented


def materialize(folder: Path, section: str) -> tuple[Path, str]:
    example = EXAMPLE.search(section)
    target = folder / example.group("file")
    stem = target.name.split(".")[0]
    for block in BLOCK.finditer(section):
        kind, body = block.group("kind"), block.group("body")
        if kind == "dir":
            target.mkdir()
        elif kind == "txt":
            (folder / f"{stem}.txt").write_text(body, encoding="utf-8")
        elif kind == "bytes":
            (folder / f"{stem}.txt").write_bytes(ast.literal_eval("b'" + body.strip() + "'"))
        elif kind == "meta":
            (folder / f"{stem}.meta.toml").write_text(body, encoding="utf-8")
            if not (folder / f"{stem}.txt").exists():
                (folder / f"{stem}.txt").write_text("Some text.\n", encoding="utf-8")
        elif kind == "review":
            (folder / f"{stem}.review.toml").write_text(body, encoding="utf-8")
            if not (folder / f"{stem}.txt").exists():
                (folder / f"{stem}.txt").write_text("Some text.\n", encoding="utf-8")
        elif kind == "xml":
            (folder / f"{stem}.xml").write_text(body, encoding="utf-8")
        elif kind == "python":
            target.write_bytes(eval(body, {}))  # the catalogue's own generator expression
        elif kind in ("rules", "registers"):
            target.write_text(body, encoding="utf-8")
    return target, kind


@pytest.mark.parametrize("code", sorted(SECTIONS))
def test_catalogue_example_triggers_its_code(code, tmp_path, capsys):
    section = SECTIONS[code]
    example = EXAMPLE.search(section)
    assert example, f"{code} has no example"
    assert "Fix:" in section, f"{code} has no fix"
    target, kind = materialize(tmp_path, section)
    line, col = int(example.group("line")), int(example.group("col"))
    if kind == "rules":
        found = load_rules(target)[1]
    elif kind == "registers":
        found = load_register(target)[1]
    elif code == "R115":
        (tmp_path / "doc.txt").write_text("Some text.\n", encoding="utf-8")
        from pipeline.build import duplicate_ids, find_sources

        found = duplicate_ids(find_sources([tmp_path]))
    else:
        source = target if target.suffix in (".txt", ".xml") else target.with_name(target.name.split(".")[0] + ".txt")
        found = process(source).diagnostics
    hits = [(d.path, d.line, d.col) for d in found if d.code == code]
    assert (str(target), line, col) in hits, [d.format() for d in found]
