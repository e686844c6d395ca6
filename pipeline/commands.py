"""What each CLI command does, as functions that tests can call directly."""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipeline.diagnostics import Report, Severity, render
from pipeline.findings import make
from pipeline.stages import (build_one, data_diagnostics, duplicate_ids, find_sources, fingerprint, load_cache,
                             process, remove_stale_temporaries, source_key, write_atomic)

STATE = ".dispatch-state.json"
OUTPUT_FOLDERS = {"xml": ".xml", "latex": ".tex", "text": ".txt", "json": ".json"}
# outputs only some sources have: folder -> suffixes (outputs/collation/<id>.xml|.tex|.json|.html)
OPTIONAL_OUTPUTS = {"collation": (".xml", ".tex", ".json", ".html")}


def _print(text: str, stream=None) -> None:
    (stream or sys.stdout).write(text)


def _summary(report: Report, checked: int) -> str:
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    return f"{checked} checked: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}\n"


def broken_data(fmt: str = "text", what: str = "built") -> bool:
    """Print the errors of the pipeline's data files, if any: then no source is read."""
    broken = [d for d in data_diagnostics() if d.severity >= Severity.ERROR]
    if broken:
        _print(render(broken, fmt))
        if fmt == "text":
            _print(f"the pipeline's data files have errors: nothing was {what}\n")
    return bool(broken)


def run_check(paths: list[Path], *, strict: bool = False, fmt: str = "text", verbose: bool = False) -> int:
    if broken_data(fmt, "checked"):
        return 1
    sources = find_sources(paths)
    report = Report()
    report.extend(data_diagnostics())
    report.extend(duplicate_ids(sources))
    for path in sources:
        result = process(path)
        report.extend(result.diagnostics)
    findings = report.sorted()
    threshold = Severity.INFO if verbose else Severity.WARNING
    _print(render(findings, fmt, min_severity=threshold))
    if fmt == "text":
        _print(_summary(report, len(sources)))
    worst = report.worst()
    limit = Severity.WARNING if strict else Severity.ERROR
    return 1 if worst is not None and worst >= limit else 0


def run_normalize(paths: list[Path]) -> int:
    from pipeline.normalize import normalize
    from pipeline.read import read_source

    if broken_data(what="normalized"):
        return 1
    code = 0
    for path in find_sources(paths):
        if path.suffix != ".txt":
            continue
        source, found = read_source(path)
        if source is None:
            _print(render(found))
            code = 1
            continue
        normalized, found = normalize(source.body, source=source)
        for change in normalized.changes:
            line, col = source.position(change.start)
            before = json.dumps(change.before, ensure_ascii=False)
            after = json.dumps(change.after, ensure_ascii=False)
            _print(f"{source.path}:{line}:{col}: {change.rule} {before} -> {after}\n")
        # suggestions (near misses of register names) are listed too; furniture is a change above
        _print(render([d for d in found if d.code != "N220"]))
    return code


def _load_tei(xml: Path):
    from pipeline.validate import parse_tei

    root, found = parse_tei(xml)
    if root is None:
        _print(render(found), sys.stderr)
    return root


def run_restore(xml: Path) -> int:
    from pipeline.restore import received_text

    root = _load_tei(xml)
    if root is None:
        return 1
    text = received_text(root)
    if text is None:
        _print(render([make("V520", str(xml), 1, 1)]), sys.stderr)
        return 1
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()
    return 0


def run_emit(xml: Path, target: str, diplomatic: bool) -> int:
    from pipeline.read import source_id
    from pipeline.writers import WRITERS
    from pipeline.writers.text import write_text
    from pipeline.writers.walk import read_edition

    root = _load_tei(xml)
    if root is None:
        return 1
    edition = read_edition(root, source_id(xml))
    data = write_text(edition, diplomatic=True) if diplomatic else WRITERS[target][2](edition)
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return 0


def run_collate(arguments: list[str], target: str) -> int:
    """Collate the witnesses named on the command line; the apparatus on standard output."""
    from pipeline.collate.sources import load, writers

    broken = [d for d in data_diagnostics() if d.severity >= Severity.ERROR]
    if broken:
        _print(render(broken), sys.stderr)
        return 1
    collation, found = load(arguments)
    _print(render(sorted(found, key=lambda d: d.sort_key())), sys.stderr)
    if collation is None:
        return 2 if any(d.code in ("C700", "C701") for d in found) else 1
    sys.stdout.buffer.write(writers()[target][1](collation))
    sys.stdout.flush()
    return 0


