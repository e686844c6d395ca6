"""The collation side by side, as a page of the web edition (``outputs/html/collation/<id>.html``,
linked from the source's page) or, for ``dispatch collate --to html``, as one self-contained
page (the same page with the edition's stylesheet inline, no script, nothing fetched).

One column per witness, one row per passage: the base's blocks, and each passage the base
does not have in a row of its own, so that the final message's paragraph stands beside the
draft paragraph it comes from. Every variant is highlighted in every column by its kind
(added, omitted, substituted, moved, accidental); hovering a reading shows what the other
witnesses read there, and its link leads to the variant's entry in the apparatus under the
table, which links back. Words a hand inserted are underlined in italics (``ins``), words a
hand later deleted struck through (``del``). The styles are the ``cx-`` rules of
``templates/dispatch.css``.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from pipeline.collate.apparatus import Apparatus, Collation, Segment

LABEL = {"addition": "added", "omission": "omitted", "substitution": "substituted", "transposition": "moved",
         "hand": "the same words, by a hand edit", "punctuation": "punctuation or case", "layout": "block break",
         "spelling": "spelling or OCR variant"}


def _text(value: str, hands=()) -> str:
    """Escaped text with its hand edits as ins/del and its block breaks marked."""
    cuts = sorted({0, len(value)} | {a for a, _, _ in hands} | {b for _, b, _ in hands})
    out = []
    for start, end in zip(cuts, cuts[1:]):
        kind = next((k for a, b, k in hands if a <= start and end <= b), None)
        piece = '<span class="cx-break"></span><br>'.join(escape(line) for line in value[start:end].split("\n"))
        tag = "ins" if kind == "add" else "del"
        out.append(f"<{tag}>{piece}</{tag}>" if kind else piece)
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
            kind = reading.type or next((r.type for r in app.readings[1:]), None) or "substitution"
            title = escape(self.title(segment), quote=True)
            if not text.strip():
                if any(r.text.strip() for r in app.readings) and not lacking:
                    out.append(f'<a class="cx-v cx-lacks cx-{kind}" href="#{app.id}" title="{title}">om.</a> ')
                    lacking = True
                continue
            lacking = False
            body = _text(text.rstrip(" "), reading.hands)
            out.append(f'<a class="cx-v cx-{kind}" id="{app.id}-{self.sigla[w]}" href="#{app.id}" title="{title}">'
                       f"{body}</a>" + (" " if text.endswith(" ") else ""))
        html = "".join(out).strip()
        words = html.replace("om.", "").strip("<>/a ")
        return f"<td>{html}</td>" if words else '<td class="cx-empty"></td>'

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
                link = (f'<a href="#{app.id}-{self.sigla[reading.witnesses[0]]}">{sigla}</a>'
                        if reading.text.strip() else sigla)
                css = ' class="cx-lemma"' if index == 0 else ""
                readings.append(f"<span{css}>{body}</span> {link}{kind}")
            items.append(f'<li id="{app.id}">' + "; ".join(readings) + "</li>")
        return '<ol class="cx-apparatus">\n' + "\n".join(items) + "\n</ol>"

    def html(self) -> str:
        head = "".join(f'<th scope="col"><span class="cx-siglum">{escape(w.siglum)}</span> {escape(w.label)}</th>'
                       for w in self.apparatus.witnesses)
        body = "\n".join("<tr>" + "".join(self.cell(row, w) for w in range(len(self.sigla))) + "</tr>"
                         for row in self.rows())
        return (f'<div class="cx-scroll"><table class="cx-collation">\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
                f"{body}\n</tbody>\n</table></div>\n"
                f'<h2>Apparatus</h2>\n<p>The base is {escape(self.sigla[0])}; each entry gives its '
                f"reading first (in italics), then the other witnesses'.</p>\n" + self.apparatus_list())


INTRODUCTION = ("The witnesses side by side, one passage a row. Variants are highlighted by kind; hover one "
                "to see every reading, follow it to its entry in the apparatus. <ins>Underlined italics</ins>: "
                "words a hand inserted; <del>struck through</del>: words a hand later deleted.")


def _groups(collation: Collation) -> list[dict]:
    return [{"heading": f"Collation {a.n}" if len(collation.groups) > 1 else "", "html": Markup(SideBySide(a).html())}
            for a in collation.groups]


def _legend() -> str:
    return "".join(f'<span class="cx-{kind}">{escape(label)}</span>' for kind, label in LABEL.items())


def write_collation_page(collation: Collation) -> bytes:
    """The side-by-side page of the web edition: ``outputs/html/collation/<id>.html``."""
    from pipeline.writers.html import template

    page = template("collation.html.j2").render(
        page="collation", root="../", id=collation.id, title=collation.title, introduction=Markup(INTRODUCTION),
        legend=Markup(_legend()), groups=_groups(collation))
    return page.encode("utf-8")


def write_collation_html(collation: Collation) -> bytes:
    """The same view as one self-contained page: the edition's stylesheet inline, no script."""
    from pipeline.writers.html import TEMPLATES

    style = (TEMPLATES / "dispatch.css").read_text(encoding="utf-8")
    groups = "\n".join((f"<h2>{escape(g['heading'])}</h2>\n" if g["heading"] else "") + g["html"]
                       for g in _groups(collation))
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        f"<title>{escape(collation.title)}</title>\n<style>\n{style}</style>\n</head>\n"
        "<body class=\"page-collation\">\n<main id=\"main\">\n"
        f"<h1>{escape(collation.title)}</h1>\n<p>{INTRODUCTION}</p>\n<p class=\"cx-legend\">{_legend()}</p>\n"
        + groups + "\n</main>\n</body>\n</html>\n")
    return page.encode("utf-8")
