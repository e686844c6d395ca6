"""The collation side by side, as one self-contained HTML page (inline CSS, no script, no
request outside the page).

One column per witness, one row per passage: the base's blocks, and each passage the base
does not have in a row of its own, so that the final message's paragraph stands beside the
draft paragraph it comes from. Every variant is highlighted in every column by its kind
(added, omitted, substituted, moved, accidental); hovering a reading shows what the other
witnesses read there, and its link leads to the variant's entry in the apparatus under the
table, which links back. Words a hand inserted are underlined in italics (``ins``), words a
hand later deleted struck through (``del``).
"""

from __future__ import annotations

from html import escape

from pipeline.collate.apparatus import Apparatus, Collation, Segment

STYLE = """
:root { --add: #d7f0d0; --om: #f6d5d5; --sub: #fbeec0; --acc: #e4e8f4; --moved: #e9d8f4; --ink: #1d1d1d; }
body { font: 16px/1.5 Georgia, "DejaVu Serif", serif; color: var(--ink); margin: 2rem auto; max-width: 110rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table.collation { border-collapse: collapse; width: 100%; table-layout: fixed; }
.collation th, .collation td { border-top: 1px solid #ccc; padding: .5rem .75rem; vertical-align: top; text-align: left; }
.collation th { position: sticky; top: 0; background: #fff; font-weight: normal; border-bottom: 2px solid #888; }
.collation td.empty { background: repeating-linear-gradient(135deg, #fff, #fff 6px, #f3f3f3 6px, #f3f3f3 12px); }
.siglum { font: bold .9rem/1 sans-serif; background: #333; color: #fff; padding: .1rem .35rem; border-radius: .2rem; }
a.v { color: inherit; text-decoration: none; border-bottom: 2px solid transparent; border-radius: .15rem; }
a.v:focus, a.v:hover { outline: 2px solid #555; }
.addition { background: var(--add); border-bottom-color: #4a9a3a !important; }
.omission { background: var(--om); border-bottom-color: #b54848 !important; }
.substitution, .hand { background: var(--sub); border-bottom-color: #b58a10 !important; }
.transposition { background: var(--moved); border-bottom-color: #7a45a0 !important; }
.punctuation, .layout, .spelling { background: var(--acc); border-bottom: 2px dotted #55609a !important; }
a.v.lacks { padding: 0 .2rem; font: .8rem sans-serif; vertical-align: super; }
ins { text-decoration: underline; font-style: italic; } del { text-decoration: line-through; }
.break::after { content: "\\00b6"; color: #888; padding: 0 .2rem; }
.legend span { display: inline-block; margin: 0 .8rem .3rem 0; padding: 0 .3rem; }
ol.apparatus { font-size: .9rem; } ol.apparatus li:target { background: #fff7c2; }
ol.apparatus .lemma { font-style: italic; }
@media print { .collation th { position: static; } a.v { border: 0; } }
"""

KIND = {None: "", "addition": "addition", "omission": "omission", "substitution": "substitution",
        "transposition": "transposition", "hand": "hand", "punctuation": "punctuation", "layout": "layout",
        "spelling": "spelling"}
LABEL = {"addition": "added", "omission": "omitted", "substitution": "substituted", "transposition": "moved",
         "hand": "the same words, by a hand edit", "punctuation": "punctuation or case", "layout": "block break",
         "spelling": "spelling or OCR variant"}


def _text(value: str, hands=()) -> str:
    """Escaped text with its hand edits as ins/del and its block breaks marked."""
    cuts = sorted({0, len(value)} | {a for a, _, _ in hands} | {b for _, b, _ in hands})
    out = []
    for start, end in zip(cuts, cuts[1:]):
        kind = next((k for a, b, k in hands if a <= start and end <= b), None)
        piece = '<span class="break"></span><br>'.join(escape(line) for line in value[start:end].split("\n"))
        out.append(f"<{'ins' if kind == 'add' else 'del'}>{piece}</{'ins' if kind == 'add' else 'del'}>"
                   if kind else piece)
    return "".join(out)


