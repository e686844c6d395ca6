"""Inline parsing, step 2: what each bracket is.

The classifiers of ``conventions.toml`` are tried in order, the first whose tests all pass
decides (as markdown-it's ordered rules); an explicit ``[@kind text]`` overrides them all. A
classifier's ``check`` names one of the small tests of ``CHECKS`` on the words around the
bracket. A bracket no classifier claims is a deletion where the document declares brackets as
deletions, otherwise text supplied by the editor, reported (P304).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from pipeline.dates import date_pattern
from pipeline.inline.pairing import InlineContext, Interval
from pipeline.kinds import EXPLICIT as EXPLICIT_KINDS
from pipeline.kinds import EXPLICIT_REASON


@functools.cache
def _explicit_mark() -> re.Pattern:
    """``@kind`` opening a bracket (compiled on first use, once per process)."""
    return re.compile(r"^@(?P<kind>[a-z][a-z-]*)(?::\s*|\s+|$)")


def classify(ctx: InlineContext, block_start: int, o: int, c: int) -> Interval:
    """Decide what a bracket [o, c] is: an explicit ``[@kind ...]`` first, then the editor's
    decision on the bracket (``sources/<id>.review.toml``), then the classifiers."""
    interval = _explicit(ctx, o, c)
    if interval is not None:
        return interval
    interval, classifier, confidence = _heuristic(ctx, block_start, o, c)
    decision = None
    if ctx.decide is not None:
        decision = ctx.decide("bracket", _rule_name(classifier), o, c + 1, interval.kind, confidence,
                              WHY[confidence], "")
    if decision is not None:
        if decision.editor.action == "set":
            name = decision.editor.value
            attrs = {"reason": EXPLICIT_REASON[name]} if name in EXPLICIT_REASON else {}
            interval = Interval(o, c + 1, o + 1, c, EXPLICIT_KINDS[name], attrs)
            decision.applied = "set"
        interval.attrs.pop("unclassified", None)  # the editor said what it is: no P304
        interval.attrs["decision"] = decision
    elif interval.attrs.get("unclassified"):
        ctx.report(o, "P304", content=_short(ctx.text[o + 1:c]))
    return interval


WHY = {  # how sure a classification is, for the review page
    "high": "its content says what it is",
    "medium": "a heuristic on its content and what stands around it",
    "low": "no classifier recognized it: read as text supplied by the editor (the default)",
}


def _explicit(ctx: InlineContext, o: int, c: int) -> Interval | None:
    """``[@kind text]``: the source says what the bracket is."""
    if ctx.text[o + 1:o + 2] != "@":
        return None  # (the mark's first sign: most brackets are not explicit)
    explicit = _explicit_mark().match(ctx.text[o + 1:c])
    if explicit and explicit.group("kind") in EXPLICIT_KINDS:
        name = explicit.group("kind")
        attrs = {"reason": EXPLICIT_REASON[name]} if name in EXPLICIT_REASON else {}
        return Interval(o, c + 1, o + 1 + explicit.end(), c, EXPLICIT_KINDS[name], attrs)
    return None


def _rule_name(classifier: tuple | str) -> str:
    """The name of what classified a bracket (``_heuristic``), for the decisions' ledger."""
    if isinstance(classifier, str):
        return classifier
    number, rule = classifier
    return f"[[bracket]] {number} of conventions.toml: {rule.kind}" + (f" ({rule.check})" if rule.check else "")


