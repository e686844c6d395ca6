"""``dispatch review``: every automatic decision of a source on one page, for an editor.

One self-contained HTML page per source (inline CSS, no script, no request leaving the page:
its Content-Security-Policy forbids any), or Markdown for a terminal or a pull request. The
decisions are grouped by confidence, the doubtful ones first; each shows its stable id (to
copy into ``sources/<id>.review.toml``), where it is in the received text with a few words
around, the reading it produces, the rule that made it, and what the editor decided on it.
"""

from __future__ import annotations

import html
import re

from pipeline.decisions import CONFIDENCES, KINDS, Decision, shown
from pipeline.diagnostics import Severity
from pipeline.records import record

GROUPS = {
    "low": ("Doubtful", "the rules guessed: read these first"),
    "medium": ("Plausible", "a heuristic with some evidence"),
    "high": ("Confident", "a rule that rarely errs"),
}
CONTEXT_WORDS = 6


@record
class Row:
    """A decision as the page shows it."""

    decision: Decision
    line: int
    col: int
    before: str
    covered: str
    after: str

    @property
    def status(self) -> str:
        ed = self.decision.editor
        if ed is None:
            return "undecided"
        return {"accept": "accepted", "reject": "rejected", "set": f"set to {ed.value}"}[ed.action]


def visible(text: str) -> str:
    """A received text with its white space made visible (a line break ↵, a lone space ␣)."""
    if not text:
        return "∅"
    text = text.replace("\r\n", "↵").replace("\n", "↵").replace("\t", "⇥")
    if not text.strip():
        text = text.replace(" ", "␣")
    return text


def _around(body: str, start: int, end: int) -> tuple[str, str]:
    before = body[max(0, start - 200):start]
    after = body[end:end + 200]
    words_before = re.findall(r"\S+\s*", before)
    words_after = re.findall(r"\s*\S+", after)
    prefix = "".join(words_before[-CONTEXT_WORDS:])
    suffix = "".join(words_after[:CONTEXT_WORDS])
    flat = lambda s: s.replace("\r\n", " ").replace("\n", " ")  # noqa: E731 - the context reads on one line
    return (("… " if len(words_before) > CONTEXT_WORDS or start > 200 else "") + flat(prefix),
            flat(suffix) + (" …" if len(words_after) > CONTEXT_WORDS or end + 200 < len(body) else ""))


def rows(result) -> list[Row]:
    """The decisions of a processed source (``process(path, collect=True)``), doubtful first,
    then in the order of the received text."""
    source, ledger = result.source, result.ledger
    out = []
    for decision in ledger.decisions:
        line, col = source.position(decision.start)
        before, after = _around(source.body, decision.start, decision.end)
        out.append(Row(decision, line, col, before, decision.text, after))
    rank = {c: n for n, c in enumerate(CONFIDENCES)}
    return sorted(out, key=lambda r: (rank[r.decision.confidence], r.decision.start, r.decision.id))


def reading(decision: Decision) -> str:
    if decision.kind in ("ocr", "name", "layout", "markup", "chrome"):
        return visible(decision.reading) if decision.reading else "(removed from the reading)"
    return decision.reading


def _counts(all_rows: list[Row]) -> dict:
    counts = {c: sum(1 for r in all_rows if r.decision.confidence == c) for c in CONFIDENCES}
    counts["decided"] = sum(1 for r in all_rows if r.decision.editor is not None)
    return counts


def _findings(result) -> list:
    return sorted((d for d in result.diagnostics if d.severity >= Severity.INFO), key=lambda d: d.sort_key())


