"""The one editorial vocabulary: every kind of construct, from the parser to every writer.

Two tables, and everything else is derived from them or checked against them by a test:

``EDITORIAL``: the kinds a reader meets (an insertion, a deletion, a gap, a gloss...). For
each: the TEI elements that carry it (what the walk over the TEI recognizes), its role for
the writers (``ROLES``), the attributes the writers keep, its LaTeX macro with its default
definition (the preamble's macro section is made from this table), its notation in the
diplomatic text, and whether the JSON annotates it (the JSON Schema's enum is checked
against this table).

``ENCODINGS``: the parser's kinds (what a bracket, an italic or a name was read as:
``gloss-diacritics``, ``supplied-name``, ``persName``...): for each, the TEI element and
attributes it becomes and the editorial kind a reader sees. A kind that is not here is an
error when the data files load (D-code), never a silent ``<seg>``.

Adding a kind is one row here (two when the parser has a name of its own for it), plus at
most one handler per format when its role is new.
"""

from __future__ import annotations

import re

from pipeline.records import field, record

# -- roles: what a writer does with a kind -----------------------------------------------------
WRAP = "wrap"                  # reading text, marked (an insertion, a name, a date)
OMIT = "omit"                  # left out of the reading; its words are kept as its content
EMPTY = "empty"                # an empty element standing for what is missing (a gap)
NOTE = "note"                  # leaves the line: a numbered note after the document
BRACKETED = "bracketed"        # in square brackets in the reading (a gloss, supplied text)
CHOICE = "choice"              # two forms; the reading shows the corrected one
ABBREVIATION = "abbreviation"  # two forms; the reading shows the abbreviation, then its expansion
ROLES = (WRAP, OMIT, EMPTY, NOTE, BRACKETED, CHOICE, ABBREVIATION)

# how the LaTeX macro of a kind takes its arguments
LATEX_ARGS = ("content", "alt-content", "reason", "lang-content", "index-content")


@record(frozen=True)
class Editorial:
    """A kind a reader meets, and what every writer does with it."""

    name: str
    role: str
    tei: tuple[tuple[str, str | None], ...] = ()  # (element, @type) the walk reads as this kind
    keep: tuple[str, ...] = ()  # attributes kept for the writers (JSON records them)
    latex: str | None = None  # macro name, without the backslash
    latex_definition: str | None = None  # its default definition (None: defined by another kind)
    latex_args: str = "content"
    plain_in_deletion: bool = False  # LaTeX: inside a struck passage only its words (ulem)
    diplomatic: tuple[str, str, str] = ("", "", "")  # before, between two forms, after
    annotated: bool = True  # the JSON records it as an annotation
    written: bool = True  # its words are part of the document as written (not a gloss or a note)
    note_label: str | None = None  # NOTE: how the notes after the document name it
    spaced: bool = False  # BRACKETED: set off from the word before by a space
    # the web edition: element, class in dispatch.css (mirroring the LaTeX macro), and the marks
    # the reading and the diplomatic modes set around it ((before, after); None: left out)
    html: tuple = ("span", "ed-literal")


