"""The collation as a LaTeX edition with a critical apparatus (reledmac, in TeX Live's
texlive-humanities).

The main text is the base witness (the first), its blocks as numbered paragraphs; every
variant is a note keyed to the line and to the base's words (the lemma), in two series:
A for substantive variants (words added, omitted, substituted, moved, or made by a hand
edit), B for accidentals (punctuation and case, block breaks, spellings and OCR variants).
A passage the base does not have is a note at the word it would follow, with the words of
every witness that has it; where those witnesses differ inside it, their readings stand
in angle brackets. In the readings, words a hand inserted are in italics and words a hand
later deleted are struck through (``\\edHandAdd``, ``\\edHandDel``: restyle them in the
preamble). A block break inside a reading is a pilcrow.
"""

from __future__ import annotations

from pipeline.collate.apparatus import App, Apparatus, Collation, Reading
from pipeline.writers.latex import ENGINES, FONTS, LatexWriter, escape, needs_unicode_engine

PREAMBLE = ENGINES + r"""\providecommand{\edFontru}{}\providecommand{\edFontzh}{}
\usepackage[a4paper,margin=25mm]{geometry}
\usepackage[normalem]{ulem}
\usepackage{reledmac}
\emergencystretch=3em
\tolerance=9999
\hbadness=10000
\setlength{\parindent}{0pt}
\raggedbottom
% the apparatus: line numbers every five lines, each series of notes run into a paragraph
\lineation{section}
\linenummargin{left}
\firstlinenum{5}
\linenumincrement{5}
\Xarrangement[A]{paragraph}
\Xarrangement[B]{paragraph}
\Xnotenumfont{\bfseries\footnotesize}
\Xlemmafont{\itshape}
% ---- restyle the apparatus here ----
\newcommand{\edSigla}[1]{\textsf{#1}}
\newcommand{\edHandAdd}[1]{\textit{#1}}% words a hand inserted
\newcommand{\edHandDel}[1]{\sout{#1}}% words a hand later deleted
\newcommand{\edOmitted}{\textit{om.}}
\newcommand{\edAdded}{\textit{add.}}
\newcommand{\edMoved}{\textit{transp.}}
\newcommand{\edAfter}[1]{\textit{after} #1}
\newcommand{\edBefore}[1]{\textit{before} #1}
\newcommand{\edBreak}{\,\P\,}
\newcommand{\edAlternatives}[1]{$\langle$#1$\rangle$}
\newcommand{\edOr}{\,|\,}
\newcommand{\edReadingSep}{;\quad }
\newcommand{\edPassage}[1]{see passage #1}
\newcommand{\edPassageText}[4]{\paragraph{Passage #1} (#2, #3) #4}
\setlength{\parskip}{0.4\baselineskip}
"""

LONG_LEMMA = 8  # a lemma of more words is printed as its first and last words
LONG_ADDITION = 60  # a passage the base lacks of more words is printed after the text
_TEXT = LatexWriter(None)


def text(value: str) -> str:
    """Escaped text of a witness (script runs in their fonts, long tokens breakable)."""
    return _TEXT.text(value)


def reading_tex(reading_text: str, hands, final_break: bool = False) -> str:
    """A reading with its hand edits marked and its block breaks as pilcrows (the one that
    ends it too, with ``final_break``)."""
    body = reading_text.rstrip(" ") if final_break else reading_text.rstrip()
    cuts = sorted({0, len(body)} | {min(a, len(body)) for a, _, _ in hands} | {min(b, len(body)) for _, b, _ in hands})
    out = []
    for start, end in zip(cuts, cuts[1:]):
        kind = next((k for a, b, k in hands if a <= start and end <= b), None)
        piece = "\\edBreak{}".join(text(line) for line in body[start:end].split("\n"))
        if kind and piece.strip():
            piece = ("\\edHandAdd{" if kind == "add" else "\\edHandDel{") + piece + "}"
        out.append(piece)
    return "".join(out)


def _sigla(apparatus: Apparatus, witnesses) -> str:
    return "\\edSigla{" + " ".join(apparatus.witnesses[w].siglum for w in witnesses) + "}"


def _lemma(words: str) -> str:
    parts = words.split()
    if len(parts) > LONG_LEMMA:
        return text(" ".join(parts[:3])) + r" \ldots{} " + text(" ".join(parts[-2:]))
    return text(" ".join(parts))


