"""Collating from sources: the witnesses named on the command line, the versions a sidecar
declares (``[[versions]]``, ``version_of``), and the collation outputs of a build.

Every witness is read from its source's TEI (a transcription is read, normalized, parsed,
encoded and validated first, as ``dispatch check`` does); a witness that does not exist,
or whose source has errors, is a located finding, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.collate.apparatus import Collation, build
from pipeline.collate.witness import Spec, Witness, has_hand_edits, make_witness, parse_spec, siglum, witness_id
from pipeline.diagnostics import Diagnostic, Severity
from pipeline.findings import make

def writers() -> dict:
    """format -> (file suffix, writer of a Collation): what ``dispatch collate --to`` writes."""
    from pipeline.writers.collation_html import write_collation_html
    from pipeline.writers.collation_json import write_collation_json
    from pipeline.writers.collation_latex import write_collation_latex
    from pipeline.writers.collation_tei import write_collation_tei

    return {
        "tei": (".xml", write_collation_tei),
        "latex": (".tex", write_collation_latex),
        "json": (".json", write_collation_json),
        "html": (".html", write_collation_html),  # the side-by-side page, self-contained
    }


# what a build writes for a source that declares versions, by path under outputs/
COLLATION_OUTPUTS = ("collation/{id}.xml", "collation/{id}.tex", "collation/{id}.json", "html/collation/{id}.html")


def _plural(count: int) -> str:
    return "s" * (count != 1)


def load(arguments: list[str]) -> tuple[Collation | None, list[Diagnostic]]:
    """The witnesses named on the command line, collated; ``None`` and findings when one of
    them cannot be read."""
    from pipeline.stages import process
    from pipeline.writers.walk import read_edition

    found: list[Diagnostic] = []
    specs: list[Spec] = []
    for argument in arguments:
        spec = parse_spec(argument)
        if isinstance(spec, Diagnostic):
            found.append(spec)
        else:
            specs.append(spec)
    editions: dict[Path, object] = {}
    chosen: list[tuple[Spec, object]] = []
    seen: dict[tuple, Spec] = {}
    for spec in specs:
        path = spec.path
        if path.suffix not in (".txt", ".xml"):
            found.append(make("C700", str(path), 1, 1, case="kind" if path.exists() else None, named=spec.named))
            continue
        if not path.is_file():
            found.append(make("C700", str(path), 1, 1, named=spec.named))
            continue
        resolved = path.resolve()
        if resolved not in editions:
            result = process(path)
            if result.failed:
                found += [d for d in result.diagnostics if d.severity >= Severity.ERROR]
                found.append(make("C703", str(path), 1, 1, named=spec.named))
                editions[resolved] = None
            else:
                editions[resolved] = read_edition(result.root, result.id)
        edition = editions[resolved]
        if edition is None:
            continue
        count = len(edition.documents)
        if spec.document is not None and spec.document > count:
            found.append(make("C700", str(path), 1, 1, case="document", named=spec.named, found=count,
                              plural=_plural(count), number=spec.document))
            continue
        identity = (resolved, spec.document, spec.effective_layer)
        if identity in seen:
            found.append(make("C701", str(path), 1, 1, named=spec.named, other=seen[identity].named))
            continue
        seen[identity] = spec
        if spec.layer is not None and not has_hand_edits(edition, spec.document):
            found.append(make("C702", str(path), 1, 1, named=spec.named, number=spec.document or "(all)"))
        chosen.append((spec, edition))
    if any(d.severity >= Severity.ERROR for d in found) or not chosen:
        return None, found
    single = len({spec.path.resolve() for spec, _ in chosen}) == 1
    witnesses = []
    for number, (spec, edition) in enumerate(chosen):
        wid = witness_id(edition.id, spec.document, spec.layer, single)
        witness = make_witness(edition, str(spec.path), spec.document, spec.layer, wid, siglum(number))
        if not witness.text:
            found.append(make("C704", str(spec.path), 1, 1, named=spec.named))
        witnesses.append(witness)
    title = "Collation of " + "; ".join(f"{w.siglum}: {w.label}" for w in witnesses)
    return Collation("collation", title, [build(witnesses, 1, "")]), found


def declared(root, source) -> Collation | None:
    """The collation of the versions a source's sidecar declares, from its TEI; ``None``
    when it declares none (or none of them can be built)."""
    from pipeline.writers.walk import read_edition

    if not source.metadata.versions:
        return None
    edition = read_edition(root, source.id)
    groups = []
    order: dict[str, str] = {}
    for index, versions in enumerate(source.metadata.versions, 1):
        witnesses: list[Witness] = []
        for number in versions.documents:
            if number > len(edition.documents):
                continue
            edited = has_hand_edits(edition, number)
            layers = list(versions.layers) if edited else [None]
            if layers == ["revised"]:
                layers = [None]  # the reading
            for layer in layers:
                wid = witness_id(source.id, number, layer, True)
                order.setdefault(wid, siglum(len(order)))
                # named by the file alone: the outputs do not depend on where the build ran
                witnesses.append(make_witness(edition, Path(source.path).name, number, layer, wid, order[wid]))
        if len(witnesses) >= 2:
            groups.append(build(witnesses, index, f"c{index}-" if len(source.metadata.versions) > 1 else ""))
    if not groups:
        return None
    def numbers(versions) -> str:
        return ", ".join(map(str, versions.documents[:-1])) + f" and {versions.documents[-1]}"

    labels = "; ".join(f"documents {numbers(v)}" for v in source.metadata.versions)
    return Collation(source.id, f"Collation: {edition.title} ({labels})", groups)


def collation_outputs(root, source) -> dict[str, bytes]:
    """The collation outputs of a source that declares versions, by path under outputs/: the
    apparatus as TEI, LaTeX and JSON, and its page in the web edition."""
    from pipeline.writers.collation_html import write_collation_page

    collation = declared(root, source)
    if collation is None:
        return {}
    formats = writers()
    written = [formats["tei"][1], formats["latex"][1], formats["json"][1], write_collation_page]
    return {path.format(id=source.id): writer(collation) for path, writer in zip(COLLATION_OUTPUTS, written)}