def _state_entry(key: str, outputs: Path, sid: str) -> str | None:
    """One source's state: its input key and the size and time of each output, as one string
    (small, so that the state of a large corpus stays small)."""
    parts = [key]
    for folder, suffix in OUTPUT_FOLDERS.items():
        try:
            stat = (outputs / folder / f"{sid}{suffix}").stat()
        except OSError:
            return None
        parts.append(f"{stat.st_size}:{stat.st_mtime_ns}")
    for folder, suffixes in OPTIONAL_OUTPUTS.items():  # a collation, where the source declares versions
        for suffix in suffixes:
            try:
                stat = (outputs / folder / f"{sid}{suffix}").stat()
            except OSError:
                continue
            parts.append(f"{folder}{suffix}:{stat.st_size}:{stat.st_mtime_ns}")
    return " ".join(parts)


def _state_matches(entry: str | None, key: str, outputs: Path, sid: str) -> bool:
    return isinstance(entry, str) and entry.startswith(key + " ") and entry == _state_entry(key, outputs, sid)


class Progress:
    """A progress display on a terminal (rich: count, rate, elapsed and remaining time); silent
    elsewhere. rich is imported only when a terminal is attached, so scripts and hooks pay nothing."""

    def __init__(self, total: int):
        self.bar = None
        if not (sys.stderr.isatty() and total > 1):
            return
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, ProgressColumn, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)
        from rich.progress import Progress as Bar
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task) -> Text:
                return Text(f"{task.speed or 0:.1f} documents/s")

        self.bar = Bar(TextColumn("building"), BarColumn(), MofNCompleteColumn(), Rate(), TimeElapsedColumn(),
                       TextColumn("left"), TimeRemainingColumn(), console=Console(stderr=True), transient=True,
                       redirect_stdout=True)
        self.task = self.bar.add_task("build", total=total)
        self.bar.start()

    def step(self) -> None:
        if self.bar is not None:
            self.bar.advance(self.task)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def run_build(sources_dir: Path, outputs: Path, *, jobs: int = 1, force: bool = False,
              quiet: bool = False) -> int:
    started = time.monotonic()
    if broken_data():
        return 1
    paths = find_sources([sources_dir])
    report = Report()
    duplicates = duplicate_ids(paths)
    report.extend(duplicates)
    skip = {d.path for d in duplicates}
    paths = [p for p in paths if str(p) not in skip]
    remove_stale_temporaries(outputs)
    state_path = outputs / STATE
    state = {} if force else load_cache(state_path)
    base = fingerprint()
    keys = {str(p): source_key(p, base) for p in paths}
    from pipeline.read import source_id

    todo = [p for p in paths if not _state_matches(state.get(source_id(p)), keys[str(p)], outputs, source_id(p))]
    unchanged = len(paths) - len(todo)
    rebuilding = set(todo)
    new_state = {source_id(p): state[source_id(p)] for p in paths if p not in rebuilding}
    del state
    built = failed = warnings = 0
    progress = Progress(len(todo))
    threshold = Severity.ERROR if quiet else Severity.WARNING
    _print(render(report.sorted(), min_severity=threshold))
    if jobs > 1 and len(todo) > 1:
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(todo)))
        outcomes = pool.map(build_one, todo, [outputs] * len(todo), chunksize=max(1, min(16, len(todo) // (jobs * 4))))
    else:
        pool = None
        outcomes = (build_one(path, outputs) for path in todo)
    try:
        # one document at a time, in source order: findings print as they come and nothing
        # of a finished document is kept but its state entry
        for path, (result, _written) in zip(todo, outcomes):
            progress.step()
            findings = sorted(result.diagnostics, key=lambda d: d.sort_key())
            warnings += sum(d.omitted or 1 for d in findings if d.severity == Severity.WARNING)
            _print(render(findings, min_severity=threshold))
            if result.failed:
                failed += 1
                continue
            built += 1
            new_state[result.id] = _state_entry(keys[str(path)], outputs, result.id)
    finally:
        progress.close()
        if pool is not None:
            pool.shutdown()
    # outputs of sources that no longer exist
    ids = {source_id(p) for p in paths}
    for folder, suffixes in [(f, (s,)) for f, s in OUTPUT_FOLDERS.items()] + list(OPTIONAL_OUTPUTS.items()):
        directory = outputs / folder
        if directory.is_dir():
            for file in directory.iterdir():
                if file.suffix in suffixes and file.name[: -len(file.suffix)] not in ids:
                    file.unlink()
    outputs.mkdir(parents=True, exist_ok=True)
    write_atomic(state_path, "".join(f"{json.dumps(k)}: {json.dumps(new_state[k])},\n" for k in sorted(new_state))
                 .join(("{\n", "")).rstrip(",\n").join(("", "\n}\n")).encode())
    warnings += report.count(Severity.WARNING)
    elapsed = time.monotonic() - started
    _print(f"built {built}, unchanged {unchanged}, failed {failed}, warnings {warnings} "
           f"({elapsed:.2f} s)\n")
    return 1 if failed or duplicates else 0
