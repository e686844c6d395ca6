"""The dispatch command, run as a person runs it: exit codes, located findings, outputs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, SAMPLE, write_source


def dispatch(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "pipeline", *map(str, args)], capture_output=True,
                          cwd=cwd or ROOT, env=env, timeout=300)


def copy_sample(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for path in SAMPLE.parent.glob("stalin-mao-1950-10.*"):
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


def test_help_for_every_command():
    top = dispatch("--help")
    assert top.returncode == 0
    for command in ("build", "check", "accept", "review", "normalize", "restore", "emit", "collate"):
        assert command in top.stdout.decode()
        result = dispatch(command, "--help")
        assert result.returncode == 0 and b"Usage" in result.stdout


def published(folder: Path) -> list[Path]:
    """The files a build publishes (its state and temporary files, hidden, aside)."""
    return sorted(p.relative_to(folder) for p in folder.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def test_build_writes_every_output_and_is_deterministic(tmp_path):
    sources = copy_sample(tmp_path / "sources")
    first = dispatch("build", "--sources", sources, "--outputs", tmp_path / "out1", "--jobs", "1")
    assert first.returncode == 0, first.stdout
    assert b"built 1, unchanged 0, failed 0" in first.stdout
    files = published(tmp_path / "out1")
    assert [str(f) for f in files] == [
        *(f"collation/stalin-mao-1950-10.{s}" for s in ("json", "tex", "xml")),
        "html/collation/stalin-mao-1950-10.html", "html/dispatch.css", "html/dispatch.js", "html/index.html",
        "html/persons.html", "html/places.html", "html/search-index.js", "html/search.html", "html/stalin-mao-1950-10.html",
        "json/stalin-mao-1950-10.json", "latex/stalin-mao-1950-10.tex", "text/stalin-mao-1950-10.txt",
        "xml/stalin-mao-1950-10.xml"]
    env = dict(os.environ, PYTHONHASHSEED="12345")
    other = tmp_path / "elsewhere"
    other.mkdir()
    reordered = tmp_path / "reordered"
    reordered.mkdir()
    for path in sorted(sources.iterdir(), reverse=True):  # created in the other order
        (reordered / path.name).write_bytes(path.read_bytes())
    second = dispatch("build", "--sources", reordered, "--outputs", tmp_path / "out2", cwd=other, env=env)
    assert second.returncode == 0
    assert published(tmp_path / "out2") == files
    for relative in files:
        assert (tmp_path / "out1" / relative).read_bytes() == (tmp_path / "out2" / relative).read_bytes()
        assert (tmp_path / "out1" / relative).read_bytes() == (ROOT / "outputs" / relative).read_bytes()
    again = dispatch("build", "--sources", sources, "--outputs", tmp_path / "out1")
    assert b"built 0, unchanged 1, failed 0" in again.stdout


def test_a_failing_document_leaves_the_others_and_its_old_outputs(tmp_path):
    sources = copy_sample(tmp_path / "sources")
    write_source(sources, "Letter from Molotov to Stalin, 3 June 1951\n\nAgreed.\n", name="good")
    outputs = tmp_path / "out"
    assert dispatch("build", "--sources", sources, "--outputs", outputs).returncode == 0
    before = (outputs / "xml" / "good.xml").read_bytes()
    (sources / "good.txt").write_bytes(b"Agreed.\x07\n")
    result = dispatch("build", "--sources", sources, "--outputs", outputs)
    assert result.returncode == 1
    assert b"good.txt:1:8: R104" in result.stdout
    assert b"failed 1" in result.stdout
    assert (outputs / "xml" / "good.xml").read_bytes() == before
    assert (outputs / "xml" / "stalin-mao-1950-10.xml").exists()


def test_a_build_on_two_cores_prints_and_writes_what_one_core_does(tmp_path):
    """The workers take the largest sources first; the findings still print in source order,
    and the outputs, the findings and the summary are those of a build in one process."""
    from conftest import FIXTURES

    sources = copy_sample(tmp_path / "sources")
    for path in sorted(FIXTURES.glob("*.txt"))[:10]:
        (sources / path.name).write_bytes(path.read_bytes())
        sidecar = path.with_name(path.stem + ".meta.toml")
        if sidecar.exists():
            (sources / sidecar.name).write_bytes(sidecar.read_bytes())
    write_source(sources, b"Agreed.\x07\n", name="broken")  # a document that fails
    runs = [dispatch("build", "--sources", sources, "--outputs", tmp_path / f"out{jobs}", "--jobs", jobs)
            for jobs in (1, 2)]
    assert [r.returncode for r in runs] == [1, 1]
    one, two = (r.stdout.decode().rsplit(" (", 1)[0] for r in runs)  # the summary's time aside
    assert one == two and "broken.txt:1:8: R104" in one and ", failed 1, " in one
    assert published(tmp_path / "out1") == published(tmp_path / "out2")
    for relative in published(tmp_path / "out1"):
        assert (tmp_path / "out1" / relative).read_bytes() == (tmp_path / "out2" / relative).read_bytes()


def test_workers_take_the_largest_sources_first_in_smaller_and_smaller_chunks(tmp_path):
    from pipeline.commands import _chunks

    sizes = [(7 * n) % 40 + 2 for n in range(300)]
    for n, size in enumerate(sizes):
        (tmp_path / f"s{n}.txt").write_bytes(b"x" * size * 1000)
    chunks = _chunks([(tmp_path / f"s{n}.txt",) for n in range(300)], 2)
    assert sorted(i for chunk in chunks for i in chunk) == list(range(300))
    handed = [sizes[i] for chunk in chunks for i in chunk]
    assert handed == sorted(sizes, reverse=True)
    lengths = [len(chunk) for chunk in chunks]
    assert lengths == sorted(lengths, reverse=True) and lengths[0] == 8 and lengths[-8:] == [1] * 8


def unaccepted_sample(folder):
    """The sample with its sidecar but without the editors' acceptances of its three warnings."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    meta = SAMPLE.with_name(SAMPLE.stem + ".meta.toml").read_text(encoding="utf-8")
    (folder / (SAMPLE.stem + ".meta.toml")).write_text(meta.split("\n[[accept]]")[0], encoding="utf-8")
    return folder / SAMPLE.name


