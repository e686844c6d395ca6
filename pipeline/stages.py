"""Running the stages: one source to TEI and outputs, and a whole folder of sources.

A document with errors gets no new outputs (its previous ones stay as they were); the
others are built. Every output is written to a temporary file and renamed into place.

The functions of the build import ``hashlib`` and ``json`` where they use them: a check (which
runs ``process``) needs neither, and loading them (hashlib's OpenSSL backend above all) is
6 ms of a check's start.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline import __version__
from pipeline.datafiles import PACKAGE_DATA, data_dir, data_path, found_clean, keep_clean, read_text
from pipeline.diagnostics import Diagnostic, Severity
from pipeline.findings import capped, make
from pipeline.records import field, record

SOURCE_SUFFIXES = (".txt", ".xml")
SIDECAR = ".meta.toml"  # a source's metadata and accepted findings
REVIEW = ".review.toml"  # an editor's decisions on the automatic ones


@record
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
    from pipeline.ids import source_id
    from pipeline.read import valid_id

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
        from pipeline.read import check_versions

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
    A file this very code found clean before, with these very bytes, is not checked again
    (the verdicts of ``pipeline.datafiles``): then its loader, and the modules it needs, are
    not even imported, unless a stage needs them.
    """
    found: list[Diagnostic] = []
    for name, loader in DATA_CHECKS:
        path = data_path(name)
        text = read_text(path)
        if found_clean(path, text):
            continue
        findings = loader()[1]
        if not findings and text is not None and read_text(path) == text:  # unchanged while checked
            keep_clean(path, text)
        found += findings
    return found


def _rules():
    from pipeline.rules import load_default_rules

    return load_default_rules()


def _register():
    from pipeline.registers import load_default_register

    return load_default_register()


def _conventions():
    from pipeline.conventions import load_default_conventions

    return load_default_conventions()


def _furniture():
    from pipeline.normalize import load_default_furniture

    return load_default_furniture()


# each data file and its loader (which checks it), in the order of their findings
DATA_CHECKS = (("rules.toml", _rules), ("registers.toml", _register), ("conventions.toml", _conventions),
               ("furniture.toml", _furniture))


def render_outputs(root, sid: str, edition=None) -> dict[str, bytes]:
    """Every output of one TEI document, by path relative to the outputs folder.

    The writers share one ``Edition`` (one walk, one rendering of each text): ``edition`` when
    given, else one read from ``root``.
    """
    from pipeline.tei import serialize
    from pipeline.writers import WRITERS
    from pipeline.writers.walk import read_edition

    outputs = {f"xml/{sid}.xml": serialize(root)}
    edition = edition or read_edition(root, sid)
    for folder, suffix, writer in WRITERS.values():
        outputs[f"{folder}/{sid}{suffix}"] = writer(edition)
    return outputs


def remove_stale_temporaries(outputs: Path) -> None:
    """Temporary files a killed build left behind (never a finished output): ``.*.tmp`` in
    the outputs folder, in each of its folders and in those of the site's state."""
    folders = [str(outputs)] + _subfolders(str(outputs)) + _subfolders(str(outputs / SITE_STATE))
    for folder in folders:
        try:
            # (names only, and the test of _temporary written out: this runs for every output)
            stale = [name for name in os.listdir(folder)
                     if name.startswith(".") and name.endswith(".tmp") and len(name) >= 5]
        except OSError:  # no such folder
            continue
        for name in stale:
            try:
                os.unlink(os.path.join(folder, name))
            except FileNotFoundError:
                pass


def _subfolders(folder: str) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            return [entry.path for entry in entries if entry.is_dir()]
    except OSError:
        return []


def _temporary(name: str) -> bool:
    """A name of ``write_atomic``'s temporary files (the pattern ``.*.tmp``)."""
    return name.startswith(".") and name.endswith(".tmp") and len(name) >= 5


# a temporary file is new (never another's), opened for writing only, not inherited by children
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC


def _temporary_beside(path: Path | str) -> tuple[int, str]:
    """A new temporary file in the folder of ``path`` (made when missing), opened for writing:
    ``.<name>.<pid>.tmp``, with a number after the pid when that name is taken (a file a killed
    process of the same pid left, or another write to ``path`` in this process). Cheaper than
    ``tempfile.mkstemp``, which draws random names and resolves the folder on every call. It is
    made readable as any file the user makes (the web server serving the web edition reads it):
    its mode is given to ``open``, which the umask trims, rather than set by another call."""
    folder, name = os.path.split(os.fspath(path))
    base = f"{folder}/.{name}.{os.getpid()}"
    temporary, attempt, made_folder = f"{base}.tmp", 0, False
    while True:
        try:
            return os.open(temporary, _NEW_FILE, 0o666), temporary
        except FileExistsError:
            attempt += 1
            temporary = f"{base}.{attempt}.tmp"
        except FileNotFoundError:
            if made_folder:
                raise
            os.makedirs(folder, exist_ok=True)
            made_folder = True


def write_changed(path: str, data: bytes) -> None:
    """``write_atomic``, unless the file holds these bytes already (a rebuild leaves an output
    it would write the same untouched): its size is compared first, its bytes only when equal."""
    try:
        size = os.stat(path).st_size
    except OSError:
        size = None
    if size == len(data):
        with open(path, "rb") as stream:
            if stream.read() == data:
                return
    write_atomic(path, data)


