"""The catalogue in docs/diagnostics.md agrees with the registry of findings, and every code's
example triggers it, at its line and column."""

import ast
import re
import string
from pathlib import Path

import pytest

from conftest import ROOT
from pipeline.stages import process
from pipeline.conventions import load_conventions
from pipeline.findings import REGISTRY
from pipeline.normalize import load_furniture
from pipeline.registers import load_register
from pipeline.rules import load_rules

CATALOGUE = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
CHAPTER = re.compile(r"^## (?P<title>.*?)\n(?P<body>.*?)(?=^## |\Z)", re.S | re.M)
SECTION = re.compile(r"^### (?P<code>[A-Z]\d{3}) (?P<title>[^\n]*) \((?P<severity>\w+)\)\n.*?(?=^### |^## |\Z)",
                     re.S | re.M)
EXAMPLE = re.compile(r"Example `(?P<file>[^`]+)` found at (?P<line>\d+):(?P<col>\d+)")
BLOCK = re.compile(r"```(?P<kind>\w+)\n(?P<body>.*?)```", re.S)
SECTIONS = {m.group("code"): m for m in SECTION.finditer(CATALOGUE)}
INTERNAL = {m.group("code") for c in CHAPTER.finditer(CATALOGUE) if c.group("title") == "Internal"
            for m in SECTION.finditer(c.group("body"))}
EXAMPLES = sorted(set(SECTIONS) - INTERNAL)
LOADERS = {"rules.toml": load_rules, "registers.toml": load_register, "conventions.toml": load_conventions,
           "furniture.toml": load_furniture}


def codes_in_the_source() -> dict[str, str]:
    """Every string constant of the package that is a finding code, with a file using it."""
    found = {}
    for path in sorted((ROOT / "pipeline").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(
                    r"[RNPVCDX]\d{3}", node.value):
                found.setdefault(node.value, path.name)
    return found


def test_every_registry_code_is_documented_with_its_title_and_severity():
    for code, entry in REGISTRY.items():
        assert code in SECTIONS, f"{code} is not in docs/diagnostics.md"
        section = SECTIONS[code]
        assert (section.group("title"), section.group("severity")) == (entry.title, str(entry.severity)), code


def test_every_documented_code_is_in_the_registry():
    mentioned = set(SECTIONS) | set(re.findall(r"`([RNPVCDX]\d{3})`", CATALOGUE))
    assert mentioned <= set(REGISTRY), mentioned - set(REGISTRY)


def test_no_code_in_the_source_is_missing_from_the_registry():
    unknown = {code: where for code, where in codes_in_the_source().items() if code not in REGISTRY}
    assert not unknown


def test_registry_templates_are_well_formed():
    for entry in REGISTRY.values():
        texts = [entry.message, entry.hint] + [t for case in entry.cases.values() for t in case]
        for text in filter(None, texts):
            list(string.Formatter().parse(text))  # raises on a stray brace


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
        elif kind in ("rules", "registers", "conventions"):
            target.write_text(body, encoding="utf-8")
        elif kind == "collate":
            return target, body.split()
    return target, kind


def test_internal_codes_have_a_fix():
    for code in INTERNAL:
        assert "Fix:" in SECTIONS[code].group(0), code


@pytest.mark.parametrize("code", EXAMPLES)
def test_catalogue_example_triggers_its_code(code, tmp_path, capsys):
    section = SECTIONS[code].group(0)
    example = EXAMPLE.search(section)
    assert example, f"{code} has no example"
    assert "Fix:" in section, f"{code} has no fix"
    target, kind = materialize(tmp_path, section)
    line, col = int(example.group("line")), int(example.group("col"))
    if isinstance(kind, list):  # the witnesses given to dispatch collate, beside the example
        from pipeline.collate.sources import load

        found = load([str(tmp_path / argument) for argument in kind])[1]
    elif target.name in LOADERS:
        found = LOADERS[target.name](target)[1]
    elif code == "R115":
        (tmp_path / "doc.txt").write_text("Some text.\n", encoding="utf-8")
        from pipeline.stages import duplicate_ids, find_sources

        found = duplicate_ids(find_sources([tmp_path]))
    else:
        source = target if target.suffix in (".txt", ".xml") else target.with_name(target.name.split(".")[0] + ".txt")
        found = process(source).diagnostics
    hits = [(d.path, d.line, d.col) for d in found if d.code == code]
    assert (str(target), line, col) in hits, [d.format() for d in found]