def test_check_prints_located_findings_and_exit_codes(tmp_path):
    accepted = dispatch("check", "--strict", SAMPLE)
    assert accepted.returncode == 0
    assert accepted.stdout.decode().rstrip().endswith("1 checked: 0 errors, 0 warnings, 3 accepted")
    unaccepted = unaccepted_sample(tmp_path / "sources")
    result = dispatch("check", unaccepted)
    out = result.stdout.decode()
    assert result.returncode == 0
    assert "sources/stalin-mao-1950-10.txt:39:330: P301 " in out
    assert "    hint: " in out and out.rstrip().endswith("1 checked: 0 errors, 3 warnings")
    assert dispatch("check", "--strict", unaccepted).returncode == 1
    bad = write_source(tmp_path, b"\xff\xfe bad bytes")
    result = dispatch("check", bad)
    assert result.returncode == 1 and b"doc.txt:1:1: R101" in result.stdout
    assert dispatch("check", tmp_path / "missing.txt").returncode == 2
    github = dispatch("check", "--format", "github", unaccepted).stdout.decode()
    assert "::warning file=" in github and "line=39,col=330,title=P301::" in github
    findings = json.loads(dispatch("check", "--format", "json", unaccepted).stdout)
    assert {f["code"] for f in findings} == {"N220", "P301", "N230"}


def test_check_writes_nothing(tmp_path):
    sources = copy_sample(tmp_path / "sources")
    before = sorted(p.name for p in sources.iterdir())
    dispatch("check", sources)
    assert sorted(p.name for p in sources.iterdir()) == before


def test_restore_prints_the_received_bytes():
    result = dispatch("restore", ROOT / "outputs" / "xml" / "stalin-mao-1950-10.xml")
    assert result.returncode == 0
    assert result.stdout == SAMPLE.read_bytes()


def test_normalize_lists_changes_for_review():
    result = dispatch("normalize", "sources/stalin-mao-1950-10.txt")
    lines = result.stdout.decode().splitlines()
    assert 'sources/stalin-mao-1950-10.txt:3:79: OCR-II-IL "II" -> "Il"' in lines
    assert 'sources/stalin-mao-1950-10.txt:19:34: REGISTER-FUZZY "Bulganiin" -> "Bulganin"' in lines
    assert len(lines) == 7


