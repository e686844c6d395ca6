"""The LaTeX writer: a complete, compilable edition from the TEI alone.

The preamble defines one macro per editorial kind (``\\edInsertion``, ``\\edDeletion``,
``\\edGap``...), so an edition is restyled in one place. Every character of the text goes
through ``escape``: no source text can become a TeX command.
"""

from __future__ import annotations

import functools
import re

from pipeline.kinds import BY_NAME, EDITORIAL, GREEK, NOTE, SCRIPTS
from pipeline.writers.walk import Block, Edition, Node

SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    "[": "{[}", "]": "{]}", "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    '"': r"\textquotedbl{}", "\u00a0": "~", "\n": " ", "\t": " ", "\r": " ",
    "`": r"\textasciigrave{}",
}
SPECIAL_TABLE = str.maketrans(SPECIAL)
SPECIAL_CHARACTER = re.compile("[" + re.escape("".join(SPECIAL)) + "]")
# pairs TeX would join into a ligature (-- ---, ''), kept apart with an empty group
LIGATURES = (("--", "-{}-"), ("''", "'{}'"))
# characters pdfTeX typesets with T1 + utf8 + textcomp; any other needs XeLaTeX or LuaLaTeX
PDFTEX_EXTRA = set("\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u2022\u20ac\u00a0\u2032\u2033\u2116")

# the engine's part of a preamble: pdfTeX with T1 fonts, else fontspec and the script fonts
ENGINES = r"""\documentclass[11pt,a4paper]{article}
\usepackage{iftex}
\ifPDFTeX
  \usepackage[T1]{fontenc}
  \usepackage[utf8]{inputenc}
  \usepackage{lmodern}
  \usepackage{textcomp}
@PDFTEX_GUARD@\else
  \usepackage{fontspec}
@FONTS@\fi
"""
PREAMBLE = ENGINES + r"""\usepackage[a4paper,margin=25mm]{geometry}
\usepackage[normalem]{ulem}
\usepackage[noautomatic]{imakeidx}
\makeindex[name=persons,title={Index of persons}]
\emergencystretch=3em
\tolerance=9999 % a loose line rather than one that runs into the margin
\hbadness=10000
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6\baselineskip}
\raggedbottom

% ---- One macro per editorial kind: restyle the whole edition here. ----
\newif\ifdeletionsbracketed \deletionsbracketedfalse % true: deletions in brackets, not struck through
@KINDS@\newcommand{\edFootnoteText}[2]{{\footnotesize\textsuperscript{#1}\,#2}\par}
\providecommand{\edFontru}{}\providecommand{\edFontzh}{}
\newcommand{\edDocumentTitle}[1]{\section*{#1}}
\newcommand{\edSource}[1]{\par\noindent{\small\textit{Source:} #1}\par}
\newcommand{\edAbstract}[1]{\par\noindent{\small\textit{Summary:} #1}\par\medskip}
\newcommand{\edPostscript}[1]{\par\medskip #1\par}
\newcommand{\edDocket}[1]{{\small\scshape #1}\par}
\newcommand{\edFurniture}[1]{{\footnotesize\sffamily #1}\par}
\newenvironment{edHeadnote}{\begin{quote}\small}{\end{quote}}
\newenvironment{edOpener}{\par\setlength{\parskip}{0pt}\raggedright}{\par\medskip}
\newenvironment{edCloser}{\par\medskip\setlength{\parskip}{0pt}\raggedleft}{\par}
\newenvironment{edAnnotation}{\par\medskip\small\textit{{[}Handwritten{]}} }{\par}
\newcommand{\edAddress}[1]{#1\par}
\newcommand{\edSender}[1]{#1\par}
\newcommand{\edDateline}[1]{#1\par}
\newcommand{\edSalute}[1]{#1\par}
\newcommand{\edSigned}[1]{#1\par}
"""


class LazyPattern:
    """A regular expression compiled on its first use.

    The character classes of whole scripts (CJK above all) take milliseconds to compile, which
    every process that imports the writers paid, whether it wrote LaTeX or not.
    """

    def __init__(self, pattern: str):
        self.pattern = pattern

    @functools.cached_property
    def compiled(self) -> re.Pattern:
        return re.compile(self.pattern)

    def search(self, text: str):
        return self.compiled.search(text)

    def sub(self, replacement, text: str) -> str:
        return self.compiled.sub(replacement, text)