def write_atomic(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half written."""
    handle, temporary = _temporary_beside(path)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view):]
        finally:
            os.close(handle)
        # the rename is atomic: a killed build leaves the old file or the new one, never half
        # of it (no fsync: that guards against power loss, at the price of every output)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_atomic_stream(path: Path, chunks) -> None:
    """Write the chunks (bytes) to ``path`` as ``write_atomic`` does, without holding them all;
    the file is left as it was when its bytes are the same."""
    handle, temporary = _temporary_beside(path)
    try:
        size = 0
        with os.fdopen(handle, "wb") as stream:
            for chunk in chunks:
                size += stream.write(chunk)
        if _file_size(path) == size and _same_bytes(path, temporary):
            os.unlink(temporary)
        else:
            os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _file_size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _same_bytes(one, other) -> bool:
    """Whether two files of the same size have the same bytes (compared a block at a time)."""
    with open(one, "rb") as first, open(other, "rb") as second:
        while True:
            block = first.read(1 << 20)
            if block != second.read(1 << 20):
                return False
            if not block:
                return True


def find_sources(paths: list[Path]) -> list[Path]:
    """The transcriptions under the given files or folders, sorted (sidecars excluded)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            with os.scandir(path) as entries:  # the kind of each entry comes with the listing
                found += [path / entry.name for entry in entries
                          if entry.name.endswith(SOURCE_SUFFIXES) and not entry.name.startswith(".")
                          and entry.is_file()]
        elif path.name.endswith((SIDECAR, REVIEW)):
            # a sidecar or a decisions file stands for its transcription
            suffix = SIDECAR if path.name.endswith(SIDECAR) else REVIEW
            found.append(path.with_name(path.name[: -len(suffix)] + ".txt"))
        else:
            found.append(path)
    unique = {str(path): path for path in found}  # (strings hash faster than paths)
    return [unique[name] for name in sorted(unique)]


def duplicate_ids(paths: list[Path]) -> list[Diagnostic]:
    """A finding for every source whose id another source already uses."""
    from pipeline.ids import source_id

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
    """A hash of everything besides a source that decides its outputs: code, data, schemas.

    (Made anew each run: reading and hashing the 65 files costs about 2 ms, less than
    listing and statting them to look a kept one up would.)"""
    import hashlib

    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    files = sorted(package.rglob("*.py")) + sorted((package / "writers" / "templates").glob("*"))
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
    import hashlib

    digest = hashlib.sha256(base.encode())
    digest.update(path.read_bytes())
    for suffix in (SIDECAR, REVIEW):
        companion = path.with_name(path.name[: -len(path.suffix)] + suffix)
        digest.update(suffix.encode())
        if companion.exists():
            digest.update(companion.read_bytes())
    return digest.hexdigest()


def build_one(path: Path, outputs: Path, code: str = "") -> tuple[Result, str | None]:
    """Process one source and write its outputs when it has no errors; returns the result and
    the digest of the TEI written (None when none was).

    With the web edition among the outputs, the source's entry for the site's shared pages
    is kept in ``outputs/.dispatch-site/<id>.json``, with the code fingerprint ``code`` and
    the digest of the TEI it comes from (``build_site`` reads it).
    """
    import hashlib

    result = process(path)
    xml_digest = None
    if not result.failed:
        try:
            from pipeline.writers.walk import read_edition

            edition = read_edition(result.root, result.id)
            rendered = render_outputs(result.root, result.id, edition)
            entry = _site_entry(edition)
            rendered.update(collation_outputs(result, outputs))
        except Exception as err:  # noqa: BLE001 - reported as a finding, by design
            result.diagnostics.append(make("X900", str(path), 1, 1, case="writing",
                                           error=f"{type(err).__name__}: {err}"))
            rendered, entry = {}, None
        for relative, data in rendered.items():
            write_changed(f"{outputs}/{relative}", data)
        if rendered:
            xml_digest = hashlib.sha256(rendered[f"xml/{result.id}.xml"]).hexdigest()
        if entry is not None:
            _write_site_entry(outputs, result.id, code, xml_digest, *entry)
    result.root = result.root is not None  # lxml trees do not cross process boundaries
    result.source = None
    return result, xml_digest


def collation_outputs(result: Result, outputs: Path) -> dict[str, bytes]:
    """The collation of the versions a source declares (outputs/collation/); a collation
    whose declaration is gone is removed."""
    from pipeline.collate.sources import COLLATION_OUTPUTS
    from pipeline.collate.sources import collation_outputs as render

    rendered = render(result.root, result.source) if result.source is not None else {}
    for path in COLLATION_OUTPUTS:
        relative = path.format(id=result.id)
        if relative not in rendered:
            (outputs / relative).unlink(missing_ok=True)
    return rendered


SITE_STATE = ".dispatch-site"


def _site_entry(edition) -> tuple[dict, bytes] | None:
    """What the site's shared pages keep of a source (``pipeline.writers.site.page_data``: its
    documents' rows rendered here, in the worker, rather than at the end of the build) and its
    part of the search index (UTF-8); None without the web edition."""
    from pipeline.writers import WRITERS
    from pipeline.writers.html import site_entry
    from pipeline.writers.site import page_data

    if "html" not in WRITERS:
        return None
    entry = site_entry(edition)
    return page_data(entry), entry["search"].encode("utf-8")


def _write_site_entry(outputs: Path, sid: str, code: str, xml_digest: str, data: dict, search: bytes) -> None:
    """Keep a source's site entry: its search data as it is (``search/<id>.json``, large, read
    as bytes), its page data as JSON (``entries/<id>.json``, written last: it names the code, the
    TEI and the search data it goes with)."""
    kept = kept_site_entry(code, xml_digest, data, search)
    for target, content in ((f"{outputs}/{SITE_STATE}/search/{sid}.json", search),
                            (f"{outputs}/{SITE_STATE}/entries/{sid}.json", kept)):
        write_changed(target, content)


def kept_site_entry(code: str, xml_digest: str | None, data: dict, search: bytes) -> bytes:
    """The file ``entries/<id>.json`` of a source's site entry: its page data, and the code, the
    TEI and the search data it goes with."""
    import hashlib
    import json

    return json.dumps({"code": code, "xml": xml_digest, "search": hashlib.sha256(search).hexdigest(),
                       "entry": data}, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _kept_site_entry(state: Path, sid: str, code: str, digest: str, *, fresh: bool = False
                     ) -> tuple[dict, bytes] | None:
    """A source's kept site entry (its page data and search data), if it was made by this code
    from this TEI, whole. ``fresh``: this build has just written it, with its search data (whose
    digest is then not checked again)."""
    import hashlib
    import json

    try:
        with open(f"{state}/entries/{sid}.json", "rb") as stream:
            kept = json.loads(stream.read())
        if not (isinstance(kept, dict) and kept.get("code") == code and kept.get("xml") == digest
                and isinstance(kept.get("entry"), dict)):
            return None
        with open(f"{state}/search/{sid}.json", "rb") as stream:
            search = stream.read()
    except (OSError, ValueError):
        return None
    if not fresh and hashlib.sha256(search).hexdigest() != kept.get("search"):
        return None
    return kept["entry"], search


def _tei_files(outputs: Path) -> list[str]:
    """The names of the TEI files in ``outputs/xml``, sorted (as names: a corpus of them is
    held while the shared pages are made)."""
    try:
        with os.scandir(outputs / "xml") as found:
            return sorted(e.name for e in found if e.name.endswith(".xml") and not e.name.startswith(".")
                          and e.is_file())
    except OSError:
        return []


def build_site(outputs: Path, code: str, digests: dict[str, str] | None = None) -> list[Diagnostic]:
    """The web edition's shared pages (index, persons, places, search), from every source's TEI.

    Made again, whole, from the TEI files in ``outputs/xml``: each source's entry is the one
    its build kept when it was made from these very bytes by this very code, and is otherwise
    made again from the TEI. ``digests`` (id -> digest) are those of the TEI files this build
    has just written, which need not be read again. The entries are read once, one at a time,
    in the order of the files: the search index is streamed from the kept parts, and
    ``SitePages`` holds of each document only a few numbers (its rendered rows wait in a
    temporary file). A file is written only when its bytes change. Returns findings (a TEI file
    that cannot be read), never raises.
    """
    from pipeline.writers.site import SitePages, search_index

    found: list[Diagnostic] = []
    state = outputs / SITE_STATE
    names = _tei_files(outputs)
    digests = digests or {}
    pages = SitePages(state if state.is_dir() else None)  # its temporary file beside the kept entries

    def search_parts():
        for name in names:
            sid = name[: -len(".xml")]
            kept = _site_entry_of(outputs, sid, code, digests.get(sid), found)
            if kept is not None:
                pages.add(sid, kept[0])
                yield kept[1]

    try:
        write_atomic_stream(outputs / "html" / "search-index.js", search_index(search_parts()))
        for name, chunks in pages.files():
            write_atomic_stream(outputs / "html" / name, chunks)
    except Exception as err:  # noqa: BLE001 - reported as a finding, by design
        return found + [Diagnostic(str(outputs / "html"), 1, 1, "X900", Severity.ERROR,
                                   f"internal error while writing the web edition's shared pages "
                                   f"({type(err).__name__}: {err})", "please report it")]
    finally:
        pages.close()
    _forget_removed(state, {name[: -len(".xml")] for name in names})
    return found


def _forget_removed(state: Path, present: set[str]) -> None:
    """The kept site entries of sources whose TEI is gone."""
    for folder in (state / "entries", state / "search"):
        try:
            with os.scandir(folder) as kept:
                gone = [e.path for e in kept if e.name.endswith(".json") and e.name[: -len(".json")] not in present]
        except OSError:
            continue
        for path in gone:
            os.unlink(path)


def _site_entry_of(outputs: Path, sid: str, code: str, digest: str | None,
                   found: list[Diagnostic]) -> tuple[dict, bytes] | None:
    """A source's site entry for ``build_site``: the kept one when it is still good (``digest``:
    its TEI's, when known), else one made again from its TEI and kept; None (and a finding in
    ``found``) when the TEI cannot be read."""
    import hashlib

    xml = f"{outputs}/xml/{sid}.xml"
    data = None
    fresh = digest is not None
    if digest is None:
        with open(xml, "rb") as stream:
            data = stream.read()
        digest = hashlib.sha256(data).hexdigest()
    kept = _kept_site_entry(outputs / SITE_STATE, sid, code, digest, fresh=fresh)
    if kept is not None:
        return kept
    try:
        from lxml import etree

        from pipeline.validate import safe_parser
        from pipeline.writers.walk import read_edition

        if data is None:
            with open(xml, "rb") as stream:
                data = stream.read()
            digest = hashlib.sha256(data).hexdigest()
        entry = _site_entry(read_edition(etree.fromstring(data, safe_parser()), sid))
    except Exception as err:  # noqa: BLE001 - reported as a finding, by design
        found.append(Diagnostic(
            xml, 1, 1, "X900", Severity.ERROR,
            f"internal error while reading it for the web edition ({type(err).__name__}: {err})",
            "build its source again (dispatch build --force)"))
        return None
    _write_site_entry(outputs, sid, code, digest, *entry)
    return entry


def load_cache(path: Path) -> dict:
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