class SideBySide:
    def __init__(self, apparatus: Apparatus):
        self.apparatus = apparatus
        self.sigla = [w.siglum for w in apparatus.witnesses]

    def rows(self) -> list[list[Segment]]:
        """The passages: the base's blocks, with a row break after a stretch where every witness
        that reads something ends a block (a paragraph the base does not have)."""
        rows: list[list[Segment]] = []
        for unit in self.apparatus.units:
            rows.append([])
            for segment in unit:
                rows[-1].append(segment)
                texts = [self.apparatus.reading(w, segment) for w in range(len(self.sigla))]
                present = [t for t in texts if t.strip()]
                if segment.app is not None and not texts[0].strip() and present and all(
                        t.endswith("\n") for t in present):
                    rows.append([])
            if not rows[-1]:
                rows.pop()
        return rows

    def title(self, segment: Segment) -> str:
        return " | ".join(f"{''.join(self.sigla[w] for w in r.witnesses)}: "
                          f"{' '.join(r.text.split()) or 'om.'}" for r in segment.app.readings)

    def cell(self, row: list[Segment], w: int) -> str:
        out = []
        lacking = False  # one mark for a stretch the witness lacks, however many variants it holds
        for segment in row:
            text = self.apparatus.reading(w, segment)
            if segment.app is None:
                out.append(_text(text))
                lacking = lacking and not text.strip()
                continue
            app = segment.app
            reading = next(r for r in app.readings if w in r.witnesses)
            kind = KIND[reading.type] if reading.type else KIND[next((r.type for r in app.readings[1:]), None)]
            title = escape(self.title(segment), quote=True)
            if not text.strip():
                if any(r.text.strip() for r in app.readings) and not lacking:
                    out.append(f'<a class="v lacks {kind}" href="#{app.id}" title="{title}">om.</a> ')
                    lacking = True
                continue
            lacking = False
            body = _text(text.rstrip(" "), reading.hands)
            out.append(f'<a class="v {kind}" id="{app.id}-{self.sigla[w]}" href="#{app.id}" title="{title}">'
                       f"{body}</a>" + (" " if text.endswith(" ") else ""))
        html = "".join(out).strip()
        return f'<td lang="en">{html}</td>' if html.replace("om.", "").strip("<>/a ") else '<td class="empty"></td>'

    def apparatus_list(self) -> str:
        items = []
        for app in self.apparatus.apps:
            readings = []
            for index, reading in enumerate(app.readings):
                lead = len(reading.text) - len(reading.text.lstrip())
                stripped = reading.text.strip()
                hands = tuple((max(x - lead, 0), min(y - lead, len(stripped)), k) for x, y, k in reading.hands
                              if min(y - lead, len(stripped)) > max(x - lead, 0))
                body = _text(stripped, hands) or "<em>om.</em>"
                kind = f" <small>({LABEL[reading.type]})</small>" if reading.type else ""
                sigla = " ".join(self.sigla[w] for w in reading.witnesses)
                back = reading.witnesses[0]
                link = f'<a href="#{app.id}-{self.sigla[back]}">{sigla}</a>' if reading.text.strip() else sigla
                css = ' class="lemma"' if index == 0 else ""
                readings.append(f"<span{css}>{body}</span> {link}{kind}")
            items.append(f'<li id="{app.id}">' + "; ".join(readings) + "</li>")
        return '<ol class="apparatus">\n' + "\n".join(items) + "\n</ol>"

    def write(self) -> str:
        head = "".join(f'<th scope="col"><span class="siglum">{escape(w.siglum)}</span> {escape(w.label)}</th>'
                       for w in self.apparatus.witnesses)
        body = "\n".join("<tr>" + "".join(self.cell(row, w) for w in range(len(self.sigla))) + "</tr>"
                         for row in self.rows())
        return (f'<table class="collation">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>\n'
                f"<h2>Apparatus</h2>\n<p>The base is {escape(self.sigla[0])}; each entry gives its reading "
                f"first (in italics), then the other witnesses'.</p>\n" + self.apparatus_list())


def write_collation_html(collation: Collation) -> bytes:
    legend = "".join(f'<span class="{kind}">{escape(label)}</span>' for kind, label in LABEL.items())
    groups = []
    for apparatus in collation.groups:
        heading = f"<h2>Collation {apparatus.n}</h2>\n" if len(collation.groups) > 1 else ""
        groups.append(heading + SideBySide(apparatus).write())
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        f"<title>{escape(collation.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{escape(collation.title)}</h1>\n"
        "<p>The witnesses side by side, one passage a row. Variants are highlighted by kind; hover one to see "
        "every reading, follow it to its entry in the apparatus. <ins>Underlined italics</ins>: words a hand "
        "inserted; <del>struck through</del>: words a hand later deleted.</p>\n"
        f'<p class="legend">{legend}</p>\n' + "\n".join(groups) + "\n</body>\n</html>\n")
    return page.encode("utf-8")
