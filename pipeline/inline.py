"""Stage 3a, parse inline: the convention language of a block, as a tree of spans.

Signs: ``*...*`` and ``_..._`` (italics, whose meaning the document declares), and square
brackets of every kind, classified by the data in ``conventions.toml`` or explicitly with
``[@kind text]``. Unbalanced and crossing markup is repaired by general rules and reported;
the tree this module returns never has crossing spans.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from pipeline.conventions import Conventions
from pipeline.dates import DATE, find_dates
from pipeline.kinds import EXPLICIT as EXPLICIT_NAMES
from pipeline.kinds import EXPLICIT_REASON, NON_LATIN, SCRIPTS
from pipeline.model import DocumentInfo, Span, Text
from pipeline.registers import Register

OPENING = set("([{\"'\u201c\u2018\u2014\u2013-/")
CLOSING = set(")]}.,;:!?\"'\u201d\u2019\u2014\u2013-/")
SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)]*(?=\s|$)")
EXPLICIT = re.compile(r"^@(?P<kind>[a-z][a-z-]*)(?::\s*|\s+|$)")
EXPLICIT_KINDS = EXPLICIT_NAMES  # [@name text] -> kind, from the kinds table
# runs of a script other than Latin -> <foreign xml:lang>, from the one table of scripts
_JOIN = r"[\s,.;:!?\-\u2013\u2014\u00ab\u00bb\"'()\d]*"
SCRIPT_PATTERNS = tuple((script.pattern(_JOIN), script.lang) for script in SCRIPTS)
PULL_BACK = {
    "correction": re.compile(r"[0-9A-Za-z]+$"),
    "expansion": re.compile(r"\S+(?=\s*$)"),
    "unclear-mark": re.compile(r"\S+(?=\s*$)"),
}


MAX_DEPTH = 24  # brackets nested deeper are kept as text: bounded work, no recursion limit


@dataclass
class Interval:
    start: int
    end: int
    cstart: int
    cend: int
    kind: str
    attrs: dict = field(default_factory=dict)


@dataclass
class InlineContext:
    """What the inline parser needs besides the text: registers, conventions, the document."""

    text: str
    register: Register
    conventions: Conventions
    info: DocumentInfo
    report: callable  # report(offset, code, **fields): a code of findings.REGISTRY and its fields
    repairs: list = field(default_factory=list)  # (offset, message) recorded in the TEI header
    italics_used: bool = False
    decide: callable = None  # decide(kind, rule, start, end, reading, confidence, why, id_rule): the editor's
    #                          decision on a heuristic one (pipeline.decisions), when they are recorded


def _italic_tokens(text: str, start: int, end: int):
    for m in re.finditer(r"[*_]", text[start:end]):
        i = m.start() + start
        char = text[i]
        prev = text[i - 1] if i > start else " "
        nxt = text[i + 1] if i + 1 < end else " "
        if char == "_" and (prev.isalnum() and nxt.isalnum()):
            continue
        if prev == char or nxt == char:
            continue
        left = prev.isspace() or prev in OPENING
        right = nxt.isspace() or nxt in CLOSING
        opener = left and not nxt.isspace()
        closer = right and not prev.isspace()
        if opener and not closer:
            yield i, "open", char
        elif closer and not opener:
            yield i, "close", char


def _last_words(text: str, count: int = 4) -> str:
    words = text.split()
    return ("… " if len(words) > count else "") + " ".join(words[-count:])


def _close_at_sentence(text: str, cstart: int, limit: int) -> int:
    """Where an unclosed italic ends: after the last sentence before ``limit``, else at it."""
    segment = text[cstart:limit]
    ends = [m.end() for m in SENTENCE_END.finditer(segment.rstrip())]
    if ends:
        return cstart + ends[-1]
    return cstart + len(segment.rstrip())


def parse_inline(ctx: InlineContext, start: int, end: int) -> list:
    """Parse [start, end) of the normalized text into a list of ``Text`` and ``Span``."""
    text = ctx.text
    # 1. brackets, paired with a stack
    pairs: dict[int, int] = {}
    stack: list[int] = []
    too_deep: list[int] = []
    for m in re.finditer(r"[\[\]]", text[start:end]):
        i = m.start() + start
        if text[i] == "[":
            stack.append(i)
        elif stack:
            opened = stack.pop()
            if len(stack) < MAX_DEPTH:
                pairs[opened] = i
            else:
                too_deep.append(opened)
        else:
            ctx.report(i, "P303", case="unopened")
    for i in stack:
        ctx.report(i, "P303")
    if too_deep:
        ctx.report(min(too_deep), "P306", depth=MAX_DEPTH)
    closes = {c: o for o, c in pairs.items()}
    # 2. italics, paired inside the bracket that contains them
    intervals: list[Interval] = []
    scopes: list[tuple[int, int]] = [(start, end)]  # (open bracket position, close)
    open_italic: dict[int, tuple[int, str]] = {}  # scope start -> (position, marker)
    bracket_opens: dict[int, list[int]] = {start: []}

    def repair(scope: int, limit: int, why: str) -> None:
        position, marker = open_italic.pop(scope)
        opens = bracket_opens.get(scope, [])
        later = bisect.bisect_right(opens, position)  # opens are in text order
        if later < len(opens):
            limit = min(limit, opens[later])
        close = _close_at_sentence(text, position + 1, limit)
        decision = None
        if close > position + 1 and ctx.decide is not None:
            decision = ctx.decide("repair", "close-italic-at-sentence-end", position, close,
                                  f"italic closed after '{_last_words(text[position + 1:close])}'", "low",
                                  f"the italic marker {why}: closed at the end of its sentence", "")
            if decision is not None and decision.editor.action == "reject":
                decision.applied = "rejected"
                close = position + 1
        if close <= position + 1:
            ctx.report(position, "P301", case="unclosed", marker=marker)
            return
        intervals.append(Interval(position, close, position + 1, close, "italic", {"repaired": True}))
        ending = _last_words(text[position + 1:close])
        ctx.repairs.append((position, f"unclosed italic marker '{marker}' closed after '{ending}'"))
        ctx.report(position, "P301", marker=marker, why=why, ending=ending)

    tokens = sorted(
        [(i, "[", "[") for i in pairs] + [(i, "]", "]") for i in closes] + list(_italic_tokens(text, start, end))
    )
    for position, kind, marker in tokens:
        scope = scopes[-1][0]
        if kind == "[":
            bracket_opens.setdefault(scope, []).append(position)
            scopes.append((position, pairs[position]))
            bracket_opens[position] = []
        elif kind == "]":
            if scope in open_italic:
                repair(scope, position, "is not closed before the bracket ends")
            scopes.pop()
        elif kind == "open":
            ctx.italics_used = True
            if scope in open_italic:
                repair(scope, position, "is not closed before the next italic opens")
            open_italic[scope] = (position, marker)
        else:  # a closer
            ctx.italics_used = True
            if scope in open_italic:
                opened, _ = open_italic.pop(scope)
                intervals.append(Interval(opened, position + 1, opened + 1, position, "italic"))
                continue
            outer = next((s for s, _ in reversed(scopes[:-1]) if s in open_italic), None)
            if outer is not None:
                ctx.report(position, "P302", marker=marker)
                repair(outer, scope, "crosses a bracket")
            else:
                ctx.report(position, "P301", case="unopened", marker=marker)
    for scope in list(open_italic):
        repair(scope, end, "is never closed")
    # 3. classify the brackets
    for o, c in pairs.items():
        intervals.append(classify(ctx, start, o, c))
    return build(ctx, start, end, intervals)


def classify(ctx: InlineContext, block_start: int, o: int, c: int) -> Interval:
    """Decide what a bracket [o, c] is, from its content and what stands before it; an explicit
    ``[@kind ...]`` first, then the editor's decision on the bracket, then the heuristics."""
    interval = _explicit(ctx, o, c)
    if interval is not None:
        return interval
    interval, rule, confidence = _heuristic(ctx, block_start, o, c)
    decision = None
    if ctx.decide is not None:
        decision = ctx.decide("bracket", rule, o, c + 1, interval.kind, confidence,
                              BRACKET_WHY.get(confidence, ""), "")
    if decision is not None:
        if decision.editor.action == "set":
            name = decision.editor.value
            attrs = {"reason": EXPLICIT_REASON[name]} if name in EXPLICIT_REASON else {}
            interval = Interval(o, c + 1, o + 1, c, EXPLICIT_KINDS[name], attrs)
            decision.applied = "set"
        interval.attrs.pop("unclassified", None)
        interval.attrs["decision"] = decision
    elif interval.attrs.get("unclassified"):
        ctx.report(o, "P304", content=_short(ctx.text[o + 1:c]))
    return interval


