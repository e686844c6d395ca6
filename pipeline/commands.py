"""What each CLI command does, as functions that tests can call directly."""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from pipeline.diagnostics import Report, Severity, render
from pipeline.findings import make
from pipeline.ids import source_id
from pipeline.stages import (REVIEW, SIDECAR, build_one, build_site, data_diagnostics, duplicate_ids, find_sources,
                             fingerprint, load_cache, process, remove_stale_temporaries, source_key, write_atomic)

STATE = ".dispatch-state.json"
OUTPUT_FOLDERS = {"xml": ".xml", "latex": ".tex", "text": ".txt", "json": ".json", "html": ".html"}
# the web edition's shared pages and files, made from every source at the end of a build
SITE_FOLDER = "html"
# outputs only some sources have: folder -> suffixes (the collation of the versions a source declares)
OPTIONAL_OUTPUTS = {"collation": (".xml", ".tex", ".json"), "html/collation": (".html",)}


def _print(text: str, stream=None) -> None:
    (stream or sys.stdout).write(text)


def _summary(report: Report, checked: int) -> str:
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    accepted = sum(1 for d in report.items if d.severity == Severity.INFO and "[accepted: " in d.message)
    return (f"{checked} checked: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
            + (f", {accepted} accepted" if accepted else "") + "\n")


def broken_data(fmt: str = "text", what: str = "built", found: list | None = None) -> bool:
    """Print the errors of the pipeline's data files, if any: then no source is read. (``found``:
    their findings, when the caller has them already, which ``data_diagnostics`` then need not
    read and check again.)"""
    broken = [d for d in (data_diagnostics() if found is None else found) if d.severity >= Severity.ERROR]
    if broken:
        _print(render(broken, fmt))
        if fmt == "text":
            _print(f"the pipeline's data files have errors: nothing was {what}\n")
    return bool(broken)


def run_check(paths: list[Path], *, strict: bool = False, fmt: str = "text", verbose: bool = False) -> int:
    data_found = data_diagnostics()  # reported with the sources' findings, unless they stop the check
    if broken_data(fmt, "checked", data_found):
        return 1
    sources = find_sources(paths)
    report = Report()
    report.extend(data_found)
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


def run_accept(path: Path, code: str, at: str | None, reason: str) -> int:
    """Write an [[accept]] entry for one finding into the source's sidecar."""
    import json
    import tomllib

    from pipeline.accept import append_table, context_text, occurrences, offset_of
    from pipeline.stages import SIDECAR, process

    if path.name.endswith(SIDECAR):
        path = path.with_name(path.name[: -len(SIDECAR)] + ".txt")
    if path.suffix != ".txt":
        _print(f"dispatch: acceptances are for plain-text transcriptions (.txt), not {path}\n", sys.stderr)
        return 2
    if not reason.strip():
        _print("dispatch: give the reason for accepting the finding (--reason)\n", sys.stderr)
        return 2
    result = process(path)
    source = result.source
    if source is None:
        _print(render(sorted(result.diagnostics, key=lambda d: d.sort_key())))
        _print(f"dispatch: {path} cannot be read; nothing was accepted\n", sys.stderr)
        return 1
    body = source.body
    candidates = [d for d in result.diagnostics
                  if d.code == code and d.severity == Severity.WARNING and d.path == source.path]
    listing = "".join(f"  {d.format()}\n" for d in candidates)
    if at is not None:
        starts = occurrences(body, at) if at else []
        if not starts:
            _print(f"dispatch: the text {json.dumps(at, ensure_ascii=False)} is not in {path}\n", sys.stderr)
            return 1
        covered = [d for d in candidates
                   if any(s <= offset_of(source.index, d.line, d.col) < s + len(at) for s in starts)]
        if not covered:
            _print(f"dispatch: no {code} warning (not yet accepted) points into {json.dumps(at, ensure_ascii=False)}"
                   + (f"; the {code} warnings of {path}:\n{listing}" if candidates else "") + "\n", sys.stderr)
            return 1
    else:
        if len(candidates) != 1:
            if candidates:
                _print(f"dispatch: {path} has {len(candidates)} {code} warnings; say which with --at TEXT "
                       f"(the received text it points at):\n{listing}", sys.stderr)
            else:
                _print(f"dispatch: {path} has no {code} warning that is not accepted already\n", sys.stderr)
            return 1
        finding = candidates[0]
        at = context_text(body, offset_of(source.index, finding.line, finding.col))
        covered = candidates
    sidecar = path.with_name(source.id + SIDECAR)
    try:
        existing = sidecar.read_bytes().decode("utf-8") if sidecar.exists() else ""
    except (OSError, UnicodeDecodeError) as err:
        _print(f"dispatch: cannot read {sidecar}: {err}\n", sys.stderr)
        return 1
    updated = append_table(existing, "accept", [("code", code), ("at", at), ("reason", reason.strip())])
    try:
        tomllib.loads(updated)
    except tomllib.TOMLDecodeError as err:
        _print(f"dispatch: {sidecar} would not be valid TOML with the entry appended ({err}); "
               "add it by hand\n", sys.stderr)
        return 1
    write_atomic(sidecar, updated.encode("utf-8"))
    for d in covered:
        _print(f"{d.format()}\n")
    _print(f"{sidecar}: accepted {code} at {json.dumps(at, ensure_ascii=False)}\n")
    return 0