def _kind_macros() -> str:
    """The preamble's macro of every editorial kind, from the kinds table."""
    lines = []
    for kind in EDITORIAL:
        if kind.latex_definition is None:
            continue
        arity = {"alt-content": 2, "index-content": 2, "lang-content": 2}.get(kind.latex_args, 1)
        lines.append(f"\\newcommand{{\\{kind.latex}}}[{arity}]{{{kind.latex_definition}}}\n")
    return "".join(lines)


KIND_MACROS = _kind_macros()

# fonts for scripts Latin Modern lacks, from Debian's TeX Live and its dependencies
# the characters each script font sets, from the one table of scripts (Greek in the Cyrillic font)
CYRILLIC_FONT = GREEK + "".join(s.ranges + s.joins for s in SCRIPTS if s.font == r"\edFontru")
CJK_FONT = "".join(s.ranges + s.joins for s in SCRIPTS if s.font == r"\edFontzh")
FONTS = (
    (LazyPattern(f"[{CYRILLIC_FONT}]"), "  \\newfontfamily\\edFontru{DejaVu Serif}\n"),
    (LazyPattern(f"[{CJK_FONT}]"), "  \\newfontfamily\\edFontzhfamily{FandolSong-Regular.otf}\n"
              "  \\newcommand{\\edFontzh}{\\edFontzhfamily\\ifXeTeX\\XeTeXlinebreaklocale \"zh\""
              "\\XeTeXlinebreakskip=0pt plus 1pt\\fi}\n"
              "  \\let\\edFontja\\edFontzh\n  \\let\\edFontko\\edFontzh\n"),
)


LONG_TOKEN = LazyPattern(r"[^\s\u3000-\u9fff]{30,}")
BREAK = "\x00"  # a sentinel: control characters never reach the writers (R104)
SCRIPT_RUNS = (
    (LazyPattern(f"[{CYRILLIC_FONT}]+(?:[ ,.;:!?-]+[{CYRILLIC_FONT}]+)*"), r"\edFontru"),
    (LazyPattern(f"[{CJK_FONT}]+"), r"\edFontzh"),
)


def escape(text: str) -> str:
    """Escape every character TeX would read as markup, ligature or command.

    (Looking for a special character costs a third of translating: few texts have one.)
    """
    escaped = text.translate(SPECIAL_TABLE) if SPECIAL_CHARACTER.search(text) else text
    for pair, separated in LIGATURES:
        while pair in escaped:  # repeated: '---' needs two passes
            escaped = escaped.replace(pair, separated)
    return escaped


BEYOND_PDFTEX = LazyPattern("[^\u0000-\u017f" + "".join(sorted(PDFTEX_EXTRA)) + "]")


def needs_unicode_engine(text: str) -> bool:
    """True when pdfTeX cannot typeset some character of ``text``."""
    return not text.isascii() and BEYOND_PDFTEX.search(text) is not None


INDEX_QUOTED = str.maketrans({ch: '"' + ch for ch in '!@|"'})


def _index_key(text: str) -> str:
    """A makeindex key: its special characters quoted."""
    return escape(text).translate(INDEX_QUOTED)


def _texts(nodes: list[Node], out: list[str]) -> list[str]:
    """The text of every text node among ``nodes`` and their descendants (both forms of a choice)."""
    for node in nodes:
        if node.kind == "text":
            out.append(node.text)
        else:
            if node.children:
                _texts(node.children, out)
            if node.alt:
                _texts(node.alt, out)
    return out


# an ASCII byte as a byte of a word (1) or of the space between words (a space), as the long
# token's pattern reads it: a long token is 30 word bytes in a row
WORD_BYTES = bytes(32 if chr(byte).isspace() else 1 for byte in range(256))
LONG_WORD = b"\x01" * 30