BRACKET_WHY = {
    "high": "its content says what it is",
    "medium": "a heuristic on its content and what stands around it",
    "low": "no rule recognized it: read as text supplied by the editor (the default)",
}


def _explicit(ctx: InlineContext, o: int, c: int) -> Interval | None:
    """``[@kind text]``: the source says what the bracket is."""
    content = ctx.text[o + 1:c]
    explicit = EXPLICIT.match(content)
    if explicit and explicit.group("kind") in EXPLICIT_KINDS:
        name = explicit.group("kind")
        attrs = {"reason": EXPLICIT_REASON[name]} if name in EXPLICIT_REASON else {}
        return Interval(o, c + 1, o + 1 + explicit.end(), c, EXPLICIT_KINDS[name], attrs)
    return None


def _heuristic(ctx: InlineContext, block_start: int, o: int, c: int) -> tuple[Interval, str, str]:
    """What the classifiers of conventions.toml read the bracket as: (interval, rule, confidence)."""
    text = ctx.text
    content = text[o + 1:c]
    inner = content
    if content.startswith("[") and content.endswith("]") and "[" not in content[1:]:
        inner = content[1:-1]  # [[two words illegible]]
    previous = text[max(block_start, o - ctx.conventions.tuning("bracket_lookbehind")):o]  # the checks look only at what ends here
    for number, rule in enumerate(ctx.conventions.brackets, 1):
        m = rule.content.search(inner) if rule.content else None
        if rule.content and not m:
            continue
        if rule.check and not CHECKS[rule.check](ctx, previous, inner, text, o, c):
            continue
        attrs = {"reason": rule.reason} if rule.reason else {}
        cstart, cend = o + 1, c
        if m is not None and "text" in (m.groupdict() or {}) and m.group("text") is not None:
            offset = content.find(inner)
            cstart, cend = o + 1 + offset + m.start("text"), o + 1 + offset + m.end("text")
        name = f"[[bracket]] {number} of conventions.toml: {rule.kind}" + (f" ({rule.check})" if rule.check else "")
        return Interval(o, c + 1, cstart, cend, rule.kind, attrs), name, "medium" if rule.check else "high"
    if ctx.info.brackets == "del":
        return Interval(o, c + 1, o + 1, c, "del"), "brackets=del, declared by the document", "medium"
    return Interval(o, c + 1, o + 1, c, "supplied", {"unclassified": True}), "no classifier (default: supplied)", "low"