def run_review(paths: list[Path], output: Path | None, fmt: str = "html") -> int:
    """Write the review page of every transcription (or print it, Markdown without --output)."""
    from pipeline.stages import process
    from pipeline.review import render_html, render_markdown

    code = 0
    sources = [p for p in find_sources(paths) if p.suffix == ".txt"]
    if not sources:
        _print("dispatch: no plain-text transcription (.txt) to review\n", sys.stderr)
        return 2
    for path in sources:
        result = process(path, collect=True)
        if result.source is None or result.ledger is None:
            _print(render(sorted(result.diagnostics, key=lambda d: d.sort_key())))
            _print(f"dispatch: {path} cannot be reviewed until the errors above are corrected\n", sys.stderr)
            code = 1
            continue
        if result.failed:
            _print(render(sorted(result.diagnostics, key=lambda d: d.sort_key()), min_severity=Severity.ERROR))
            code = 1
        page = render_markdown(result) if fmt == "md" else render_html(result)
        if output is None:
            _print(page)
            continue
        target = output / f"{result.id}.{'md' if fmt == 'md' else 'html'}"
        write_atomic(target, page.encode("utf-8"))
        decided = sum(1 for d in result.ledger.decisions if d.editor is not None)
        _print(f"{target}: {len(result.ledger.decisions)} decisions, {decided} decided\n")
    return code


def run_normalize(paths: list[Path]) -> int:
    import json

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
        ledger = None
        decisions = path.with_name(source.id + ".review.toml")
        if decisions.exists():  # the changes an editor rejected are listed as such
            from pipeline.decisions import Ledger, read_review
            from pipeline.kinds import EXPLICIT

            review, problems = read_review(decisions, EXPLICIT)
            _print(render(problems))
            ledger = Ledger(source.body, review, collect=True) if review is not None else None
        normalized, found = normalize(source.body, source=source, ledger=ledger)
        listed = [(c.start, c.rule, c.before, c.after, "") for c in normalized.changes]
        if ledger is not None:
            listed += [(d.start, d.rule, d.text, d.reading, " (rejected by the editor)")
                       for d in ledger.decisions if d.applied == "rejected"]
        for start, rule, before, after, note in sorted(listed, key=lambda item: item[0]):
            line, col = source.position(start)
            before = json.dumps(before, ensure_ascii=False)
            after = json.dumps(after, ensure_ascii=False)
            _print(f"{source.path}:{line}:{col}: {rule} {before} -> {after}{note}\n")
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
    """One source's state: its input key (with the stamps of its inputs, see ``input_keys``)
    and the size and time of each output, as one string (small, so that the state of a large
    corpus stays small)."""
    made = _outputs_state(str(outputs), sid)
    return None if made is None else f"{key} {made}"


def _outputs_state(outputs: str, sid: str, present: dict[str, set[str]] | None = None) -> str | None:
    """The size and time of each output of a source; ``None`` when one is missing. (Plain
    ``os.stat`` on strings: a no-op rebuild does this for every output of every source.)
    ``present``: the names in each folder of optional outputs, listed once for all sources,
    so that a no-op rebuild does not look for the collation each source does not have."""
    parts = []
    for folder, suffix in OUTPUT_FOLDERS.items():
        try:
            stat = os.stat(f"{outputs}/{folder}/{sid}{suffix}")
        except OSError:
            return None
        parts.append(f"{stat.st_size}:{stat.st_mtime_ns}")
    for folder, suffixes in OPTIONAL_OUTPUTS.items():  # a collation, where the source declares versions
        for suffix in suffixes:
            if present is not None and f"{sid}{suffix}" not in present[folder]:
                continue
            try:
                stat = os.stat(f"{outputs}/{folder}/{sid}{suffix}")
            except OSError:
                continue
            parts.append(f"{folder}{suffix}:{stat.st_size}:{stat.st_mtime_ns}")
    return " ".join(parts)