EDITORIAL: tuple[Editorial, ...] = (
    # the order is the order of the LaTeX preamble's macro section
    Editorial("insertion", WRAP, (("add", None),), keep=("cert",), latex="edInsertion",
              latex_definition=r"\textit{#1}", diplomatic=("\\", "", "/"),
              html=("ins", "ed-insertion")),
    Editorial("deletion", OMIT, (("del", None),), latex="edDeletion",
              latex_definition=r"\ifdeletionsbracketed\textlbrackdbl#1\textrbrackdbl\else\sout{#1}\fi",
              diplomatic=("\u27e6", "", "\u27e7"),
              html=("del", "ed-deletion", None)),
    Editorial("new", WRAP, (("seg", "new"),), latex="edNew", latex_definition=r"\textit{#1}",
              plain_in_deletion=True,
              html=("span", "ed-new")),
    Editorial("emphasis", WRAP, (("hi", None),), latex="edEmphasis", latex_definition=r"\emph{#1}",
              plain_in_deletion=True,
              html=("em", "ed-emphasis")),
    Editorial("gap", EMPTY, (("gap", None),), keep=("reason",), latex="edGap",
              latex_definition=r"{[}\ldots{]}", latex_args="reason", diplomatic=("[\u2026]", "", ""),
              html=("span", "ed-gap", ("[\u2026]", ""), ("[\u2026]", ""))),
    Editorial("gloss", BRACKETED, (("note", "gloss"),), keep=("subtype",), latex="edGloss",
              latex_definition=r"{[}#1{]}", diplomatic=("[= ", "", "]"), written=False, spaced=True,
              html=("span", "ed-gloss", (" [", "]"), (" [= ", "]"))),
    Editorial("supplied", BRACKETED, (("supplied", None),), keep=("reason", "cert"), latex="edSupplied",
              latex_definition=r"{[}#1{]}", diplomatic=("[", "", "]"),
              html=("span", "ed-supplied", ("[", "]"), ("[", "]"))),
    Editorial("expansion", ABBREVIATION, latex="edExpansion", latex_definition=r"#1 {[}#2{]}",
              latex_args="alt-content", diplomatic=("", "[= ", "]"),
              html=("span", "ed-expansion", (" [", "]"), ("[= ", "]"))),
    Editorial("correction", CHOICE, latex="edCorrection",
              latex_definition=r"#2\footnote{The original reads \textquotedblleft #1\textquotedblright.}",
              latex_args="alt-content", plain_in_deletion=True, diplomatic=("{", "\u2192", "}"),
              html=("span", "ed-correction", ("", ""), ("{", "}"))),
    Editorial("ocr-fix", CHOICE, keep=("rule",), latex="edOcrFix", latex_definition="#2",
              latex_args="alt-content", diplomatic=("{", "\u2192", "}"),
              html=("span", "ed-ocr-fix", ("", ""), ("{", "}"))),
    Editorial("regularization", CHOICE, latex="edOcrFix", latex_args="alt-content",
              diplomatic=("{", "\u2192", "}"),
              html=("span", "ed-regularization", ("", ""), ("{", "}"))),
    Editorial("unclear", WRAP, (("unclear", None),), keep=("reason",), latex="edUnclear",
              latex_definition=r"#1\,{[}?{]}", diplomatic=("", "", "(?)"),
              html=("span", "ed-unclear", ("", " [?]"), ("", "(?)"))),
    Editorial("translator-note", NOTE, (("note", "translator"),), keep=("subtype",), latex="edTranslatorNote",
              latex_definition=r"\footnote{#1 (translator's note)}", written=False,
              note_label="translator's note",
              html=("a", "ed-noteref ed-translator-note")),
    Editorial("editorial-note", NOTE, (("note", None),), keep=("subtype",), latex="edEditorialNote",
              latex_definition=r"\footnote{#1 (editor's note)}", written=False, note_label="editor's note",
              html=("a", "ed-noteref ed-editorial-note")),
    Editorial("handwritten-note", NOTE, (("note", "handwritten"),), keep=("subtype",),
              latex="edHandwrittenNote", latex_definition=r"\footnote{Handwritten: #1}", written=False,
              note_label="handwritten",
              html=("a", "ed-noteref ed-handwritten-note")),
    Editorial("label", OMIT, (("seg", "archival-label"), ("seg", "label")), latex="edLabel",
              latex_definition=r"\textsc{#1}", diplomatic=("\u27e8", "", "\u27e9"),
              html=("span", "ed-label", None, ("\u27e8", "\u27e9"))),
    Editorial("stamp", OMIT, (("stamp", None), ("note", "stamp")), keep=("subtype",), latex="edStamp",
              latex_definition=r"\fbox{\small #1}", diplomatic=("\u27e8stamp: ", "", "\u27e9"),
              html=("span", "ed-stamp", None, ("\u27e8stamp: ", "\u27e9"))),
    Editorial("person", WRAP, (("persName", None),), keep=("ref",), latex="edPerson",
              latex_definition="#2\\index[persons]{#1}", latex_args="index-content",
              html=("a", "ed-person")),
    Editorial("place", WRAP, (("placeName", None),), keep=("ref",), latex="edPlace", latex_definition="#1",
              plain_in_deletion=True,
              html=("a", "ed-place")),
    Editorial("org", WRAP, (("orgName", None),), keep=("ref",), latex="edOrg", latex_definition="#1",
              plain_in_deletion=True,
              html=("span", "ed-org")),
    Editorial("date", WRAP, (("date", None),), keep=("when",), latex="edDate", latex_definition="#1",
              plain_in_deletion=True,
              html=("time", "ed-date")),
    Editorial("time", WRAP, (("time", None),), keep=("when",), latex="edTime", latex_definition="#1",
              html=("time", "ed-time")),
    Editorial("noteref", BRACKETED, (("ref", None),), latex="edNoteRef", latex_definition=r"\textsuperscript{#1}",
              html=("a", "ed-noteref ed-source-noteref")),
    Editorial("bibl", WRAP, (("bibl", None),), latex="edBibl", latex_definition="#1", plain_in_deletion=True,
              html=("cite", "ed-bibl")),
    Editorial("foreign", WRAP, (("foreign", None),), keep=("lang",), latex="edForeign",
              latex_definition="#2",  # #1 is the language; each script's run has its font already
              latex_args="lang-content", plain_in_deletion=True,
              html=("span", "ed-foreign")),
    Editorial("speaker", WRAP, latex="edSpeaker", latex_definition=r"\textsc{#1}",
              html=("b", "ed-speaker")),
    Editorial("sic", WRAP, (("sic", None),), latex="edSic", latex_definition=r"#1\,{[}\textit{sic}{]}",
              plain_in_deletion=True, diplomatic=("", "", " [sic]"), html=("span", "ed-sic", ("", ""), ("", " [sic]"))),
    # archival furniture inline: out of the reading, no macro of its own
    Editorial("docket", OMIT, (("seg", "docket"),), annotated=False, diplomatic=("\u27e8", "", "\u27e9"),
              html=("span", "ed-docket", None, ("\u27e8", "\u27e9"))),
    Editorial("classification", OMIT, (("seg", "classification"),), annotated=False,
              diplomatic=("\u27e8", "", "\u27e9"),
              html=("span", "ed-classification", None, ("\u27e8", "\u27e9"))),
    Editorial("furniture", OMIT, (("seg", "archival"),), annotated=False,
              html=("span", "ed-furniture", None, ("\u27e8", "\u27e9"))),
    # the number a printed edition gives a document ("Document No. 80:"): not part of its title
    Editorial("document-number", OMIT, (("seg", "document-number"),), latex="edDocumentNumber",
              latex_definition="", annotated=False, diplomatic=("\u27e8", "", "\u27e9"),
              html=("span", "ed-document-number", None, ("\u27e8", "\u27e9"))),
    # the printed page's running heads and page numbers: out of the reading; the LaTeX edition
    # drops them too (redefine the macro to show them)
    Editorial("forme-work", OMIT, (("fw", None),), latex="edFormeWork", latex_definition="",
              annotated=False, diplomatic=("\u27e8", "", "\u27e9"),
              html=("span", "ed-forme-work", None, ("\u27e8", "\u27e9"))),
    Editorial("literal", WRAP, (("seg", "literal"), ("seg", None)), annotated=False,
              html=("span", "ed-literal")),
)
BY_NAME: dict[str, Editorial] = {kind.name: kind for kind in EDITORIAL}
# the walk: (element, @type) -> kind; (element, None) is the kind of any other @type
BY_TEI: dict[tuple[str, str | None], Editorial] = {key: kind for kind in EDITORIAL for key in kind.tei}
# choice/sic+corr (with a rule: an OCR fix), choice/abbr+expan, choice/orig+reg
CHOICES = {"sic": ("correction", "ocr-fix"), "abbr": ("expansion", "expansion"),
           "orig": ("regularization", "regularization")}