def _short(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _previous_word(previous: str) -> str:
    m = re.search(r"(\S+)\s*$", previous)
    return m.group(1) if m else ""


def _after_register_name(ctx, previous, inner, text, o, c) -> bool:
    entry = ctx.register.ends_with_name(previous)
    other = ctx.register.lookup(inner)
    return entry is not None and other is not None and other.id == entry.id


def _register_name(ctx, previous, inner, text, o, c) -> bool:
    word = _previous_word(previous).strip(",.;:")
    return ctx.register.lookup(inner) is not None and word.isupper() and len(word) > 1


def _after_abbreviation(ctx, previous, inner, text, o, c) -> bool:
    word = _previous_word(previous)
    if word in ctx.register.abbreviations:
        return True
    if ctx.info.brackets == "del":
        return False
    capitals = sum(ch.isupper() for ch in word)
    return capitals >= 2 and word.isalpha() and not inner.isupper() and " " in inner.strip()


def _attached_to_digits(ctx, previous, inner, text, o, c) -> bool:
    return o > 0 and text[o - 1].isdigit()


DATE_AT_END = re.compile(rf"(?:{DATE.pattern})\s*$")


def _after_date(ctx, previous, inner, text, o, c) -> bool:
    return DATE_AT_END.search(previous[-ctx.conventions.tuning("date_window"):]) is not None


FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "ı": "i"})