class CollationLatex:
    def __init__(self, apparatus: Apparatus):
        self.apparatus = apparatus
        self.passages: list[tuple[str, str, str]] = []  # (where, text, sigla) of the long additions

    def note(self, app: App) -> str:
        """The note of a variant whose lemma is the base's words."""
        parts = [_sigla(self.apparatus, app.readings[0].witnesses)]
        for reading in app.readings[1:]:
            parts.append(self._reading(reading))
        return "\\edReadingSep{}".join(parts)

    def _reading(self, reading: Reading) -> str:
        if not reading.text.strip():
            body = "\\edOmitted{}"
        else:
            body = reading_tex(reading.text, reading.hands)
            if reading.type == "transposition":
                body = "\\edMoved{} " + body
        return body + " " + _sigla(self.apparatus, reading.witnesses)

    def addition_note(self, apps: list[App], where: str) -> str:
        """One note for passages the base lacks at one place: the words of every witness that
        has them, their differences inside it in angle brackets."""
        count = len(self.apparatus.witnesses)
        having = [w for w in range(count) if any(app.spans[w][0] < app.spans[w][1]
                                                  and self.apparatus.witnesses[w].text[slice(*app.spans[w])].strip()
                                                  for app in apps)]
        pieces = []
        for app in apps:
            groups: list[tuple[list[int], Reading | None]] = []
            for reading in app.readings:
                members = [w for w in reading.witnesses if w in having]
                if members:
                    groups.append((members, reading))
            if len(groups) == 1:
                pieces.append(reading_tex(groups[0][1].text, groups[0][1].hands, True))
                continue
            options: dict[str, list[int]] = {}
            for members, reading in groups:
                body = reading_tex(reading.text, reading.hands, True) if reading.text.strip() else "\\edOmitted{}"
                options.setdefault(body, []).extend(members)
            if len(options) == 1:
                pieces.append(next(iter(options)))
                continue
            options = [body + " " + _sigla(self.apparatus, sorted(members)) for body, members in options.items()]
            pieces.append("\\edAlternatives{" + "\\edOr{}".join(options) + "}")
        moved = any(r.type == "transposition" for app in apps for r in app.readings[1:])
        body = " ".join(p for p in pieces if p)
        words = max(len(self.apparatus.witnesses[w].text[apps[0].spans[w][0]:apps[-1].spans[w][1]].split())
                    for w in having) if having else 0
        if words > LONG_ADDITION:
            # too long for a note (a footnote cannot break across pages): printed after the text
            self.passages.append((where, body, _sigla(self.apparatus, having)))
            first = self.apparatus.witnesses[having[0]].text[apps[0].spans[having[0]][0]:].split()
            body = (text(" ".join(first[:4])) + r" \ldots{} " + f"(\\edPassage{{{len(self.passages)}}}, "
                    f"{words} words)")
        return ("\\edMoved{} " if moved else "\\edAdded{} ") + body + " " + _sigla(self.apparatus, having)

    def unit(self, number: int, unit) -> str:
        base = self.apparatus.witnesses[0].text
        out: list[str] = []
        pending: list[App] = []
        previous_word = ""

        def flush(next_word: str) -> None:
            if not pending:
                return
            substantive = any(app.substantive for app in pending)
            series = "A" if substantive else "B"
            where = f"\\edAfter{{{text(previous_word)}}}" if previous_word else f"\\edBefore{{{text(next_word)}}}"
            note = self.addition_note(pending, where)
            out.append(f"\\edtext{{}}{{\\lemma{{{where}}}\\{series}footnote{{{note}}}}}")
            pending.clear()

        for index, segment in enumerate(unit):
            start, end = segment.spans[0]
            words = base[start:end]
            if segment.app is not None and not words.strip():
                pending.append(segment.app)
                continue
            flush(words.split()[0] if words.split() else "")
            body = words.rstrip()
            trailing = " " if words.endswith(" ") else ""
            if segment.app is None:
                out.append(text(body.replace("\n", " ")) + trailing)
            else:
                series = "A" if segment.app.substantive else "B"
                lemma = "" if len(body.split()) <= LONG_LEMMA else f"\\lemma{{{_lemma(body)}}}"
                out.append(f"\\edtext{{{text(body)}}}{{{lemma}\\{series}footnote{{{self.note(segment.app)}}}}}"
                           + trailing)
            if body.split():
                previous_word = body.split()[-1]
        flush("")
        return "\\pstart\n" + "".join(out).strip() + "\n\\pend\n"

    def write(self) -> str:
        witnesses = "".join(f"\\item[{w.siglum}] {text(w.label)} ({text(w.named)})\n" for w in self.apparatus.witnesses)
        units = "".join(self.unit(n, unit) for n, unit in enumerate(self.apparatus.units, 1))
        return ("\\subsection*{Witnesses}\n\\begin{description}\n" + witnesses + "\\end{description}\n"
                "The text is that of witness " + self.apparatus.witnesses[0].siglum + ". The notes give every "
                "reading of the other witnesses: series A the substantive variants, series B punctuation, "
                "case, spelling and block breaks. In the readings, \\edHandAdd{italics} mark words a hand "
                "inserted and \\edHandDel{struck-through} words a hand later deleted; \\edBreak{} marks a "
                "block break.\n\n\\medskip\n\\beginnumbering\n" + units + "\\endnumbering\n" + self.appendix())

    def appendix(self) -> str:
        if not self.passages:
            return ""
        items = "".join(f"\\edPassageText{{{number}}}{{{where}}}{{{sigla}}}{{{body}}}\n\n"
                        for number, (where, body, sigla) in enumerate(self.passages, 1))
        return ("\\subsection*{Passages the text of " + self.apparatus.witnesses[0].siglum + " does not have}\n"
                + items)


def write_collation_latex(collation: Collation) -> bytes:
    every = collation.title + "".join(w.text + w.label for w in collation.witnesses)
    unicode = needs_unicode_engine(every)
    fonts = "".join(line for test, line in FONTS if test.search(every))
    guard = ("  \\PackageError{dispatch}{This collation contains characters pdfLaTeX cannot set}"
             "{Compile it with xelatex or lualatex.}\n") if unicode else ""
    preamble = PREAMBLE.replace("@PDFTEX_GUARD@", guard).replace("@FONTS@", fonts)
    groups = []
    for apparatus in collation.groups:
        heading = f"\\section*{{Collation {apparatus.n}}}\n" if len(collation.groups) > 1 else ""
        groups.append(heading + CollationLatex(apparatus).write())
    program = "xelatex" if unicode else "pdflatex"
    return (f"% !TEX program = {program}\n"
            f"% The collation of '{collation.id}', written by dispatch.\n"
            + preamble
            + "\\title{" + escape(collation.title) + "}\n\\date{}\n\n\\begin{document}\n\\maketitle\n\n"
            + "\n".join(groups)
            + "\\end{document}\n").encode("utf-8")