SITE_STATE_KEY = "/site"  # not an id: the state of the web edition's shared pages
CODE_STATE_KEY = "/code"  # not an id: the code fingerprint the keys of the state were made with
INPUTS = "in="  # the stamps of a source's inputs, second in its state entry
RACY = 2_000_000_000  # ns: a file changed this recently may change again within the same clock tick


def _site_state(base: str, outputs: Path, names: tuple[str, ...] | None = None) -> str | None:
    """The shared pages' state: the code that made them and the name, size and time of each
    (``names``: the shared pages, by default the writers' ``SITE_FILES``)."""
    if names is None:
        from pipeline.writers.site import SITE_FILES as names
    parts = [base]
    for name in names:
        try:
            stat = os.stat(f"{outputs}/{SITE_FOLDER}/{name}")
        except OSError:
            return None
        parts.append(f"{name}={stat.st_size}:{stat.st_mtime_ns}")
    return " ".join(parts)


def _recorded_site_files(site_state: str | None, base: str) -> tuple[str, ...] | None:
    """The names of the shared pages as the state recorded them, when the code that recorded
    them is this code (so that a no-op rebuild need not import the writers to know them)."""
    if not isinstance(site_state, str):
        return None
    parts = site_state.split(" ")
    if parts[0] != base or len(parts) < 2 or not all("=" in part for part in parts[1:]):
        return None
    return tuple(part.split("=", 1)[0] for part in parts[1:])


def _remove_outputs_of_gone_sources(outputs: Path, ids: set[str], site_files: tuple[str, ...] | None) -> int:
    """Remove the outputs whose source is gone, the web edition's shared pages aside
    (``site_files``; the writers' ``SITE_FILES`` when ``None``). Returns how many."""
    removed = 0
    for folder, suffix in list(OUTPUT_FOLDERS.items()) + [(f, s) for f, ss in OPTIONAL_OUTPUTS.items() for s in ss]:
        directory = f"{outputs}/{folder}"
        try:
            names = os.listdir(directory)
        except OSError:  # no such folder
            continue
        for name in names:
            # (a name that is all suffix, such as ".xml", is nobody's output: it has no stem)
            if not name.endswith(suffix) or len(name) == len(suffix) or name[: -len(suffix)] in ids:
                continue
            if folder == SITE_FOLDER:
                if site_files is None:
                    from pipeline.writers.site import SITE_FILES as site_files
                if name in site_files:
                    continue
            os.unlink(f"{directory}/{name}")
            removed += 1
    return removed


def _inputs_stamp(path: Path, now: int, names: set[str] | None = None, sid: str | None = None) -> str:
    """The size and time of a source and of its sidecars (``-`` for one that is missing), as
    the state's ``in=`` token; ``in=?`` when one changed too recently to be told apart from a
    change still to come in the same clock tick (git's "racily clean" files): that source is
    read and hashed again next time. ``names``: the names in the source's folder, listed once
    for all its sources, so that the sidecars most sources do not have are not looked for;
    ``sid``: the source's id, when known."""
    source = str(path)
    sid = sid or source_id(path)
    stem = source[: len(source) - len(os.path.basename(source)) + len(sid)]  # the path without its suffix
    stamps = []
    for name, listed in ((source, None), (stem + SIDECAR, sid + SIDECAR), (stem + REVIEW, sid + REVIEW)):
        if names is not None and listed is not None and listed not in names:
            stamps.append("-")
            continue
        try:
            stat = os.stat(name)
        except OSError:
            stamps.append("-")
            continue
        if stat.st_mtime_ns > now - RACY:
            return INPUTS + "?"
        stamps.append(f"{stat.st_size}:{stat.st_mtime_ns}")
    return INPUTS + ",".join(stamps)