ANNOTATED = frozenset(kind.name for kind in EDITORIAL if kind.annotated)


@record(frozen=True)
class Encoding:
    """A kind the parser produces: the TEI it becomes, and what a reader sees."""

    name: str
    editorial: str  # a name in EDITORIAL
    element: str
    attrs: dict = field(default_factory=dict)
    explicit: tuple[str, ...] = ()  # the names a source may write as [@name text]
    # a pattern ending at the bracket: the text before it that the kind takes in. Each is a run
    # of one class that stands alone before the end (the leftmost match is a whole run, so
    # ``(?<!C)C++`` finds the same one): the run is neither started again inside itself nor
    # given back a character at a time, as ``C+`` is at every character of the text before
    takes: str | None = None


ENCODINGS: tuple[Encoding, ...] = (
    Encoding("add", "insertion", "add", explicit=("add",)),
    Encoding("del", "deletion", "del", explicit=("del",)),
    Encoding("new", "new", "seg", {"type": "new", "rend": "italic"}),
    Encoding("hi", "emphasis", "hi", {"rend": "italic"}),
    Encoding("translator-note", "translator-note", "note", {"type": "translator", "place": "inline"},
             explicit=("translator-note",)),
    Encoding("editorial-note", "editorial-note", "note", {"type": "editorial", "place": "inline"},
             explicit=("editorial-note", "note")),
    Encoding("gloss", "gloss", "note", {"type": "gloss", "place": "inline"}, explicit=("gloss",)),
    Encoding("gloss-diacritics", "gloss", "note", {"type": "gloss", "subtype": "diacritics", "place": "inline"}),
    Encoding("gloss-original", "gloss", "note",
             {"type": "gloss", "subtype": "original-language", "place": "inline"}, explicit=("original",)),
    Encoding("gloss-translation", "gloss", "note", {"type": "gloss", "subtype": "translation", "place": "inline"},
             explicit=("translation",)),
    Encoding("supplied", "supplied", "supplied", explicit=("supplied",)),
    Encoding("supplied-name", "supplied", "supplied", {"reason": "name"}),
    Encoding("supplied-letters", "supplied", "supplied", {"reason": "abbreviation"}),
    Encoding("supplied-date", "supplied", "supplied", {"reason": "date"}),
    Encoding("time", "time", "time"),
    Encoding("date", "date", "date"),
    Encoding("footnote", "editorial-note", "note", {"type": "footnote"}),
    Encoding("headnote", "editorial-note", "note", {"type": "headnote"}, explicit=("headnote",)),
    Encoding("handwritten", "handwritten-note", "note", {"type": "handwritten", "place": "inline"},
             explicit=("handwritten",)),
    Encoding("unclear", "unclear", "unclear", explicit=("unclear",)),
    Encoding("unclear-mark", "unclear", "unclear", {"cert": "low"}, takes=r"(?<!\S)\S++(?=\s*$)"),  # word [?]
    Encoding("sic-mark", "sic", "sic", takes=r"(?<!\S)\S++(?=\s*$)"),  # word [sic]: so in the original
    Encoding("stamp", "stamp", "stamp", explicit=("stamp",)),
    Encoding("archival-label", "label", "seg", {"type": "archival-label"}, explicit=("label", "archival-label")),
    Encoding("handwritten-label", "label", "seg", {"type": "label", "subtype": "handwritten"}),
    Encoding("footnote-ref", "noteref", "ref", {"type": "footnote"}),
    Encoding("persName", "person", "persName"),
    Encoding("placeName", "place", "placeName"),
    Encoding("orgName", "org", "orgName"),
    Encoding("bibl", "bibl", "bibl"),
    Encoding("literal", "literal", "seg", {"type": "literal"}, explicit=("literal",)),
    Encoding("foreign", "foreign", "foreign"),
    Encoding("gap", "gap", "gap", explicit=("gap", "illegible")),
    # placeholders that name what stands on the page: [signature], [Stamp] (their words kept)
    Encoding("signature-mark", "label", "seg", {"type": "label", "subtype": "signature"}),
    Encoding("stamp-label", "label", "seg", {"type": "label", "subtype": "stamp"}),
    Encoding("correction", "correction", "choice", explicit=("correction",),
             takes=r"(?<![0-9A-Za-z])[0-9A-Za-z]++$"),  # sic/corr
    # 12 [13?] May: a figure the editor questions, and the figure it may stand for (corr cert="low")
    Encoding("correction-questioned", "correction", "choice", {"cert": "low"}, takes=r"(?<![0-9])[0-9]++(?=\s*$)"),
    Encoding("expansion", "expansion", "choice", explicit=("expansion",), takes=r"(?<!\S)\S++(?=\s*$)"),  # abbr/expan
)
ENCODING: dict[str, Encoding] = {kind.name: kind for kind in ENCODINGS}
# what a kind takes in from the text before it: 8[7] takes 8, VCh [high frequency phone] takes VCh
TAKES: dict[str, re.Pattern] = {kind.name: re.compile(kind.takes) for kind in ENCODINGS if kind.takes}
# [@name text] -> the parser's kind
EXPLICIT: dict[str, str] = {name: kind.name for kind in ENCODINGS for name in kind.explicit}
# what an explicit name says beyond its kind
EXPLICIT_REASON = {"illegible": "illegible"}