def _without_diacritics(word: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", word.translate(FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _same_word_with_diacritics(ctx, previous, inner, text, o, c) -> bool:
    word = _previous_word(previous).strip(",.;:")
    return (bool(word) and inner != word and " " not in inner.strip()
            and _without_diacritics(inner).lower() == _without_diacritics(word).lower())


def _beside_name(ctx, previous, inner, text, o, c) -> bool:
    if ctx.info.brackets == "del":
        return False
    before = _previous_word(previous)
    after = re.match(r"\s*(\S+)", text[c + 1:c + ctx.conventions.tuning("bracket_lookahead")])
    attached_before = before and previous.endswith(" ") and before[:1].isupper() and before[-1:].isalpha()
    attached_after = after is not None and after.group(1)[:1].isupper()
    return bool(attached_before or attached_after)


def _inside_word(ctx, previous, inner, text, o, c) -> bool:
    attached_before = o > 0 and text[o - 1].isalpha()
    attached_after = c + 1 < len(text) and text[c + 1].isalpha()
    return inner.isalpha() and (attached_before or attached_after)


CHECKS = {
    "after-register-name": _after_register_name,
    "register-name": _register_name,
    "after-abbreviation": _after_abbreviation,
    "attached-to-digits": _attached_to_digits,
    "after-date": _after_date,
    "inside-word": _inside_word,
    "same-word-with-diacritics": _same_word_with_diacritics,
    "beside-name": _beside_name,
}


def build(ctx: InlineContext, start: int, end: int, intervals: list[Interval]) -> list:
    """Nest intervals into a tree; then pull back corrected figures and find names and dates."""
    intervals.sort(key=lambda iv: (iv.start, -iv.end))
    root: list = []
    stack: list[tuple[Interval, list]] = []
    position_stack = [start]

    def flush(until: int, children: list) -> None:
        if until > position_stack[-1]:
            children.append(Text(position_stack[-1], until))
        position_stack[-1] = max(position_stack[-1], until)

    def close_top() -> None:
        interval, children = stack.pop()
        flush(interval.cend, children)
        position_stack.pop()
        kind = interval.kind if interval.kind != "italic" else ctx.info.italics
        span = Span(kind, interval.start, interval.end, children, **interval.attrs)
        parent = stack[-1][1] if stack else root
        parent.append(span)
        position_stack[-1] = interval.end

    for interval in intervals:
        while stack and interval.start >= stack[-1][0].end:
            close_top()
        if stack and interval.end > stack[-1][0].end:
            ctx.report(interval.start, "P302", case="span")
            continue
        parent = stack[-1][1] if stack else root
        flush(interval.start, parent)
        stack.append((interval, []))
        position_stack.append(interval.cstart)
    while stack:
        close_top()
    flush(end, root)
    return enrich(ctx, root)


def enrich(ctx: InlineContext, nodes: list) -> list:
    """Pull corrected figures and abbreviations into their spans; find names, dates, garbage."""
    out: list = []
    for node in nodes:
        if isinstance(node, Span):
            node.children = enrich(ctx, node.children)
            pull = PULL_BACK.get(node.kind)
            if pull and out and isinstance(out[-1], Text):
                previous = out[-1]
                m = pull.search(ctx.text[previous.start:previous.end])
                if m:
                    pulled = previous.start + m.start()
                    node.pulled = (pulled, previous.start + m.end())
                    node.start = pulled
                    previous.end = pulled
                    if previous.end == previous.start:
                        out.pop()
            out.append(node)
        else:
            out.extend(_annotate_text(ctx, node))
    return _dates_over_corrections(ctx, out)


HAS_DIGIT = re.compile(r"\d")
WITH_DIGIT = re.compile(r"\S*\d\S*")


class Occupied:
    """Non-overlapping intervals, with an overlap test in logarithmic time."""

    def __init__(self):
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start)
        if i > 0 and self.ends[i - 1] > start:
            return True
        return i < len(self.starts) and self.starts[i] < end

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def _annotate_text(ctx: InlineContext, node: Text, citations: bool = True) -> list:
    """Split a text run around the names, dates, times, foreign passages, elisions and
    unrecognised tokens it holds."""
    text = ctx.text
    segment = text[node.start:node.end]
    if not segment.strip():
        return [node]
    digits = HAS_DIGIT.search(segment) is not None
    if citations and digits:
        m = ctx.conventions.pattern("citation").search(segment)
        if m:
            s, e = node.start + m.start(), node.start + m.end()
            inner = _annotate_text(ctx, Text(s, e), citations=False)
            return (_annotate_text(ctx, Text(node.start, s)) if s > node.start else []) + \
                [Span("bibl", s, e, inner)] + \
                (_annotate_text(ctx, Text(e, node.end)) if e < node.end else [])
    found: list[tuple[int, int, str, dict]] = []
    taken = Occupied()

    def free(s: int, e: int) -> bool:
        if taken.overlaps(s, e):
            return False
        taken.add(s, e)
        return True

    if ". ." in segment:
        for m in ctx.conventions.pattern("elision").finditer(segment):
            if free(node.start + m.start(), node.start + m.end()):
                found.append((node.start + m.start(), node.start + m.end(), "gap", {"reason": "elided"}))
    for s, e, entry in ctx.register.find(segment):
        if free(node.start + s, node.start + e):
            found.append((node.start + s, node.start + e, entry.element, {"ref": entry.id}))
    if NON_LATIN.search(segment):
        for pattern, lang in SCRIPT_PATTERNS:
            for m in pattern.finditer(segment):
                if free(node.start + m.start(), node.start + m.end()):
                    found.append((node.start + m.start(), node.start + m.end(), "foreign", {"lang": lang}))
    if digits:
        _numbers(ctx, node, segment, found, free)
    found.sort(key=lambda f: (f[0], -f[1]))
    out: list = []
    position = node.start
    for s, e, kind, attrs in found:
        if s < position:
            continue
        if s > position:
            out.append(Text(position, s))
        out.append(Span(kind, s, e, [] if kind == "gap" else [Text(s, e)], **attrs))
        position = e
    if position < node.end:
        out.append(Text(position, node.end))
    return out