# -- HTML --------------------------------------------------------------------------------------
STYLE = """
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5f6368; --rule: #d9d9de; --low: #b3261e;
  --medium: #8a5a00; --high: #1e6b35; --mark: #fff1a8; --done: #e8f3ec; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); margin: 0;
  padding: 1.5rem 2rem 3rem; max-width: 90rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .5rem; border-bottom: 2px solid var(--rule); padding-bottom: .25rem; }
h2 small { font-weight: normal; color: var(--muted); }
.meta { color: var(--muted); margin: 0 0 1rem; }
.summary { display: flex; gap: .75rem; flex-wrap: wrap; margin: 1rem 0; padding: 0; list-style: none; }
.summary li { border: 1px solid var(--rule); border-radius: .4rem; padding: .35rem .7rem; }
.summary b { font-size: 1.1rem; }
.low { color: var(--low); } .medium { color: var(--medium); } .high { color: var(--high); }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: .4rem .5rem; border-bottom: 1px solid var(--rule); }
th { background: #f5f5f7; position: sticky; top: 0; }
td.id code { user-select: all; font-size: 12.5px; word-break: break-all; background: #f1f1f4; padding: .1rem .3rem;
  border-radius: .25rem; }
td.where { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.context { font-family: ui-serif, Georgia, serif; }
td.context mark { background: var(--mark); padding: 0 .1rem; border-radius: .15rem; }
td.reading { font-family: ui-serif, Georgia, serif; font-weight: 600; }
td.rule { color: var(--muted); font-size: 13px; }
tr.decided td { background: var(--done); }
.status { white-space: nowrap; font-size: 13px; }
.status.undecided { color: var(--muted); }
.status.decided { font-weight: 600; }
.reason { display: block; font-weight: normal; white-space: normal; color: var(--muted); }
pre { background: #f5f5f7; padding: .75rem 1rem; border-radius: .4rem; overflow-x: auto; font-size: 13px; }
.findings li { margin: .2rem 0; font-family: ui-monospace, monospace; font-size: 13px; }
.empty { color: var(--muted); font-style: italic; }
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def render_html(result) -> str:
    """The review page of one source."""
    source = result.source
    all_rows = rows(result)
    counts = _counts(all_rows)
    review_file = source.id + ".review.toml"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Review of {_e(source.id)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>Review of <code>{_e(source.id)}</code></h1>",
        f'<p class="meta">{_e(source.path)} &middot; every automatic decision of the pipeline, '
        "the doubtful ones first. Decide in "
        f"<code>sources/{_e(review_file)}</code> with the ids below.</p>",
        '<ul class="summary">',
        f'<li><b>{len(all_rows)}</b> decisions</li>',
    ]
    for confidence in CONFIDENCES:
        out.append(f'<li class="{confidence}"><b>{counts[confidence]}</b> {GROUPS[confidence][0].lower()}</li>')
    out.append(f'<li><b>{counts["decided"]}</b> decided by the editor, '
               f'<b>{len(all_rows) - counts["decided"]}</b> undecided</li>')
    out.append("</ul>")
    for confidence in CONFIDENCES:
        group = [r for r in all_rows if r.decision.confidence == confidence]
        title, note = GROUPS[confidence]
        out.append(f'<section id="{confidence}">')
        out.append(f'<h2 class="{confidence}">{title} ({confidence} confidence): {len(group)} '
                   f"<small>{_e(note)}</small></h2>")
        if not group:
            out.append('<p class="empty">None.</p></section>')
            continue
        out.append('<table><thead><tr><th>Id</th><th>Decision</th><th>Where</th><th>Received</th>'
                   "<th>Reading</th><th>Rule</th><th>Editor</th></tr></thead><tbody>")
        for row in group:
            out.append(_html_row(row))
        out.append("</tbody></table></section>")
    out.append("<h2>Deciding</h2>")
    out.append(f"<p>Copy an id into <code>sources/{_e(review_file)}</code> and run <code>make all</code>; "
               "the build honours the decision and the TEI records it as the editor's.</p>")
    out.append("<pre>" + _e(example(all_rows)) + "</pre>")
    findings = _findings(result)
    out.append(f"<h2>Findings: {len(findings)}</h2>")
    if findings:
        out.append('<ul class="findings">')
        for d in findings:
            out.append(f"<li>{_e(d.format())}</li>")
        out.append("</ul>")
    else:
        out.append('<p class="empty">None.</p>')
    out.append("</body>")
    out.append("</html>")
    return "\n".join(out) + "\n"


def _html_row(row: Row) -> str:
    d = row.decision
    ed = d.editor
    decided = ed is not None
    status = (f'<span class="status decided">{_e(row.status)} by the editor'
              + (f'<span class="reason">{_e(ed.reason)}</span>' if ed.reason else "") + "</span>") if decided \
        else '<span class="status undecided">undecided</span>'
    return (f'<tr class="decision {"decided" if decided else "undecided"}" data-id="{_e(d.id)}" '
            f'data-confidence="{d.confidence}">'
            f'<td class="id"><code>{_e(d.id)}</code></td>'
            f'<td class="kind">{_e(KINDS[d.kind].label)}</td>'
            f'<td class="where">{row.line}:{row.col}</td>'
            f'<td class="context">{_e(row.before)}<mark>{_e(visible(row.covered))}</mark>{_e(row.after)}</td>'
            f'<td class="reading">{_e(reading(d))}</td>'
            f'<td class="rule">{_e(d.rule)}<br>{_e(d.why)}</td>'
            f"<td>{status}</td></tr>")


def example(all_rows: list[Row]) -> str:
    """A decisions file for this source: one entry for a decision of each sort it has (the
    doubtful ones first), with its real id."""
    lines = ['editor = "Your Name"']
    picks = [
        (("ocr", "name", "layout", "markup", "chrome", "furniture", "repair"), 'action = "reject"',
         'reason = "why the received form is right"'),
        (("bracket",), 'action = "set"', 'kind = "del"                 # any name of the [@kind ...] syntax'),
        (("metadata",), 'action = "set"', 'value = "..."                # a register id, a name, an ISO date'),
        (("boundary",), 'action = "accept"', None),
    ]
    for kinds, action, extra in picks:
        row = next((r for r in all_rows if r.decision.kind in kinds), None)
        if row is None:
            continue
        lines += ["", "[[decision]]", f'id = "{row.decision.id}"', action] + ([extra] if extra else [])
    lines += ["", "[[boundary]]                     # a document the rules did not see starts at this paragraph",
              'at = "the received text at the start of the paragraph"']
    return "\n".join(lines)


# -- Markdown ----------------------------------------------------------------------------------
def _md(text) -> str:
    """Text for a Markdown table cell: no emphasis, no code, no cell break."""
    text = str(text).replace("\n", " ")
    return re.sub(r"([\\`*_|<>\[\]])", r"\\\1", text)


def _code(text) -> str:
    """Text for a code span in a Markdown table cell."""
    return str(text).replace("`", "'").replace("|", "\\|")


def _tail(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1):]


def render_markdown(result) -> str:
    """The same review as Markdown: a table per confidence group."""
    source = result.source
    all_rows = rows(result)
    counts = _counts(all_rows)
    out = [f"# Review of `{source.id}`", "",
           f"{source.path}: {len(all_rows)} automatic decisions ({counts['low']} doubtful, {counts['medium']} "
           f"plausible, {counts['high']} confident); {counts['decided']} decided by the editor in "
           f"`sources/{source.id}.review.toml`.", ""]
    for confidence in CONFIDENCES:
        group = [r for r in all_rows if r.decision.confidence == confidence]
        title, note = GROUPS[confidence]
        out += [f"## {title} ({confidence} confidence): {len(group)}", "", f"_{note}_", ""]
        if not group:
            out += ["None.", ""]
            continue
        out += ["| id | decision | where | received | reading | rule | editor |",
                "|---|---|---|---|---|---|---|"]
        for row in group:
            d = row.decision
            status = row.status + (f": {d.editor.reason}" if d.editor and d.editor.reason else "")
            out.append(f"| `{_code(d.id)}` | {_md(KINDS[d.kind].label)} | {row.line}:{row.col} | "
                       f"{_md(_tail(row.before, 40))}**{_md(shown(visible(row.covered), 80))}**"
                       f"{_md(shown(row.after, 40))} | {_md(reading(d))} | {_md(d.rule)} | {_md(status)} |")
        out.append("")
    findings = _findings(result)
    out += [f"## Findings: {len(findings)}", ""]
    out += [f"- `{_code(d.format())}`" for d in findings] or ["None."]
    return "\n".join(out) + "\n"