def known(name: str) -> bool:
    """Whether the parser may produce a kind of this name (the data files are checked with it)."""
    return name in ENCODING


# -- scripts: one definition of the ranges of every script other than Latin -------------------
@record(frozen=True)
class Script:
    lang: str  # the xml:lang of a run
    ranges: str  # a regular-expression character class body
    font: str  # the LaTeX font command of the script's runs
    joins: str = ""  # characters of other scripts a run may go on with (kanji after kana)

    def pattern(self, join: str) -> re.Pattern:
        """Runs of the script, joined across spaces, punctuation and figures (``join``)."""
        return re.compile(rf"[{self.ranges}]+(?:{join}[{self.ranges}{self.joins}]+)*")


SCRIPTS: tuple[Script, ...] = (
    Script("ru", "\u0400-\u04ff", r"\edFontru"),
    Script("ko", "\uac00-\ud7af\u1100-\u11ff", r"\edFontzh"),
    Script("ja", "\u3040-\u30ff", r"\edFontzh", joins="\u4e00-\u9fff"),
    Script("zh", "\u4e00-\u9fff\u3400-\u4dbf\u3000-\u303f\uff00-\uffef", r"\edFontzh"),
)
GREEK = "\u0370-\u03ff"  # not tagged as a language of its own; set in the Cyrillic font
NON_LATIN = re.compile("[" + "".join(s.ranges for s in SCRIPTS) + "]")


def script(lang: str) -> Script:
    return next(s for s in SCRIPTS if s.lang == lang)
