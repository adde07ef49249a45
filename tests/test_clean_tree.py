"""The session check of tests/clean_tree.py: a run that dirties the checkout fails."""

import subprocess
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

CONFTEST = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
from clean_tree import pytest_sessionfinish, pytest_sessionstart
"""
DIRTY = """
from pathlib import Path

def test_writes_a_log():
    Path(__file__).with_name("stray.provenance.log").write_text("log")
"""
CLEAN = """
def test_writes_nothing(tmp_path):
    (tmp_path / "product.ecsv").write_text("ok")
"""


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch):
    # the inner runs need no third-party plugin but xdist (loaded with -p): faster start-up
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def _checkout(pytester, test_source, git=True):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_it=test_source)
    (pytester.path / ".gitignore").write_text(
        "__pycache__/\nrunpytest-*/\n"
    )  # basetemp of runpytest_subprocess
    if git:
        root = str(pytester.path)
        for cmd in (
            ["init", "-q"],
            ["add", "-A"],
            ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start"],
        ):
            subprocess.run(["git", "-C", root, *cmd], check=True, capture_output=True)


def test_a_run_that_leaves_a_file_fails(pytester):
    _checkout(pytester, DIRTY)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*clean tree check failed*", "*appeared: ?? stray.provenance.log"])
    result.assert_outcomes(passed=1)  # the test itself passed: only the check fails the run


def test_a_run_that_modifies_a_tracked_file_fails(pytester):
    _checkout(pytester, DIRTY.replace("stray.provenance.log", "test_it.py"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*appeared:  M test_it.py"])


def test_a_clean_run_passes(pytester):
    _checkout(pytester, CLEAN)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    assert "clean tree check" not in result.stdout.str()


def test_outside_a_git_checkout_the_check_is_skipped(pytester):
    _checkout(pytester, DIRTY, git=False)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    assert "clean tree check" not in result.stdout.str()


def test_with_xdist_the_controller_checks_once(pytester):
    _checkout(pytester, DIRTY + DIRTY.replace("test_writes_a_log", "test_again"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "xdist", "-n", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.stdout.str().count("clean tree check failed") == 1
    result.assert_outcomes(passed=2)


def test_the_check_can_be_switched_off(pytester, monkeypatch):
    monkeypatch.setenv("CALIBPIPE_NO_CLEAN_TREE_CHECK", "1")
    _checkout(pytester, DIRTY)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
