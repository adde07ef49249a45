"""Shared test fixtures: offline astropy, the venv's bin/ first on PATH, an in-process CLI.

Also the session check that a run leaves the git checkout clean (:mod:`clean_tree`).
"""

import logging
import os
import sqlite3  # noqa: F401  before anything imports eccodes (see calibpipe_tasks/__init__.py)
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
CWL_DIR = ROOT / "cwl"
# tests/cwl/make_conformance.py (the conformance list) is used by the container stage too
sys.path.insert(0, str(ROOT / "tests" / "cwl"))

# a test run must leave `git status --porcelain` unchanged (tests/clean_tree.py)
from clean_tree import pytest_sessionfinish, pytest_sessionstart  # noqa: E402, F401

# the step image and podman (tests/podman_fixture.py) for the container and Slurm stages; the
# suite's reference run, started in the background of a whole-suite session (reference_runs.py)
pytest_plugins = ["pytester", "podman_fixture", "reference_runs"]

# CWL engines run tools with a clean environment in which only PATH passes through:
# the venv's bin/ (calibpipe-tasks, cwltool, toil-cwl-runner) must come first.
VENV_BIN = Path(sys.executable).parent
os.environ["PATH"] = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"


#: markers of tests that take from tens of seconds to minutes each
LONG_MARKERS = ("slow", "engines", "slurm", "containers")


def pytest_collection_modifyitems(config, items):
    """Hand the long tests out first (pytest-xdist distributes tests in this order, two at a
    time: ``--maxschedchunk=2`` in pyproject.toml).

    Longest-first keeps the workers busy to the end: the last minutes are short tests on both
    workers, not one worker finishing a long test alone. Tests in the step image (marker
    ``containers``) come after the other long ones, when the image build started with the
    session (tests/podman_fixture.py) is done, rather than waiting for it at the start.
    """

    def group(item):
        if item.get_closest_marker("containers"):
            return 1
        return 0 if any(item.get_closest_marker(m) for m in LONG_MARKERS) else 2

    items.sort(key=group)  # stable: in their own order within each group


def in_ci():
    """True under CI (``CI=true``), where optional stages must run rather than skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def _logging_handlers_restored():
    """Each test leaves the logging handlers as it found them.

    A ctapipe Tool run in-process (``ctapipe.core.run_tool``) installs a console handler on the
    ``ctapipe`` logger bound to the test's captured stderr, which pytest closes after the test;
    a ctapipe log line of a later test in the same worker would then print a "Logging error"
    traceback to stderr (and fail the tests that require none).
    """
    loggers = [logging.getLogger(), logging.getLogger("ctapipe")]
    saved = [(logger, logger.handlers[:], logger.level) for logger in loggers]
    yield
    for logger, handlers, level in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)


@pytest.fixture(autouse=True, scope="session")
def _astropy_offline():
    from astropy.utils import iers

    iers.conf.auto_download = False
    iers.conf.auto_max_age = None


@pytest.fixture(scope="session")
def reference(tmp_path_factory, worker_id):
    """Every CWL job run once under ``cwltool --no-container`` here (tests/reference_runs.py)."""

    from reference_runs import reference_run

    return reference_run(tmp_path_factory, worker_id)


@dataclass
class CLIResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capfd, monkeypatch):
    """Run ``calibpipe-tasks <args>`` in-process in directory ``cwd``; returns a CLIResult."""
    from calibpipe_tasks.cli import main

    def run(*args, cwd):
        monkeypatch.chdir(cwd)
        capfd.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse exits on --help and usage errors
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capfd.readouterr()
        return CLIResult(code, out, err)

    return run


def error_lines(err):
    """The non-log lines of stderr (log lines start with a date)."""
    return [line for line in err.splitlines() if line and not line[:4].isdigit()]