def test_emit_reads_only_the_tei():
    xml = ROOT / "outputs" / "xml" / "stalin-mao-1950-10.xml"
    for target, folder, suffix in (("text", "text", ".txt"), ("json", "json", ".json"), ("latex", "latex", ".tex"),
                                   ("html", "html", ".html")):
        result = dispatch("emit", "--to", target, xml)
        assert result.stdout == (ROOT / "outputs" / folder / f"stalin-mao-1950-10{suffix}").read_bytes()
    diplomatic = dispatch("emit", "--to", "text", "--diplomatic", xml)
    assert "\u27e6".encode() in diplomatic.stdout
    assert dispatch("emit", "--to", "json", "--diplomatic", xml).returncode == 2


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02" * 100, b"[[[[***", "\u202e\u0301".encode(),
                                     b"<TEI>", b"]" * 1000])
def test_no_input_makes_a_traceback(tmp_path, content):
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    result = dispatch("check", path)
    assert b"Traceback" not in result.stderr + result.stdout
    assert result.returncode in (0, 1)
    xml = tmp_path / "input.xml"
    xml.write_bytes(content)
    result = dispatch("check", xml)
    assert b"Traceback" not in result.stderr + result.stdout and result.returncode in (0, 1)


def broken_data(tmp_path: Path) -> tuple[dict, str]:
    """A copy of the data files with a typo in conventions.toml, and the environment that points
    the CLI at it (DISPATCH_DATA_DIR); the finding's expected start."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(ROOT / "pipeline" / "data", data)
    conventions = data / "conventions.toml"
    text = conventions.read_text(encoding="utf-8")
    old = 'check = "attached-to-digits"'
    line = text[: text.index(old)].count("\n") + 1
    conventions.write_text(text.replace(old, 'check = "attached-to-digit"'), encoding="utf-8")
    return dict(os.environ, DISPATCH_DATA_DIR=str(data)), f"{conventions}:{line}:1: D609 unknown check 'attached-to-digit'"


def test_a_data_file_typo_stops_check_and_build_before_any_source(tmp_path):
    env, expected = broken_data(tmp_path)
    sources = copy_sample(tmp_path / "sources")
    (sources / "unreadable.txt").write_bytes(b"\xff\xfe not UTF-8")  # would be R101, if it were read
    check = dispatch("check", sources, env=env)
    out = check.stdout.decode()
    assert check.returncode == 1, out
    assert out.startswith(expected), out
    assert "R101" not in out and "P301" not in out and "checked:" not in out
    assert "nothing was checked" in out
    github = dispatch("check", "--format", "github", sources, env=env).stdout.decode()
    assert github.startswith("::error file=") and "title=D609::" in github
    build = dispatch("build", "--sources", sources, "--outputs", tmp_path / "out", env=env)
    out = build.stdout.decode()
    assert build.returncode == 1, out
    assert out.startswith(expected) and "nothing was built" in out
    assert "R101" not in out and not (tmp_path / "out").exists()
    # the same sources with the package's data files: checked, and the unreadable one reported
    assert b"R101" in dispatch("check", sources).stdout


def test_the_outputs_check_reports_broken_data_files(tmp_path):
    env, expected = broken_data(tmp_path)
    result = subprocess.run([sys.executable, "-m", "pipeline.fresh"], capture_output=True, cwd=ROOT, env=env,
                            timeout=300)
    out = result.stdout.decode()
    assert result.returncode == 1 and out.startswith(expected) and "missing:" not in out


# -- start-up: the per-user cache of data checks, and a no-op rebuild that reads no source -----
def test_a_clean_verdict_is_not_trusted_after_the_data_file_changes(tmp_path):
    env, expected = broken_data(tmp_path)
    conventions = tmp_path / "data" / "conventions.toml"
    broken = conventions.read_text(encoding="utf-8")
    clean = (ROOT / "pipeline" / "data" / "conventions.toml").read_text(encoding="utf-8")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    sources = copy_sample(tmp_path / "sources")
    conventions.write_text(clean, encoding="utf-8")
    assert dispatch("check", sources, env=env).returncode == 0
    verdicts = tmp_path / "cache" / "dispatch" / "data-checks"
    assert len(list(verdicts.iterdir())) == 4  # rules, registers, conventions, furniture: clean
    assert dispatch("check", sources, env=env).returncode == 0  # from the verdicts
    conventions.write_text(broken, encoding="utf-8")  # the typo: checked again, and reported
    for command in (("check", sources), ("build", "--sources", sources, "--outputs", tmp_path / "out")):
        result = dispatch(*command, env=env)
        assert result.returncode == 1 and result.stdout.decode().startswith(expected), result.stdout
    assert len(list(verdicts.iterdir())) == 4  # a file with findings gets no verdict
    assert not (tmp_path / "out").exists()


def test_the_cache_can_be_turned_off_or_unwritable(tmp_path):
    sources = copy_sample(tmp_path / "sources")
    off = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "off"), DISPATCH_NO_CACHE="1")
    assert dispatch("check", sources, env=off).returncode == 0
    assert not (tmp_path / "off").exists()
    (tmp_path / "file").write_text("not a folder")
    unwritable = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "file"))
    result = dispatch("check", sources, env=unwritable)
    assert result.returncode == 0 and b"Traceback" not in result.stderr + result.stdout


def test_a_kept_data_table_is_the_parsed_file_and_a_damaged_one_is_parsed_again(tmp_path, monkeypatch):
    import tomllib

    from pipeline.datafiles import PACKAGE_DATA, TABLES, parse_toml

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    kept = tmp_path / "cache" / "dispatch" / TABLES
    texts = [p.read_text(encoding="utf-8") for p in sorted(PACKAGE_DATA.glob("*.toml"))]
    for text in texts:
        assert parse_toml(text) == tomllib.loads(text)  # parsed, then kept
        assert parse_toml(text) == tomllib.loads(text)  # read back
    assert len(list(kept.iterdir())) == len(texts)
    for entry in kept.iterdir():
        entry.write_bytes(entry.read_bytes()[:7])  # damaged: parsed again and kept anew
    assert [parse_toml(text) for text in texts] == [tomllib.loads(text) for text in texts]
    assert [parse_toml(text) for text in texts] == [tomllib.loads(text) for text in texts]
    dated = 'when = 1950-10-02\nnote = "x"\n'  # marshal holds no date: parsed every time, never kept
    assert parse_toml(dated) == parse_toml(dated) == tomllib.loads(dated)
    with pytest.raises(tomllib.TOMLDecodeError):
        parse_toml("broken = [\n")
    assert len(list(kept.iterdir())) == len(texts)


# -- start-up: a plain `dispatch check` or `build` is parsed without typer, as typer parses it --
PLAIN = [("check", ["a.txt"]), ("check", ["a.txt", "b"]), ("check", ["--strict", "a.txt"]),
         ("check", ["a.txt", "--strict"]), ("check", ["-v", "a.txt"]), ("check", ["--verbose", "a.txt"]),
         ("check", ["--format", "json", "a.txt"]), ("check", ["--format=github", "a.txt"]),
         ("check", ["a.txt", "--format", "text", "-v", "--strict", "b"]),
         ("build", []), ("build", ["-q"]), ("build", ["--quiet", "--force"]), ("build", ["--jobs", "2"]),
         ("build", ["-j", "0"]), ("build", ["--jobs=12"]), ("build", ["--sources", "src", "--outputs", "out"]),
         ("build", ["--outputs=out", "--sources", "s p a c e", "--jobs", "007", "-q", "--force"])]
FOR_TYPER = [("check", []), ("check", ["--help"]), ("check", ["--strict"]), ("check", ["--format", "xml", "a.txt"]),
             ("check", ["a.txt", "--format"]), ("check", ["-vv", "a.txt"]), ("check", ["--strict", "--strict", "a.txt"]),
             ("check", ["--", "a.txt"]), ("check", ["-", "a.txt"]), ("check", ["--format", "-v", "a.txt"]),
             ("check", ["--strct", "a.txt"]), ("check", ["--format=", "a.txt"]), ("check", ["--format", "JSON", "a.txt"]),
             ("check", ["-h", "a.txt"]), ("build", ["--help"]), ("build", ["sources"]), ("build", ["--jobs", "-1"]),
             ("build", ["--jobs", "two"]), ("build", ["-j2"]), ("build", ["-j=2"]), ("build", ["--jobs", "²"]),
             ("build", ["--sources"]), ("build", ["--sources", "-q"]), ("build", ["--sources="]),
             ("build", ["-q", "--quiet"]), ("build", ["--strict"]), ("review", ["a.txt"]), ("", []), ("--help", [])]
TOKENS = {"check": ["a.txt", "b", "--strict", "-v", "--verbose", "--format", "json", "text", "github", "--format=json",
                    "xml", "-", "--", "-x", "--help", "--format=text"],
          "build": ["--sources", "--outputs", "--jobs", "-j", "--jobs=3", "2", "0", "x", "-1", "src", "-q", "--quiet",
                    "--force", "--", "-", "--help", "--sources=a", "-j4"]}


def typer_call(command: str, args: list[str], monkeypatch) -> list:
    """What typer hands to the command for ``dispatch COMMAND ARGS``: [keywords], or [] when it
    refuses the arguments."""
    from typer.testing import CliRunner

    import pipeline.app

    calls = []

    def served(*paths, **options):
        calls.append({**options, **({"paths": list(paths[0])} if paths else {})})
        return 0

    monkeypatch.setattr(pipeline.app, f"serve_{command}", served)
    CliRunner().invoke(pipeline.app.app, [command, *args])
    return calls


def plain_call(command: str, args: list[str]) -> list:
    from pipeline.cli import plain_arguments

    return [plain_arguments(command, args)]


@pytest.mark.parametrize("command,args", PLAIN)
def test_a_plain_check_or_build_is_parsed_as_typer_parses_it(command, args, monkeypatch):
    assert plain_call(command, args) == typer_call(command, args, monkeypatch)


@pytest.mark.parametrize("command,args", FOR_TYPER)
def test_anything_else_goes_to_typer(command, args):
    from pipeline.cli import plain_arguments

    assert plain_arguments(command, args) is None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["check", "build"]).flatmap(
    lambda command: st.tuples(st.just(command), st.lists(st.sampled_from(TOKENS[command]), max_size=6))))
def test_the_plain_parse_never_disagrees_with_typer(monkeypatch, command_args):
    from pipeline.cli import plain_arguments

    command, args = command_args
    if plain_arguments(command, args) is not None:
        assert plain_call(command, args) == typer_call(command, args, monkeypatch)


def test_a_plain_check_or_build_does_not_load_typer_and_help_still_does(tmp_path):
    def imported(*args) -> str:
        result = subprocess.run([sys.executable, "-X", "importtime", "-m", "pipeline", *map(str, args)],
                                capture_output=True, text=True, timeout=300)
        return {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}

    assert "typer" not in imported("check", "--strict", SAMPLE)
    assert "typer" in imported("check", "--help")
    sources = copy_sample(tmp_path / "sources")
    assert "typer" not in imported("build", "--sources", sources, "--outputs", tmp_path / "out", "-q")
    assert (tmp_path / "out" / "xml" / "stalin-mao-1950-10.xml").exists()
    assert "typer" in imported("build", "--sources", sources, "--outputs", tmp_path / "out", "-qj1")
    missing = dispatch("build", "--sources", tmp_path / "nothing")
    assert missing.returncode == 2 and missing.stderr == f"dispatch: no sources folder at '{tmp_path / 'nothing'}'\n".encode()
    plain, typed = dispatch("check", "--format", "json", "-v", SAMPLE), dispatch("check", "--format", "json", "-v", "--", SAMPLE)
    assert plain.stdout == typed.stdout and plain.returncode == typed.returncode == 0  # the same check either way
    missing = dispatch("check", "no-such-file.txt")
    assert missing.returncode == 2 and missing.stderr == b"dispatch: no such file or folder: no-such-file.txt\n"


def test_a_plain_check_ends_cleanly_into_a_closed_pipe_and_keeps_its_exit_code(tmp_path):
    """A plain check ends its process at once when done (no interpreter shutdown): its output is
    still all written, its exit code kept, and a reader that stops early gets no traceback."""
    import subprocess

    sources = copy_sample(tmp_path / "sources")
    write_source(sources, "An [unclosed bracket.\n", "broken")
    whole = dispatch("check", "--strict", "-v", sources)
    assert whole.returncode == 1 and whole.stdout.decode().endswith("2 checked: 0 errors, 3 warnings, 3 accepted\n")
    for number in range(150):  # findings enough to fill the pipe many times over
        write_source(sources, "An [unclosed bracket.\n", f"broken-{number}")
    reader = subprocess.Popen([sys.executable, "-m", "pipeline", "check", "-v", "--format", "json", sources],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    reader.stdout.read(10)
    reader.stdout.close()
    assert reader.wait(timeout=300) in (0, 1) and b"Traceback" not in reader.stderr.read()


LETTER = "Letter from Molotov to Stalin, 3 June 1951\n\nWe agree with your proposal of {}.\n"


def build(sources: Path, outputs: Path, capsys) -> str:
    from pipeline.commands import run_build

    assert run_build(sources, outputs, jobs=1, quiet=True) == 0
    return capsys.readouterr().out


def age(path: Path, seconds: int = 3600) -> None:
    """Make a file look edited ``seconds`` ago (older than the racily-clean window)."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 10**9))


def test_a_no_op_rebuild_trusts_stamps_and_any_change_rebuilds(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    sources, outputs = tmp_path / "sources", tmp_path / "out"
    source = write_source(sources if sources.mkdir() is None else sources, LETTER.format("May"))
    age(source)
    assert "built 1, unchanged 0" in build(sources, outputs, capsys)
    state = json.loads((outputs / ".dispatch-state.json").read_text())
    assert state["doc"].split(" ")[1] == f"in={source.stat().st_size}:{source.stat().st_mtime_ns},-,-"
    written = {p: p.stat().st_mtime_ns for p in outputs.rglob("*")}
    assert "built 0, unchanged 1" in build(sources, outputs, capsys)
    assert {p: p.stat().st_mtime_ns for p in outputs.rglob("*")} == written  # nothing written, not even the state
    # the same bytes, touched: not built again (the digest is the same), and the new time recorded
    os.utime(source)
    age(source, 60)
    assert "built 0, unchanged 1" in build(sources, outputs, capsys)
    # another size
    source.write_text(LETTER.format("June"), encoding="utf-8")
    age(source, 30)
    assert "built 1, unchanged 0" in build(sources, outputs, capsys)
    assert "June" in (outputs / "text" / "doc.txt").read_text()
    # the same size, another time
    source.write_text(LETTER.format("July"), encoding="utf-8")
    age(source, 20)
    assert "built 1, unchanged 0" in build(sources, outputs, capsys)
    assert "July" in (outputs / "text" / "doc.txt").read_text()
    # a sidecar that appears
    (sources / "doc.meta.toml").write_text('title = "A letter"\n', encoding="utf-8")
    age(sources / "doc.meta.toml")
    assert "built 1, unchanged 0" in build(sources, outputs, capsys)
    assert "built 0, unchanged 1" in build(sources, outputs, capsys)


def test_a_source_changed_in_the_same_clock_tick_is_read_again(tmp_path, capsys, monkeypatch):
    """Stamps taken within seconds of a change are not trusted (git's racily-clean files): an
    edit of the same size that keeps the time to the nanosecond is still seen."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    sources, outputs = tmp_path / "sources", tmp_path / "out"
    sources.mkdir()
    source = write_source(sources, LETTER.format("May"))
    stamp = source.stat()
    assert "built 1, unchanged 0" in build(sources, outputs, capsys)
    state = json.loads((outputs / ".dispatch-state.json").read_text())
    assert state["doc"].split(" ")[1] == "in=?"
    source.write_text(LETTER.format("Mai"), encoding="utf-8")
    os.utime(source, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert source.stat().st_size == stamp.st_size
    assert "built 1, unchanged 0" in build(sources, outputs, capsys)
    assert "Mai" in (outputs / "text" / "doc.txt").read_text()


def test_a_changed_code_or_data_file_rebuilds_everything(tmp_path, capsys, monkeypatch):
    import shutil

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = tmp_path / "data"
    shutil.copytree(ROOT / "pipeline" / "data", data)
    for file in data.iterdir():
        age(file)
    monkeypatch.setenv("DISPATCH_DATA_DIR", str(data))
    sources, outputs = tmp_path / "sources", tmp_path / "out"
    sources.mkdir()
    age(write_source(sources, LETTER.format("May")))
    assert "built 1, unchanged 0" in build(sources, outputs, capsys)
    assert "built 0, unchanged 1" in build(sources, outputs, capsys)
    furniture = data / "furniture.toml"
    furniture.write_text(furniture.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    age(furniture, 10)
    assert "built 1, unchanged 0" in build(sources, outputs, capsys)
    monkeypatch.setattr("pipeline.commands.fingerprint", lambda: "0" * 64)  # as if the code had changed
    assert "built 1, unchanged 0" in build(sources, outputs, capsys)
    assert json.loads((outputs / ".dispatch-state.json").read_text())["/code"] == "0" * 64


def test_write_changed_writes_a_new_or_changed_file_and_leaves_a_same_one(tmp_path):
    """An output is written (readable as any file the user makes, through a temporary file that
    does not stay) when it is new or its bytes change; one with the same bytes is not touched."""
    from pipeline.stages import write_changed

    target = tmp_path / "made" / "out.txt"
    write_changed(str(target), b"first")
    assert target.read_bytes() == b"first"
    umask = os.umask(0o022)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    write_changed(str(target), b"first")
    assert target.stat().st_mtime_ns == 1_000_000_000  # the same bytes: left as it was
    write_changed(str(target), b"other")  # the same size, other bytes
    assert target.read_bytes() == b"other"
    write_changed(str(target), b"longer bytes")
    assert target.read_bytes() == b"longer bytes"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]