def _numbers(ctx: InlineContext, node: Text, segment: str, found: list, free) -> None:
    """Times, dates and unrecognised tokens: the annotations that need a digit."""
    for m in ctx.conventions.pattern("time").finditer(segment):
        when = _time_value(m)
        if when and free(node.start + m.start(), node.start + m.end()):
            found.append((node.start + m.start(), node.start + m.end(), "time", {"when": when}))
    for date in find_dates(segment):
        s, e = node.start + date.start, node.start + date.end
        if not free(s, e):
            continue
        attrs = {"when": date.when} if date.when else {}
        if date.when is None:
            ctx.report(s, "P320", date=date.text)
        found.append((s, e, "date", attrs))
    garbage = ctx.conventions.pattern("garbage")
    fine = ctx.conventions.pattern("not_garbage")
    for m in WITH_DIGIT.finditer(segment):
        token = m.group().strip(".,;:!?()\"'")
        if garbage.match(token) and not fine.match(token):
            s = node.start + m.start() + m.group().find(token)
            e = s + len(token)
            if not free(s, e):
                continue
            ctx.report(s, "N230", token=token)
            found.append((s, e, "unclear", {"reason": "unrecognised"}))


def _time_value(m: re.Match) -> str | None:
    hour = m.group("h") or m.group("h2") or m.group("h3")
    minute = m.group("m") or m.group("m2") or "00"
    value = int(hour)
    suffix = (m.group("suffix") or "").lower()
    if suffix == "p.m." and value < 12:
        value += 12
    elif suffix == "a.m." and value == 12:
        value = 0
    if value > 23:
        return None
    return f"{value:02d}:{minute}:00"


def _dates_over_corrections(ctx: InlineContext, nodes: list) -> list:
    """``8[7] October 1950``: a corrected day followed by month and year is one date."""
    out: list = []
    i = 0
    while i < len(nodes):
        node = nodes[i]
        if isinstance(node, Span) and node.kind == "correction" and i + 1 < len(nodes):
            corrected = "".join(ctx.text[t.start:t.end] for t in node.children if isinstance(t, Text))
            following = ctx.text[node.end:node.end + ctx.conventions.tuning("date_window")]
            date = next(iter(find_dates(corrected + following)), None) if corrected.isdigit() else None
            if date is not None and date.start == 0 and date.end > len(corrected):
                limit = node.end + date.end - len(corrected)
                inside: list = [node]
                j = i + 1
                while j < len(nodes) and nodes[j].end <= limit:
                    inside.append(nodes[j].children[0] if isinstance(nodes[j], Span) and nodes[j].kind == "date"
                                  else nodes[j])
                    j += 1
                if j < len(nodes) and isinstance(nodes[j], Text) and nodes[j].start < limit:
                    inside.append(Text(nodes[j].start, limit))
                    nodes[j] = Text(limit, nodes[j].end)
                if inside[-1].end == limit:
                    attrs = {"when": date.when} if date.when else {}
                    out.append(Span("date", node.start, limit, inside, **attrs))
                    i = j
                    continue
        if (isinstance(node, Span) and node.kind == "date" and i + 2 < len(nodes)
                and isinstance(nodes[i + 1], Text) and ctx.text[nodes[i + 1].start:nodes[i + 1].end] == " "
                and isinstance(nodes[i + 2], Span) and nodes[i + 2].kind == "supplied-date"
                and re.fullmatch(r"--\d\d-\d\d", node.when or "")):
            year = "".join(ctx.text[t.start:t.end] for t in nodes[i + 2].children if isinstance(t, Text))
            when = node.when
            merged = Span("date", node.start, nodes[i + 2].end, [*node.children, nodes[i + 1], nodes[i + 2]],
                          when=f"{year}-{when[2:]}" if year.isdigit() else None)
            out.append(merged)
            i += 3
            continue
        out.append(node)
        i += 1
    return out