def input_keys(paths: list[Path], ids: dict[str, str], state: dict, base: str) -> dict[str, str]:
    """Each source's key for the state: the digest of the code fingerprint ``base``, the source
    and its sidecars (``source_key``), followed by the stamps of those files.

    Like make and git's index, a source whose files have the size and time the state recorded
    for them, under the same code, is not read again: its recorded digest is taken. Every other
    source is read and hashed (its stamps taken before, so that a change while it is read is
    seen next time). A source edited to the same size within the same clock tick as its last
    build is the known limit of such checks: stamps that recent are not trusted (``in=?``).
    """
    trusted = state.get(CODE_STATE_KEY) == base
    now = time.time_ns()
    listings: dict[str, set[str] | None] = {}
    keys = {}
    for path in paths:
        folder = os.path.dirname(str(path))  # (strings hash faster than paths)
        if folder not in listings:
            try:
                listings[folder] = set(os.listdir(folder or "."))
            except OSError:
                listings[folder] = None
        inputs = _inputs_stamp(path, now, listings[folder], ids[str(path)])
        key = None
        if trusted and not inputs.endswith("?"):
            recorded = state.get(ids[str(path)])
            if isinstance(recorded, str):
                parts = recorded.split(" ", 2)
                if len(parts) > 2 and parts[1] == inputs:
                    key = parts[0]
        keys[str(path)] = f"{key or source_key(path, base)} {inputs}"
    return keys


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _listed(outputs: str, folders) -> dict[str, set[str]]:
    """The names in each of these folders of the outputs (none for a missing folder)."""
    present = {}
    for folder in folders:
        try:
            present[folder] = set(os.listdir(f"{outputs}/{folder}"))
        except OSError:
            present[folder] = set()
    return present


def _unchanged_entry(entry: str | None, key: str, outputs: str, sid: str,
                     present: dict[str, set[str]] | None = None) -> str | None:
    """A source's new state entry when its key (the digest, whatever its stamps) is the one
    recorded and its outputs are as the state recorded them; else ``None``: it is built."""
    if not isinstance(entry, str):
        return None
    digest, inputs = key.split(" ", 1)
    parts = entry.split(" ", 2)
    if parts[0] != digest:
        return None
    recorded = parts[2] if len(parts) > 2 and parts[1].startswith(INPUTS) else entry.partition(" ")[2]
    made = _outputs_state(outputs, sid, present)
    return f"{key} {made}" if made is not None and made == recorded else None


class Built(NamedTuple):
    """What the parent needs of one source a worker built: whether it failed, its findings
    already rendered, the count of its warnings, its state entry and the digest of its TEI."""

    id: str
    failed: bool
    findings: str
    warnings: int
    state: str | None
    xml: str | None


def _build_task(path: Path, outputs: Path, base: str, key: str, threshold: Severity) -> Built:
    """Build one source (in a worker, or in this process with one job) and make in the same
    place what the parent would: the findings' text and the state entry (which reads the
    outputs' times), so that the parent only prints and records."""
    result, xml = build_one(path, outputs, base)
    _settle_collector()
    findings = sorted(result.diagnostics, key=lambda d: d.sort_key())
    warnings = sum(d.omitted or 1 for d in findings if d.severity == Severity.WARNING)
    state = None if result.failed else _state_entry(key, outputs, result.id)
    return Built(result.id, result.failed, render(findings, min_severity=threshold), warnings, state, xml)


_settled = False  # this process's collector is set for the build


def _settle_collector() -> None:
    """Once a process has built its first source (its data files, registers, patterns and
    templates are loaded, and kept for the whole build): those objects are set aside from the
    cyclic garbage collector (``gc.freeze``), and its young generation is collected every
    10,000 new objects rather than 700. A document makes and frees tens of thousands of small
    objects, nearly all freed by their counts; the default collector scanned them, and the
    loaded data at each full collection, for ~1.2 ms a document (~3% of a build); settled,
    for ~0.05 ms. The cycles a document leaves are still collected, every document or two."""
    global _settled
    if not _settled:
        gc.freeze()
        gc.set_threshold(10_000, 10, 10)
        _settled = True


def _build_chunk(tasks: list[tuple]) -> list[Built]:
    return [_build_task(*task) for task in tasks]


