"""Record classes (``pipeline.records``): they behave as the dataclasses they stand in for, and
the code kept in the per-user cache is the code Python compiles, read by a later process; a
damaged file costs a compile, never a wrong check."""

from __future__ import annotations

import dataclasses
import os

import pytest

from pipeline import records
from test_recache import run_check


def twins(frozen: bool) -> list[type]:
    """The same class as a dataclass and as a record."""
    made = []
    for decorate, field in ((dataclasses.dataclass, dataclasses.field), (records.record, records.field)):
        @decorate(frozen=frozen)
        class Thing:
            """A thing."""

            name: str
            count: int = 0
            items: list = field(default_factory=list)

            def __post_init__(self):
                self.items.append("made")

        made.append(Thing)
    return made


def outcome(action):
    try:
        return "value", action()
    except Exception as err:  # noqa: BLE001 - the kind of failure is what is compared
        return type(err).__name__ if not isinstance(err, AttributeError) else "AttributeError", str(err)


@pytest.mark.parametrize("frozen", [False, True])
def test_a_record_behaves_as_the_dataclass(frozen):
    replaces = (dataclasses.replace, records.replace)
    seen = []
    for cls, replace in zip(twins(frozen), replaces):
        a, b, c = cls("x"), cls("x"), cls("x", 2, ["own"])
        seen.append([
            repr(a), repr(c), a == b, a != b, a == c, a == ("x", 0, ["made"]), a.items is not b.items,
            cls.count, hasattr(cls, "items"), cls.__hash__ is None, repr(replace(c, count=3)),
            outcome(lambda: hash(cls("y", items=()))),  # noqa: B023 - called at once
            outcome(lambda: setattr(a, "count", 5)),  # noqa: B023
            outcome(lambda: delattr(a, "name")),  # noqa: B023
            outcome(lambda: cls()),  # noqa: B023
            outcome(lambda: cls("x", 1, [], 4)),  # noqa: B023
        ])
    assert seen[0] == seen[1]


def test_a_record_within_itself_is_shown_as_the_dataclass_shows_it():
    shown = []
    for cls in twins(False):
        thing = cls("loop")
        thing.items.append(thing)
        shown.append(repr(thing))
    assert shown[0] == shown[1] == "twins.<locals>.Thing(name='loop', count=0, items=['made', ...])"


def test_the_kept_code_is_the_compiled_code(monkeypatch):
    source = "def f(a, b=1):\n    return (a, b)\n"
    monkeypatch.setenv("DISPATCH_NO_CACHE", "1")
    monkeypatch.setattr(records, "_kept", records.usercache.Kept("records", 10))
    monkeypatch.setattr(records.usercache, "_at_exit", [])
    made = records._compiled(source, "<record F>")
    assert made == compile(source, "<record F>", "exec")
    assert records._compiled(source, "<record F>") is made  # the second time, from what was kept


def test_a_later_check_reads_the_kept_code_and_prints_the_same(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DISPATCH_NO_CACHE"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    first = run_check(env)
    [path] = (tmp_path / "dispatch" / "records").iterdir()
    written = path.stat().st_mtime_ns
    second = run_check(env)
    assert (second.returncode, second.stdout, second.stderr) == (first.returncode, first.stdout, first.stderr)
    assert path.stat().st_mtime_ns == written  # nothing new was compiled: nothing written
    path.write_bytes(b"\x00garbage")
    damaged = run_check(env)
    assert (damaged.returncode, damaged.stdout, damaged.stderr) == (first.returncode, first.stdout, first.stderr)
    assert path.read_bytes() != b"\x00garbage"  # written anew, whole
