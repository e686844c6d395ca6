"""The ``dispatch`` command's typer application: a thin layer over the library's stages.

Exit codes: 0 clean, 1 findings at or above the threshold (or failed documents), 2 a usage
or environment problem. The entry point is ``pipeline.cli.main``, which serves a plain
``dispatch check`` or ``dispatch build`` itself and hands everything else to this application.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import List

import typer

from pipeline.cli import FORMATS, serve_build, serve_check

app = typer.Typer(
    help="Validate OCR'd archival transcriptions and convert them to TEI P5, LaTeX, plain text, JSON and HTML.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


Format = Enum("Format", {name: name for name in FORMATS}, type=str)  # the formats of check, one list for both parsers


class ReviewFormat(str, Enum):
    html = "html"
    md = "md"


class Target(str, Enum):
    latex = "latex"
    text = "text"
    json = "json"
    html = "html"


def _fail(message: str) -> None:
    typer.echo(f"dispatch: {message}", err=True)
    raise typer.Exit(2)


@app.command()
def build(
    sources: Path = typer.Option(Path("sources"), "--sources", help="Folder of transcriptions (.txt with optional .meta.toml, or TEI .xml)."),
    outputs: Path = typer.Option(Path("outputs"), "--outputs", help="Folder that receives xml/, latex/, text/, json/ and html/."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes (0: one per core)."),
    force: bool = typer.Option(False, "--force", help="Rebuild every source, even unchanged ones."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print errors and the summary only."),
) -> None:
    """Build every source into outputs/: TEI, LaTeX, plain text, JSON and the web edition.

    Only sources whose text, metadata, or the pipeline's rules, registers, schemas or code
    changed are rebuilt. A source with errors gets no new outputs (the old ones stay) and
    makes the exit code 1; the other sources are still built.
    """
    raise typer.Exit(serve_build(sources=sources, outputs=outputs, jobs=jobs, force=force, quiet=quiet))


@app.command()
def check(
    paths: List[Path] = typer.Argument(..., help="Transcriptions (.txt or .xml) or folders of them."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 on any warning not accepted in the sidecar ([[accept]])."),
    fmt: Format = typer.Option(Format.text, "--format", help="text (path:line:col: CODE message), json, or github annotations."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also print informational findings."),
) -> None:
    """Check transcriptions through every stage up to validation; write nothing.

    Prints each finding as path:line:col: CODE message, with a hint line where a fix is
    known, then a summary. Exit 0 when there are no errors, 1 when there are errors (or
    warnings under --strict), 2 on a usage problem.
    """
    raise typer.Exit(serve_check(paths, strict=strict, fmt=fmt.value, verbose=verbose))


@app.command()
def accept(
    path: Path = typer.Argument(..., help="The transcription (.txt) the finding is in."),
    code: str = typer.Argument(..., help="The finding's code, as dispatch check prints it (P303)."),
    at: str = typer.Option(None, "--at", help="The received text the finding points at; needed when the "
                                              "source has several findings of that code."),
    reason: str = typer.Option(..., "--reason", help="Why the finding is right as it stands (required)."),
) -> None:
    """Accept a warning on purpose: append an [[accept]] entry to the source's sidecar.

    The entry names the code and the received text the finding points at (so it survives
    edits elsewhere) with the reason; the sidecar is created if missing, and the rest of it
    is left as it was. Without --at, the source must have exactly one such warning. An
    accepted warning no longer fails dispatch check --strict (and the dispatch-check hook).
    """
    from pipeline.commands import run_accept

    if not path.exists():
        _fail(f"no such file: {path}")
    raise typer.Exit(run_accept(path, code.strip().upper(), at, reason))


@app.command()
def review(
    paths: List[Path] = typer.Argument(..., help="Transcriptions (.txt) or folders of them."),
    output: Path = typer.Option(None, "--output", "-o", help="Folder for <id>.html (or <id>.md); default: "
                                                            "review/ for HTML, standard output for Markdown."),
    fmt: ReviewFormat = typer.Option(ReviewFormat.html, "--format", help="html: a self-contained page per "
                                                                         "source; md: Markdown."),
) -> None:
    """Show every automatic decision of a source for review, the doubtful ones first.

    Every normalization change (OCR fix, fuzzy register match, layout and markup repair,
    web-page chrome) and every heuristic decision (a bracket's kind, where a document starts,
    inferred title, date, sender and recipient, archival furniture, an italic closed), with
    its stable id, the received text around it, the reading and the rule. Copy an id into
    sources/<id>.review.toml to accept, reject or set it; the page shows what is decided.
    """
    from pipeline.commands import run_review

    missing = [p for p in paths if not p.exists()]
    if missing:
        _fail(f"no such file or folder: {missing[0]}")
    if output is None and fmt == ReviewFormat.html:
        output = Path("review")
    raise typer.Exit(run_review(paths, output, fmt.value))


@app.command()
def normalize(
    paths: List[Path] = typer.Argument(..., help="Plain-text transcriptions (.txt)."),
) -> None:
    """List every change normalization makes, one a line, for review.

    Each line reads path:line:col: RULE-ID before -> after, with the line and column of the
    received text. The rules are in pipeline/data/rules.toml, the names in registers.toml.
    """
    from pipeline.commands import run_normalize

    missing = [p for p in paths if not p.exists()]
    if missing:
        _fail(f"no such file or folder: {missing[0]}")
    raise typer.Exit(run_normalize(paths))


@app.command()
def restore(
    xml: Path = typer.Argument(..., help="A TEI file written by dispatch (outputs/xml/<id>.xml)."),
) -> None:
    """Print the received transcription, byte for byte, from its TEI."""
    from pipeline.commands import run_restore

    if not xml.exists():
        _fail(f"no such file: {xml}")
    raise typer.Exit(run_restore(xml))


@app.command()
def emit(
    xml: Path = typer.Argument(..., help="A TEI file (outputs/xml/<id>.xml)."),
    to: Target = typer.Option(..., "--to", help="Output format."),
    diplomatic: bool = typer.Option(False, "--diplomatic", help="With --to text: the diplomatic text, every intervention marked."),
) -> None:
    """Write one output format of a TEI file to standard output (the writers read only the TEI)."""
    from pipeline.commands import run_emit

    if not xml.exists():
        _fail(f"no such file: {xml}")
    if diplomatic and to != Target.text:
        _fail("--diplomatic goes with --to text")
    raise typer.Exit(run_emit(xml, to.value, diplomatic))


class CollationTarget(str, Enum):
    tei = "tei"
    latex = "latex"
    json = "json"
    html = "html"


@app.command()
def collate(
    witnesses: List[str] = typer.Argument(..., help="Two or more witnesses: PATH (a whole source), PATH#N (its "
                                                    "document N, from 1), PATH#N@first or PATH#N@revised (the "
                                                    "document before or after its hand edits; the default is its "
                                                    "reading, the revised text)."),
    to: CollationTarget = typer.Option(CollationTarget.tei, "--to", help="Output format: TEI parallel segmentation, "
                                                                         "LaTeX (reledmac), JSON, or HTML (the "
                                                                         "witnesses side by side, one page)."),
) -> None:
    """Collate versions of a document: an apparatus of their variants on standard output.

    The first witness is the base. Passages the witnesses share are paired first, in order
    or moved, then their words are aligned. Findings go to standard error; exit 2 when a
    witness does not exist, 1 when its source has errors.
    """
    from pipeline.commands import run_collate

    if len(witnesses) < 2:
        _fail("collate needs two witnesses or more")
    raise typer.Exit(run_collate(witnesses, to.value))