def _chunks(tasks: list[tuple], jobs: int) -> list[list[int]]:
    """The sources (their places in ``tasks``) in the chunks a worker takes at a time: the
    largest sources first and the chunks smaller and smaller (a quarter of each worker's share
    of what is left, at most 8 sources), so that the workers finish together, and few enough
    that handing them out costs little."""
    def size(index: int) -> int:
        try:
            return tasks[index][0].stat().st_size
        except OSError:
            return 0

    order = sorted(range(len(tasks)), key=lambda i: (-size(i), i))
    chunks = []
    start = 0
    while start < len(order):
        take = max(1, min(8, (len(order) - start) // (4 * jobs)))
        chunks.append(order[start:start + take])
        start += take
    return chunks


def _in_process(tasks: list[tuple], step) -> Iterator[Built]:
    """The outcomes of ``tasks`` built one after the other in this process; ``step`` is called
    as each is done."""
    for task in tasks:
        outcome = _build_task(*task)
        step()
        yield outcome


def _in_source_order(pool, tasks: list[tuple], jobs: int, step) -> Iterator[Built]:
    """The outcomes of ``tasks`` built by the pool's workers, given back in source order as soon
    as each and all before it are done (the chunks are handed out largest first); ``step`` is
    called as each is done, in whatever order."""
    from concurrent.futures import as_completed

    chunks = {pool.submit(_build_chunk, [tasks[i] for i in chunk]): chunk for chunk in _chunks(tasks, jobs)}
    done: dict[int, Built] = {}  # finished, waiting for those before them
    following = 0
    for future in as_completed(chunks):
        finished = chunks.pop(future)
        done.update(zip(finished, future.result()))
        for _ in finished:
            step()
        while following in done:
            yield done.pop(following)
            following += 1


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
    import json

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
    ids = {str(p): source_id(p) for p in paths}
    keys = input_keys(paths, ids, state, base)
    new_state: dict[str, str | None] = {CODE_STATE_KEY: base}
    todo = []
    present = _listed(str(outputs), OPTIONAL_OUTPUTS)
    for p in paths:
        entry = _unchanged_entry(state.get(ids[str(p)]), keys[str(p)], str(outputs), ids[str(p)], present)
        if entry is None:
            todo.append(p)
        else:
            new_state[ids[str(p)]] = entry
    unchanged = len(paths) - len(todo)
    site_state = state.get(SITE_STATE_KEY)
    del state
    built = failed = warnings = 0
    digests: dict[str, str] = {}  # the TEI written, which the shared pages need not read again
    progress = Progress(len(todo))
    threshold = Severity.ERROR if quiet else Severity.WARNING
    _print(render(report.sorted(), min_severity=threshold))
    tasks = [(path, outputs, base, keys[str(path)], threshold) for path in todo]
    pool = None
    try:
        if jobs > 1 and len(todo) > 1:
            from concurrent.futures import ProcessPoolExecutor  # only a build uses it: check stays light

            pool = ProcessPoolExecutor(max_workers=min(jobs, len(todo)))
            outcomes = _in_source_order(pool, tasks, jobs, progress.step)
        else:
            outcomes = _in_process(tasks, progress.step)
        # one document at a time, in source order: findings print as they come and nothing
        # of a finished document is kept but its state entry (and its TEI's digest)
        for outcome in outcomes:
            warnings += outcome.warnings
            _print(outcome.findings)
            if outcome.failed:
                failed += 1
                continue
            built += 1
            new_state[outcome.id] = outcome.state
            digests[outcome.id] = outcome.xml
    finally:
        progress.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    # outputs of sources that no longer exist (the web edition's shared pages aside)
    site_files = _recorded_site_files(site_state, base)
    removed = _remove_outputs_of_gone_sources(outputs, set(ids.values()), site_files)
    # the shared pages of the web edition, made again from every source's TEI when a source
    # was built or removed, or when they are not what the last build left (when they are,
    # the writers are not even imported)
    if built or removed or site_files is None or site_state != _site_state(base, outputs, site_files):
        from pipeline.writers import WRITERS

        if SITE_FOLDER in WRITERS:
            if built or removed or site_state is None or site_state != _site_state(base, outputs):
                site_findings = build_site(outputs, base, digests)
                report.extend(site_findings)
                _print(render(site_findings, min_severity=threshold))
            site_state = _site_state(base, outputs)
            if site_state is not None:
                new_state[SITE_STATE_KEY] = site_state
    else:
        new_state[SITE_STATE_KEY] = site_state
    outputs.mkdir(parents=True, exist_ok=True)
    recorded = "".join(f"{json.dumps(k)}: {json.dumps(new_state[k])},\n" for k in sorted(new_state)) \
        .join(("{\n", "")).rstrip(",\n").join(("", "\n}\n")).encode()
    if _read_or_none(state_path) != recorded:  # a no-op rebuild writes nothing, not even the state
        write_atomic(state_path, recorded)
    warnings += report.count(Severity.WARNING)
    elapsed = time.monotonic() - started
    _print(f"built {built}, unchanged {unchanged}, failed {failed}, warnings {warnings} "
           f"({elapsed:.2f} s)\n")
    return 1 if failed or duplicates or report.count(Severity.ERROR) else 0