def _heuristic(ctx: InlineContext, block_start: int, o: int, c: int) -> tuple[Interval, tuple | str, str]:
    """What the classifiers read the bracket as: (interval, the classifier, its confidence). The
    classifier is its (number, rule), or what decided without one: its name (``_rule_name``) is
    written only where a decision is recorded."""
    text = ctx.text
    content = text[o + 1:c]
    inner = content
    doubled = content.startswith("[") and content.endswith("]") and "[" not in content[1:]
    if doubled:
        inner = content[1:-1]  # [[two words illegible]], [[May]]: one bracket, doubled
    classifiers, contents, (behind, ahead) = _classifiers(ctx.conventions)
    previous = text[max(block_start, o - behind):o]  # the checks look only at what ends here
    following = text[c + 1:c + 1 + ahead]
    read = contents.get(inner)
    if read is None:
        if len(contents) > _MAX_CONTENTS:
            contents.clear()
        read = contents[inner] = [0]
    for index, m in _candidates(classifiers, inner, read):
        number, rule, _, before_search, after_match, check, text_group = classifiers[index]
        if before_search is not None and before_search(previous) is None:
            continue
        if after_match is not None and after_match(following) is None:
            continue
        if check is not None and not check(ctx, previous, inner, text, o, c):
            continue
        attrs = {"reason": rule.reason} if rule.reason else {}
        cstart, cend = (o + 2, c - 1) if doubled else (o + 1, c)
        if text_group and m is not None and m.group("text") is not None:
            offset = content.find(inner)
            cstart, cend = o + 1 + offset + m.start("text"), o + 1 + offset + m.end("text")
        contextual = rule.check or rule.before or rule.after  # read from the words around the bracket
        return Interval(o, c + 1, cstart, cend, rule.kind, attrs), (number, rule), "medium" if contextual else "high"
    if ctx.info.brackets == "del":
        return Interval(o, c + 1, o + 1, c, "del"), "brackets=del, declared by the document", "medium"
    return Interval(o, c + 1, o + 1, c, "supplied", {"unclassified": True}), "no classifier (default: supplied)", "low"


def _candidates(classifiers: tuple, inner: str, read: list):
    """(index, the match of its content test or None) of each classifier, in order, that may
    take a bracket holding ``inner``: its content test passes, or it has none. ``read`` is what
    the content tests gave for these words so far: how many classifiers were read, then the
    candidates among them (the others are never tried again for the same words); the tests
    beyond are read as far as the bracket's classification asks."""
    yield from read[1:]
    for index in range(read[0], len(classifiers)):
        content_search = classifiers[index][2]
        m = content_search(inner) if content_search is not None else None
        read[0] = index + 1
        if content_search is None or m is not None:
            read.append((index, m))
            yield index, m


_CLASSIFIERS: dict[int, tuple] = {}
_MAX_CONTENTS = 20_000  # bracket contents whose tests are kept (then forgotten, all at once)


def _classifiers(conventions) -> tuple[tuple, dict[str, list], tuple[int, int]]:
    """The classifiers of the conventions, each as (number, classifier, its content's search, its
    ``before``'s search, its ``after``'s match, its check, whether its content test has a ``text``
    group), the tests looked up once per process
    (they are tried in order on every bracket), with how far they look behind and ahead of a
    bracket (``[tuning]``); and what their content tests gave on the bracket
    contents met so far: content -> the classifiers that may take it (``_candidates``), as far as
    they were tried (a content test reads only the bracket's words, and the same words recur:
    '[...]', '[sic]', a name, a year)."""
    held = _CLASSIFIERS.get(id(conventions))
    if held is not None and held[0] is conventions:
        return held[1]
    tests = tuple(
        (number, rule, rule.content.search if rule.content else None, rule.before.search if rule.before else None,
         rule.after.match if rule.after else None, CHECKS[rule.check] if rule.check else None,
         rule.content is not None and "text" in rule.content.groupindex)
        for number, rule in enumerate(conventions.brackets, 1))
    if len(_CLASSIFIERS) > 16:
        _CLASSIFIERS.clear()
    reach = (conventions.tuning("bracket_lookbehind"), conventions.tuning("bracket_lookahead"))
    held = _CLASSIFIERS[id(conventions)] = (conventions, (tests, {}, reach))
    return held[1]


