"""Running the stages: one source to TEI and outputs, and a whole folder of sources.

A document with errors gets no new outputs (its previous ones stay as they were); the
others are built. Every output is written to a temporary file and renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import __version__
from pipeline.datafiles import PACKAGE_DATA, data_dir
from pipeline.diagnostics import Diagnostic, Severity
from pipeline.findings import capped, make

SOURCE_SUFFIXES = (".txt", ".xml")
SIDECAR = ".meta.toml"  # a source's metadata and accepted findings
REVIEW = ".review.toml"  # an editor's decisions on the automatic ones


@dataclass
class Result:
    """What processing one source gave: its id, its TEI (or None) and its findings."""

    path: str
    id: str
    root: object = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    changes: list = field(default_factory=list)
    source: object = None
    ledger: object = None  # the automatic decisions (pipeline.decisions.Ledger), when asked for or reviewed

    @property
    def failed(self) -> bool:
        return self.root is None or any(d.severity >= Severity.ERROR for d in self.diagnostics)


def process(path: Path, collect: bool = False) -> Result:
    """Read, normalize, parse, encode and validate one source (``.txt`` or contributed ``.xml``).

    An unexpected failure inside a stage becomes an X900 finding on the source, never a
    traceback. The findings of every stage are capped together: at most
    ``max_findings_per_code`` of one code for one file.
    """
    try:
        result = _process(path, collect)
    except RecursionError:
        return Result(str(path), path.stem, None, [make("X901", str(path), 1, 1)])
    except Exception as err:  # noqa: BLE001 - reported as a finding, by design
        return Result(str(path), path.stem, None, [make("X900", str(path), 1, 1,
                                                        error=f"{type(err).__name__}: {err}")])
    result.diagnostics = capped(result.diagnostics)
    return result


def _process(path: Path, collect: bool = False) -> Result:
    from pipeline.read import source_id, valid_id

    if path.suffix == ".xml":
        from pipeline.validate import parse_tei, validate

        sid = source_id(path)
        if not valid_id(sid):
            return Result(str(path), sid, None, [make("R114", str(path), 1, 1, id=sid)])
        root, found = parse_tei(path)
        if root is None:
            return Result(str(path), sid, None, found)
        found += validate(root, str(path))
        return Result(str(path), sid, root, found)
    from pipeline.encode import encode
    from pipeline.normalize import normalize
    from pipeline.parse import parse
    from pipeline.read import read_source
    from pipeline.validate import validate

    source, found = read_source(path)
    if source is None:
        return Result(str(path), source_id(path), None, found)
    ledger = None
    decisions = path.with_name(source.id + REVIEW)
    if collect or decisions.exists():  # the decisions are recorded only when someone reads them
        from pipeline.decisions import Ledger, read_review
        from pipeline.kinds import EXPLICIT

        review = None
        if decisions.exists():
            review, more = read_review(decisions, EXPLICIT)
            found += more
            if review is None:
                return Result(str(path), source.id, None, found, source=source)
        ledger = Ledger(source.body, review, collect)
    normalized, more = normalize(source.body, source=source, ledger=ledger)
    found += more
    parsed = parse(source, normalized, ledger=ledger)
    found += parsed.diagnostics
    if source.metadata.versions:  # the documents a sidecar declares versions must exist
        from pipeline.collate.sources import check_versions

        found += check_versions(source, len(parsed.documents))
    encoded = encode(source, normalized, parsed, ledger=ledger)
    found += validate(encoded.root, source.path, encoded.origins,
                      lambda offset: source.position(offset))
    if ledger is not None:
        found += ledger.finish()
    if source.metadata.accepts:
        from pipeline.accept import apply

        found = apply(found, source, str(path.with_name(source.id + SIDECAR)))
    return Result(str(path), source.id, encoded.root, found, normalized.changes, source, ledger)


def data_diagnostics() -> list[Diagnostic]:
    """Findings in the pipeline's own data files (rules, registers, conventions, furniture).

    The commands check them before they read any source: a data file with errors stops it.
    """
    from pipeline.conventions import load_default_conventions
    from pipeline.normalize import load_default_furniture
    from pipeline.registers import load_default_register
    from pipeline.rules import load_default_rules

    return (load_default_rules()[1] + load_default_register()[1] + load_default_conventions()[1]
            + load_default_furniture()[1])


def render_outputs(root, sid: str) -> dict[str, bytes]:
    """Every output of one TEI document, by path relative to the outputs folder."""
    from pipeline.tei import serialize
    from pipeline.writers import WRITERS
    from pipeline.writers.walk import read_edition

    outputs = {f"xml/{sid}.xml": serialize(root)}
    edition = read_edition(root, sid)  # one walk and one rendering for every writer
    for folder, suffix, writer in WRITERS.values():
        outputs[f"{folder}/{sid}{suffix}"] = writer(edition)
    return outputs


def remove_stale_temporaries(outputs: Path) -> None:
    """Temporary files a killed build left behind (never a finished output)."""
    for folder in outputs.glob("*"):
        if folder.is_dir():
            for file in folder.glob(".*.tmp"):
                file.unlink(missing_ok=True)
    for file in outputs.glob(".*.tmp"):
        file.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        # the rename is atomic: a killed build leaves the old file or the new one, never half
        # of it (no fsync: that guards against power loss, at the price of every output)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def find_sources(paths: list[Path]) -> list[Path]:
    """The transcriptions under the given files or folders, sorted (sidecars excluded)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += [p for p in path.iterdir()
                      if p.is_file() and p.suffix in SOURCE_SUFFIXES and not p.name.startswith(".")]
        elif path.name.endswith((SIDECAR, REVIEW)):
            # a sidecar or a decisions file stands for its transcription
            suffix = SIDECAR if path.name.endswith(SIDECAR) else REVIEW
            found.append(path.with_name(path.name[: -len(suffix)] + ".txt"))
        else:
            found.append(path)
    return sorted(set(found), key=lambda p: str(p))


