"""The pre-commit hooks, run by the real pre-commit framework on a temporary repository."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory):
    if not PRE_COMMIT.exists():
        pytest.skip("pre-commit is not installed (pip install -e '.[dev]')")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    home = tmp_path_factory.mktemp("pre-commit-home")
    return dict(os.environ, PRE_COMMIT_HOME=str(home), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
                GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")


def contributor_repo(folder: Path) -> Path:
    folder.mkdir()
    git("init", "-q", cwd=folder)
    (folder / "sources").mkdir()
    return folder


def try_repo(repo: Path, hook: str, files: list[str], env) -> subprocess.CompletedProcess:
    return subprocess.run([str(PRE_COMMIT), "try-repo", str(ROOT), hook, "--verbose", "--files", *files],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=900)


CLEAN = b"Letter from Molotov to Stalin, 3 June 1951\n\nWe agree with your proposal.\n"


def dispatch(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pipeline", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_dispatch_check_hook_passes_and_fails_with_the_located_finding(tmp_path, hook_env):
    repo = contributor_repo(tmp_path / "contrib")
    good = repo / "sources" / "good.txt"
    good.write_bytes(CLEAN)
    git("add", "-A", cwd=repo)
    passed = try_repo(repo, "dispatch-check", ["sources/good.txt"], hook_env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
    bad = repo / "sources" / "bad.txt"
    bad.write_bytes(b"Letter from Molotov to Stalin, 3 June 1951\n\nWe agree.\x07\n")
    git("add", "-A", cwd=repo)
    failed = try_repo(repo, "dispatch-check", ["sources/bad.txt"], hook_env)
    assert failed.returncode == 1
    assert "Failed" in failed.stdout
    assert "sources/bad.txt:3:10: R104 control character U+0007 in the text" in failed.stdout


def test_outputs_fresh_hook(tmp_path, hook_env):
    repo = contributor_repo(tmp_path / "fresh")
    for path in SAMPLE.parent.glob("stalin-mao-1950-10.*"):
        shutil.copy(path, repo / "sources" / path.name)
    shutil.copytree(ROOT / "outputs", repo / "outputs", ignore=shutil.ignore_patterns(".dispatch-state.json", "pdf"))
    git("add", "-A", cwd=repo)
    fresh = try_repo(repo, "dispatch-outputs-fresh", ["sources/stalin-mao-1950-10.txt"], hook_env)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    (repo / "outputs" / "text" / "stalin-mao-1950-10.txt").write_text("edited by hand\n")
    git("add", "-A", cwd=repo)
    stale = try_repo(repo, "dispatch-outputs-fresh", ["sources/stalin-mao-1950-10.txt"], hook_env)
    assert stale.returncode == 1
    assert "stale: outputs/text/stalin-mao-1950-10.txt" in stale.stdout


def test_a_warning_fails_the_hook_until_accepted_and_again_when_the_acceptance_is_stale(tmp_path, hook_env):
    """The hook is strict: a warning (an unclosed bracket) fails it with its location; an editor's
    acceptance (dispatch accept) lets it pass; editing the bracket's text makes the acceptance stale."""
    repo = contributor_repo(tmp_path / "brackets")
    source = repo / "sources" / "fuel.txt"
    source.write_bytes(CLEAN.replace(b"We agree", b"We sent two hundred [of the fuel tons. We agree"))
    git("add", "-A", cwd=repo)
    files = ["sources/fuel.txt"]
    failed = try_repo(repo, "dispatch-check", files, hook_env)
    assert failed.returncode == 1, failed.stdout
    assert "sources/fuel.txt:3:21: P303 opening bracket '[' is never closed" in failed.stdout

    accepted = dispatch("accept", "sources/fuel.txt", "P303", "--reason", "the bracket is open in the original",
                        cwd=repo)
    assert accepted.returncode == 0, accepted.stderr
    sidecar = (repo / "sources" / "fuel.meta.toml").read_text()
    assert sidecar == ('[[accept]]\ncode = "P303"\nat = "[of the fuel"\n'
                       'reason = "the bracket is open in the original"\n')
    git("add", "-A", cwd=repo)
    files.append("sources/fuel.meta.toml")
    passed = try_repo(repo, "dispatch-check", files, hook_env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout

    source.write_bytes(source.read_bytes().replace(b"[of the fuel", b"[of the oil"))
    git("add", "-A", cwd=repo)
    stale = try_repo(repo, "dispatch-check", files, hook_env)
    assert stale.returncode == 1
    assert "sources/fuel.meta.toml:1:1: R120 stale acceptance of P303" in stale.stdout
    assert "sources/fuel.txt:3:21: P303 opening bracket '[' is never closed" in stale.stdout