def verbatim(texts: list[str]) -> bool:
    """True when ``LatexWriter.text`` would give every one of ``texts`` back unchanged: all ASCII,
    no special character, no ligature pair, no token long enough to be broken.

    Most documents are such (the words of telegrams and letters); their texts are then written
    without a call of ``text`` each. Looked at once in all the texts together (a space between
    two: no pair or token spans them), by C-speed substring tests rather than a pattern searched
    character by character, and the long token as a run of word bytes (no word made of each).
    """
    joined = " ".join(texts)
    return (joined.isascii() and not any(character in joined for character in SPECIAL)
            and not any(pair in joined for pair, _ in LIGATURES)
            and LONG_WORD not in joined.encode("ascii").translate(WORD_BYTES))


class LatexWriter:
    def __init__(self, edition: Edition):
        self.edition = edition
        self.in_deletion = 0
        self.deferred: list[str] = []
        # every text of the edition written as it is (``text`` would change none): no call each
        # (the collation's writer has no edition: it asks ``text`` alone)
        self.verbatim = False
        if edition is not None:
            texts: list[str] = []
            for document in edition.documents:
                for block in document.blocks:
                    _texts(block.inlines, texts)
            self.verbatim = verbatim(texts)

    def text(self, text: str) -> str:
        """Escaped text; in an edition with other scripts, each run in the font that has it.

        A run of 30 or more characters without a space (a garbled token, a long number) gets
        a break opportunity every 20 characters, so that it cannot run into the margin.
        (Most texts are shorter than a long token, and ASCII: no script of its own. A long
        token lies inside a word of 30 or more characters: the words' lengths are looked at
        before the pattern, which costs four times as much to search.)
        """
        if len(text) >= 30 and max(map(len, text.split()), default=0) >= 30 and LONG_TOKEN.search(text):
            text = LONG_TOKEN.sub(lambda m: BREAK.join(m.group()[i:i + 20] for i in range(0, len(m.group()), 20)),
                                  text)
            escaped = escape(text).replace(BREAK, r"\allowbreak{}")
        else:
            escaped = escape(text)
        if not escaped.isascii():
            for pattern, command in SCRIPT_RUNS:
                escaped = pattern.sub(lambda m: "{" + command + " " + m.group() + "}", escaped)
        return escaped

    def nodes(self, nodes: list[Node]) -> str:
        # text (most nodes) without the call of ``node`` first, nor of ``text`` when verbatim
        if self.verbatim:
            return "".join([n.text if n.kind == "text" else self.node(n) for n in nodes])
        return "".join([self.text(n.text) if n.kind == "text" else self.node(n) for n in nodes])

    def node(self, node: Node) -> str:
        if node.kind == "text":
            return node.text if self.verbatim else self.text(node.text)
        kind = BY_NAME[node.kind]
        if kind.name == "deletion":
            self.in_deletion += 1
            inner = self.nodes(node.children)
            self.in_deletion -= 1
            out = f"\\{kind.latex}{{" + inner + "}"
            if not self.in_deletion and self.deferred:
                out += "".join(self.deferred)
                self.deferred = []
            return out
        if kind.role == NOTE:  # a footnote cannot stand inside a struck passage: it follows it
            saved, self.in_deletion = self.in_deletion, 0
            out = f"\\{kind.latex}{{" + self.nodes(node.children) + "}"
            self.in_deletion = saved
            if self.in_deletion:
                self.deferred.append(out)
                return ""
            return out
        if kind.latex is None or (self.in_deletion and kind.plain_in_deletion):
            return self.nodes(node.children)
        macro = "\\" + kind.latex
        if kind.latex_args == "index-content":
            text = self.nodes(node.children)
            entity = self.edition.entities.get(node.attrs.get("ref") or "")
            if entity is None or self.in_deletion:
                if entity is not None:
                    self.deferred.append(r"\index[persons]{" + _index_key(entity["sort"]) + "}")
                return text
            return macro + "{" + _index_key(entity["sort"]) + "}{" + text + "}"
        if kind.latex_args == "lang-content":
            lang = node.attrs.get("lang") or ""
            return macro + "{" + escape(lang if lang.isalpha() else "") + "}{" + self.nodes(node.children) + "}"
        if kind.latex_args == "reason":
            return macro + "{" + escape(node.attrs.get("reason") or "") + "}"
        if kind.latex_args == "alt-content":
            return macro + "{" + self.nodes(node.alt) + "}{" + self.nodes(node.children) + "}"
        return macro + "{" + self.nodes(node.children) + "}"

    def block(self, block: Block) -> str:
        body = self.nodes(block.inlines).strip()
        if block.kind == "head":
            return r"\edDocumentTitle{" + body + "}\n"
        if block.kind == "headnote":
            return "\\begin{edHeadnote}\n" + body + "\n\\end{edHeadnote}\n"
        if block.kind == "docket":
            return r"\edDocket{" + body + "}\n"
        if block.kind == "postscript":
            return r"\edPostscript{" + body + "}\n"
        if block.kind == "footnote":
            number = self.nodes(block.inlines[0].children)
            return r"\edFootnoteText{" + number + "}{" + self.nodes(block.inlines[2:]).strip() + "}\n"
        if block.kind == "furniture":
            return r"\edFurniture{" + body + "}\n"
        if block.kind == "annotation":
            return "\\begin{edAnnotation}\n" + body + "\n\\end{edAnnotation}\n"
        macro = {"sender": "edSender", "address": "edAddress", "dateline": "edDateline",
                 "salutation": "edSalute", "salute": "edSalute", "signed": "edSigned"}.get(block.kind)
        if macro:
            return f"\\{macro}{{" + body + "}\n"
        return body + "\n\n"

    def page_notes(self) -> str:
        """Under the first document's heading: the archival reference and the summary the page gave."""
        meta = self.edition.metadata
        out = []
        sources = meta.get("sources") or ([meta["citation"]] if meta.get("citation") else [])
        for source in sources:
            out.append(r"\edSource{" + escape(source) + "}\n")
        for summary in meta.get("abstract", []):
            out.append(r"\edAbstract{" + escape(summary) + "}\n")
        return "".join(out)

    def document(self, document) -> str:
        out = []
        part = None
        for block in document.blocks:
            if block.part != part:
                if part in ("opener", "closer"):
                    out.append(f"\\end{{ed{part.capitalize()}}}\n")
                if block.part in ("opener", "closer"):
                    out.append(f"\\begin{{ed{block.part.capitalize()}}}\n")
                part = block.part
            out.append(self.block(block))
            if block.kind == "head" and document is self.edition.documents[0]:
                out.append(self.page_notes())
        if part in ("opener", "closer"):
            out.append(f"\\end{{ed{part.capitalize()}}}\n")
        return "".join(out)

    def write(self, root_text: str) -> str:
        documents = "\n".join(self.document(d) for d in self.edition.documents)
        unicode = needs_unicode_engine(root_text)
        scripts = [] if root_text.isascii() else [line for test, line in FONTS if test.search(root_text)]
        fonts = "".join(scripts)
        if FONTS[1][1] in scripts:  # CJK text
            fonts += ("  \\ifLuaTeX\\PackageWarning{dispatch}{CJK text is set without line breaking "
                      "inside runs under LuaLaTeX; use xelatex}\\fi\n")
        guard = ("  \\PackageError{dispatch}{This edition contains characters pdfLaTeX cannot set}"
                 "{Compile it with xelatex or lualatex.}\n") if unicode else ""
        preamble = PREAMBLE.replace("@PDFTEX_GUARD@", guard).replace("@FONTS@", fonts).replace("@KINDS@", KIND_MACROS)
        title = escape(self.edition.title)
        program = "xelatex" if unicode else "pdflatex"
        return (
            f"% !TEX program = {program}\n"
            f"% The edition of '{self.edition.id}', written by dispatch from outputs/xml/{self.edition.id}.xml.\n"
            + preamble
            + "\\title{" + title + "}\n\\date{}\n\n\\begin{document}\n\\maketitle\n\n"
            + documents
            + "\n\\printindex[persons]\n\\end{document}\n"
        )


def write_latex(edition: Edition) -> bytes:
    """The LaTeX edition of an edition, UTF-8."""
    return LatexWriter(edition).write(edition.title + edition.characters).encode("utf-8")
