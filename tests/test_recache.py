"""The kept regex code (``pipeline.recache``): a pattern made from the kept code is the very
pattern Python compiles, a later process uses the kept file, and a damaged or foreign file
costs a compile, never a wrong match or a crash."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SOURCES
from pipeline import recache

DISPATCH = Path(sys.executable).parent / "dispatch"
SAMPLE = SOURCES / "stalin-mao-1950-10.txt"

pytestmark = pytest.mark.skipif(not recache.supported(), reason="an interpreter whose re internals recache does not wrap")


def original(pattern, flags=0) -> re.Pattern:
    """Python's own compile, whether or not this process has the wrapper installed."""
    return recache._python_compile(pattern, flags)


def kept(pattern, flags=0) -> re.Pattern:
    return recache.from_code(pattern, recache._compiled(pattern, flags))


def project_patterns() -> list[tuple[str, int]]:
    """Every pattern a check of the sample compiles, as the wrapper records them."""
    code = ("import re, sys; from pathlib import Path; from pipeline import recache; "
            "recache._kept.clear(); recache.install(); recache._kept.clear(); re.purge(); "
            "from pipeline.commands import run_check; import contextlib, io; "
            "contextlib.redirect_stdout(io.StringIO()).__enter__(); "
            f"run_check([Path({str(SAMPLE)!r})], strict=False, fmt='text', verbose=False); "
            "sys.stderr.write(repr(sorted(recache._kept, key=repr)))")
    env = dict(os.environ, DISPATCH_NO_CACHE="")
    env.pop("DISPATCH_NO_CACHE")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return eval(result.stderr.strip().splitlines()[-1])  # noqa: S307 - our own repr of (str, int) pairs


def test_every_pattern_of_a_check_is_the_same_pattern_from_the_kept_code():
    patterns = project_patterns()
    assert len(patterns) > 100  # rules, registers, conventions, page signs, parse
    for pattern, flags in patterns:
        made, compiled = kept(pattern, flags), original(pattern, flags)
        # Pattern equality is CPython's: same pattern, same flags, same matcher code
        assert made == compiled and made.groupindex == compiled.groupindex, pattern
        assert made.groups == compiled.groups


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "é", "\\d", "\\w+?", "[^x]", "(?P<n>c)", "(d|e)", "(?=f)", "(?<!g)",
                                 "\\b", "h*", "i{2,3}", "(?:j)?", "\\s", ".", "^", "$", "(?i:k)", "\\.", "[А-Я]"]),
                min_size=1, max_size=8),
       st.sampled_from([0, re.I, re.M, re.S, re.X, re.I | re.M, re.A]),
       st.text(alphabet="abcdeéfghijk xyz.1АБ\n", max_size=30))
def test_kept_code_matches_as_python_compiles(parts, flags, text):
    pattern = "".join(parts)
    try:
        compiled = original(pattern, flags)
    except re.error as error:  # not a pattern: the same error either way
        with pytest.raises(re.error, match=re.escape(str(error))):
            kept(pattern, flags)
        return
    made = kept(pattern, flags)
    assert made == compiled
    assert [m.span() for m in made.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert [m.groupdict() for m in made.finditer(text)] == [m.groupdict() for m in compiled.finditer(text)]


def run_check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([DISPATCH, "check", SAMPLE], capture_output=True, text=True, env=env, timeout=120)


def test_a_later_check_reads_the_kept_file_and_prints_the_same(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DISPATCH_NO_CACHE"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    first = run_check(env)
    files = list((tmp_path / "dispatch" / recache.KIND).iterdir())
    assert [f.name for f in files] == [recache._file_name()]
    written = files[0].stat().st_mtime_ns
    second = run_check(env)
    assert (second.returncode, second.stdout, second.stderr) == (first.returncode, first.stdout, first.stderr)
    assert files[0].stat().st_mtime_ns == written  # nothing new was compiled: nothing written


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", None])
def test_a_damaged_or_foreign_file_costs_a_compile_not_a_wrong_check(tmp_path, damage):
    import marshal

    env = {k: v for k, v in os.environ.items() if k != "DISPATCH_NO_CACHE"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    clean = run_check(env)
    path = tmp_path / "dispatch" / recache.KIND / recache._file_name()
    if damage is None:  # well-formed, but code no engine accepts, for a pattern a check needs
        entries = marshal.loads(path.read_bytes())
        entries = {key: (flags, bytes([255]) * len(code), groups, index, names)
                   for key, (flags, code, groups, index, names) in entries.items()}
        damage = marshal.dumps(entries)
    path.write_bytes(damage)
    again = run_check(env)
    assert "Traceback" not in again.stderr
    assert (again.returncode, again.stdout) == (clean.returncode, clean.stdout)
    assert marshal.loads(path.read_bytes())  # written anew, whole