def duplicate_ids(paths: list[Path]) -> list[Diagnostic]:
    """A finding for every source whose id another source already uses."""
    from pipeline.read import source_id

    seen: dict[str, Path] = {}
    found = []
    for path in paths:
        sid = source_id(path)
        if sid in seen:
            found.append(make("R115", str(path), 1, 1, id=sid, other=seen[sid]))
        else:
            seen[sid] = path
    return found


def fingerprint() -> str:
    """A hash of everything besides a source that decides its outputs: code, data, schemas."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    files = sorted(package.rglob("*.py"))
    schemas = package.parent / "schemas"
    if schemas.is_dir():
        files += sorted(schemas.glob("*"))
    for file in files:
        digest.update(str(file.relative_to(package.parent)).encode())
        digest.update(file.read_bytes())
    for file in sorted(data_dir().glob("*.toml")):  # the package's data/, or $DISPATCH_DATA_DIR
        digest.update(f"{PACKAGE_DATA.relative_to(package.parent)}/{file.name}".encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def source_key(path: Path, base: str) -> str:
    digest = hashlib.sha256(base.encode())
    digest.update(path.read_bytes())
    for suffix in (SIDECAR, REVIEW):
        companion = path.with_name(path.name[: -len(path.suffix)] + suffix)
        digest.update(suffix.encode())
        if companion.exists():
            digest.update(companion.read_bytes())
    return digest.hexdigest()


def build_one(path: Path, outputs: Path) -> tuple[Result, dict[str, str]]:
    """Process one source and write its outputs when it has no errors."""
    result = process(path)
    written: dict[str, str] = {}
    if not result.failed:
        try:
            rendered = render_outputs(result.root, result.id)
            rendered.update(collation_outputs(result, outputs))
        except Exception as err:  # noqa: BLE001 - reported as a finding, by design
            result.diagnostics.append(make("X900", str(path), 1, 1, case="writing",
                                           error=f"{type(err).__name__}: {err}"))
            rendered = {}
        for relative, data in rendered.items():
            target = outputs / relative
            if not target.exists() or target.read_bytes() != data:
                write_atomic(target, data)
            written[relative] = hashlib.sha256(data).hexdigest()
    result.root = result.root is not None  # lxml trees do not cross process boundaries
    result.source = None
    return result, written


def collation_outputs(result: Result, outputs: Path) -> dict[str, bytes]:
    """The collation of the versions a source declares (outputs/collation/); a collation
    whose declaration is gone is removed."""
    from pipeline.collate.sources import COLLATION_FOLDER, COLLATION_SUFFIXES
    from pipeline.collate.sources import collation_outputs as render

    rendered = render(result.root, result.source) if result.source is not None else {}
    for suffix in COLLATION_SUFFIXES:
        relative = f"{COLLATION_FOLDER}/{result.id}{suffix}"
        if relative not in rendered:
            (outputs / relative).unlink(missing_ok=True)
    return rendered


def load_cache(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
