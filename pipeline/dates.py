"""Dates as transcriptions write them, read into ISO 8601 values for ``@when``.

Day-month-year, month-day-year, Roman-numeral months (5.XI.52), partial dates (a day and
a month, a month and a year). A date that does not exist is reported, not guessed.
"""

from __future__ import annotations

import functools
import re

from pipeline.records import record
from pipeline.rules import matches_at

try:  # the C implementation the datetime module gives (the very same classes), without the
    # pure-Python one that module defines first: 2 ms of a check's start
    import _datetime as datetime
except ImportError:
    import datetime

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("January", "Jan"), ("February", "Feb"), ("March", "Mar"), ("April", "Apr"),
            ("May",), ("June", "Jun"), ("July", "Jul"), ("August", "Aug"),
            ("September", "Sep", "Sept"), ("October", "Oct"), ("November", "Nov"),
            ("December", "Dec"),
        ],
        start=1,
    )
    for name in names
}
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9,
         "X": 10, "XI": 11, "XII": 12}
_MONTH = "(?P<month>" + "|".join(
    name if len(name) > 4 or name == "June" or name == "July" or name == "May" else name + r"\.?"
    for name in sorted(MONTHS, key=len, reverse=True)
) + ")"
_MONTH2 = _MONTH.replace("month", "month2")
_DATE = (
    r"(?<![\w.])(?:"
    rf"(?P<dmy>(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+{_MONTH}(?:,?\s+(?P<year>1[89]\d\d|20\d\d))?)"
    rf"|(?P<mdy>{_MONTH2}\s+(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?(?:,\s*|\s+)(?P<year2>1[89]\d\d|20\d\d))"
    r"|(?P<roman>(?P<day3>[0-3]?\d)\.(?P<rmonth>XII|XI|X|IX|VIII|VII|VI|V|IV|III|II|I)\.(?P<year3>\d\d(?:\d\d)?))"
    rf"|(?P<my>{_MONTH.replace('month', 'month5')}\s+(?P<year5>1[89]\d\d|20\d\d))"
    r"|(?P<numeric>(?P<day4>[0-3]?\d)\.(?P<month4>[01]?\d)\.(?P<year4>1[89]\d\d))"
    r")(?![\w])"
)


@functools.cache
def date_pattern() -> re.Pattern:
    """Every way of writing a date this module reads (compiled on first use, once per process:
    a large pattern, and importing the module stays cheap)."""
    return re.compile(_DATE)


@functools.cache
def _date_starts() -> re.Pattern:
    r"""Every place a date can begin: a figure or a month's first letter (what each alternative of
    the date pattern begins with) not after a word character or a full stop (its ``(?<![\w.])``),
    the class first so that a scan skips ahead to those characters; the date pattern, which
    begins with its look-behind, is tried at every position of the text."""
    initials = "".join(sorted({name[0] for name in MONTHS}))
    return re.compile(rf"[\d{initials}](?<![\w.].)")


def _date_matches(text: str):
    """The matches of the date pattern in ``text``, as its ``finditer`` gives them (each the first
    that begins at or after the end of the one before), tried only where a date can begin."""
    return matches_at(date_pattern(), text, (start.start() for start in _date_starts().finditer(text)))


def __getattr__(name: str):
    if name == "DATE":  # the pattern, as a module attribute, for who reads it so
        return date_pattern()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@record(frozen=True)
class DateMatch:
    """A date found in a text: where it is, its ISO value, and how the text writes it."""

    start: int
    end: int
    when: str | None  # ISO value, None when the date does not exist
    text: str


def _iso(year: int | None, month: int, day: int | None) -> str | None:
    try:
        if year is not None and day is not None:
            return datetime.date(year, month, day).isoformat()
        if day is not None:
            datetime.date(2000, month, day)  # a leap year admits 29 February
            return f"--{month:02d}-{day:02d}"
        if year is not None:
            return f"{year:04d}-{month:02d}"
    except ValueError:
        return None
    return None


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    value = int(text)
    return value + 1900 if len(text) == 2 else value


def find_dates(text: str):
    """Yield a ``DateMatch`` for every date in ``text``."""
    for m in _date_matches(text):
        if m.group("dmy"):
            when = _iso(_year(m.group("year")), MONTHS[m.group("month").rstrip(".")], int(m.group("day")))
        elif m.group("mdy"):
            when = _iso(_year(m.group("year2")), MONTHS[m.group("month2").rstrip(".")], int(m.group("day2")))
        elif m.group("roman"):
            when = _iso(_year(m.group("year3")), ROMAN[m.group("rmonth")], int(m.group("day3")))
        elif m.group("my"):
            when = _iso(_year(m.group("year5")), MONTHS[m.group("month5").rstrip(".")], None)
        else:
            month = int(m.group("month4"))
            if not 1 <= month <= 12:
                continue
            when = _iso(_year(m.group("year4")), month, int(m.group("day4")))
        yield DateMatch(m.start(), m.end(), when, m.group())


def parse_date(text: str) -> str | None:
    """The ISO value of the first date in ``text``, if any."""
    for match in find_dates(text):
        return match.when
    return None


def is_date_only(text: str) -> bool:
    """True when ``text`` is a date and nothing else (a dateline)."""
    stripped = text.strip().rstrip(".")
    match = date_pattern().fullmatch(stripped)
    return match is not None