def _short(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _previous_word(previous: str) -> str:
    """The last word (run of non-space characters) of ``previous``, else ""."""
    words = previous.rsplit(None, 1)
    return words[-1] if words else ""


def _after_register_name(ctx, previous, inner, text, o, c) -> bool:
    other = ctx.register.lookup(inner)  # a dictionary look-up first: most brackets name no entry
    if other is None:
        return False
    entry = ctx.register.ends_with_name(previous)
    return entry is not None and other.id == entry.id


def _register_name(ctx, previous, inner, text, o, c) -> bool:
    if ctx.register.lookup(inner) is None:
        return False
    word = _previous_word(previous).strip(",.;:")
    return word.isupper() and len(word) > 1


def _after_abbreviation(ctx, previous, inner, text, o, c) -> bool:
    word = _previous_word(previous)
    if word in ctx.register.abbreviations:
        return True
    if ctx.info.brackets == "del":
        return False
    capitals = sum(map(str.isupper, word))
    return capitals >= 2 and word.isalpha() and not inner.isupper() and " " in inner.strip()


def _attached_to_digits(ctx, previous, inner, text, o, c) -> bool:
    return o > 0 and text[o - 1].isdigit()


@functools.cache
def _date_at_end() -> re.Pattern:
    """A date, and nothing after it but white space."""
    return re.compile(rf"(?:{date_pattern().pattern})\s*$")


def _after_date(ctx, previous, inner, text, o, c) -> bool:
    return _date_at_end().search(previous[-ctx.conventions.tuning("date_window"):]) is not None


FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "ı": "i"})


def _without_diacritics(word: str) -> str:
    if word.isascii():
        return word  # nothing to fold, nothing to decompose
    decomposed = unicodedata.normalize("NFKD", word.translate(FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _same_word_with_diacritics(ctx, previous, inner, text, o, c) -> bool:
    word = _previous_word(previous).strip(",.;:")
    return (bool(word) and inner != word and " " not in inner.strip()
            and _without_diacritics(inner).lower() == _without_diacritics(word).lower())


def _folded(words: list[str]) -> str:
    return "".join(ch for ch in _without_diacritics(" ".join(words)).lower() if ch.isalpha())


def _respelled_name(ctx, previous, inner, text, o, c) -> bool:
    """The bracket spells the name just before it another way (another romanization or
    transliteration): 'Choe Seong-ho [Choe Song Ho]', 'Kim Yeong-su [Kim Yong Su]'. Compared
    letter by letter with the same number of capitalized words before it, or one fewer or more."""
    words = previous.split()
    run = []
    for word in reversed(words):
        if not word[:1].isupper() or not word.rstrip(".").replace("-", "").replace("\u2019", "").replace(
                "\x27", "").isalpha():
            break
        run.insert(0, word)
    if not previous.endswith(" ") or not run:
        return False
    import difflib  # only a bracket after a capitalized run needs it: not loaded at every start

    size = len(inner.split())
    target = _folded(inner.split())
    for n in {size - 1, size, size + 1}:
        if 0 < n <= len(run):
            name = _folded(run[-n:])
            if name != target and len(name) >= 4 and difflib.SequenceMatcher(None, name, target).ratio() >= 0.75:
                return True
    return False


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


def _doubled(ctx, previous, inner, text, o, c) -> bool:
    """'[[May]]': a bracket doubled around its words (what it holds is read from inside)."""
    return text[o + 1:o + 2] == "[" and text[c - 1:c] == "]" and "[" not in text[o + 2:c - 1]


def _brackets_not_deletions(ctx, previous, inner, text, o, c) -> bool:
    """The document does not declare its brackets as deletions (a draft's struck words)."""
    return ctx.info.brackets != "del"


CHECKS = {
    "brackets-not-deletions": _brackets_not_deletions,
    "after-register-name": _after_register_name,
    "register-name": _register_name,
    "after-abbreviation": _after_abbreviation,
    "attached-to-digits": _attached_to_digits,
    "after-date": _after_date,
    "inside-word": _inside_word,
    "same-word-with-diacritics": _same_word_with_diacritics,
    "beside-name": _beside_name,
    "respelled-name": _respelled_name,
    "doubled": _doubled,
}
