"""A test run must leave the git checkout as it found it (no stray logs, products or samples).

``tests/conftest.py`` imports the two hooks below. At the start of a session the output of
``git status --porcelain --untracked-files=all`` in the rootdir is recorded; at the end it is
taken again and, if it differs, the lines that appeared or went away are reported and the run
fails (exit code 1) even when every test passed.

With pytest-xdist only the controller checks (the workers share its checkout); outside a git
checkout (an sdist, a copy) the check is skipped silently. ``CALIBPIPE_NO_CLEAN_TREE_CHECK=1``
switches it off, e.g. for a run during which one edits the tree.
"""

import os
import subprocess
import sys

import pytest

_STASH_KEY = pytest.StashKey[str]()
DISABLE_VARIABLE = "CALIBPIPE_NO_CLEAN_TREE_CHECK"


def git_status(root):
    """``git status --porcelain`` of the checkout at ``root``, or None outside a git checkout."""
    cmd = ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def _active(config):
    is_worker = hasattr(config, "workerinput")  # pytest-xdist worker
    return not is_worker and os.environ.get(DISABLE_VARIABLE, "") in ("", "0")


def pytest_sessionstart(session):
    if _active(session.config):
        status = git_status(session.config.rootpath)
        if status is not None:
            session.config.stash[_STASH_KEY] = status


def pytest_sessionfinish(session, exitstatus):
    before = session.config.stash.get(_STASH_KEY, None)
    if before is None:
        return
    after = git_status(session.config.rootpath)
    old, new = set(before.splitlines()), set((after or before).splitlines())
    if old == new:
        return
    lines = [f"  appeared: {line}" for line in sorted(new - old)]
    lines += [f"  went away: {line}" for line in sorted(old - new)]
    message = "\n".join(["the test run changed `git status --porcelain` of the checkout:", *lines])
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", "clean tree check failed", red=True)
        reporter.write_line(message)
    else:
        print(message, file=sys.stderr)
    if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
