"""``python -m pipeline.pdf LATEX_DIR PDF_DIR``: compile every LaTeX edition to PDF (``make pdf``).

Each file is compiled by latexmk with the engine its first line names (``% !TEX program``),
in a scratch folder, without shell escape; the PDF is copied into PDF_DIR. A failed
compilation prints the end of the TeX log, never just "exit 1".
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = {"pdflatex": "-pdf", "xelatex": "-xelatex", "lualatex": "-lualatex"}


def engine_of(tex: Path) -> str:
    first = tex.read_text(encoding="utf-8").split("\n", 1)[0]
    m = re.match(r"% !TEX program = (\w+)", first)
    return m.group(1) if m and m.group(1) in FLAGS else "xelatex"


def compile_pdf(tex: Path, target: Path) -> tuple[bool, str]:
    """Compile one edition; (ok, the end of the log when it failed)."""
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / tex.name
        shutil.copyfile(tex, work)
        completed = subprocess.run(
            ["latexmk", FLAGS[engine_of(tex)], "-interaction=nonstopmode", "-halt-on-error",
             "-no-shell-escape", work.name],
            cwd=scratch, capture_output=True, text=True, errors="replace", timeout=600)
        pdf = work.with_suffix(".pdf")
        if completed.returncode != 0 or not pdf.exists():
            log = work.with_suffix(".log")
            text = log.read_text(errors="replace") if log.exists() else completed.stdout
            errors = [line for line in text.splitlines() if line.startswith("!")]
            return False, "\n".join(errors[:5]) or text[-2000:]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdf, target)
    return True, ""


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        print("usage: python -m pipeline.pdf LATEX_DIR PDF_DIR", file=sys.stderr)
        return 2
    if shutil.which("latexmk") is None:
        print("pdf: latexmk is not installed (TeX Live); nothing compiled", file=sys.stderr)
        return 2
    source, target = Path(args[0]), Path(args[1])
    failed = 0
    for tex in sorted(source.glob("*.tex")):
        ok, log = compile_pdf(tex, target / (tex.stem + ".pdf"))
        print(f"{tex}: {'ok' if ok else 'FAILED'}")
        if not ok:
            failed += 1
            print(log)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
